"""Many candidates at once against the whole stack, every limit measured in the same run (as root):

    PREP_PIDNS=1 unshare --pid --fork --mount-proc --kill-child \
        .venv/bin/python bench/load.py --users 200 --duration 120

One command starts everything on free loopback ports and removes it afterwards, whatever happens:
a private PostgreSQL (the script re-runs itself under scripts/with-postgres.sh), a private
redis-server, `manage.py migrate`, two Celery grading workers (separate processes, `-n load-a@%h`
and `-n load-b@%h`, `-Q grading,default`, --worker-concurrency processes each, default 1), Celery beat (the reconciler) and
gunicorn (prep.wsgi). Runs and submissions are rate-limited per candidate in production
(PREP_RUN_RATE 30/min, PREP_SUBMIT_RATE 12/min); this run raises both to 600/min so that the
limits never shape the load, and keeps the cap of pending runs per attempt as it is.

Then: one timed assessment (two numeric, a single- and a multiple-choice question, and a Python
function question) and --users invited candidates with API tokens, made through the ORM; the
judge timed directly on that question in this process, before the load and again after it (the
median of both: the limit of a verdict's latency, on a machine whose speed drifts); locust,
headless (bench/locustfile.py): each candidate starts the attempt, autosaves an answer every
2-4 s and, about --code-actions times per run, Runs and then Submits right or wrong code with
POST ...?wait=10, which answers with the verdict (201) as soon as the worker announces it, or
else (202) long-polls GET /api/submissions/{id}/?wait=10 until it is done, as the page does.

Afterwards, with the load stopped and the grading queue drained: every autosave that got a 200
(and every Submit that got a 201 or 202) must be the answer in the database, every submission that got
a 201 or 202 must be done with a verdict; then a burst of one Submit per candidate, all queued before the
workers take any, measures the two workers' grading throughput on a full queue against the bare
judge's, measured right after it (two processes judging the same Submit back to back: the limit
of the workers' throughput); --bursts such pairs (default 3), and the median pair is reported.
Targets: zero lost answers, zero lost submissions, zero 5xx, autosave p95 < 100 ms,
submission-to-verdict p50 < 1.5x the judge's own time, grading throughput >= 70% of the bare
judge's. Exit status 1 when one misses it.

--foreign-load F adds another tenant's process (busy F of one core, in 10 ms periods) from before the
judge is first timed to the end, outside the stack: the VM's slower hours on demand. Its CPU shows
as "outside this run's processes"."""

import argparse
import compileall
import json
import math
import multiprocessing
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT  # run() points it at a snapshot of the source: others may edit the tree meanwhile
VENV_BIN = Path(sys.executable).parent

RAISED_RATE = "600/min"

CORRECT = (
    "def running_max(values):\n"
    "    out, best = [], None\n"
    "    for v in values:\n"
    "        best = v if best is None or v > best else best\n"
    "        out.append(best)\n"
    "    return out\n"
)
WRONG = "def running_max(values):\n    return list(values)\n"  # right only on non-decreasing input
TESTS = [  # (name, values, sample)
    ("increasing", [1, 2, 3], True),
    ("dip", [3, 1, 2], True),
    ("empty", [], False),
    ("negative", [-5, -7, -1, -9], False),
    ("long", [(i * 37) % 101 for i in range(200)], False),
    ("ties", [2, 2, 1, 2, 3, 3, 0], False),
]


def procfile_web(option: str) -> int:
    """A number on the Procfile's `web:` line (gunicorn's --workers or --threads): the benchmarks
    run the web tier as `make run` does."""
    web = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:"))
    words = web.split()
    return int(words[words.index(option) + 1])


# --- processes --------------------------------------------------------------------------------
class Proc:
    """One command in its own session (so its own process group), output to its own log.
    `ours`: its CPU is counted as this run's (a foreign load's is counted outside it)."""

    def __init__(self, name: str, argv: list[str], env: dict, log: Path, *, ours: bool = True):
        self.name, self.argv, self.env, self.log, self.ours = name, argv, env, log, ours
        with open(log, "ab") as out:
            self.popen = subprocess.Popen(argv, cwd=SRC, env=env, stdout=out, stderr=subprocess.STDOUT,
                                          stdin=subprocess.DEVNULL, start_new_session=True)

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    def tail(self, chars: int = 3000) -> str:
        try:
            text = self.log.read_text(errors="replace")[-chars:]
        except OSError:
            text = ""
        return f"---- {self.name} ({self.log}) ----\n{text}"

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM to the group, then SIGKILL to the group and every descendant (a sandbox leads a
        session of its own, so the group alone would miss it)."""
        if not self.alive:
            return
        try:
            os.killpg(self.popen.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
        from judge.sandbox.processes import descendants  # the source is on sys.path once run() starts

        tree = descendants(self.popen.pid)
        for pid, kill in [(self.popen.pid, os.killpg), *((p, os.kill) for p in tree)]:
            try:
                kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        try:
            self.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass


CLK_TCK = os.sysconf("SC_CLK_TCK")


def _proc_stats() -> dict[int, tuple[int, str, float]]:
    """pid -> (ppid, comm, CPU seconds of it and its reaped children) for every visible process."""
    stats = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                raw = f.read()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1:raw.rindex(")")]
        fields = raw.rsplit(")", 1)[1].split()
        stats[int(entry)] = (int(fields[1]), comm, sum(int(x) for x in fields[11:15]) / CLK_TCK)
    return stats


def cpu_snapshot(procs: list) -> dict:
    """CPU seconds so far: the machine's (busy, total, and stolen: time the hypervisor gave this
    VM's busy cores to another guest, counted in busy; from /proc/stat) and each of our
    components' (a process and its descendants, reaped ones included). Postgres: every visible
    `postgres`."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    total = sum(fields[:8]) / CLK_TCK
    busy = total - (fields[3] + fields[4]) / CLK_TCK
    stats = _proc_stats()
    children = defaultdict(list)
    for pid, (ppid, _, _) in stats.items():
        children[ppid].append(pid)
    components = {}
    for proc in (p for p in procs if p.ours):
        tree, todo = [], [proc.popen.pid]
        while todo:
            pid = todo.pop()
            if pid in stats:
                tree.append(pid)
                todo.extend(children.get(pid, []))
        components[proc.name] = sum(stats[pid][2] for pid in tree)
    components["postgres"] = sum(cpu for _, comm, cpu in stats.values() if comm == "postgres")
    components["bench (this process)"] = stats.get(os.getpid(), (0, "", 0.0))[2]
    return {"total": total, "busy": busy, "stolen": fields[7] / CLK_TCK, "components": components}


def machine_busy(seconds: float) -> float:
    """Fraction of the machine's CPU busy over the next `seconds`."""
    def sample():
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:8]]
        return sum(fields), fields[3] + fields[4]

    total0, idle0 = sample()
    time.sleep(seconds)
    total1, idle1 = sample()
    return 1 - (idle1 - idle0) / max(total1 - total0, 1)


QUIET = 0.1  # the machine's CPU busy fraction under which the judge is timed alone


def wait_quiet(timeout: float, quiet: float = QUIET) -> float:
    """Until the machine is < `quiet` busy (over 3 s, then over each further second: a stack just
    started, or a load just ended, still settles), for at most `timeout` seconds (0: measure
    once): the busy fraction last measured."""
    end = time.monotonic() + timeout
    busy = machine_busy(3)
    while busy >= quiet and time.monotonic() < end:
        busy = machine_busy(1)
    return busy


# Another tenant of the machine (--foreign-load): busy a fraction of one core, in 10 ms periods.
FOREIGN_LOAD = """
import sys, time
busy = 0.01 * float(sys.argv[1])
while True:
    start = time.perf_counter()
    while time.perf_counter() - start < busy:
        pass
    time.sleep(0.01 - busy)
"""


def time_judge_quietly(question, args, when: str) -> dict:
    quiet = QUIET + args.foreign_load / os.cpu_count()  # the foreign load never stops
    busy = wait_quiet(args.quiet_wait, quiet)
    print(f"the judge timed alone {when}, with the machine {busy:.0%} busy (waited up to {args.quiet_wait:.0f} s "
          f"for < {quiet:.0%})")
    return time_judge(question, args.judge_runs)


def cpu_between(before: dict, after: dict) -> dict:
    return {"total": after["total"] - before["total"], "busy": after["busy"] - before["busy"],
            "stolen": after["stolen"] - before["stolen"],
            "components": {k: after["components"].get(k, 0.0) - v for k, v in before["components"].items()}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(condition, *, timeout: float, what: str, procs=(), interval: float = 0.1):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        for proc in procs:
            if not proc.alive:
                raise SystemExit(f"{proc.name} exited while waiting for {what}\n{proc.tail()}")
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise SystemExit(f"timed out after {timeout:.0f}s waiting for {what}\n" + "\n".join(p.tail() for p in procs))


def _ping(celery_app, name: str) -> bool:
    try:
        return bool(celery_app.control.ping(destination=[name], timeout=0.5))
    except Exception:  # noqa: BLE001 — the broker may not answer yet
        return False


def http_status(url: str) -> int:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=2) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


# --- figures ----------------------------------------------------------------------------------
def pct(values, p: float) -> float:
    """Nearest rank: the smallest value with at least p% of the values at or below it."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


# --- main -------------------------------------------------------------------------------------
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--duration", type=int, default=120, help="seconds of load")
    parser.add_argument("--spawn-rate", type=float, default=20, help="users started per second")
    parser.add_argument("--code-actions", type=int, default=3, help="Run+Submit pairs per candidate per run (about)")
    parser.add_argument("--wait-s", type=float, default=10,
                        help="each poll of a pending submission waits this long for the verdict (the page: 15)")
    parser.add_argument("--worker-concurrency", type=int, default=1,
                        help="grading processes per Celery worker with --worker-pool prefork (the app's pool runs one)")
    parser.add_argument("--worker-pool", default=None, choices=("prefork", "solo"),
                        help="another Celery execution pool for the grading workers (default: the app's, "
                             "prep/celery_pool.py; solo: the same without its time limits)")
    parser.add_argument("--web-workers", type=int, default=procfile_web("--workers"),
                        help="gunicorn workers (default: the Procfile's)")
    parser.add_argument("--web-threads", type=int, default=procfile_web("--threads"),
                        help="gunicorn threads per worker (default: the Procfile's)")
    parser.add_argument("--conn-max-age", type=int, default=None,
                        help="CONN_MAX_AGE for the stack (default: the app's own, 60 s; 0: a new connection per request)")
    parser.add_argument("--quiet-wait", type=float, default=30,
                        help="wait up to this many seconds for the machine to be quiet (<10%% CPU busy) "
                             "before timing the judge alone")
    parser.add_argument("--judge-runs", type=int, default=20,
                        help="direct judge timings per figure, before the load and again after it")
    parser.add_argument("--throughput-seconds", type=float, default=5.0, help="length of the bare judge throughput run")
    parser.add_argument("--bursts", type=int, default=3,
                        help="bursts, each followed by the bare judge; the report takes the median pair")
    parser.add_argument("--pg-stats", action="store_true",
                        help="print the statements that cost PostgreSQL most during the burst (pg_stat_statements)")
    parser.add_argument("--foreign-load", type=float, default=0.0, metavar="FRACTION",
                        help="run another tenant's process beside the stack, busy FRACTION of one core from "
                             "before the judge is first timed to the end (the VM's slower hours, on demand)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the logs and results (the temp dir) and print its path")
    args = parser.parse_args()
    if not 0 < args.wait_s <= 20:
        parser.error("--wait-s is 0 to 20 seconds (the API's limit)")
    if args.bursts < 1:
        parser.error("--bursts is at least 1")
    if not 0 <= args.foreign_load < 1:
        parser.error("--foreign-load is a fraction of one core, from 0 to below 1")

    from pgrun import rerun_under_postgres  # bench/, this script's directory

    stats = "-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all"
    rerun_under_postgres("PREP_LOAD_UNDER_PG", __file__, **({"PREP_PG_OPTIONS": stats} if args.pg_stats else {}))
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("DATABASE_URL is not a PostgreSQL URL: run bench/load.py without PREP_LOAD_UNDER_PG")
    if os.geteuid() != 0:
        sys.exit("bench/load.py runs as root: the grading workers switch to per-slot sandbox UIDs")

    # SIGTERM/SIGHUP unwind like Ctrl+C, so that `finally` stops every process.
    def _unwind(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, _unwind)
    signal.signal(signal.SIGHUP, _unwind)

    workdir = Path(tempfile.mkdtemp(prefix="prep-load-"))
    procs: list[Proc] = []
    try:
        return run(args, workdir, procs)
    except KeyboardInterrupt as exc:
        print(f"\ninterrupted ({exc or 'Ctrl+C'}): stopping every process", file=sys.stderr)
        return 130
    finally:
        for proc in reversed(procs):
            proc.stop()
        if args.keep:
            print(f"\nlogs and results kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def snapshot(workdir: Path) -> Path:
    """A copy of the source as it is now, which every process of the run imports from (the tree
    may be edited while the run lasts; gunicorn and Celery import modules lazily). The virtualenv
    is shared; npm's files are linked."""
    src = workdir / "src"
    skip = {".git", ".venv", "node_modules", "static-build", "var"}
    shutil.copytree(ROOT, src, ignore=lambda d, names: [n for n in names if n in skip or n == "__pycache__"]
                    if Path(d) == ROOT else [n for n in names if n == "__pycache__"])
    # Byte-compiled now, as a deployed tree is after its first start: otherwise each process
    # compiles every module it imports, lazily imported ones in the middle of the load.
    compileall.compile_dir(src, quiet=1, workers=0)
    for name in ("node_modules", "static-build"):
        if (ROOT / name).exists():
            (src / name).symlink_to(ROOT / name)
    return src


def source_state() -> str:
    def git(*argv):
        done = subprocess.run(["git", *argv], cwd=ROOT, capture_output=True, text=True, timeout=30)
        return done.stdout.strip() if done.returncode == 0 else "?"

    changed = [line for line in git("status", "--porcelain").splitlines() if line.strip()]
    return f"git {git('rev-parse', '--short', 'HEAD')}, {len(changed)} path(s) changed in the working tree"


def run(args, workdir: Path, procs: list) -> int:
    global SRC
    SRC = snapshot(workdir)
    sys.path.insert(0, str(SRC))
    redis_port, web_port = free_port(), free_port()
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "DJANGO_SETTINGS_MODULE": "prep.settings",
        "PREP_VAR_DIR": str(workdir),
        "SECRET_KEY": "load-" + uuid.uuid4().hex,
        "PREP_RUN_RATE": RAISED_RATE,
        "PREP_SUBMIT_RATE": RAISED_RATE,
        "PYTHONUNBUFFERED": "1",
        **({"CONN_MAX_AGE": str(args.conn_max_age)} if args.conn_max_age is not None else {}),
    }
    os.environ.update({k: env[k] for k in ("REDIS_URL", "DJANGO_SETTINGS_MODULE", "PREP_VAR_DIR", "SECRET_KEY",
                                           "PREP_RUN_RATE", "PREP_SUBMIT_RATE")})
    os.environ.setdefault("LOG_LEVEL", "WARNING")  # this process only; the children keep INFO

    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; PostgreSQL at "
          f"{os.environ['DATABASE_URL'].rsplit('@', 1)[-1]}; work dir {workdir}; source: {source_state()}, "
          "copied for this run")
    started = time.monotonic()
    redis = Proc("redis", ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
                           "--appendonly", "no", "--dir", str(workdir), "--daemonize", "no"],
                 env, workdir / "redis.log")
    procs.append(redis)
    import redis as redis_lib

    client = redis_lib.Redis(port=redis_port, socket_connect_timeout=0.5, socket_timeout=0.5)

    def redis_up():
        try:
            return client.ping()
        except redis_lib.RedisError:
            return False

    wait_until(redis_up, timeout=15, what="redis-server", procs=[redis])
    subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v0"], cwd=SRC, env=env, check=True,
                   timeout=300)

    import django

    django.setup()
    from django.db import connections

    from prep.celery import app as celery_app

    celery = str(VENV_BIN / "celery")
    host = socket.gethostname()
    workers = []
    for label in ("load-a", "load-b"):
        worker = Proc(f"worker {label}", [celery, "-A", "prep", "worker", "-Q", "grading,default", "-c", str(args.worker_concurrency),
                                          "-n", f"{label}@%h", "--loglevel", "INFO"],
                      {**env, "PREP_WORKER_POOL": args.worker_pool} if args.worker_pool else env, workdir / f"{label}.log")
        procs.append(worker)
        workers.append((f"{label}@{host}", worker))
    beat = Proc("beat", [celery, "-A", "prep", "beat", "--schedule", str(workdir / "celerybeat-schedule"),
                         "--loglevel", "INFO"], env, workdir / "beat.log")
    procs.append(beat)
    web = Proc("gunicorn", [str(VENV_BIN / "gunicorn"), "prep.wsgi", "--bind", f"127.0.0.1:{web_port}",
                            "--workers", str(args.web_workers), "--threads", str(args.web_threads),
                            "--graceful-timeout", "10", "--access-logfile", str(workdir / "access.log"),
                            "--access-logformat", "%(m)s %(U)s %(s)s %(D)s"], env, workdir / "gunicorn.log")
    procs.append(web)
    for name, worker in workers:
        wait_until(lambda: _ping(celery_app, name), timeout=60,
                   what=f"a ping from {name}", procs=[worker])
    base_url = f"http://127.0.0.1:{web_port}"
    wait_until(lambda: http_status(base_url + "/healthz") == 200, timeout=30, what="gunicorn", procs=[web])
    if not beat.alive:
        raise SystemExit(f"celery beat exited\n{beat.tail()}")
    print(f"stack up in {time.monotonic() - started:.1f} s: redis :{redis_port}, 2 grading workers "
          f"(concurrency {args.worker_concurrency}), "
          f"beat, gunicorn :{web_port} ({args.web_workers} workers x {args.web_threads} threads); "
          f"PREP_RUN_RATE = PREP_SUBMIT_RATE = {RAISED_RATE}, pending cap unchanged; "
          f"CONN_MAX_AGE={env.get('CONN_MAX_AGE', '60 (default)')}")

    if args.foreign_load:
        procs.append(Proc("foreign load", [sys.executable, "-c", FOREIGN_LOAD, str(args.foreign_load)], env,
                          workdir / "foreign-load.log", ours=False))
        print(f"another tenant's process busy {args.foreign_load:.0%} of one core from now to the end")

    started = time.monotonic()
    fixture = make_fixture(args.users, args.duration)
    connections.close_all()
    print(f"assessment and {args.users} invited candidates with tokens: {time.monotonic() - started:.1f} s\n")

    judge_before = time_judge_quietly(fixture["question"], args, "before the load")

    config = workdir / "config.json"
    results_path = workdir / "results.json"
    config.write_text(json.dumps({
        "assessment_id": fixture["assessment"].id,
        "users": fixture["users"],
        "code": {"question_id": fixture["question"].id, "correct": CORRECT, "wrong": WRONG},
        "duration_s": args.duration,
        "code_actions": args.code_actions,
        "autosave_every_s": [2, 4],
        "wait_s": args.wait_s,
        "poll_timeout_s": 120,
        "results": str(results_path),
    }))
    print(f"load: {args.users} candidates for {args.duration} s (spawn {args.spawn_rate:g}/s) ...", flush=True)
    load_started = time.time()
    locust = Proc("locust", [str(VENV_BIN / "locust"), "-f", str(SRC / "bench" / "locustfile.py"), "--headless",
                             "-u", str(args.users), "-r", str(args.spawn_rate), "-t", f"{args.duration}s",
                             "--stop-timeout", "150", "--host", base_url, "--csv", str(workdir / "locust"),
                             "--only-summary", "--loglevel", "WARNING"],
                  {**env, "PREP_LOAD_CONFIG": str(config)}, workdir / "locust.log")
    procs.append(locust)
    cpu_before = cpu_snapshot(procs)
    end = time.monotonic() + args.duration + 240
    while True:  # wait4, not wait: locust's own CPU time comes with it
        pid, status, usage = os.wait4(locust.popen.pid, os.WNOHANG)
        if pid:
            locust.popen.returncode = os.waitstatus_to_exitcode(status)
            break
        if time.monotonic() > end:
            raise SystemExit(f"locust did not finish\n{locust.tail()}")
        time.sleep(0.1)
    load_ended = time.time()
    cpu_load = cpu_between(cpu_before, cpu_snapshot(procs))
    locust_cpu = usage.ru_utime + usage.ru_stime  # reaped: now in this process's children's time
    cpu_load["components"]["locust"] = locust_cpu - cpu_before["components"]["locust"]
    cpu_load["components"]["bench (this process)"] -= locust_cpu
    if not results_path.exists():
        raise SystemExit(f"locust wrote no results\n{locust.tail()}")
    results = json.loads(results_path.read_text())

    drained_in = drain(fixture["assessment"], timeout=240)
    # The judge again, on the machine idle once more: its speed drifts over minutes (see the
    # bursts below), and the latencies it is the limit of were measured over the whole load.
    judge_after = time_judge_quietly(fixture["question"], args, "after the load")
    report = check(results, fixture, workdir, load_started, load_ended)
    if args.pg_stats:
        with connections["default"].cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            cursor.execute("SELECT pg_stat_statements_reset()")
    # Each burst is followed by the limit, measured right after it: this machine's speed drifts by
    # a fifth over minutes (a shared VM), more than the difference being measured. Several such
    # pairs, and the report takes the median one.
    rounds = []
    for _ in range(args.bursts):
        burst = burst_throughput(fixture, procs, timeout=300)
        if args.pg_stats and not rounds:
            with connections["default"].cursor() as cursor:
                cursor.execute("SELECT calls, total_exec_time + total_plan_time, "
                               "left(regexp_replace(query, '\\s+', ' ', 'g'), 150) "
                               "FROM pg_stat_statements ORDER BY 2 DESC LIMIT 25")
                print("\n== PostgreSQL during the first burst: statements by total time (calls, ms, statement)")
                for calls, ms, query in cursor.fetchall():
                    print(f"  {calls:6d} {ms:9.1f}  {query}")
        before = cpu_snapshot(procs)
        bare = bare_throughput(fixture["question"], args.throughput_seconds)
        bare["cpu_ms"] = (1000 * cpu_between(before, cpu_snapshot(procs))["components"]["bench (this process)"]
                          / max(bare["graded"], 1))
        limit = max(bare["cold"], bare["prewarmed"])
        rounds.append((burst["rate"] / limit if limit else 0.0, burst, bare))
        if burst["done"] < burst["count"]:
            break  # a burst left unfinished (its Submits still pending): the next could not be queued
    _, burst, bare = sorted(rounds, key=lambda r: r[0])[(len(rounds) - 1) // 2]  # an even count: the lower
    burst["ratios"] = [r[0] for r in rounds]
    dead = [p.name for p in procs if p is not locust and not p.alive]
    graded_by = {label: sum(1 for line in (workdir / f"{label}.log").read_text(errors="replace").splitlines()
                            if "Task assessments.submission_grade[" in line and "] succeeded" in line)
                 for label in ("load-a", "load-b")}
    return print_report(args, results, report, (judge_before, judge_after), bare, burst, drained_in, dead, graded_by,
                        cpu_load)


# --- the fixture: one assessment, N candidates ------------------------------------------------
def make_fixture(users: int, duration: int) -> dict:
    from rest_framework.authtoken.models import Token

    from accounts.models import User
    from assessments.models import (Assessment, AssessmentQuestion, CodeSpec, CodeTest, Invitation, NumericSpec,
                                    Option, Question)

    tag = uuid.uuid4().hex[:8]
    published = Question.Status.PUBLISHED
    questions = []
    for i, answer in enumerate((0.05, 0.42)):
        q = Question.objects.create(slug=f"load-{tag}-numeric-{i}", kind=Question.Kind.NUMERIC, title=f"Numeric {i}",
                                    prompt="A number?", points=2, status=published)
        NumericSpec.objects.create(question=q, answer=answer, abs_tol=0.001)
        questions.append(q)
    single = Question.objects.create(slug=f"load-{tag}-single", kind=Question.Kind.SINGLE_CHOICE, title="Single",
                                     prompt="Pick one", points=1, status=published)
    multiple = Question.objects.create(slug=f"load-{tag}-multiple", kind=Question.Kind.MULTIPLE_CHOICE,
                                       title="Multiple", prompt="Pick some", points=2, status=published)
    for q in (single, multiple):
        right = (0, 2) if q is multiple else (1,)
        Option.objects.bulk_create(Option(question=q, text=f"Option {j}", is_correct=j in right, order=j)
                                   for j in range(4))
    code = Question.objects.create(slug=f"load-{tag}-code", kind=Question.Kind.CODE, title="Running maximum",
                                   prompt="Write `running_max(values)`.", points=5, status=published)
    CodeSpec.objects.create(question=code, function_name="running_max", reference_solution=CORRECT,
                            starter_code="def running_max(values):\n    pass\n", time_limit_s=1.0)
    CodeTest.objects.bulk_create(
        CodeTest(question=code, name=name, args=[values], expected=[max(values[:k + 1]) for k in range(len(values))],
                 is_sample=sample, order=k)
        for k, (name, values, sample) in enumerate(TESTS))
    questions += [single, multiple, code]
    assessment = Assessment.objects.create(slug=f"load-{tag}", title=f"Load {tag}", is_published=True,
                                           time_limit=timedelta(seconds=duration + 1800))
    AssessmentQuestion.objects.bulk_create(AssessmentQuestion(assessment=assessment, question=q, order=i)
                                           for i, q in enumerate(questions))
    people = [User(username=f"load-{tag}-{i:05d}", email=f"load-{tag}-{i}@example.com") for i in range(users)]
    for person in people:
        person.set_unusable_password()
    people = User.objects.bulk_create(people)
    tokens = Token.objects.bulk_create(Token(user=p, key=Token.generate_key()) for p in people)
    Invitation.objects.bulk_create(Invitation(assessment=assessment, candidate=p) for p in people)
    return {"assessment": assessment, "question": code,
            "users": [{"username": p.username, "token": t.key} for p, t in zip(people, tokens)]}


# --- the limits: the judge alone, in this process ---------------------------------------------
def judge_spec(question, *, run_only: bool):
    from assessments import selectors
    from assessments.tasks import judge_call

    return judge_call(selectors.code_judge_input(question=question, language="python", source=CORRECT,
                                                 run_only=run_only))


def time_judge(question, runs: int) -> dict:
    """ms of `runs` calls of the judge on this question, as Run (samples) and Submit (every test)
    call it: cold (back to back, as a plain call does) and prewarmed with 100 ms idle before each
    call (as a grading worker that waits for its next submission runs it)."""
    from judge.sandbox import set_prewarm

    times = {}
    for kind, run_only in (("run", True), ("submit", False)):
        grade = judge_spec(question, run_only=run_only)
        for mode, prewarm, idle in (("cold", False, 0.0), ("prewarmed", True, 0.1)):
            set_prewarm(prewarm)
            try:
                assert grade().verdict == "AC"
                samples = []
                for _ in range(runs):
                    time.sleep(idle)
                    start = time.perf_counter()
                    result = grade()
                    samples.append((time.perf_counter() - start) * 1000)
                    assert result.verdict == "AC", result
                times[kind, mode] = samples
            finally:
                set_prewarm(False)
    return times


_BARE_GRADE = None


def _default_signals() -> None:
    """The pool's processes are stopped with SIGTERM: not this script's unwinding handler."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)


def _bare_worker(args) -> int:
    deadline, prewarm = args
    from judge.sandbox import set_prewarm

    set_prewarm(prewarm)
    count = 0
    try:
        while time.monotonic() < deadline:
            assert _BARE_GRADE().verdict == "AC"
            count += 1
    finally:
        set_prewarm(False)
    return count


def bare_throughput(question, seconds: float) -> dict:
    """Submissions/s of the bare judge (the Submit of this question) in 2 processes, back to back."""
    global _BARE_GRADE
    from django.db import connections

    _BARE_GRADE = judge_spec(question, run_only=False)
    connections.close_all()  # the forked processes never touch the database
    rates = {"graded": 0}
    with multiprocessing.get_context("fork").Pool(2, initializer=_default_signals) as pool:
        for mode, prewarm in (("cold", False), ("prewarmed", True)):
            deadline = time.monotonic() + seconds
            graded = sum(pool.map(_bare_worker, [(deadline, prewarm)] * 2))
            rates[mode] = graded / seconds
            rates["graded"] += graded
    return rates


# --- after the load ---------------------------------------------------------------------------
def drain(assessment, timeout: float) -> float:
    from assessments.models import Submission

    started = time.monotonic()
    pending = Submission.objects.filter(attempt__assessment=assessment,
                                        status__in=[Submission.Status.QUEUED, Submission.Status.RUNNING])
    end = started + timeout
    while time.monotonic() < end and pending.exists():
        time.sleep(0.5)
    return time.monotonic() - started if not pending.exists() else float("inf")


def server_times(workdir: Path) -> dict:
    """Request time as gunicorn saw it (ms), by method and route shape, and its status codes."""
    by = defaultdict(list)
    statuses = Counter()
    for line in (workdir / "access.log").read_text(errors="replace").splitlines():
        parts = line.split()
        if len(parts) != 4 or not parts[3].isdigit():
            continue
        method, path, status, micros = parts
        if method == "PUT" and "/responses/" in path:
            route = "autosave"
        elif method == "GET" and path.startswith("/api/submissions/"):
            route = "poll submission"
        elif method == "POST" and path.endswith("/runs/"):
            route = "POST run"
        elif method == "POST" and path.endswith("/submissions/"):
            route = "POST submit"
        elif method == "POST" and path.endswith("/attempts/"):
            route = "start attempt"
        else:
            route = f"{method} other"
        by[route].append(int(micros) / 1000)
        statuses[status] += 1
    return {"by_route": by, "statuses": statuses}


def check(results: dict, fixture: dict, workdir: Path, load_started: float, load_ended: float) -> dict:
    from assessments.models import Response, Submission

    # Answers: the last value the client saw acknowledged must be the one stored.
    keys = {tuple(map(int, k.split(":"))): v for k, v in results["answers"].items()}
    stored = {(r.attempt_id, r.question_id): r.answer
              for r in Response.objects.filter(attempt__assessment=fixture["assessment"])}
    lost, unacked_landed, checked = [], 0, 0
    for key, entry in keys.items():
        if entry["acked"] is None:
            continue
        checked += 1
        value = stored.get(key)
        if value == entry["acked"]:
            continue
        if value in entry["maybe"]:
            unacked_landed += 1  # an unanswered request (5xx, dropped) that was applied after all
            continue
        lost.append((key, entry["acked"], value))

    # Submissions: every 201/202 exists, done, with a verdict.
    accepted = {s["id"]: s for s in results["submissions"]}
    rows = {s.id: s for s in Submission.objects.filter(id__in=accepted)}
    lost_submissions = [i for i in accepted
                        if i not in rows or rows[i].status != Submission.Status.DONE or not rows[i].verdict]
    wrong_verdicts = [i for i, s in accepted.items()
                      if i in rows and rows[i].verdict and rows[i].verdict != s["expected"]]
    claimed_twice = sum(1 for r in rows.values() if r.claims > 1)
    in_window = [r for r in rows.values() if r.finished_at and r.started_at]
    server = defaultdict(lambda: defaultdict(list))
    for r in in_window:
        server[r.kind]["to verdict"].append((r.finished_at - r.created_at).total_seconds() * 1000)
        server[r.kind]["queued"].append((r.started_at - r.created_at).total_seconds() * 1000)
        server[r.kind]["judging"].append((r.finished_at - r.started_at).total_seconds() * 1000)
        client = accepted[r.id]
        if client.get("verdict_at"):  # the web tier's share: before the row was made, after the verdict
            server[r.kind]["before row"].append((r.created_at.timestamp() - client["sent_at"]) * 1000)
            server[r.kind]["after verdict"].append((client["verdict_at"] - r.finished_at.timestamp()) * 1000)
    graded_in_load = sum(1 for r in in_window if load_started <= r.finished_at.timestamp() <= load_ended)
    return {"checked_answers": checked, "lost_answers": lost, "unacked_landed": unacked_landed,
            "accepted": len(accepted), "lost_submissions": lost_submissions, "wrong_verdicts": wrong_verdicts,
            "claimed_twice": claimed_twice, "server": server, "graded_in_load": graded_in_load,
            "access": server_times(workdir)}


def burst_throughput(fixture: dict, procs: list, timeout: float) -> dict:
    """One Submit per candidate, all queued before the workers take any: the two workers'
    throughput on a full queue (first claim to last verdict), as the bare judge's is measured
    with no one producing work beside it. The workers stop consuming the grading queue (Celery's
    cancel_consumer), the Submits are made through the service as the API makes them, in one
    transaction so that every task is published at its commit, and the workers start again
    (add_consumer). The CPU figures count from there."""
    from django.db import transaction

    from assessments.models import Attempt, Submission
    from assessments.services import submission_create
    from prep.celery import app

    attempts = list(Attempt.objects.filter(assessment=fixture["assessment"], state=Attempt.State.IN_PROGRESS)
                    .values_list("id", flat=True))
    code = fixture["question"]
    stopped = app.control.cancel_consumer("grading", reply=True, timeout=5)
    if len(stopped) != 2:
        raise SystemExit(f"the two workers did not stop consuming the grading queue: {stopped}")
    ids = []
    started = time.monotonic()
    with transaction.atomic():  # every task is published at the commit, at once
        for i, attempt_id in enumerate(attempts):
            ids.append(submission_create(attempt_id=attempt_id, question_id=code.id, kind=Submission.Kind.SUBMIT,
                                         answer={"language": "python", "source": f"# burst {i}\n{CORRECT}"}).id)
    created_in = time.monotonic() - started
    before = cpu_snapshot(procs)
    resumed = app.control.add_consumer("grading", reply=True, timeout=5)
    if len(resumed) != 2:
        raise SystemExit(f"the two workers did not resume consuming the grading queue: {resumed}")
    rows = Submission.objects.filter(id__in=ids)
    end = time.monotonic() + timeout
    finished = [Submission.Status.DONE, Submission.Status.ERROR]
    while time.monotonic() < end and rows.exclude(status__in=finished).exists():
        time.sleep(0.2)
    cpu = cpu_between(before, cpu_snapshot(procs))["components"]
    done = list(rows.filter(status=Submission.Status.DONE))
    if not done:
        return {"count": len(ids), "done": 0, "rate": 0.0, "created_in": created_in, "cpu": cpu}
    span = (max(r.finished_at for r in done) - min(r.started_at for r in done)).total_seconds()
    return {"count": len(ids), "done": len(done), "rate": len(done) / span if span > 0 else float("inf"),
            "span": span, "created_in": created_in, "errors": rows.filter(status=Submission.Status.ERROR).count(),
            "cpu": cpu}


# --- the report -------------------------------------------------------------------------------
def print_report(args, results, report, judge_samples, bare, burst, drained_in, dead, graded_by, cpu) -> int:
    before, after = judge_samples  # time_judge's, before the load and after it: the limit is the median of both
    judge_times = {key: statistics.median(before[key] + after[key]) for key in before}
    requests = results["requests"]
    if not requests:
        print("no requests were made")
        return 1
    window = max(r[3] + r[2] / 1000 for r in requests) - min(r[3] for r in requests)
    by_name = defaultdict(list)
    codes = defaultdict(Counter)
    for name, status, ms, _ in requests:
        by_name[name].append(ms)
        codes[name][status] += 1
    all_codes = Counter()
    for counter in codes.values():
        all_codes.update(counter)
    five_xx = sum(n for code, n in all_codes.items() if code >= 500)
    no_answer = all_codes.get(0, 0)

    print(f"\n== load: {args.users} candidates, {args.duration} s, {len(requests)} requests in {window:.1f} s "
          f"({len(requests) / window:.1f} requests/s)")
    print(f"{'request':18s} {'count':>7s} {'per s':>7s} {'p50':>8s} {'p95':>8s} {'p99':>8s} {'max':>8s}   status codes")
    for name in ("start attempt", "autosave", "POST run", "POST submit", "poll submission"):
        times = by_name.get(name, [])
        if not times:
            continue
        statuses = ", ".join(f"{code or 'no answer'}: {n}" for code, n in sorted(codes[name].items()))
        print(f"{name:18s} {len(times):7d} {len(times) / window:7.1f} {pct(times, 50):6.1f}ms {pct(times, 95):6.1f}ms "
              f"{pct(times, 99):6.1f}ms {max(times):6.1f}ms   {statuses}")
    start = min(r[3] for r in requests) + args.users / args.spawn_rate + 5
    steady = [ms for name, _, ms, at in requests if name == "autosave" and at >= start]
    if steady:
        print(f"{'autosave (steady)':18s} {len(steady):7d} {'':7s} {pct(steady, 50):6.1f}ms {pct(steady, 95):6.1f}ms "
              f"{pct(steady, 99):6.1f}ms {max(steady):6.1f}ms   (from 5 s after the last candidate started)")
    access = report["access"]
    print("as gunicorn timed them (request in the web process, without the client's queueing):")
    for name in ("start attempt", "autosave", "POST run", "POST submit", "poll submission"):
        times = access["by_route"].get(name, [])
        if times:
            print(f"  {name:16s} {len(times):7d}         {pct(times, 50):6.1f}ms {pct(times, 95):6.1f}ms "
                  f"{pct(times, 99):6.1f}ms {max(times):6.1f}ms")

    print("\n== submission to verdict (client: POST sent -> the answer that brings the verdict; "
          f"POST and GET ?wait={args.wait_s:g} answer as soon as the verdict is in)")
    subs = results["submissions"]
    seen = defaultdict(list)
    for s in subs:
        if s["verdict_s"] is not None:
            seen[s["kind"]].append(s["verdict_s"] * 1000)
    for kind in ("run", "submit"):
        times = seen.get(kind, [])
        server = report["server"].get(kind, {})
        judge_cold, judge_warm = judge_times[kind, "cold"], judge_times[kind, "prewarmed"]
        if times:
            p50 = pct(times, 50)
            print(f"  {kind:6s} client  n={len(times):4d} p50 {p50:7.1f} ms  p95 {pct(times, 95):7.1f} ms   "
                  f"p50 = {p50 / judge_cold:.2f}x the judge cold, {p50 / judge_warm:.2f}x prewarmed")
        if server:
            to_verdict, queued, judging = server["to verdict"], server["queued"], server["judging"]
            print(f"  {kind:6s} server  created->verdict p50 {pct(to_verdict, 50):7.1f} ms  "
                  f"p95 {pct(to_verdict, 95):7.1f} ms;  queued p50 {pct(queued, 50):6.1f} ms "
                  f"p95 {pct(queued, 95):6.1f} ms;"
                  f"  claimed->verdict p50 {pct(judging, 50):6.1f} ms p95 {pct(judging, 95):6.1f} ms")
            if server.get("before row"):
                before_row, after_verdict = server["before row"], server["after verdict"]
                print(f"  {kind:6s} web     sent->row made p50 {pct(before_row, 50):6.1f} ms p95 "
                      f"{pct(before_row, 95):6.1f} ms;  verdict->client p50 {pct(after_verdict, 50):6.1f} ms p95 "
                      f"{pct(after_verdict, 95):6.1f} ms")
        halves = {mode: (statistics.median(before[kind, mode]), statistics.median(after[kind, mode]))
                  for mode in ("cold", "prewarmed")}
        print(f"  {kind:6s} judge alone in this process (median of {args.judge_runs} before the load and "
              f"{args.judge_runs} after it): cold {judge_cold:6.1f} ms ({halves['cold'][0]:.1f} before, "
              f"{halves['cold'][1]:.1f} after), prewarmed {judge_warm:6.1f} ms "
              f"({halves['prewarmed'][0]:.1f}, {halves['prewarmed'][1]:.1f})")
    not_seen = sum(1 for s in subs if s["verdict_s"] is None)
    graded_rate = report["graded_in_load"] / window
    print(f"  graded during the load: {report['graded_in_load']} ({graded_rate:.2f} submissions/s); "
          f"accepted (201/202) {report['accepted']}; not seen done by the client before it stopped: {not_seen}; "
          f"queue drained {drained_in:.1f} s after the load")

    print(f"\n== grading throughput, 2 workers (concurrency {args.worker_concurrency}) vs the bare judge in 2 processes, "
          "the Submit of the same question")
    limit = max(bare["cold"], bare["prewarmed"])
    print(f"  bare judge: cold {bare['cold']:.1f}/s, prewarmed {bare['prewarmed']:.1f}/s "
          f"(the limit: the better, {limit:.1f}/s)")
    throughput_ratio = burst["rate"] / limit if limit else 0.0
    if burst["done"]:
        print(f"  a burst of {burst['count']} Submits (all queued before the workers took any, in {burst['created_in']:.1f} s): "
              f"{burst['done']} done, {burst.get('errors', 0)} error, "
              f"first claim to last verdict {burst['span']:.1f} s = "
              f"{burst['rate']:.1f}/s = {throughput_ratio:.0%} of the bare judge")
    else:
        print(f"  the burst of {burst['count']} was not graded")
    if len(burst["ratios"]) > 1:
        print(f"  the median of {len(burst['ratios'])} bursts, each against the bare judge measured right after it: "
              + ", ".join(f"{r:.0%}" for r in burst["ratios"]))
    if burst["done"]:
        cpu_ms = {name: 1000 * sec / burst["done"] for name, sec in burst["cpu"].items() if sec > 0}
        print(f"  CPU per grading in the burst: {sum(cpu_ms.values()):.1f} ms ("
              + ", ".join(f"{name} {ms:.1f}" for name, ms in sorted(cpu_ms.items(), key=lambda kv: -kv[1]))
              + f"); the bare judge: {bare['cpu_ms']:.1f} ms (both modes, sandbox included)")
    print("  gradings per worker over the whole run (worker logs): "
          + ", ".join(f"{label} {n}" for label, n in graded_by.items()))

    cores = cpu["total"] / window if window else 0
    ours = sum(cpu["components"].values())
    print(f"\n== CPU during the load ({cpu['total']:.0f} core-seconds on {cores:.1f} cores): machine busy "
          f"{cpu['busy']:.0f} ({cpu['busy'] / cpu['total']:.0%}); this run's processes {ours:.0f}: "
          + ", ".join(f"{name} {sec:.0f}" for name, sec in sorted(cpu["components"].items(), key=lambda kv: -kv[1])))
    if os.environ.get("PREP_PIDNS") == "1":
        print(f"   outside this run's processes: {max(cpu['busy'] - ours, 0):.0f} core-seconds; stolen: "
              f"{cpu['stolen']:.0f} (busy cores the hypervisor gave to other guests: the figures above vary with it)")
    web_cpu, db_cpu = cpu["components"].get("gunicorn", 0.0), cpu["components"].get("postgres", 0.0)
    grading_cpu = sum(v for k, v in cpu["components"].items() if k.startswith("worker"))
    served = sum(access["statuses"].values()) or 1
    graded = max(report["graded_in_load"], 1)
    per_request = (web_cpu + db_cpu) / served
    print(f"   CPU cost: web {1000 * web_cpu / served:.1f} ms per request; postgres {1000 * db_cpu / served:.1f} ms "
          f"per request (its share of {graded} gradings included); grading workers "
          f"{1000 * grading_cpu / graded:.1f} ms per grading (sandbox included). At {1000 * per_request:.0f} ms of "
          f"web+database CPU per request, {os.cpu_count()} cores serve at most ~{os.cpu_count() / per_request:.0f} "
          "requests/s with nothing else running")

    errors = {code: n for code, n in all_codes.items() if code not in (200, 201, 202)}
    listed = ", ".join(f"{c or 'no answer'}: {n}" for c, n in sorted(errors.items()))
    print(f"\n== errors by status code (client): {listed or 'none'}")
    server_5xx = sum(n for code, n in access["statuses"].items() if code.startswith("5"))
    print(f"   gunicorn logged {sum(access['statuses'].values())} requests, {server_5xx} with 5xx; "
          f"kept-alive connections the server had closed (tried again on a new one): {len(results.get('stale', []))}")
    for problem in results["problems"][:5]:
        print(f"   e.g. {problem}")
    print(f"== answers: {report['checked_answers']} (candidate, question) pairs with an acknowledged answer checked; "
          f"lost {len(report['lost_answers'])}; an unacknowledged write that landed: {report['unacked_landed']}")
    for key, acked, value in report["lost_answers"][:5]:
        print(f"   lost: attempt {key[0]} question {key[1]}: acknowledged {acked!r}, stored {value!r}")
    print(f"== submissions: {report['accepted']} accepted (201/202); lost (missing, or not done with a verdict) "
          f"{len(report['lost_submissions'])}; verdict not the expected one {len(report['wrong_verdicts'])}; "
          f"claimed more than once {report['claimed_twice']}")
    if dead:
        print(f"!! processes that died during the run: {', '.join(dead)}")

    autosave_p95 = pct(by_name.get("autosave", []), 95)
    submit_p50 = pct(seen.get("submit", []), 50)
    verdict_limit = 1.5 * judge_times["submit", "cold"]
    checks = [
        ("zero lost answers", not report["lost_answers"], f"{len(report['lost_answers'])} lost"),
        ("zero lost submissions", not report["lost_submissions"], f"{len(report['lost_submissions'])} lost"),
        ("zero 5xx", five_xx == 0 and server_5xx == 0, f"{five_xx} 5xx seen by the client, {server_5xx} logged"),
        ("every request answered", no_answer == 0, f"{no_answer} without an answer"),
        ("autosave p95 < 100 ms", autosave_p95 < 100, f"{autosave_p95:.1f} ms"),
        ("submission-to-verdict p50 < 1.5x the judge", submit_p50 < verdict_limit,
         f"Submit p50 {submit_p50:.1f} ms vs 1.5 x {judge_times['submit', 'cold']:.1f} ms (cold) = "
         f"{verdict_limit:.1f} ms; "
         f"{submit_p50 / judge_times['submit', 'prewarmed']:.1f}x the prewarmed judge"),
        ("grading throughput >= 70% of the bare judge", throughput_ratio >= 0.7,
         f"{burst['rate']:.1f}/s vs {max(bare['cold'], bare['prewarmed']):.1f}/s = {throughput_ratio:.0%}"),
    ]
    print()
    for name, ok, detail in checks:
        print(f"{verdict(ok)}  {name:45s} {detail}")
    return 0 if all(ok for _, ok, _ in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
