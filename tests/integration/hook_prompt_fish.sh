#!/bin/bash
# hook_prompt_fish.sh: a venv's prompt never becomes fish prompt code (see prompt_main in tests/lib/hook_harness.sh).
SH=fish
# shellcheck source=tests/lib/hook_harness.sh
. "$TOP_SRCDIR/tests/lib/hook_harness.sh"
prompt_main
