#!/bin/sh
# CI: out/ must be what the sources build, and everything must pass its tests.
set -eu
make check
make test
