#!/usr/bin/env bash
# The README's first command: set up, make the demo cases, run the main job end to end.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
bash scripts/setup.sh base
say "Running the demo (state under $NP_HOME)"
exec .venv/bin/python -m demo.run "$@"
