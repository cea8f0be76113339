#!/usr/bin/env bash
# Front-end libraries from npm (package.json, pinned by package-lock.json) into node_modules/,
# which Django serves as static files (STATICFILES_DIRS: vendor/chart.js/ -> node_modules/chart.js/dist).
# Reinstalls only when node_modules is missing or older than the lock file (a stamp holds its hash).
# Usage: scripts/setup-static.sh      (scripts/setup.sh calls it)
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v npm >/dev/null; then
  echo "Prep's report charts need npm (Node.js) to install Chart.js, and npm is missing." >&2
  echo "Install it as root (apt-get install nodejs npm) and run this again: scripts/setup-static.sh" >&2
  exit 1
fi

stamp_file=node_modules/.prep-lock-sha256
wanted="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$wanted" ] && [ -f node_modules/chart.js/package.json ]; then
  exit 0
fi
echo "==> installing front-end packages from package-lock.json (npm ci)"
npm ci --omit=dev --no-audit --no-fund --loglevel=error
echo "$wanted" > "$stamp_file"
