// SPDX-License-Identifier: MIT
/* symbolize/dso.c: placeholder, being written. */
#include "config.h"
