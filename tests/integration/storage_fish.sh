#!/bin/bash
# storage_fish.sh: the state directory full or read-only (issue 11, item 7) in a real interactive fish (see tests/lib/storage_harness.sh).
SH=fish
# shellcheck source=tests/lib/storage_harness.sh
. "$TOP_SRCDIR/tests/lib/storage_harness.sh"
storage_main
