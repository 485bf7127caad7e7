#!/bin/bash
# shell_quote_bash.sh: shell_quote's output read back by a real bash
# (suite_shell_round_trip in check_shell_quote.c). SKIP when bash is missing.
command -v bash >/dev/null 2>&1 || { echo "SKIP: bash is not installed" >&2; exit 77; }
exec "${TOP_BUILDDIR:?}/tests/unit/check_venvd" --round-trip bash
