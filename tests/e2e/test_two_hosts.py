"""Two grading hosts share the `grading` queue, as README's "Scaling out" runs them.

Each worker runs `celery -A prep worker -Q grading,default -n grading@%h` in a network namespace
of its own, with a hostname of its own (so `%h` differs), and reaches the broker over a private
network: a redis-server in a third namespace (the "broker host") on a bridge, 10.x addresses only
inside the three namespaces this test creates. This process (the web tier: the API runs in it)
publishes through the same redis-server's Unix socket, which needs no network; the database is
the test database (SQLite: the same file; PostgreSQL: its Unix socket). Everything is removed
afterwards: processes first, then the namespaces (their veths and bridge go with them).

Which worker graded which submission comes from the workers' own log lines ("Task
assessments.submission_grade[<task id>] succeeded"), matched to submissions by the task ids this
process published; nothing is added to the application."""

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from celery.signals import after_task_publish
from django.db import connection

from assessments.models import CodeSpec, Submission
from conftest import database_url
from judge.sandbox import sweep_free_slots
from judge.sandbox.processes import descendants
from prep.celery import app as celery_app
from tests.assessments.factories import assessment_with, code_question, invite
from tests.e2e.helpers import token_client

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

BASE_DIR = Path(__file__).resolve().parents[2]
PASSWORD = "pw-for-tests"  # tests.accounts.factories.UserFactory's
SUBNET = "10.77.{}.{}"  # 10.77.<n>.0/24: exists only inside this test's namespaces
CANDIDATES = 5  # each Runs and Submits once: 10 submissions, under the cap of 3 pending per attempt
# Slow on purpose (sleeping costs no CPU): while one host grades, the other takes the next one.
SLOW_RIGHT = "import time\n\n\ndef square(x):\n    time.sleep(0.3)\n    return x * x\n"
SLOW_WRONG = "import time\n\n\ndef square(x):\n    time.sleep(0.3)\n    return x * x + 1\n"


def _run(*argv: str) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    if done.returncode:
        raise RuntimeError(f"{' '.join(argv)}: exit {done.returncode}: {done.stderr.strip()}")


class Network:
    """Three network namespaces: a broker host with a bridge (10.77.n.1) and two grading hosts
    (10.77.n.2, .3), each linked to the bridge by a veth pair made inside the namespaces."""

    def __init__(self):
        tag = uuid.uuid4().hex[:6]
        self.subnet = int(tag, 16) % 250 + 1
        self.broker = f"prep-{tag}-broker"
        self.hosts = [f"prep-{tag}-a", f"prep-{tag}-b"]
        self.created: list[str] = []

    def address(self, index: int) -> str:
        return SUBNET.format(self.subnet, index)

    def up(self) -> "Network":
        for name in (self.broker, *self.hosts):
            _run("ip", "netns", "add", name)
            self.created.append(name)
            _run("ip", "-n", name, "link", "set", "lo", "up")
        _run("ip", "-n", self.broker, "link", "add", "br0", "type", "bridge")
        _run("ip", "-n", self.broker, "addr", "add", f"{self.address(1)}/24", "dev", "br0")
        _run("ip", "-n", self.broker, "link", "set", "br0", "up")
        for i, host in enumerate(self.hosts):
            port = f"v{i}"
            _run("ip", "-n", self.broker, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", host)
            _run("ip", "-n", self.broker, "link", "set", port, "master", "br0", "up")
            _run("ip", "-n", host, "addr", "add", f"{self.address(i + 2)}/24", "dev", "eth0")
            _run("ip", "-n", host, "link", "set", "eth0", "up")
        return self

    def down(self) -> list[str]:
        """Delete every namespace made (its links go with it); returns what could not be."""
        left = []
        for name in reversed(self.created):
            try:
                _run("ip", "netns", "delete", name)
            except (RuntimeError, subprocess.TimeoutExpired) as exc:
                left.append(f"{name}: {exc}")
        self.created.clear()
        return left

    @staticmethod
    def enter(name: str) -> list[str]:
        """Only the network namespace: `ip netns exec` would also remount /sys, hiding the
        cgroup hierarchy the sandbox needs."""
        return ["nsenter", f"--net=/run/netns/{name}", "--"]


class Process:
    """A command in its own session, killed with its whole tree (a sandbox leads its own session)."""

    def __init__(self, name: str, argv: list[str], env: dict, log: Path):
        self.name, self.log = name, log
        with open(log, "wb") as out:
            self.popen = subprocess.Popen(argv, cwd=BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT,
                                          stdin=subprocess.DEVNULL, start_new_session=True)

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def tail(self) -> str:
        return f"---- {self.name} ----\n{self.text()[-3000:]}"

    def kill(self) -> None:
        """SIGTERM to the group, then SIGKILL to whatever of its tree is left. Under the suite's
        PID namespace this process is init: orphans of the tree are reaped here, or their zombies
        would count against their sandbox UID's process limit for the rest of the session."""
        if self.popen.poll() is not None:
            return
        tree = descendants(self.popen.pid)
        try:
            os.killpg(self.popen.pid, signal.SIGTERM)
            self.popen.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
        tree += descendants(self.popen.pid)
        for pid in [self.popen.pid, *tree]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            os.killpg(self.popen.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.popen.wait(timeout=10)
        end = time.monotonic() + 5
        pending = set(tree)
        while pending and time.monotonic() < end:
            for pid in list(pending):
                try:
                    if os.waitpid(pid, os.WNOHANG)[0] == 0:
                        continue  # our child (an orphan), not dead yet
                except ChildProcessError:
                    pass  # reaped, or another process's child: its parent reaps it
                pending.discard(pid)
            time.sleep(0.02)
        sweep_free_slots()  # what a grading process killed mid-start left (see tests/e2e/processes.py)


def _netns_inode(pid: int) -> int:
    return os.stat(f"/proc/{pid}/ns/net").st_ino


def _wait(condition, *, timeout: float, message: str, logs=()):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout}s waiting for {message}\n" + "\n".join(p.tail() for p in logs))


def _worker_database_url() -> str:
    """The test database as the grading hosts reach it: SQLite by its file, PostgreSQL (which
    listens on this namespace's loopback) by its Unix socket."""
    url = database_url()
    if connection.vendor != "postgresql":
        return url
    with connection.cursor() as cursor:
        cursor.execute("SHOW unix_socket_directories")
        directory = cursor.fetchone()[0].split(",")[0].strip()
    s = connection.settings_dict
    port = s["PORT"] or 5432
    if not Path(directory, f".s.PGSQL.{port}").exists():
        pytest.skip(f"PostgreSQL has no Unix socket in {directory} for the grading hosts to reach")
    return f"postgres://{s['USER']}:{s['PASSWORD']}@/{s['NAME']}?host={directory}&port={port}"


def _answers(worker: Process) -> bool:
    if not worker.alive:
        pytest.fail(f"{worker.name} exited\n{worker.tail()}")
    return bool(celery_app.control.ping(destination=[worker.nodename], timeout=0.5))


@contextmanager
def publishing_to(url: str):
    """This process's Celery producer talks to `url` (the Django cache stays where it is)."""
    conf = celery_app.conf
    saved = conf.broker_url, celery_app._pool, celery_app.amqp._producer_pool
    conf.broker_url = url
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    try:
        yield
    finally:
        pool = celery_app._pool
        conf.broker_url, celery_app._pool, celery_app.amqp._producer_pool = saved
        if pool is not None:
            pool.force_close_all()


@pytest.fixture
def two_hosts(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root (and grading workers run as root)")
    missing = [tool for tool in ("ip", "nsenter", "unshare", "hostname", "redis-server") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"missing tools for the two-host test: {', '.join(missing)} (iproute2, util-linux, redis-server)")
    network = Network()
    processes: list[Process] = []
    try:
        try:
            network.up()
        except RuntimeError as exc:
            pytest.skip(f"cannot create network namespaces here: {exc}")
        socket_path = tmp_path / "redis.sock"
        redis = Process("redis (broker host)", [*network.enter(network.broker), "redis-server", "--port", "6379",
                                                "--bind", network.address(1), "--unixsocket", str(socket_path),
                                                "--unixsocketperm", "700", "--save", "", "--appendonly", "no",
                                                # no password: only the two grading namespaces can reach 10.77.n.1
                                                "--protected-mode", "no",
                                                "--dir", str(tmp_path)], dict(os.environ), tmp_path / "redis.log")
        processes.append(redis)
        _wait(socket_path.exists, timeout=15, message="redis-server's socket", logs=[redis])
        broker_for_hosts = f"redis://{network.address(1)}:6379/0"
        env = {**os.environ, "DATABASE_URL": _worker_database_url(), "REDIS_URL": broker_for_hosts,
               "DJANGO_SETTINGS_MODULE": "prep.settings", "SECRET_KEY": "two-hosts-" + uuid.uuid4().hex,
               "PYTHONUNBUFFERED": "1"}
        workers = []
        for i, namespace in enumerate(network.hosts):
            hostname = f"grading-host-{'ab'[i]}-{uuid.uuid4().hex[:4]}"
            argv = [*network.enter(namespace), "unshare", "--uts", "--", "sh", "-c", 'hostname "$0" && exec "$@"',
                    hostname, sys.executable, "-m", "celery", "-A", "prep", "worker", "-Q", "grading,default",
                    "-c", "1", "-n", "grading@%h", "--loglevel", "INFO"]
            worker = Process(f"worker on {hostname}", argv, env, tmp_path / f"{hostname}.log")
            worker.nodename, worker.namespace = f"grading@{hostname}", namespace
            processes.append(worker)
            workers.append(worker)
        with publishing_to(f"redis+socket://{socket_path}"):
            for worker in workers:
                _wait(lambda: _answers(worker), timeout=60,
                      message=f"{worker.nodename} to answer a ping over the bridge", logs=processes)
            yield workers
    finally:
        for process in reversed(processes):
            process.kill()
        left = network.down()
        assert not left, f"namespaces left behind: {left}"


def test_two_grading_hosts_share_the_queue_and_grade_every_submission_once(two_hosts):
    workers = two_hosts
    # Two hosts indeed: two network namespaces, neither this one, and two hostnames.
    inodes = {_netns_inode(w.popen.pid) for w in workers}
    for worker in workers:  # the worker is exec'd by sh under nsenter/unshare: look at the leaf
        leaf = next((p for p in [worker.popen.pid, *descendants(worker.popen.pid)]
                     if "celery" in Path(f"/proc/{p}/cmdline").read_bytes().decode(errors="replace")), worker.popen.pid)
        inodes.add(_netns_inode(leaf))
    assert len(inodes) == 2 and _netns_inode(os.getpid()) not in inodes
    assert len({w.nodename for w in workers}) == 2

    question = code_question()
    CodeSpec.objects.filter(question=question).update(time_limit_s=2.0)  # 0.3 s sleeps, well inside
    assessment = assessment_with(question)
    published: dict[str, int] = {}  # task id -> submission id, as this process sent them

    def remember(sender=None, headers=None, body=None, **kwargs):
        if sender == "assessments.submission_grade":
            published[headers["id"]] = body[0][0]

    after_task_publish.connect(remember, weak=False)
    try:
        expected = {}
        for i in range(CANDIDATES):
            candidate = invite(assessment).candidate
            client = token_client(candidate.username, PASSWORD)
            attempt = client.post(f"/api/assessments/{assessment.id}/attempts/").json()
            base = f"/api/attempts/{attempt['id']}/responses/{question.id}"
            submitted = SLOW_RIGHT if i % 2 else SLOW_WRONG
            for path, source in (("runs", SLOW_RIGHT), ("submissions", submitted)):
                created = client.post(f"{base}/{path}/", {"language": "python", "source": source}, format="json")
                assert created.status_code == 202, created.content
                expected[created.json()["id"]] = "AC" if source == SLOW_RIGHT else "WA"
    finally:
        after_task_publish.disconnect(remember)
    assert len(expected) == 2 * CANDIDATES

    rows = Submission.objects.filter(id__in=expected)
    _wait(lambda: not rows.exclude(status__in=[Submission.Status.DONE, Submission.Status.ERROR]).exists(),
          timeout=120, message="every submission to be graded", logs=workers)

    graded = {row.id: row for row in rows}
    assert {i: (r.status, r.error) for i, r in graded.items() if r.status != Submission.Status.DONE} == {}
    assert {i: r.verdict for i, r in graded.items()} == expected
    assert {i: r.claims for i, r in graded.items()} == {i: 1 for i in expected}, "each claimed once"

    # Which host graded which: each submission's task succeeded in exactly one worker's log.
    assert sorted(published.values()) == sorted(expected), "one task per submission"
    by_worker = {w.nodename: {published[t] for t in published if f"submission_grade[{t}] succeeded" in w.text()}
                 for w in workers}
    counts = {i: sum(i in ids for ids in by_worker.values()) for i in expected}
    assert counts == {i: 1 for i in expected}, f"each submission graded on exactly one host: {by_worker}"
    assert all(by_worker.values()), f"both hosts graded some: {by_worker}"
    print("graded per host:", {name: sorted(ids) for name, ids in by_worker.items()})  # shown with -s / -rP
