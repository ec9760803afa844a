#!/usr/bin/env bash
# Sets a fresh Debian machine with Node 20 up for Autopilot's tests: the Debian
# packages the tests need (installed when missing, as root) and the npm packages.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v git >/dev/null || need+=(git)
command -v python3 >/dev/null || need+=(python3)
command -v make >/dev/null || need+=(make)
command -v g++ >/dev/null || need+=(g++)
if ((${#need[@]})); then
  if [[ $(id -u) -eq 0 ]]; then
    echo "== apt-get install ${need[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "missing Debian packages: ${need[*]} (run as root, or: sudo apt-get install ${need[*]})" >&2
    exit 1
  fi
fi

echo "== npm ci"
npm ci --no-audit --no-fund
