#!/bin/bash
# trust_bash.sh: issue 5 (trust) in a real interactive bash (see tests/lib/trust_harness.sh).
SH=bash
# shellcheck source=tests/lib/trust_harness.sh
. "$TOP_SRCDIR/tests/lib/trust_harness.sh"
trust_main
