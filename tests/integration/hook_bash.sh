#!/bin/bash
# hook_bash.sh: the venvd bash hook in a real interactive bash (see tests/lib/hook_harness.sh).
SH=bash
# shellcheck source=tests/lib/hook_harness.sh
. "$TOP_SRCDIR/tests/lib/hook_harness.sh"
hook_main
