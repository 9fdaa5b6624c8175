// SPDX-License-Identifier: MIT
/* symbolize/unwind.c: placeholder, being written. */
#include "config.h"
