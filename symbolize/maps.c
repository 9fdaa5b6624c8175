// SPDX-License-Identifier: MIT
/* symbolize/maps.c: placeholder, being written. */
#include "config.h"
