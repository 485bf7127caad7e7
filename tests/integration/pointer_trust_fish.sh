#!/bin/bash
# pointer_trust_fish.sh: venvs reached through pointer files in a real interactive fish (see tests/lib/pointer_harness.sh).
SH=fish
# shellcheck source=tests/lib/pointer_harness.sh
. "$TOP_SRCDIR/tests/lib/pointer_harness.sh"
pointer_main
