#!/usr/bin/env bash
# Install what Prep needs and is missing: Debian packages (as root, via apt) and the virtualenv.
# Usage: scripts/setup.sh [requirements-file]   (default requirements.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
requirements="${1:-requirements.txt}"

# Debian packages: redis-server (broker), bubblewrap + util-linux (sandbox), Debian's python3
# (the sandbox's runtime: readable by the unprivileged sandbox UIDs, unlike a python under /root).
need=()
command -v redis-server >/dev/null || need+=(redis-server)
command -v bwrap >/dev/null || need+=(bubblewrap)
command -v setpriv >/dev/null && command -v prlimit >/dev/null && command -v unshare >/dev/null || need+=(util-linux)
# C/C++ submissions and custom output validators are compiled with the system's compilers.
command -v g++ >/dev/null && command -v gcc >/dev/null || need+=(g++ gcc libc6-dev)
[ -x /usr/bin/python3 ] || need+=(python3)
python3 -c "import ensurepip, venv" 2>/dev/null || need+=(python3-venv)
# Browser libraries (charts, the code editor) come from npm at set-up, never copied into the repo.
command -v npm >/dev/null || need+=(nodejs npm)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "==> installing Debian packages: ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "Prep needs these system packages: ${need[*]}" >&2
    echo "Install them (e.g. sudo apt-get install ${need[*]}) and run this again." >&2
    exit 1
  fi
fi

# The sandbox's runtimes (R, the Python data stack in /opt/prep-runtime), bound read-only into
# grading runs. Needs root; without it grading of R and data-stack questions is unavailable.
if [ "$(id -u)" = 0 ]; then
  scripts/setup-runtime.sh
else
  echo "(not root: skipping scripts/setup-runtime.sh — R and data-stack questions cannot be graded here)" >&2
fi

# The virtualenv, reinstalled only when a requirements file changes.
[ -x .venv/bin/python ] || { echo "==> creating .venv"; python3 -m venv .venv; }
stamp=".venv/.installed-$(cat requirements*.txt | sha256sum | cut -c1-16)-$(basename "$requirements")"
if [ ! -f "$stamp" ]; then
  echo "==> installing Python packages from $requirements"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -r "$requirements"
  rm -f .venv/.installed-*
  touch "$stamp"
fi

# Front-end packages from npm (package-lock.json) into node_modules/, served as static files.
scripts/setup-static.sh
