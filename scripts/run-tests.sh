#!/usr/bin/env bash
# The whole suite, as `make test` runs it: on SQLite (everything), and on a private PostgreSQL
# (everything that touches the database: the judge's own tests have none, and the browser tests
# ran on SQLite). Each pytest run has its own PID namespace, so that a sandbox failure under a
# hostile test (kill -1, fork bomb) cannot reach the rest of the machine, and its own Redis,
# Celery worker and ports; sandbox slots are shared through their lock files, as by workers on
# a host.
#
# In two phases. First, alone, the tests marked host_exclusive (tests/judge and the worker's
# start-up sweep): they check what is left in the host's free sandbox slots, /tmp and box
# directories, where another run's sandboxes would be counted against them. Then the rest on
# SQLite and on PostgreSQL side by side: each is one pytest process that mostly waits (for a
# worker, a sandbox, a subprocess), so two of them keep two cores busy where one left them half
# idle. The SQLite run prints as it goes; the PostgreSQL run's output follows when it is done.
# PREP_TEST_PARALLEL=0 runs the whole suite on one database, then on the other, in one phase each.
# Usage: scripts/run-tests.sh "sqlite postgres" [pytest options...]
set -u
databases=$1
shift
cd "$(dirname "$0")/.."
unset PREP_TEST_PHASE  # set below, per phase; one run after the other runs every test
pidns=(env PREP_PIDNS=1 unshare --pid --fork --mount-proc --kill-child)
sqlite=(.venv/bin/python -m pytest "$@")
postgres=(scripts/with-postgres.sh .venv/bin/python -m pytest "$@" tests --ignore=tests/judge --ignore=tests/browser)
postgres_header="on PostgreSQL (tests/judge has no database; the browser tests ran on SQLite)"
want() { [[ " $databases " == *" $1 "* ]]; }
status=0
# pytest's 5 is "no test selected": a phase may hold none of the tests PYTEST_ARGS selects.
check() { local rc=$1; [ "$rc" = 0 ] || [ "$rc" = 5 ] || status=1; }

if ! want postgres || [ "${PREP_TEST_PARALLEL:-1}" = 0 ]; then
  if want sqlite; then
    echo "== the whole suite on SQLite"
    "${pidns[@]}" "${sqlite[@]}"; check $?
  fi
  if want postgres; then
    echo "== the suite $postgres_header"
    "${pidns[@]}" "${postgres[@]}"; check $?
  fi
  exit $status
fi

if want sqlite; then
  echo "== on SQLite, alone: the tests that check the host's sandbox slots, /tmp and box directories"
  PREP_TEST_PHASE=exclusive "${pidns[@]}" "${sqlite[@]}"; check $?
fi
log=$(mktemp "${TMPDIR:-/tmp}/prep-test-postgres.XXXXXX")
PREP_TEST_PHASE=shared "${pidns[@]}" "${postgres[@]}" >"$log" 2>&1 &
postgres_pid=$!
trap 'kill -TERM "$postgres_pid" 2>/dev/null; wait "$postgres_pid"; rm -f "$log"; exit 130' INT TERM
if want sqlite; then
  echo "== on SQLite, the rest (the PostgreSQL run goes on beside it; its output follows)"
  PREP_TEST_PHASE=shared "${pidns[@]}" "${sqlite[@]}"; check $?
fi
wait "$postgres_pid"; check $?
echo "== $postgres_header"
cat "$log"
rm -f "$log"
exit $status
