#!/bin/bash
# env_sync_fish.sh: the shell's WORKON_HOME, not the daemon's, in a real interactive fish (see tests/lib/env_harness.sh).
SH=fish
# shellcheck source=tests/lib/env_harness.sh
. "$TOP_SRCDIR/tests/lib/env_harness.sh"
env_main
