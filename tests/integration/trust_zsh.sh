#!/bin/bash
# trust_zsh.sh: issue 5 (trust) in a real interactive zsh (see tests/lib/trust_harness.sh).
SH=zsh
# shellcheck source=tests/lib/trust_harness.sh
. "$TOP_SRCDIR/tests/lib/trust_harness.sh"
trust_main
