#!/bin/bash
# pointer_trust_zsh.sh: venvs reached through pointer files in a real interactive zsh (see tests/lib/pointer_harness.sh).
SH=zsh
# shellcheck source=tests/lib/pointer_harness.sh
. "$TOP_SRCDIR/tests/lib/pointer_harness.sh"
pointer_main
