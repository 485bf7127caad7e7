#!/bin/bash
# fallback_git_bash.sh: no daemon, the fallback asks git itself, in a real interactive bash (see tests/lib/fallback_git_harness.sh).
SH=bash
# shellcheck source=tests/lib/fallback_git_harness.sh
. "$TOP_SRCDIR/tests/lib/fallback_git_harness.sh"
fallback_git_main
