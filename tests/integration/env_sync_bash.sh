#!/bin/bash
# env_sync_bash.sh: the shell's WORKON_HOME, not the daemon's, in a real interactive bash (see tests/lib/env_harness.sh).
SH=bash
# shellcheck source=tests/lib/env_harness.sh
. "$TOP_SRCDIR/tests/lib/env_harness.sh"
env_main
