#!/bin/sh
# Generate ./configure from configure.ac (needs autoconf >= 2.69, automake, pkg-config).
set -e
cd "$(dirname "$0")"
autoreconf -fi
