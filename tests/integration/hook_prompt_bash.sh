#!/bin/bash
# hook_prompt_bash.sh: a venv's prompt never becomes bash prompt code (see prompt_main in tests/lib/hook_harness.sh).
SH=bash
# shellcheck source=tests/lib/hook_harness.sh
. "$TOP_SRCDIR/tests/lib/hook_harness.sh"
prompt_main
