"""The grading workers' pool (prep/celery_pool.py): a task runs in the worker's own process, with a
soft time limit it can handle and a hard one the kernel enforces, and marks its worker busy."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from celery.exceptions import SoftTimeLimitExceeded

import judge

from prep.celery import app
from assessments.notify import redis_client
from prep.celery_pool import ALIVE_WITHIN_S, HEARTBEATS_KEY, TICK_S, TaskPool, Watchdog, live_workers

HOST = "pool-test@tests"


@pytest.fixture(scope="module")
def pool():
    saved = signal.getsignal(signal.SIGALRM), signal.getsignal(signal.SIGUSR2)
    made = TaskPool(initargs=(app, HOST))
    judge.set_prewarm(False)  # a pool starts as a grading process (worker_process_init): no sandbox kept here
    yield made
    made.on_stop()
    signal.signal(signal.SIGALRM, saved[0])
    signal.signal(signal.SIGUSR2, saved[1])


def run(pool, target, **limits):
    """Apply `target` as the worker applies a task's tracer; what it returned."""
    returned = []
    pool.on_apply(target, callback=returned.append, **limits)
    return returned[0]


def test_a_task_past_its_soft_limit_is_interrupted_and_handles_it(pool):
    def slow():
        try:
            time.sleep(10)
        except SoftTimeLimitExceeded:
            return "stopped"
        return "finished"

    started = time.monotonic()
    assert run(pool, slow, soft_timeout=0.3, timeout=30) == "stopped"
    assert 0.3 <= time.monotonic() - started < 3


def test_after_a_task_returns_no_limit_is_left_armed_for_the_next(pool):
    assert run(pool, lambda: "quick", soft_timeout=0.2, timeout=0.4) == "quick"
    time.sleep(0.6)  # past both limits: neither fires in between tasks
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert run(pool, lambda: time.sleep(0.1) or "next", soft_timeout=5, timeout=10) == "next"


def test_a_task_without_limits_runs_to_its_end(pool):
    assert run(pool, lambda: time.sleep(0.3) or "done") == "done"


def test_a_pool_beats_its_workers_heartbeat_and_drops_it_when_the_worker_stops(pool, wait_for):
    assert wait_for(lambda: HOST in live_workers(), timeout=5, message="the first beat")
    watchdog = Watchdog("stopping@tests")
    wait_for(lambda: "stopping@tests" in live_workers(), timeout=5, message="the other pool's first beat")
    watchdog.stop()
    assert "stopping@tests" not in live_workers()
    time.sleep(3 * TICK_S)
    assert "stopping@tests" not in live_workers(), "no beat after the stop"


def test_a_heartbeat_goes_stale_and_is_dropped_when_its_worker_died():
    now = time.time()
    redis_client().zadd(HEARTBEATS_KEY, {"died@host": now})
    assert "died@host" in live_workers(now=now + ALIVE_WITHIN_S)
    assert "died@host" not in live_workers(now=now + ALIVE_WITHIN_S + 1)
    assert redis_client().zscore(HEARTBEATS_KEY, "died@host") is None, "dropped, not only hidden"


HARD_LIMIT_SCRIPT = textwrap.dedent("""
    import os, sys, time
    import django
    django.setup()
    from celery.exceptions import SoftTimeLimitExceeded
    from prep.celery import app
    from prep.celery_pool import TaskPool

    def stubborn():
        while True:
            try:
                {body}
            except SoftTimeLimitExceeded:
                print("soft limit", flush=True)

    TaskPool(initargs=(app, None)).on_apply(stubborn, soft_timeout=0.3, timeout=1.0)
    print("the pool returned", flush=True)
""")


@pytest.mark.parametrize(("stuck_in", "body", "soft_seen"), [
    ("a sleep that swallows the soft limit", "time.sleep(10)", True),
    # A catastrophic regular expression runs in C with the GIL held: no Python signal handler
    # (so no soft limit) runs until it ends, but the kernel's default action needs none.
    ("C code holding the GIL", "import re; re.match(r'(a+)+$', 'a' * 64 + 'b')", False),
])
def test_a_task_past_its_hard_limit_ends_its_process_wherever_it_is_stuck(stuck_in, body, soft_seen):
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", HARD_LIMIT_SCRIPT.format(body=body)], capture_output=True,
                          text=True, timeout=60,
                          env={**os.environ, "DJANGO_SETTINGS_MODULE": "prep.settings", "PREP_JUDGE_PREWARM": "false"})
    assert proc.returncode == -signal.SIGALRM, (stuck_in, proc.stdout, proc.stderr)
    assert 1.0 <= time.monotonic() - started < 30
    assert ("soft limit" in proc.stdout) is soft_seen
    assert "the pool returned" not in proc.stdout
