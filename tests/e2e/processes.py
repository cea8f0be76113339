"""Real processes for the fault tests: a Redis server, Celery workers and a gunicorn web server.

Each one leads its own session (so its own process group), writes to its own log file, and can
be killed whole with SIGKILL and started again on the same port. Every wait has a deadline and
fails with the tail of the logs that explain it."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.test import override_settings

from conftest import database_url, poll_until  # the root conftest's: the test database as a URL for a child process
from judge.sandbox import sweep_free_slots
from judge.sandbox.processes import descendants
from prep.celery import app as celery_app

BASE_DIR = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _reap(pids: list[int], timeout: float = 5.0) -> None:
    """Wait for killed processes to be gone. In the suite's PID namespace this process is init,
    so the orphans of a killed worker become our zombies: reap them, or they would count
    against their sandbox UID's process limit for the rest of the run."""
    me = str(os.getpid())
    end = time.monotonic() + timeout
    pending = set(pids)
    while pending and time.monotonic() < end:
        for pid in list(pending):
            try:
                with open(f"/proc/{pid}/status") as f:
                    status = dict(line.split(":\t", 1) for line in f.read().splitlines() if ":\t" in line)
            except OSError:
                pending.discard(pid)  # gone (reaped by its parent, or by us)
                continue
            if status.get("State", "").startswith("Z") and status.get("PPid", "").strip() == me:
                try:
                    os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    pending.discard(pid)
        time.sleep(0.02)


class Process:
    """One command in its own session, its output appended to `log`."""

    def __init__(self, name: str, argv: list[str], *, env: dict[str, str], log: Path):
        self.name, self.argv, self.env, self.log = name, argv, env, log
        self.popen: subprocess.Popen | None = None

    def start(self) -> Process:
        assert not self.alive, f"{self.name} is already running"
        with open(self.log, "ab") as out:
            out.write(f"==== start {self.name}: {' '.join(self.argv)}\n".encode())
            out.flush()
            self.popen = subprocess.Popen(self.argv, cwd=BASE_DIR, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                          stdin=subprocess.DEVNULL, start_new_session=True)
        return self

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill(self) -> None:
        """kill -9 of the process group and of every descendant, whatever session it leads
        (the group too when its leader is gone already: a crashed worker may leave children)."""
        if self.popen is None:
            return
        was_alive = self.alive
        tree = descendants(self.popen.pid) if was_alive else []
        for pid, kill in [(self.popen.pid, os.killpg), *((p, os.kill) for p in tree)]:
            try:
                kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.popen.wait(timeout=10)
        _reap(tree)
        # A grading process killed while it started a sandbox leaves that run going on its own
        # (bubblewrap's --die-with-parent was not armed yet); the next grading process to start
        # on this host sweeps it, as this does now.
        sweep_free_slots()
        if was_alive:
            self._note("killed (SIGKILL)")

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM (a clean shutdown), then kill -9 of whatever is left."""
        if self.alive:
            try:
                os.killpg(self.popen.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
            self._note("stopped (SIGTERM)")
        self.kill()

    def log_text(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, chars: int = 3000) -> str:
        return f"---- {self.name} ({self.log}) ----\n{self.log_text()[-chars:]}"

    def _note(self, what: str) -> None:
        with open(self.log, "ab") as out:
            out.write(f"==== {self.name} {what}\n".encode())


class RedisServer(Process):
    """redis-server on a fixed free port without persistence: a restart comes back empty."""

    def __init__(self, directory: Path):
        self.port = free_port()
        directory.mkdir(parents=True, exist_ok=True)
        super().__init__(
            f"redis:{self.port}",
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(directory), "--daemonize", "no", "--loglevel", "notice"],
            env=dict(os.environ), log=directory / "redis.log",
        )

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 15.0) -> RedisServer:
        super().start()
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5, socket_timeout=0.5)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if not self.alive:
                pytest.fail(f"redis-server exited early\n{self.log_tail()}")
            try:
                if client.ping():
                    return self
            except redis.RedisError:
                time.sleep(0.05)
        pytest.fail(f"redis-server did not answer within {timeout}s\n{self.log_tail()}")


def child_env(*, redis_url: str, **extra: str) -> dict[str, str]:
    """The environment of a worker or web process: the test database and the test's Redis."""
    return {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis_url,
        "DJANGO_SETTINGS_MODULE": "prep.settings",
        "SECRET_KEY": "faults-secret-" + uuid.uuid4().hex,
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


class CeleryWorker(Process):
    """`celery -A prep worker -Q grading,default` on the test's Redis and database."""

    def __init__(self, label: str, *, redis_url: str, directory: Path, env: dict[str, str] | None = None):
        unique = f"{label}-{uuid.uuid4().hex[:6]}"
        self.nodename = f"{unique}@{socket.gethostname()}"
        super().__init__(
            f"worker {unique}",
            [sys.executable, "-m", "celery", "-A", "prep", "worker", "-Q", "grading,default",
             "-n", f"{unique}@%h", "--without-gossip", "--without-mingle", "--loglevel", "INFO"],
            env=child_env(redis_url=redis_url, **(env or {})), log=directory / f"{unique}.log",
        )

    def wait_ready(self, timeout: float = 45.0) -> CeleryWorker:
        """Until the worker answers a ping through the broker this process publishes to."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if not self.alive:
                pytest.fail(f"{self.name} exited early\n{self.log_tail()}")
            if self.answers_ping():
                return self
        pytest.fail(f"{self.name} did not answer a ping within {timeout}s\n{self.log_tail()}")

    def answers_ping(self) -> bool:
        try:
            return bool(celery_app.control.ping(destination=[self.nodename], timeout=0.5))
        except Exception:  # noqa: BLE001 — the broker may be coming back: not now, then
            time.sleep(0.2)
            return False

    def task_lines(self, event: str, task: str = "assessments.submission_grade") -> list[str]:
        """The log lines of `task` events: received, succeeded, failed, raised..."""
        return [line for line in self.log_text().splitlines() if f"Task {task}[" in line and f"] {event}" in line]


class WebServer(Process):
    """gunicorn serving prep.wsgi on a fixed free port (the same port after a restart)."""

    def __init__(self, *, redis_url: str, directory: Path, workers: int = 2):
        self.port = free_port()
        super().__init__(
            f"gunicorn:{self.port}",
            [sys.executable, "-m", "gunicorn", "prep.wsgi:application", "-b", f"127.0.0.1:{self.port}",
             "-w", str(workers), "--timeout", "30", "--access-logfile", "-", "--error-logfile", "-"],
            env=child_env(redis_url=redis_url), log=directory / "gunicorn.log",
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> WebServer:
        super().start()
        end = time.monotonic() + timeout
        client = Http(self.base_url)
        while time.monotonic() < end:
            if not self.alive:
                pytest.fail(f"{self.name} exited early\n{self.log_tail()}")
            try:
                status, _ = client.call("GET", "/api/assessments/", timeout=2)
                if status in (401, 403):  # Django answers: the app is loaded
                    return self
            except (OSError, http.client.HTTPException):
                pass  # not listening yet
            time.sleep(0.1)
        pytest.fail(f"{self.name} did not answer within {timeout}s\n{self.log_tail()}")


class Http:
    """A JSON client over a real socket (urllib, no proxies): (status, body) for every answer."""

    def __init__(self, base_url: str, token: str | None = None):
        self.base_url, self.token = base_url, token
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def call(self, method: str, path: str, body=None, *, timeout: float = 15.0):
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Token {self.token}"
        data = None
        if body is not None:
            data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
        request = urllib.request.Request(self.base_url + path, data=data, method=method, headers=headers)
        try:
            with self._opener.open(request, timeout=timeout) as response:
                return response.status, _json(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, _json(exc.read())


def _json(raw: bytes):
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return raw.decode(errors="replace")[:2000]


@contextmanager
def redis_for_this_process(url: str):
    """Point this process's Celery producer and Django cache at `url`, as conftest's session
    `redis_url` fixture does, and put the session's back afterwards."""
    conf = celery_app.conf
    saved = conf.broker_url, celery_app._pool, celery_app.amqp._producer_pool
    conf.broker_url = url
    celery_app._pool = None  # both pools would otherwise keep connections to the session's Redis
    celery_app.amqp._producer_pool = None
    overrides = {"REDIS_URL": url}
    cache = settings.CACHES.get("default", {})
    if "redis" in cache.get("BACKEND", "").lower():  # the web process's cache lives in the same Redis
        overrides["CACHES"] = {**settings.CACHES, "default": {**cache, "LOCATION": url.rsplit("/", 1)[0] + "/1"}}
    changed = override_settings(**overrides)
    changed.enable()
    try:
        yield
    finally:
        changed.disable()
        pool = celery_app._pool
        conf.broker_url, celery_app._pool, celery_app.amqp._producer_pool = saved
        if pool is not None:
            pool.force_close_all()


def wait_until(condition, *, timeout: float, message: str, logs=(), interval: float = 0.05):
    """Poll condition() until it returns something truthy; on timeout fail with the logs' tails."""
    value = poll_until(condition, timeout=timeout, interval=interval)
    if not value:
        pytest.fail(f"timed out after {timeout}s waiting for {message}\n" + "\n".join(p.log_tail() for p in logs))
    return value


class Cluster:
    """One test's own Redis, Celery workers and web server; close() kills every one of them."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.redis = RedisServer(directory / "redis")
        self.processes: list[Process] = [self.redis]

    def worker(self, label: str, *, env: dict[str, str] | None = None) -> CeleryWorker:
        """Start a worker (wait_ready() waits for every worker started so far); `env` adds to its environment."""
        worker = CeleryWorker(label, redis_url=self.redis.url, directory=self.directory, env=env)
        self.processes.append(worker)
        return worker.start()

    def web(self) -> WebServer:
        web = WebServer(redis_url=self.redis.url, directory=self.directory)
        self.processes.append(web)
        return web.start()

    @property
    def workers(self) -> list[CeleryWorker]:
        return [p for p in self.processes if isinstance(p, CeleryWorker)]

    def wait_ready(self, timeout: float = 45.0) -> None:
        for worker in self.workers:
            if worker.alive:
                worker.wait_ready(timeout=timeout)

    def close(self) -> None:
        for process in reversed(self.processes):
            process.kill()


@pytest.fixture
def cluster(tmp_path):
    """This test's own Redis (this process publishes and caches there too) and whatever
    workers and web server the test starts; all killed afterwards, before the database is flushed."""
    cluster = Cluster(tmp_path)
    try:
        cluster.redis.start()
        with redis_for_this_process(cluster.redis.url):
            yield cluster
    finally:
        cluster.close()
