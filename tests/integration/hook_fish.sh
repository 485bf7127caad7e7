#!/bin/bash
# hook_fish.sh: the venvd fish hook in a real interactive fish (see tests/lib/hook_harness.sh).
SH=fish
# shellcheck source=tests/lib/hook_harness.sh
. "$TOP_SRCDIR/tests/lib/hook_harness.sh"
hook_main
