// SPDX-License-Identifier: MIT
/* symbolize/demangle.c: placeholder, being written. */
#include "config.h"
