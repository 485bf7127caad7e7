#!/bin/bash
# hook_prompt_zsh.sh: a venv's prompt never becomes zsh prompt code (see prompt_main in tests/lib/hook_harness.sh).
SH=zsh
# shellcheck source=tests/lib/hook_harness.sh
. "$TOP_SRCDIR/tests/lib/hook_harness.sh"
prompt_main
