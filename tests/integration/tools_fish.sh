#!/bin/bash
# tools_fish.sh: venvs made by the real tools (Poetry, Pipenv, PDM, pyenv-virtualenv,
# virtualenvwrapper, .venv files) in a real interactive fish (see tests/lib/tools_harness.sh).
SH=fish
# shellcheck source=tests/lib/tools_harness.sh
. "$TOP_SRCDIR/tests/lib/tools_harness.sh"
tools_main
