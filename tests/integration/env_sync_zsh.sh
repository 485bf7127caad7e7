#!/bin/bash
# env_sync_zsh.sh: the shell's WORKON_HOME, not the daemon's, in a real interactive zsh (see tests/lib/env_harness.sh).
SH=zsh
# shellcheck source=tests/lib/env_harness.sh
. "$TOP_SRCDIR/tests/lib/env_harness.sh"
env_main
