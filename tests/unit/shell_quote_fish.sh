#!/bin/bash
# shell_quote_fish.sh: shell_quote's output read back by a real fish
# (suite_shell_round_trip in check_shell_quote.c). SKIP when fish is missing.
command -v fish >/dev/null 2>&1 || { echo "SKIP: fish is not installed" >&2; exit 77; }
exec "${TOP_BUILDDIR:?}/tests/unit/check_venvd" --round-trip fish
