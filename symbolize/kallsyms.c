// SPDX-License-Identifier: MIT
/* symbolize/kallsyms.c: placeholder, being written. */
#include "config.h"
