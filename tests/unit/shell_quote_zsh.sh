#!/bin/bash
# shell_quote_zsh.sh: shell_quote's output read back by a real zsh
# (suite_shell_round_trip in check_shell_quote.c). SKIP when zsh is missing.
command -v zsh >/dev/null 2>&1 || { echo "SKIP: zsh is not installed" >&2; exit 77; }
exec "${TOP_BUILDDIR:?}/tests/unit/check_venvd" --round-trip zsh
