#!/usr/bin/env bash
# Run PROCESSES Celery workers named NAME-1@host ... NAME-N@host, and keep each running, as a
# process supervisor (systemd Restart=always) would in production. Each worker runs one task at a
# time in its own process (prep/celery_pool.py), so a host runs one per grading slot. Whatever
# makes a worker exit (a crash, an OOM kill, a task past its hard time limit, a library bug such
# as the one prep/celery.py works around), nothing is lost — the database holds the work and the
# reconciler re-enqueues it — but the worker must come back. A worker that exits cleanly (0)
# stays stopped. TERM or INT stops them all (Celery's warm shutdown: a running task finishes).
# Usage (Procfile): scripts/run-worker.sh PROCESSES NAME [celery worker options...]
set -u
if [ $# -lt 2 ] || ! [ "$1" -ge 1 ] 2>/dev/null; then
  echo "usage: $0 PROCESSES NAME [celery worker options...]" >&2
  exit 2
fi
processes=$1 name=$2
shift 2

supervise() {  # $1: the worker's number; the rest: celery worker options
  local number=$1 child status
  shift
  trap '[ -n "${child:-}" ] && kill -TERM "$child" 2>/dev/null; wait; exit 0' TERM
  while true; do
    .venv/bin/celery -A prep worker -n "$name-$number@%h" "$@" &
    child=$!
    wait "$child" && exit 0
    status=$?
    if [ "$status" = 142 ]; then
      echo "run-worker: $name-$number was killed by SIGALRM: a task passed its hard time limit; starting it again in 2 s" >&2
    else
      echo "run-worker: $name-$number exited with status $status; starting it again in 2 s" >&2
    fi
    sleep 2
  done
}

supervisors=()
for number in $(seq 1 "$processes"); do
  supervise "$number" "$@" &
  supervisors+=($!)
done
trap 'kill -TERM "${supervisors[@]}" 2>/dev/null; wait; exit 0' TERM INT
wait
