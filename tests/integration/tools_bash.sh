#!/bin/bash
# tools_bash.sh: venvs made by the real tools (Poetry, Pipenv, PDM, pyenv-virtualenv,
# virtualenvwrapper, .venv files) in a real interactive bash (see tests/lib/tools_harness.sh).
SH=bash
# shellcheck source=tests/lib/tools_harness.sh
. "$TOP_SRCDIR/tests/lib/tools_harness.sh"
tools_main
