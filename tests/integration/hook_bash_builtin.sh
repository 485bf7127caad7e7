#!/bin/bash
# hook_bash_builtin.sh: the bash hook's tests through the loadable builtin bash/venvd.so
# (see tests/lib/hook_harness.sh), and no process on a prompt while the daemon answers.
SH=bash
HOOK_BUILTIN=1
# shellcheck source=tests/lib/hook_harness.sh
. "$TOP_SRCDIR/tests/lib/hook_harness.sh"
hook_main
