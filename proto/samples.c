// SPDX-License-Identifier: MIT
/* proto/samples.c: placeholder, being written. */
#include "config.h"
