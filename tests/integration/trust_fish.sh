#!/bin/bash
# trust_fish.sh: issue 5 (trust) in a real interactive fish (see tests/lib/trust_harness.sh).
SH=fish
# shellcheck source=tests/lib/trust_harness.sh
. "$TOP_SRCDIR/tests/lib/trust_harness.sh"
trust_main
