#!/usr/bin/env bash
# The whole suite, as `make test` runs it: on SQLite (everything), and on a private PostgreSQL
# (everything that touches the database: the judge's own tests have none, and the browser tests
# ran on SQLite). Each run has its own PID namespace, so that a sandbox failure under a hostile
# test (kill -1, fork bomb) cannot reach the rest of the machine, and its own Redis, Celery
# worker and ports; sandbox slots are shared through their lock files, as by workers on a host.
#
# The two runs go side by side: each is one pytest process that mostly waits (for a worker, a
# sandbox, a subprocess), so two of them keep two cores busy where one left them half idle.
# The SQLite run prints as it goes; the PostgreSQL run's output follows when it is done.
# PREP_TEST_PARALLEL=0 runs them one after the other.
# Usage: scripts/run-tests.sh "sqlite postgres" [pytest options...]
set -u
databases=$1
shift
cd "$(dirname "$0")/.."
pidns=(env PREP_PIDNS=1 unshare --pid --fork --mount-proc --kill-child)
sqlite=(.venv/bin/python -m pytest "$@")
postgres=(scripts/with-postgres.sh .venv/bin/python -m pytest "$@" tests --ignore=tests/judge --ignore=tests/browser)
want() { [[ " $databases " == *" $1 "* ]]; }

status=0
if ! want postgres || [ "${PREP_TEST_PARALLEL:-1}" = 0 ]; then
  if want sqlite; then
    echo "== the whole suite on SQLite"
    "${pidns[@]}" "${sqlite[@]}" || status=1
  fi
  if want postgres; then
    echo "== the suite on PostgreSQL (tests/judge has no database; the browser tests ran on SQLite)"
    "${pidns[@]}" "${postgres[@]}" || status=1
  fi
  exit $status
fi

log=$(mktemp "${TMPDIR:-/tmp}/prep-test-postgres.XXXXXX")
"${pidns[@]}" "${postgres[@]}" >"$log" 2>&1 &
postgres_pid=$!
trap 'kill -TERM "$postgres_pid" 2>/dev/null; wait "$postgres_pid"; rm -f "$log"; exit 130' INT TERM
if want sqlite; then
  echo "== the whole suite on SQLite (the PostgreSQL run goes on beside it; its output follows)"
  "${pidns[@]}" "${sqlite[@]}" || status=1
fi
wait "$postgres_pid" || status=1
echo "== the suite on PostgreSQL (tests/judge has no database; the browser tests ran on SQLite)"
cat "$log"
rm -f "$log"
exit $status
