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
# The sandbox of evidence commands: bubblewrap, with util-linux's prlimit and setpriv.
command -v bwrap >/dev/null || need+=(bubblewrap)
{ command -v prlimit && command -v setpriv; } >/dev/null || need+=(util-linux)
# The PostgreSQL tests start their own throw-away server from these binaries (not on PATH).
compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' >/dev/null || need+=(postgresql)
# The dashboard's browser tests drive Debian's chromium (playwright-core never downloads a browser).
[[ -x /usr/bin/chromium ]] || need+=(chromium)
# The end-to-end tests of real Python and Go projects: Debian's python3 with pytest and pytest-cov, and go.
/usr/bin/python3 -c 'import pytest' 2>/dev/null || need+=(python3-pytest)
/usr/bin/python3 -c 'import pytest_cov' 2>/dev/null || need+=(python3-pytest-cov)
[[ -x /usr/bin/go ]] || need+=(golang-go)
# The supply-chain tests check the pom.xml files they read with Maven itself (offline).
command -v mvn >/dev/null || need+=(maven)
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
