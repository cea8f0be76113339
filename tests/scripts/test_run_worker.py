"""scripts/run-worker.sh, the Procfile's worker line: PROCESSES grading workers on one host, each
started again whenever it dies, all stopped by one TERM (honcho's Ctrl+C, systemd's stop)."""

import os
import signal
import socket
import uuid

import pytest

from prep.celery import app as celery_app
from tests.e2e.processes import Process, child_env, cluster, wait_until  # noqa: F401 -- cluster: the fixture

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def worker_pids(nodes: list[str]) -> dict[str, int] | None:
    """Each node's process id, once every one of them answers."""
    stats = celery_app.control.inspect(destination=nodes, timeout=1.0).stats() or {}
    return {node: stats[node]["pid"] for node in nodes} if set(stats) >= set(nodes) else None


def test_it_runs_its_workers_starts_a_dead_one_again_and_stops_them_all_on_term(cluster, tmp_path):
    name = f"rw{uuid.uuid4().hex[:6]}"
    script = Process("run-worker.sh", ["scripts/run-worker.sh", "2", name, "-Q", "grading,default",
                                        "--without-gossip", "--without-mingle", "--loglevel", "INFO"],
                     env=child_env(redis_url=cluster.redis.url), log=tmp_path / "run-worker.log")
    cluster.processes.append(script)
    script.start()
    first, second = nodes = [f"{name}-{n}@{socket.gethostname()}" for n in (1, 2)]

    pids = wait_until(lambda: worker_pids(nodes), timeout=60, message="both workers to answer", logs=[script])
    assert len(set(pids.values())) == 2, "two processes, one per grading slot"

    os.kill(pids[first], signal.SIGKILL)
    again = wait_until(lambda: (now := worker_pids(nodes)) and now[first] != pids[first] and now, timeout=60,
                       message="the killed worker to be started again", logs=[script])
    assert again[second] == pids[second], "the other worker went on untouched"
    assert f"run-worker: {first.split('@')[0]} exited with status 137; starting it again" in script.log_text()

    # What a task past its hard time limit does to its worker (prep/celery_pool.py: the interval
    # timer's SIGALRM, left to its default action); the restart says why.
    os.kill(again[second], signal.SIGALRM)
    again = wait_until(lambda: (now := worker_pids(nodes)) and now[second] != pids[second] and now, timeout=60,
                       message="the worker SIGALRM killed to be started again", logs=[script])
    assert (f"run-worker: {second.split('@')[0]} was killed by SIGALRM: a task passed its hard time limit; "
            "starting it again") in script.log_text()

    os.kill(script.popen.pid, signal.SIGTERM)  # the script alone, as a process manager stops it
    assert script.popen.wait(timeout=30) == 0
    for pid in again.values():
        assert not os.path.exists(f"/proc/{pid}"), "each worker stopped with the script"
