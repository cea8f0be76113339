#!/usr/bin/env bash
# Debian's Chromium for the browser tests (tests/browser: Playwright drives /usr/bin/chromium through
# executable_path; Playwright's own browser downloads are never used). As root it installs the
# Debian packages that are missing (chromium, and fonts so that pages render their text); as another
# user it names what is missing and stops.
# Usage: scripts/setup-browser.sh      (make test calls it, after scripts/setup.sh)
set -euo pipefail

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
# Without recommends, chromium pulls in no fonts: text would render as boxes in the screenshots.
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "==> installing Debian packages for the browser tests: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "The browser tests (tests/browser) need these Debian packages: ${need[*]} (Chromium at /usr/bin/chromium)." >&2
  echo "Install them as root (apt-get install ${need[*]}) and run this again: scripts/setup-browser.sh" >&2
  exit 1
fi
