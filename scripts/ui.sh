#!/usr/bin/env bash
# Serve the Dagster UI and daemon on 127.0.0.1 (after scripts/demo.sh has set things up), and beside them
# the read-only file server of the local object store (scripts/file_server.py) so links to outputs open
# in the browser (FILES_PORT, 3001; stopped with the UI). With NP_FILE_SERVER_URL already set, none starts.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
[ -x .venv/bin/dagster ] || die "run scripts/demo.sh first"

children=()
stop() {
  trap - EXIT INT TERM
  for pid in "${children[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop EXIT
trap 'stop; exit 130' INT TERM

# A background job of a script starts with SIGINT ignored, and `dagster dev` maps SIGTERM to its SIGINT
# handler: restore SIGINT before exec, or neither signal would stop it.
with_sigint() {
  exec .venv/bin/python -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])' "$@"
}

if [ -z "${NP_FILE_SERVER_URL:-}" ]; then
  FILES_PORT="${FILES_PORT:-3001}"
  .venv/bin/python -m scripts.file_server --port "$FILES_PORT" &
  children+=("$!")
  export NP_FILE_SERVER_URL="http://127.0.0.1:$FILES_PORT"
fi
with_sigint .venv/bin/dagster dev -w workspace.yaml -h 127.0.0.1 -p "${PORT:-3000}" &
children+=("$!")
wait "${children[-1]}"
