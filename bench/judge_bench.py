"""Judge speed against its limit: a bare, unsandboxed interpreter start, measured in the same run.

    .venv/bin/python bench/judge_bench.py [--runs 30]

Prints medians and the ratio of each sandboxed figure to the bare interpreter (run as root)."""

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from judge import FunctionSpec, FunctionTest, Limits, judge_python_function, sandbox_problems  # noqa: E402
from judge.sandbox import PYTHON, SandboxLimits, run_in_sandbox  # noqa: E402

SOURCE = "def moving_average(values, window):\n    return [sum(values[i - window + 1:i + 1]) / window for i in range(window - 1, len(values))]\n"


def median_ms(fn, runs: int) -> float:
    fn()  # warm caches
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    problems = sandbox_problems()
    if problems:
        sys.exit("sandbox unavailable: " + "; ".join(problems))

    bare = median_ms(lambda: subprocess.run([PYTHON, "-I", "-S", "-c", "pass"], check=True), args.runs)
    limits = SandboxLimits(cpu_time_s=2, wall_time_s=5, memory_mb=128, output_bytes=4096)
    boxed = median_ms(lambda: run_in_sandbox([PYTHON, "-I", "-S", "-c", "pass"], limits=limits), args.runs)
    rows = [("bare python3 -I -S -c pass (the limit)", bare), ("sandboxed python3 -c pass", boxed)]
    for n in (1, 5, 20):
        tests = tuple(FunctionTest(f"t{i}", [list(range(50)), 3], [float(j) for j in range(1, 49)]) for i in range(n))
        spec = FunctionSpec(source=SOURCE, function_name="moving_average", tests=tests, limits=Limits())
        result = judge_python_function(spec)
        assert result.verdict == "AC", result
        rows.append((f"judge_python_function, {n} test(s)", median_ms(lambda: judge_python_function(spec), args.runs)))

    print(f"median of {args.runs} runs")
    for name, ms in rows:
        print(f"{name:45s} {ms:8.1f} ms   {ms / bare:5.2f}x bare")


if __name__ == "__main__":
    main()
