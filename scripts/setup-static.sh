#!/usr/bin/env bash
# Front-end packages from npm (package.json, pinned by package-lock.json) into node_modules/, and
# our own front-end source (frontend/) bundled with esbuild into static-build/ (git-ignored).
# Django serves both as static files (STATICFILES_DIRS in prep/settings.py):
#   vendor/chart.js/ -> node_modules/chart.js/dist     build/ -> static-build/
# Reinstalls only when node_modules is missing or older than the lock file, and rebuilds only when
# the sources or the lock file changed (each stamp holds a hash).
# Usage: scripts/setup-static.sh      (scripts/setup.sh calls it)
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v npm >/dev/null; then
  echo "Prep's report charts and code editor need npm (Node.js), and npm is missing." >&2
  echo "Install it as root (apt-get install nodejs npm) and run this again: scripts/setup-static.sh" >&2
  exit 1
fi

stamp_file=node_modules/.prep-lock-sha256
wanted="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ ! -f "$stamp_file" ] || [ "$(cat "$stamp_file")" != "$wanted" ] \
   || [ ! -f node_modules/chart.js/package.json ] || [ ! -x node_modules/.bin/esbuild ]; then
  echo "==> installing front-end packages from package-lock.json (npm ci)"
  # Dev dependencies too: esbuild builds the editor bundle below. Only the bundle and chart.js's
  # dist/ are served; the rest of node_modules never leaves the server.
  npm ci --no-audit --no-fund --loglevel=error
  echo "$wanted" > "$stamp_file"
fi

# The code editor (CodeMirror 6) of the attempt page: frontend/editor.js -> static-build/editor.js,
# one IIFE script (window.PrepEditor) that needs no module loader.
build_stamp=static-build/.prep-sources-sha256
sources="$(cat package-lock.json frontend/*.js | sha256sum | cut -d' ' -f1)"
if [ -f static-build/editor.js ] && [ -f "$build_stamp" ] && [ "$(cat "$build_stamp")" = "$sources" ]; then
  exit 0
fi
echo "==> building the code editor (esbuild: frontend/editor.js -> static-build/editor.js)"
mkdir -p static-build
tmp="$(mktemp -d static-build/.tmp.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
node_modules/.bin/esbuild frontend/editor.js --bundle --format=iife --global-name=PrepEditor \
  --target=es2020 --minify --legal-comments=eof --log-level=warning --outfile="$tmp/editor.js"
mv "$tmp/editor.js" static-build/editor.js  # atomic: a running server never serves half a bundle
echo "$sources" > "$build_stamp"
