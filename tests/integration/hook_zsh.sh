#!/bin/bash
# hook_zsh.sh: the venvd zsh hook in a real interactive zsh (see tests/lib/hook_harness.sh).
SH=zsh
# shellcheck source=tests/lib/hook_harness.sh
. "$TOP_SRCDIR/tests/lib/hook_harness.sh"
hook_main
