#!/usr/bin/env bash
# Keep a Celery worker running, as a process supervisor (systemd Restart=always) would in
# production: whatever makes a worker exit (a crash, an OOM kill, a library bug such as the one
# prep/celery.py works around), nothing is lost — the database holds the work and the reconciler
# re-enqueues it — but the worker must come back.
# Usage (Procfile): scripts/run-worker.sh -Q grading,default -n grading@%h ...
trap 'exit 0' TERM INT
while true; do
  .venv/bin/celery -A prep worker "$@" && exit 0
  status=$?
  echo "run-worker: the worker exited with status $status; starting it again in 2 s" >&2
  sleep 2
done
