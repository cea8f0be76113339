"""Shared fixtures: a private Redis for every test session, and a real Celery worker process
for the end-to-end tests (no eager mode)."""

import copy
import os
import socket
import subprocess
import sys
import time
import uuid
from types import SimpleNamespace
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings
from pytest_redis import factories

from prep.celery import app as celery_app

BASE_DIR = Path(__file__).resolve().parent

redis_proc = factories.redis_proc(port=None, timeout=30)


@pytest.fixture(scope="session", autouse=True)
def redis_url(redis_proc) -> str:
    """Every test talks to a private Redis, never to one that happens to run on the machine."""
    url = f"redis://{redis_proc.host}:{redis_proc.port}/0"
    os.environ["REDIS_URL"] = url
    celery_app.conf.broker_url = url
    celery_app._pool = None  # a producer pool made earlier would still point at the old URL
    # The cache (rate limits) too; changing CACHES makes Django drop its cache connections.
    caches = override_settings(REDIS_URL=url,
                               CACHES={"default": {**settings.CACHES["default"], "LOCATION": url.rsplit("/", 1)[0] + "/1"}})
    caches.enable()
    yield url
    caches.disable()


def database_url() -> str:
    """A URL for the database the tests use, so a worker process can share it."""
    s = connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{s['NAME']}"
    if s["ENGINE"].endswith("postgresql"):
        return f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}/{s['NAME']}"
    raise RuntimeError(f"no URL for {s['ENGINE']}")


@pytest.fixture(scope="session")
def celery_worker(redis_url, django_db_setup, django_db_blocker, tmp_path_factory):
    """A real `celery worker` process on the grading and default queues, sharing the test database."""
    log = tmp_path_factory.mktemp("celery") / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis_url,
        "DJANGO_SETTINGS_MODULE": "prep.settings",
        # A secret the hostile tests look for inside the sandbox.
        "SECRET_KEY": "worker-secret-" + uuid.uuid4().hex,
    }
    unique = f"test-{uuid.uuid4().hex[:8]}"
    name = f"{unique}@%h"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "prep", "worker", "-Q", "grading,default",
             "-n", name, "--without-gossip", "--without-mingle", "--loglevel", "INFO"],
            cwd=BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the Celery worker exited early:\n{log.read_text()[-4000:]}")
        # A fresh broker connection: a pooled one idle longer than the test Redis's client timeout
        # (30 s) has been closed by the server.
        with celery_app.connection_for_write() as broker:
            if celery_app.control.ping(timeout=0.5, connection=broker):
                break
    else:
        proc.kill()
        pytest.fail(f"the Celery worker did not come up:\n{log.read_text()[-4000:]}")
    _session_worker.update(nodename=f"{unique}@{socket.gethostname()}", broker_url=redis_url)
    yield SimpleNamespace(proc=proc, pid=proc.pid, secret=env["SECRET_KEY"], log=log,
                          nodename=_session_worker["nodename"])
    _session_worker.clear()
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    if os.environ.get("PREP_SHOW_WORKER_LOG"):
        sys.stderr.write(log.read_text())


_session_worker: dict[str, str] = {}

# (seconds since boot, test id) of every test started: a stray process found later is dated
# by the test that was running when it started (tests/judge/conftest.py).
TEST_TIMELINE: list[tuple[float, str]] = []


@pytest.hookimpl(trylast=True)  # after tests/judge/conftest.py has marked its items
def pytest_collection_modifyitems(config, items):
    """PREP_TEST_PHASE=exclusive keeps only the host_exclusive tests, =shared only the others:
    scripts/run-tests.sh runs the first alone and the second on both databases side by side."""
    phase = os.environ.get("PREP_TEST_PHASE", "")
    if phase not in ("exclusive", "shared"):
        return
    keep, drop = [], []
    for item in items:
        (keep if (item.get_closest_marker("host_exclusive") is not None) == (phase == "exclusive") else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_runtest_logstart(nodeid, location):
    TEST_TIMELINE.append((time.clock_gettime(time.CLOCK_BOOTTIME), nodeid))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item):
    """Before a transactional test's tables are flushed, let the session's worker finish what the
    test set going (a grading, the hiring reaction to a graded attempt): on PostgreSQL a TRUNCATE
    racing a worker's transaction deadlocks, and the flush loses."""
    nodename = _session_worker.get("nodename")
    if nodename and connection.vendor == "postgresql" and (
        "transactional_db" in item.fixturenames or "live_server" in item.fixturenames
        or any(m.kwargs.get("transaction") for m in item.iter_markers("django_db"))
    ):
        _wait_until_idle(nodename)
    yield


def _wait_until_idle(nodename: str, timeout: float = 15.0) -> None:
    """Until the worker answers a ping: it runs each task in its own process (prep/celery_pool.py)
    and answers only between tasks. Best effort: a fresh connection to the session's broker each
    time (a test may have restarted or swapped the app's broker), and no verdict on the test when
    it cannot ask."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with celery_app.connection_for_write(_session_worker["broker_url"]) as broker:
                if celery_app.control.ping(destination=[nodename], timeout=0.5, connection=broker):
                    return
        except Exception:  # noqa: BLE001 — the broker is not there to ask: do not hold the teardown
            return


_generated: dict[str, object] = {}


@pytest.fixture(autouse=True)
def _generators_run_once_per_session(request, monkeypatch):
    """A question generator gives the same variants for the same source and seeds, so each is run
    in the sandbox once per session, not once per test that seeds the demo bank (13 generators,
    about 12 s a time). tests/judge, which tests the generator runner itself, always runs it."""
    if request.node.path.is_relative_to(BASE_DIR / "tests" / "judge"):
        return
    import judge

    real = judge.generate_variants

    def once(*args, **kwargs):
        key = repr((args, sorted(kwargs.items())))
        if key not in _generated:
            _generated[key] = real(*args, **kwargs)
        return copy.deepcopy(_generated[key])

    monkeypatch.setattr(judge, "generate_variants", once)


def poll_until(condition, *, timeout: float, interval: float = 0.1):
    """condition()'s first truthy value within timeout seconds, else None."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    return None


@pytest.fixture
def wait_for():
    """Poll a condition with a deadline: wait_for(lambda: ..., timeout=20)."""

    def wait(condition, *, timeout: float = 30.0, interval: float = 0.1, message: str = "condition"):
        value = poll_until(condition, timeout=timeout, interval=interval)
        if not value:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        return value

    return wait


@pytest.fixture(autouse=True)
def _fresh_cache(redis_url):
    """Rate-limit counters are per user id, and ids repeat from test to test: start each clean."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing():
    """Real hashing costs ~0.3 s a password by design; tests make hundreds of users."""
    fast = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    fast.enable()
    yield
    fast.disable()


@pytest.fixture
def redis_clients_made(monkeypatch) -> list:
    """A list that grows by one each time a redis.Redis client is made (in any thread)."""
    import redis

    made, make = [], redis.Redis.__init__

    def counted(self, *args, **kwargs):
        made.append(1)
        make(self, *args, **kwargs)

    monkeypatch.setattr(redis.Redis, "__init__", counted)
    return made


@pytest.fixture
def round_trips():
    """round_trips(): a context manager counting the round trips this thread's default database
    connection makes in its block (PostgreSQL: the server's ReadyForQuery messages in libpq's
    trace, one at the end of each answer the client waits for). Read after the block:
    `with round_trips() as trips: ...`, then `trips.count`."""
    import contextlib
    import os
    import tempfile

    from django.db import connection
    from psycopg import pq

    class Trips:
        count = None

    @contextlib.contextmanager
    def counting():
        if connection.vendor != "postgresql":
            pytest.skip("round trips are counted on PostgreSQL")
        connection.ensure_connection()
        trips = Trips()
        with tempfile.NamedTemporaryFile() as trace:
            pgconn = connection.connection.pgconn
            pgconn.trace(os.dup(trace.fileno()))  # libpq keeps a stream of its own on the copy
            pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)  # lines: F or B, length, message, ...
            try:
                yield trips
            finally:
                pgconn.untrace()  # flushes the stream
            with open(trace.name) as written:  # the copy moved the shared offset: read afresh
                trips.count = sum(1 for line in written if line.split("\t")[:3:2] == ["B", "ReadyForQuery"])

    return counting
