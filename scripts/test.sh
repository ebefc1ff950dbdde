#!/usr/bin/env bash
# The README's second command: set up (MariaDB included) and run lint and the whole test suite.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
bash scripts/setup.sh base test
say "Lint (ruff)"
.venv/bin/ruff check .
say "Layers (import-linter contracts in pyproject.toml)"
.venv/bin/lint-imports --no-cache
say "Tests"
exec .venv/bin/pytest "$@"
