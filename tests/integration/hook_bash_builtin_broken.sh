#!/bin/bash
# hook_bash_builtin_broken.sh: the bash hook's tests when the builtin it is given does not
# load (not a shared object): the shell hook takes over, quietly (see tests/lib/hook_harness.sh).
SH=bash
HOOK_BUILTIN=broken
# shellcheck source=tests/lib/hook_harness.sh
. "$TOP_SRCDIR/tests/lib/hook_harness.sh"
hook_main
