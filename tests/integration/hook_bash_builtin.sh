#!/bin/bash
# hook_bash_builtin.sh: the bash hook's tests through the loadable builtin bash/venvd.so
# (see tests/lib/hook_harness.sh), and no process on a prompt while the daemon answers.
SH=bash
HOOK_BUILTIN=1
# shellcheck source=tests/lib/hook_harness.sh
. "$TOP_SRCDIR/tests/lib/hook_harness.sh"
# What is loaded into the shell links no libjansson (the RSS it would add).
if [ -f "$TOP_BUILDDIR/bash/venvd.so" ]; then
	needed=$(LC_ALL=C readelf -d "$TOP_BUILDDIR/bash/venvd.so") || fail "readelf -d bash/venvd.so"
	case $needed in *libjansson*) fail "bash/venvd.so links libjansson" ;; esac
fi
hook_main
