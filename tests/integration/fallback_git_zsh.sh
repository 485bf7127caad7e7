#!/bin/bash
# fallback_git_zsh.sh: no daemon, the fallback asks git itself, in a real interactive zsh (see tests/lib/fallback_git_harness.sh).
SH=zsh
# shellcheck source=tests/lib/fallback_git_harness.sh
. "$TOP_SRCDIR/tests/lib/fallback_git_harness.sh"
fallback_git_main
