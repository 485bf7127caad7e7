#!/bin/bash
# fallback_git_fish.sh: no daemon, the fallback asks git itself, in a real interactive fish (see tests/lib/fallback_git_harness.sh).
SH=fish
# shellcheck source=tests/lib/fallback_git_harness.sh
. "$TOP_SRCDIR/tests/lib/fallback_git_harness.sh"
fallback_git_main
