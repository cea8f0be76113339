#!/usr/bin/env bash
# Run a command against a private, throw-away PostgreSQL server:
#   scripts/with-postgres.sh .venv/bin/python -m pytest tests/assessments
# Starts a cluster in a temporary directory on a free loopback port (fsync off: test data only),
# exports DATABASE_URL for the command, and removes everything afterwards, whatever happens.
# Installs PostgreSQL from Debian's packages when run as root and it is missing. PREP_PG_OPTIONS adds
# server options (e.g. "-c shared_preload_libraries=pg_stat_statements", as bench/load.py --pg-stats does).
set -euo pipefail

find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
BIN="$(find_bin)"
if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "== Installing PostgreSQL (apt: postgresql)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null || {
      apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null; }
    BIN="$(find_bin)"
  else
    echo "PostgreSQL is missing: install the Debian package 'postgresql' (as root: apt-get install postgresql)." >&2
    exit 1
  fi
fi

# PostgreSQL refuses to run as root: as root, the server runs as the 'postgres' user.
AS=()
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin postgres
  AS=(runuser -u postgres --)
fi

DIR="$(mktemp -d /tmp/prep-pg.XXXXXX)"
chmod 755 "$DIR"
[ "${#AS[@]}" -gt 0 ] && chown postgres: "$DIR"
PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"

cleanup() {
  "${AS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$DIR"
}
trap cleanup EXIT INT TERM

"${AS[@]}" "$BIN/initdb" -D "$DIR/data" -U prep -A trust -E UTF8 --no-locale >"$DIR/initdb.log" 2>&1 \
  || { cat "$DIR/initdb.log" >&2; exit 1; }
"${AS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
  -o "-h 127.0.0.1 -p $PORT -k $DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 ${PREP_PG_OPTIONS:-}" \
  start >/dev/null || { cat "$DIR/server.log" >&2; exit 1; }
"${AS[@]}" "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U prep prep

export DATABASE_URL="postgres://prep@127.0.0.1:$PORT/prep"
echo "== PostgreSQL $("$BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT" >&2
"$@"
