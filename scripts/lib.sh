# Shared by the setup scripts: logging and system package installation.
# shellcheck shell=bash
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export NP_HOME="${NP_HOME:-$ROOT/.nextpoint}"
export DAGSTER_HOME="${DAGSTER_HOME:-$NP_HOME/dagster_home}"
export UV_PYTHON_DOWNLOADS=never
export UV_LINK_MODE=copy

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf '\033[31mERROR: %s\033[0m\n' "$*" >&2; exit 1; }

# apt_ensure "what it is for" package... : installs missing Debian packages when root,
# otherwise stops with the exact command to run.
APT_UPDATED=0
apt_ensure() {
  local purpose="$1"; shift
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null || die "$purpose needs the system packages: ${missing[*]} (no apt-get here: install them with your package manager)"
  if [ "$(id -u)" -ne 0 ]; then
    die "$purpose needs system packages that are missing. Run:  sudo apt-get install -y ${missing[*]}  then run this command again."
  fi
  say "Installing system packages for $purpose: ${missing[*]}"
  if [ "$APT_UPDATED" -eq 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
