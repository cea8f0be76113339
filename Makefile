# The two commands: `make run` and `make test`. Everything else is set-up they share.
SHELL := /bin/bash
PORT ?= 8000
PREP_REDIS_PORT ?= 6390
PREP_WORKERS ?= 2
PREP_VAR_DIR ?= $(CURDIR)/var
# honcho gives every process its own $PORT, so the web port travels as PREP_WEB_PORT.
PREP_WEB_PORT := $(PORT)
export PREP_WEB_PORT PREP_REDIS_PORT PREP_WORKERS PREP_VAR_DIR
export REDIS_URL ?= redis://127.0.0.1:$(PREP_REDIS_PORT)/0

.PHONY: run test setup setup-dev bench load

setup:
	@scripts/setup.sh requirements.txt

setup-dev:
	@scripts/setup.sh requirements-dev.txt
	@scripts/setup-browser.sh

run: setup
	@mkdir -p $(PREP_VAR_DIR)
	@.venv/bin/python manage.py migrate --no-input -v0
	@.venv/bin/python manage.py collectstatic --no-input -v0
	@.venv/bin/python manage.py seed_demo
	@.venv/bin/python manage.py check_sandbox || echo "!! Grading will fail until the problem above is fixed; the rest of Prep works."
	@echo
	@echo "  Prep is starting on http://127.0.0.1:$(PORT)/   (API docs: http://127.0.0.1:$(PORT)/api/docs/)"
	@echo "  Sign in as candidate, reviewer or admin with password $${PREP_DEMO_PASSWORD:-prep-demo} (local use only)."
	@echo "  Ctrl+C stops every process."
	@echo
	@exec .venv/bin/honcho start -f Procfile

# The suite starts its own Redis, Celery worker and PostgreSQL, each pytest run in its own PID
# namespace: on SQLite (everything) and on PostgreSQL (everything that touches the database), the
# host-exclusive tests alone first, then the rest side by side (scripts/run-tests.sh).
# PREP_TEST_DATABASES=sqlite skips PostgreSQL; PREP_TEST_PARALLEL=0 runs one database after the other.
PREP_TEST_DATABASES ?= sqlite postgres
test: setup-dev
	@if [ "$$(id -u)" != 0 ]; then \
	  echo "make test runs as root: the sandbox switches to unprivileged per-slot UIDs and the suite needs its own PID namespace." >&2; \
	  exit 1; \
	fi
	@scripts/run-tests.sh "$(PREP_TEST_DATABASES)" $(PYTEST_ARGS)

# Benchmarks print medians and ratios against the limit measured in the same run.
bench: setup-dev
	@.venv/bin/python bench/judge.py
	@# SQLite misses the item report's 300 ms target at 50k attempts (README): go on to the rest.
	-@.venv/bin/python bench/hiring.py
	@.venv/bin/python bench/hiring.py --postgres
	@.venv/bin/python bench/grading.py
	@.venv/bin/python bench/pool.py
	@.venv/bin/python bench/web.py --gunicorn

# Many candidates against the whole local stack (gunicorn, 2 grading workers, Redis, PostgreSQL), as root:
# make load LOAD_ARGS="--users 200 --duration 120". Prints latencies, throughput and PASS/FAIL per target.
load: setup-dev
	@PREP_PIDNS=1 unshare --pid --fork --mount-proc --kill-child .venv/bin/python bench/load.py $(LOAD_ARGS)
