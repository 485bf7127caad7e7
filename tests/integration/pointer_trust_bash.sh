#!/bin/bash
# pointer_trust_bash.sh: venvs reached through pointer files in a real interactive bash (see tests/lib/pointer_harness.sh).
SH=bash
# shellcheck source=tests/lib/pointer_harness.sh
. "$TOP_SRCDIR/tests/lib/pointer_harness.sh"
pointer_main
