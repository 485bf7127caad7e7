#!/bin/bash
# trust_offline_bash.sh: a venv denied with the daemon up stays off in a real interactive bash once it is stopped (see tests/lib/trust_offline_harness.sh).
SH=bash
# shellcheck source=tests/lib/trust_offline_harness.sh
. "$TOP_SRCDIR/tests/lib/trust_offline_harness.sh"
trust_offline_main
