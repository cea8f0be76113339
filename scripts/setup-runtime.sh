#!/usr/bin/env bash
# The language runtimes the grading sandbox binds read-only (see judge/runtimes.py):
#   - R: Debian's r-base-core (Rscript --vanilla);
#   - the Python data stack: a virtualenv of Debian's /usr/bin/python3 at
#     /opt/prep-runtime/python with requirements-sandbox.txt installed (wheels only),
#     root-owned and world-readable, because the sandbox runs as unprivileged per-slot UIDs
#     that cannot read /root (where the web app's pyenv Python lives).
# Idempotent: the virtualenv is rebuilt only when requirements-sandbox.txt or the Python
# version changes (a stamp holds their hash). Runs as root; scripts/setup.sh calls it, and it
# can run alone:  sudo scripts/setup-runtime.sh
set -euo pipefail
cd "$(dirname "$0")/.."

RUNTIME_ROOT=/opt/prep-runtime
VENV="$RUNTIME_ROOT/python"
REQUIREMENTS=requirements-sandbox.txt
SYSTEM_PYTHON=/usr/bin/python3

step() { echo "==> runtime: $*"; }
# Run a command; show what it wrote to stderr only when it fails.
quiet() {
  local log status=0
  log="$(mktemp)"
  "$@" >/dev/null 2>"$log" || status=$?
  [ "$status" = 0 ] || cat "$log" >&2
  rm -f "$log"
  return "$status"
}

if [ "$(id -u)" != 0 ]; then
  echo "scripts/setup-runtime.sh must run as root: it installs Debian packages and writes $RUNTIME_ROOT" >&2
  exit 1
fi

# -- Debian packages ------------------------------------------------------------------------
need=()
[ -x /usr/bin/Rscript ] || need+=(r-base-core)
[ -x "$SYSTEM_PYTHON" ] || need+=(python3)
"$SYSTEM_PYTHON" -c "import ensurepip, venv" 2>/dev/null || need+=(python3-venv)
if [ ${#need[@]} -gt 0 ]; then
  command -v apt-get >/dev/null || { echo "install these Debian packages first: ${need[*]}" >&2; exit 1; }
  step "installing Debian packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  quiet apt-get update -qq
  quiet apt-get install -y -qq --no-install-recommends "${need[@]}"
else
  step "Debian packages present: r-base-core ($(/usr/bin/Rscript --version 2>&1 | grep -o '[0-9][0-9.]*' | head -1)), python3-venv"
fi

# -- the Python data stack --------------------------------------------------------------------
stamp_value="$( { "$SYSTEM_PYTHON" -c 'import sys; print(sys.version)'; cat "$REQUIREMENTS"; } | sha256sum | cut -c1-32)"
stamp_file="$VENV/.prep-runtime-stamp"
if [ -x "$VENV/bin/python3" ] && [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$stamp_value" ]; then
  step "data stack up to date in $VENV (stamp $stamp_value)"
else
  # Build beside the live runtime and swap it in, so that gradings running meanwhile keep a
  # complete one.
  build="$RUNTIME_ROOT/.python.build"
  rm -rf "$build"
  mkdir -p "$RUNTIME_ROOT"
  step "creating a virtualenv of $SYSTEM_PYTHON ($("$SYSTEM_PYTHON" -c 'import platform; print(platform.python_version())'))"
  quiet "$SYSTEM_PYTHON" -m venv --prompt prep-runtime "$build"
  step "installing $REQUIREMENTS (wheels only; a few minutes on a cold cache)"
  quiet "$build/bin/python3" -m pip install -q --disable-pip-version-check --no-compile --only-binary :all: -r "$REQUIREMENTS"
  # setuptools is not needed at run time, and its .pth hook would cost every start a few ms.
  "$build/bin/python3" -m pip uninstall -q -y setuptools >/dev/null 2>&1 || true
  step "swapping the new runtime into $VENV"
  rm -rf "$RUNTIME_ROOT/.python.old"
  [ -e "$VENV" ] && mv "$VENV" "$RUNTIME_ROOT/.python.old"
  mv "$build" "$VENV"
  rm -rf "$RUNTIME_ROOT/.python.old"
  # pyvenv.cfg, the activate scripts and pip's launchers name the build directory; the
  # interpreter does not use them, but keep them true.
  grep -rlF "$build" "$VENV/pyvenv.cfg" "$VENV/bin" | xargs -r sed -i "s#$build#$VENV#g"
  # The sandbox's file system is read-only: byte-code must be compiled now, at its final path.
  step "compiling byte-code"
  "$VENV/bin/python3" -m compileall -q -j 0 "$VENV/lib" >/dev/null || true
  echo "$stamp_value" > "$stamp_file"
fi
chown -R root:root "$RUNTIME_ROOT"
chmod -R a+rX,go-w "$RUNTIME_ROOT"
step "$RUNTIME_ROOT is root-owned and world-readable"
step "check: $("$VENV/bin/python3" -I -c 'import numpy, pandas, scipy, sklearn, statsmodels as s; print("numpy", numpy.__version__, "pandas", pandas.__version__, "scipy", scipy.__version__, "scikit-learn", sklearn.__version__, "statsmodels", s.__version__)')"
