"""What a Celery worker costs each task beyond the task's body, for the app's pool and for prefork,
every figure measured in the same run:

    .venv/bin/python bench/pool.py [--tasks 2000] [--rounds 2]      (or: make bench)

Each grading is one Celery task. Beyond its body, the worker takes the message from Redis, runs
the task through its pool, and acknowledges the message (acks_late). The app's pool
(prep/celery_pool.py) runs the task in the worker's own process, with its time limits; Celery's
prefork hands it to a child process and the outcome back. bench/load.py sees the difference only
through the noise of a whole stack; this bench isolates it. A task that only counts itself in
Redis (the grading task's options: acks late, time limits, no result) is queued --tasks times,
then one worker (-c 1) consumes the queue; the limit is the same body called in this process.
Prints, per pool (and plain solo, which the app's pool adds time limits and a heartbeat to), the
CPU per task of the worker's processes and the wall time per task, and their ratio to the limit.
A private redis-server; no database."""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __name__ == "__main__":
    sys.path[0] = str(ROOT)  # not bench/: its judge.py would shadow the judge package
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prep.settings")

from prep.celery import app  # noqa: E402

QUEUE = "bench-pool"
COUNTER = "bench:pool:done"


@app.task(name="bench.pool.counted", acks_late=True, reject_on_worker_lost=True, soft_time_limit=300,
          time_limit=330, ignore_result=True)
def counted() -> None:
    from assessments.notify import redis_client

    redis_client().incr(COUNTER)


POOLS = {"app (prep/celery_pool.py)": None, "prefork -c 1": "prefork", "solo (no time limits)": "solo"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=2000, help="tasks per pool per round")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of (each pool); the median is reported")
    args = parser.parse_args()
    from bench import web as WEB  # noqa: N812 -- its start_redis, tree_cpu

    with tempfile.TemporaryDirectory(prefix="prep-bench-pool-") as workdir:
        redis = WEB.start_redis(Path(workdir))
        try:
            return run(args, Path(workdir), WEB.tree_cpu)
        finally:
            redis.terminate()
            redis.wait(10)


def run(args, workdir: Path, tree_cpu) -> int:
    import django

    os.environ.update({"PREP_VAR_DIR": str(workdir), "SECRET_KEY": "bench-" + uuid.uuid4().hex, "LOG_LEVEL": "WARNING"})
    django.setup()
    app.conf.broker_url = os.environ["REDIS_URL"]
    from assessments.notify import redis_client

    client = redis_client()
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in ["limit", *POOLS]}
    for _ in range(args.rounds):
        client.set(COUNTER, 0)
        started_cpu, started = time.process_time(), time.monotonic()
        for _ in range(args.tasks):
            counted()
        results["limit"].append(((time.process_time() - started_cpu) / args.tasks, (time.monotonic() - started) / args.tasks))
        for name, pool in POOLS.items():
            results[name].append(through_worker(args.tasks, pool, workdir, client, tree_cpu))

    limit_cpu = statistics.median(cpu for cpu, _ in results["limit"])
    print(f"{args.tasks} tasks per pool, {args.rounds} round(s), medians; the limit: the task's body in this process")
    print(f"{'':32} {'CPU/task':>9} {'x limit':>8} {'wall/task':>10}")
    for name, runs in results.items():
        cpu, wall = statistics.median(c for c, _ in runs), statistics.median(w for _, w in runs)
        label = "the task's body (the limit)" if name == "limit" else f"worker, {name}"
        print(f"{label:32} {1000 * cpu:7.3f}ms {cpu / limit_cpu:7.1f}x {1000 * wall:8.3f}ms")
    return 0


def through_worker(tasks: int, pool: str | None, workdir: Path, client, tree_cpu) -> tuple[float, float]:
    """(CPU, wall) per task of one worker consuming `tasks` queued messages."""
    node = f"bench-{uuid.uuid4().hex[:6]}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if pool:
        env["PREP_WORKER_POOL"] = pool
    else:
        env.pop("PREP_WORKER_POOL", None)
    worker = subprocess.Popen(
        [str(Path(sys.executable).parent / "celery"), "-A", "prep", "worker", "-I", "bench.pool", "-Q", f"{QUEUE}-idle",
         "-c", "1", "-n", f"{node}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat",
         "--loglevel", "WARNING"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=open(workdir / f"{node}.log", "wb"))
    try:
        nodename = f"{node}@{os.uname().nodename}"
        deadline = time.monotonic() + 60
        while not app.control.ping(destination=[nodename], timeout=0.5):
            if worker.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the worker did not start\n{(workdir / f'{node}.log').read_text()[-3000:]}")
        client.set(COUNTER, 0)
        with app.producer_or_acquire() as producer:
            for _ in range(tasks):
                counted.apply_async(queue=QUEUE, producer=producer)
        cpu_before, started = tree_cpu(worker.pid), time.monotonic()
        app.control.add_consumer(QUEUE, destination=[nodename], reply=True)
        while int(client.get(COUNTER) or 0) < tasks:
            if worker.poll() is not None:
                raise SystemExit(f"the worker died\n{(workdir / f'{node}.log').read_text()[-3000:]}")
            time.sleep(0.01)
        wall, cpu = time.monotonic() - started, tree_cpu(worker.pid) - cpu_before
        return cpu / tasks, wall / tasks
    finally:
        worker.terminate()
        try:
            worker.wait(20)
        except subprocess.TimeoutExpired:
            worker.kill()


if __name__ == "__main__":
    sys.exit(main())
