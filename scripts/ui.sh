#!/usr/bin/env bash
# Serve the Dagster UI and daemon on 127.0.0.1 (after scripts/demo.sh has set things up).
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
[ -x .venv/bin/dagster ] || die "run scripts/demo.sh first"
exec .venv/bin/dagster dev -w workspace.yaml -h 127.0.0.1 -p "${PORT:-3000}"
