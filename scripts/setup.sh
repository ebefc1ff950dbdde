#!/usr/bin/env bash
# Installs everything the platform needs: system packages (when root) and the Python
# environment in .venv/ from the lock file. Usage: scripts/setup.sh [base|test|bench]...
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

groups=("base" "$@")
uv_groups=()  # dependency groups of pyproject.toml beyond the default (dev)
for group in "${groups[@]}"; do
  case "$group" in
    base)
      # Java for Spark; 7-Zip for archives; tesseract language data for OCR; JDBC drivers
      # for Spark against MariaDB and SQLite; a venv-capable Python.
      apt_ensure "the platform" default-jre-headless 7zip tesseract-ocr-eng tesseract-ocr-osd \
        libmariadb-java libxerial-sqlite-jdbc-java ca-certificates ;;
    # PostgreSQL: Dagster's production storage, tested against a real server (tests/test_deploy.py).
    # Chromium: the system browser Playwright drives in tests/test_ui_browser.py (never a download).
    test) apt_ensure "the test suite" mariadb-server mariadb-client postgresql chromium
      uv_groups+=(--group ner) ;;  # the optional person-name model, so its tests run
    bench) apt_ensure "the benchmarks" ghostscript poppler-utils libtiff-tools mariadb-server tesseract-ocr ;;
    *) die "unknown setup group: $group" ;;
  esac
done

# Python 3.11 or 3.12 for the virtual environment.
PYTHON=""
for candidate in python3.12 python3.11 python3; do
  if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; exit(0 if (3,11) <= sys.version_info[:2] <= (3,12) else 1)' 2>/dev/null; then
    PYTHON="$(command -v "$candidate")"; break
  fi
done
[ -n "$PYTHON" ] || { apt_ensure "Python" python3 python3-venv; PYTHON="$(command -v python3)"; }

if [ ! -x .venv/bin/python ]; then
  say "Creating .venv with $PYTHON"
  if ! "$PYTHON" -m venv .venv 2>/dev/null; then
    rm -rf .venv
    apt_ensure "the Python virtual environment" python3-venv
    "$PYTHON" -m venv .venv
  fi
fi
if [ ! -x .venv/bin/uv ]; then
  say "Installing uv into .venv"
  .venv/bin/python -m pip install -q --disable-pip-version-check "uv==0.13.9"
fi
# Synced again when the lock changes or other groups are asked for (the marker holds the groups).
if [ ! -f .venv/.synced ] || [ uv.lock -nt .venv/.synced ] || [ pyproject.toml -nt .venv/.synced ] \
  || [ "$(cat .venv/.synced)" != "${uv_groups[*]}" ]; then
  say "Installing Python packages from uv.lock"
  .venv/bin/uv sync --frozen --quiet "${uv_groups[@]}"
  echo "${uv_groups[*]}" > .venv/.synced
fi
mkdir -p "$NP_HOME" "$DAGSTER_HOME"
[ -f "$DAGSTER_HOME/dagster.yaml" ] || cp deploy/dagster.local.yaml "$DAGSTER_HOME/dagster.yaml"
