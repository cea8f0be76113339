"""The judge against its limits, every figure measured in the same run (run as root):

    .venv/bin/python bench/judge.py [--runs 20] [--seconds 5] [--flood-mb 1024]      (or: make bench)

1. per-run start: a bare python3 that reads its input (the limit) vs the same in the sandbox,
   cold and prewarmed;
2. a 20-test function-style Python question judged end to end vs one and twenty bare starts;
3. an R run vs bare `Rscript --vanilla -e 0`;
4. a SQL question end to end vs a bare sqlite3 query in a bare interpreter;
5. throughput: submissions per second with 2 concurrent slots (2 processes) vs bare starts;
6. the judging process's peak memory while a submission floods output.
Targets (issue 3): sandbox overhead <= 1.25x a bare start; 20-test question <= 2x one bare
start; peak memory flat within 10 MB under the flood."""

import argparse
import multiprocessing
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import judge  # noqa: E402
from judge import FunctionSpec, FunctionTest, Limits, SqlSpec, judge_python_function, judge_sql  # noqa: E402
from judge.runtimes import R_OPEN_FILES, r_argv  # noqa: E402
from judge.sandbox import PYTHON, SandboxLimits, run_in_sandbox, set_prewarm  # noqa: E402
from judge.sandbox.tools import find_tool  # noqa: E402

SOURCE = (
    "def moving_average(values, window):\n"
    "    return [sum(values[i - window + 1:i + 1]) / window for i in range(window - 1, len(values))]\n"
)
TESTS = tuple(
    FunctionTest(f"t{i}", [list(range(i, i + 30)), 3], [float(j) for j in range(i + 1, i + 29)]) for i in range(20)
)
SPEC = FunctionSpec(source=SOURCE, function_name="moving_average", tests=TESTS, limits=Limits(cpu_time_s=1))
SHOP = "CREATE TABLE o(c TEXT, t REAL); INSERT INTO o VALUES ('a', 1.5), ('a', 2.5), ('b', 4.0);"
SQL = SqlSpec(query="SELECT c, SUM(t) FROM o GROUP BY c", fixture_sql=SHOP,
              reference_query="SELECT c, SUM(t) AS total FROM o GROUP BY c")
LIMITS = SandboxLimits(cpu_time_s=2, wall_time_s=5, memory_mb=128, output_bytes=4096)


def median_ms(fn, runs: int, *, idle_s: float = 0.0) -> float:
    """Median time of fn(); `idle_s` untimed between calls, as a worker waits between submissions."""
    fn()  # warm caches (and, with prewarm, start the first waiting sandbox)
    times = []
    for _ in range(runs):
        time.sleep(idle_s)
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def bare(argv):
    return lambda: subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, input=b"")


def row(name: str, ms: float, limit_ms: float, limit_name: str, target: float | None = None) -> None:
    ratio = ms / limit_ms
    verdict = "" if target is None else (f"  meets <= {target:.2f}x" if ratio <= target else f"  MISSES <= {target:.2f}x")
    print(f"  {name:50s} {ms:9.1f} ms  {ratio:6.2f}x {limit_name}{verdict}")


def timed(prewarm: bool, fn, runs: int) -> float:
    """Cold: back to back. Prewarmed: with 100 ms idle before each call, as a grading worker
    that waits for its next submission (back to back, the next box is still starting: section 5
    measures that case)."""
    set_prewarm(prewarm)
    try:
        return median_ms(fn, runs, idle_s=0.1 if prewarm else 0.0)
    finally:
        set_prewarm(False)


def _throughput_worker(args) -> int:
    deadline, prewarm = args
    set_prewarm(prewarm)
    count = 0
    while time.monotonic() < deadline:
        assert judge_python_function(SPEC).verdict == "AC"
        count += 1
    set_prewarm(False)
    return count


def _bare_worker(deadline) -> int:
    count = 0
    while time.monotonic() < deadline:
        subprocess.run([PYTHON, "-I", "-S", "-c", "pass"], check=True)
        count += 1
    return count


def throughput(seconds: float, prewarm: bool) -> tuple[float, float]:
    with multiprocessing.get_context("fork").Pool(2) as pool:
        deadline = time.monotonic() + seconds
        judged = sum(pool.map(_throughput_worker, [(deadline, prewarm)] * 2))
        deadline = time.monotonic() + seconds
        bare_runs = sum(pool.map(_bare_worker, [deadline] * 2))
    return judged / seconds, bare_runs / seconds


def flood_peak_kb(megabytes: int) -> tuple[int, str]:
    """A submission that writes `megabytes` MB to stdout (it is stopped at the output cap)."""
    source = ("import sys\ndef f():\n    block = 'x' * (1 << 20)\n"
              f"    for _ in range({megabytes}):\n        sys.stdout.write(block)\n")
    spec = FunctionSpec(source=source, function_name="f", tests=(FunctionTest("t", [], 1),),
                        limits=Limits(cpu_time_s=30))  # the default output cap, 64 KB
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset the peak RSS, so that the peak below is the flood's alone
    before = _status_kb("VmRSS")
    result = judge_python_function(spec)
    return _status_kb("VmHWM") - before, result.verdict.value


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(field)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each throughput measurement")
    parser.add_argument("--flood-mb", type=int, default=1024)
    args = parser.parse_args()
    problems = judge.sandbox_problems()
    if problems:
        sys.exit("sandbox unavailable: " + "; ".join(problems))
    n = args.runs
    print(f"median of {n} runs; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores\n")

    # Programs that read their input first, as every harness does: a prewarmed box waits there.
    py_argv = [PYTHON, "-I", "-S", "-c", "import sys; sys.stdin.read()"]
    py_bare = median_ms(bare(py_argv), n)

    def boxed():
        assert run_in_sandbox(py_argv, limits=LIMITS).exit_code == 0

    print("1. per-run start of `python3 -I -S -c 'import sys; sys.stdin.read()'`")
    row("bare (the limit)", py_bare, py_bare, "bare")
    row("sandboxed, cold", timed(False, boxed, n), py_bare, "bare", 1.25)
    row("sandboxed, prewarmed, worker idle before", timed(True, boxed, n), py_bare, "bare", 1.25)
    # Where a cold start goes: the same start under the launcher's two execs alone, and under
    # bubblewrap alone (as root, no cgroup, no slot); the rest of the cold figure is this
    # process's own work: slot, cgroup, supervision and the sweeps before and after.
    launcher = [find_tool("prlimit"), "--nofile=64", "--", find_tool("setpriv"), "--clear-groups", "--"]
    box = [find_tool("bwrap"), "--unshare-all", "--ro-bind", "/usr", "/usr", "--symlink", "usr/lib", "/lib",
           "--symlink", "usr/lib64", "/lib64", "--symlink", "usr/bin", "/bin", "--proc", "/proc", "--dev", "/dev",
           "--tmpfs", "/work", "--chdir", "/work", "--"]
    row("  python3 under prlimit + setpriv only", median_ms(bare(launcher + py_argv), n), py_bare, "bare")
    row("  python3 under bwrap only", median_ms(bare(box + py_argv), n), py_bare, "bare")

    print("\n2. a 20-test function-style Python question, judged end to end")
    def question():
        assert judge_python_function(SPEC).verdict == "AC"

    q_cold, q_warm = timed(False, question, n), timed(True, question, n)
    row("cold", q_cold, py_bare, "one bare start", 2.0)
    row("prewarmed, worker idle before", q_warm, py_bare, "one bare start", 2.0)
    row("prewarmed, against 20 bare starts", q_warm, 20 * py_bare, "20 bare starts")

    print("\n3. R")
    if Path("/usr/bin/Rscript").exists():
        runs = max(5, n // 4)
        argv, binds = r_argv()
        r_code = ["-e", "invisible(readLines(file('stdin')))"]
        r_bare = median_ms(bare(["/usr/bin/Rscript", "--vanilla", *r_code]), runs)
        r_limits = SandboxLimits(cpu_time_s=5, wall_time_s=10, memory_mb=256, output_bytes=4096, open_files=R_OPEN_FILES)

        def r_boxed():
            outcome = run_in_sandbox([*argv, *r_code], limits=r_limits, ro_binds=binds)
            assert outcome.exit_code == 0, outcome.stderr


        row("bare Rscript --vanilla reading stdin (the limit)", r_bare, r_bare, "bare")
        row("sandboxed, cold", timed(False, r_boxed, runs), r_bare, "bare", 1.25)
        row("sandboxed, prewarmed, worker idle before", timed(True, r_boxed, runs), r_bare, "bare", 1.25)
    else:
        print("  R is not installed (scripts/setup-runtime.sh installs it)")

    print("\n4. a SQL question (the reference query runs in a sandbox of its own)")
    sql_bare = median_ms(bare([PYTHON, "-I", "-S", "-c",
                               f"import sqlite3; c = sqlite3.connect(':memory:'); c.executescript({SHOP!r}); "
                               "c.execute('SELECT c, SUM(t) FROM o GROUP BY c').fetchall()"]), n)
    def sql():
        assert judge_sql(SQL).verdict == "AC"

    row("bare query in a bare interpreter (the limit)", sql_bare, sql_bare, "bare")
    row("judged, cold", timed(False, sql, n), sql_bare, "bare")
    row("judged, prewarmed, worker idle before", timed(True, sql, n), sql_bare, "bare")

    print("\n5. throughput with 2 concurrent slots")
    for prewarm in (False, True):
        judged, bare_rate = throughput(args.seconds, prewarm)
        print(f"  20-test question, {'prewarmed' if prewarm else 'cold':9s}: {judged:6.1f} submissions/s   "
              f"bare python3 starts: {bare_rate:6.1f}/s   ratio {judged / bare_rate:.2f}")

    print("\n6. memory of the judging process under an output flood")
    growth, verdict = flood_peak_kb(args.flood_mb)
    flat = "  meets <= 10 MB" if growth <= 10 * 1024 else "  MISSES <= 10 MB"
    print(f"  a submission writing {args.flood_mb} MB (output cap 64 KB): verdict {verdict}, "
          f"peak RSS rose {growth / 1024:.1f} MB{flat}")


if __name__ == "__main__":
    main()
