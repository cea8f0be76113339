"""Function-style Python questions: call the candidate's function on each test's arguments and
compare the returned value with the expected one.

All tests of a spec run in one sandboxed interpreter (the trusted harness in
judge/harness/python_function.py). If that interpreter dies during test k (crash, time or
memory limit...), test k gets the verdict of the death and the remaining tests run again in a
fresh sandbox, at most MAX_RESTARTS times.

The batching, the record channel and the verdicts are language-neutral (`run_function_tests`
with a `FunctionRuntime`): judge/r_function.py runs R's harness through the same engine.
"""

from __future__ import annotations

import json
import keyword
import math
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from judge import checkers, runtimes
from judge.channel import RecordReader
from judge.errors import JudgeError, SandboxUnavailable
from judge.sandbox import RunMeter, RunOutcome, SandboxLimits, run_in_sandbox, sandbox_problems
from judge.types import FunctionSpec, FunctionTest, JudgeResult, Limits, TestResult, Verdict, clean_text

MAX_RESTARTS = 3
MAX_SOURCE_BYTES = 256 * 1024
MAX_RECORD_BYTES = 1024 * 1024  # one test's JSON record, returned value included
MAX_MESSAGE_CHARS = 4096
_STARTUP_WALL_S = 5.0  # interpreter start before the harness reports in
_GRACE_S = 0.5  # the harness's own timer fires first; the supervisor's watchdog backs it up
# Loading numpy / pandas / scikit-learn costs about a second of CPU, and their memory comes
# on top of the candidate's budget.
DATA_STACK_LOAD_S = 10.0
DATA_STACK_MEMORY_MB = runtimes.DATA_STACK_EXTRA_MEMORY_MB

_harness_cache: dict[str, str] = {}


def harness_text(name: str) -> str:
    if name not in _harness_cache:
        path = Path(__file__).with_name("harness") / name
        _harness_cache[name] = path.read_text(encoding="utf-8")
    return _harness_cache[name]


@dataclass(frozen=True)
class FunctionRuntime:
    """How to run one language's function harness in the sandbox."""

    argv: list[str]
    ro_binds: list[tuple[str, str]]
    payload: Callable[["_Collector", int], bytes]  # (collector, result fd) -> the harness's stdin
    load_cpu_s: float  # CPU for start-up and loading the module, beyond the per-test limit
    extra_memory_mb: int = 0  # the runtime's own memory, on top of the candidate's budget
    open_files: int = 64
    r_semantics: bool = False  # compare as R values (length-1 vectors are scalars)
    row_base: int = 0  # rows in messages are numbered from this


def check_sandbox() -> None:
    problems = sandbox_problems()
    if problems:
        raise SandboxUnavailable("cannot grade: " + "; ".join(problems))


def judge_python_function(spec: FunctionSpec) -> JudgeResult:
    """Grade `spec`. Raises SandboxUnavailable when the host cannot sandbox, RuntimeUnavailable
    when it needs the data stack and that is not set up, JudgeError for other infrastructure
    faults; whatever the candidate's code does is a verdict."""
    check_sandbox()
    if spec.data_stack:
        runtimes.require(python_data_stack=True)
    tests = _validated_tests(spec)
    name = spec.function_name
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise JudgeError(f"function name {name!r} is not a Python identifier")

    if len(spec.source.encode("utf-8", "surrogatepass")) > MAX_SOURCE_BYTES:
        return _compile_error(spec, f"source too large (more than {MAX_SOURCE_BYTES // 1024} KiB)")

    argv, binds = runtimes.python_argv(data_stack=spec.data_stack)
    program = harness_text("compile_source.py") + "\n" + harness_text("python_function.py")
    if spec.data_stack:
        program = harness_text("python_datastack.py") + "\n" + program
    runtime = FunctionRuntime(
        argv=argv + ["-u", "-c", program],
        ro_binds=binds,
        payload=_python_payload,
        load_cpu_s=spec.limits.cpu_time_s + (DATA_STACK_LOAD_S if spec.data_stack else 0.0),
        extra_memory_mb=DATA_STACK_MEMORY_MB if spec.data_stack else 0,
    )
    return run_function_tests(spec, tests, runtime)


def _python_payload(collector: "_Collector", fd: int) -> bytes:
    spec = collector.spec
    tests = [[i, list(spec.tests[i].args)] for i in collector.batch]
    return json.dumps(
        {
            "nonce": collector.nonce,
            "fd": fd,
            "source": spec.source,
            "function": spec.function_name,
            "tests": tests,
            "cpu_limit": spec.limits.cpu_time_s,
            "load_cpu_limit": collector.runtime.load_cpu_s,
            "max_depth": _max_depth(spec.limits),
            "max_record": MAX_RECORD_BYTES,
            "data_stack": bool(spec.data_stack),
        },
        ensure_ascii=True,
    ).encode("ascii")


def run_function_tests(spec: FunctionSpec, tests: tuple[FunctionTest, ...], runtime: FunctionRuntime) -> JudgeResult:
    """Run every test of `spec` through `runtime`'s harness, restarting after deaths."""
    results: dict[int, TestResult] = {}
    remaining = list(range(len(tests)))
    stdout = bytearray()
    stderr = bytearray()
    output_cap = spec.limits.output_kb * 1024
    memory_kb = 0
    runs = 0
    while remaining:
        runs += 1
        collector = _Collector(spec, remaining, runtime)
        outcome = run_in_sandbox(
            runtime.argv,
            stdin=lambda fd, c=collector: runtime.payload(c, fd),
            limits=_sandbox_limits(spec.limits, len(remaining), runtime),
            channel=collector,
            ro_binds=runtime.ro_binds,
        )
        stdout += outcome.stdout[: max(0, output_cap - len(stdout))]
        stderr += outcome.stderr[: max(0, output_cap - len(stderr))]
        memory_kb = max(memory_kb, outcome.memory_peak_kb or 0)

        if collector.arg_error is not None:
            raise JudgeError(f"the test arguments could not be built in the sandbox: {collector.arg_error}")
        if not collector.hello:
            raise JudgeError(
                "the sandboxed harness did not start (exit status "
                f"{outcome.exit_code}, killed={outcome.killed}, reason={outcome.timeout_reason or '-'}): "
                + outcome.stderr.decode("utf-8", "replace")[-1000:].strip()
            )
        if collector.compile_error is not None:
            return _compile_error(spec, collector.compile_error, stdout, stderr, memory_kb)

        for index, record in collector.tests.items():
            results[index] = _grade(spec, tests[index], record, runtime)

        missing = [i for i in remaining if i not in collector.tests]
        if not missing:
            break
        if collector.import_failure is not None:
            verdict, message = collector.import_failure
            for i in missing:
                results[i] = TestResult(tests[i].name, verdict, 0, message)
            break
        verdict, message = _death_verdict(outcome, collector)
        if not collector.loaded:  # died while loading the module: every test would too
            for i in missing:
                results[i] = TestResult(tests[i].name, verdict, 0, message)
            break
        first = missing[0]
        results[first] = TestResult(tests[first].name, verdict, collector.unfinished_ms(outcome), message)
        remaining = missing[1:]
        if remaining and runs > MAX_RESTARTS:
            for i in remaining:
                results[i] = TestResult(
                    tests[i].name, verdict, 0, f"not run: earlier tests kept ending the run ({verdict.value})"
                )
            break

    ordered = [results[i] for i in range(len(tests))]
    return JudgeResult(
        verdict=_overall_verdict(ordered),
        score=_score(tests, ordered),
        tests=ordered,
        time_ms=max((r.time_ms for r in ordered), default=0),
        memory_kb=memory_kb,
        stdout=_text(stdout),
        stderr=_text(stderr),
    )


# --------------------------------------------------------------------------------------------


def _validated_tests(spec: FunctionSpec) -> tuple[FunctionTest, ...]:
    if not isinstance(spec.source, str):
        raise JudgeError("spec.source must be a str")
    tests = tuple(spec.tests)
    if not tests:
        raise JudgeError("the spec has no tests")
    for test in tests:
        if not isinstance(test.args, (list, tuple)):
            raise JudgeError(f"test {test.name!r}: args must be a list")
        try:
            json.dumps(list(test.args), allow_nan=True)
        except (TypeError, ValueError) as exc:
            raise JudgeError(f"test {test.name!r}: args are not JSON values ({exc})") from exc
        try:
            weight = float(test.weight)
        except (TypeError, ValueError):
            weight = math.nan
        if isinstance(test.weight, bool) or not (math.isfinite(weight) and weight >= 0):
            raise JudgeError(f"test {test.name!r}: weight must be a finite number >= 0")
        try:
            checkers.validate_expected(test.expected)
            _frame_options(spec, test)
            for arg in test.args:
                checkers.validate_expected(arg)
        except (checkers.MalformedValue, ValueError) as exc:
            raise JudgeError(f"test {test.name!r}: {exc}") from exc
    return tests


def _frame_options(spec: FunctionSpec, test: FunctionTest) -> checkers.FrameOptions:
    base = checkers.FrameOptions(
        check_column_order=bool(spec.check_column_order),
        check_index=bool(spec.check_index),
        check_dtype=bool(spec.check_dtype),
        check_row_order=bool(spec.check_row_order),
    )
    options = getattr(test, "options", None)
    if options is not None and not isinstance(options, dict):
        raise ValueError("options must be a mapping")
    return checkers.FrameOptions.from_mapping(base, options)


def _sandbox_limits(limits: Limits, n_tests: int, runtime: FunctionRuntime) -> SandboxLimits:
    load_cpu = runtime.load_cpu_s + _GRACE_S
    load_wall = _load_wall_s(limits, runtime)
    return SandboxLimits(
        cpu_time_s=load_cpu + n_tests * (limits.cpu_time_s + _GRACE_S) + 1.0,
        wall_time_s=_STARTUP_WALL_S + load_wall + n_tests * (limits.effective_wall_time_s + _GRACE_S),
        memory_mb=limits.memory_mb + runtime.extra_memory_mb,
        output_bytes=limits.output_kb * 1024,
        channel_bytes=min(64 * 1024 * 1024, n_tests * (MAX_RECORD_BYTES + 1024) + 64 * 1024),
        open_files=runtime.open_files,
    )


def _load_wall_s(limits: Limits, runtime: FunctionRuntime) -> float:
    return limits.effective_wall_time_s + 2.0 * (runtime.load_cpu_s - limits.cpu_time_s) + _GRACE_S


def _max_depth(limits: Limits) -> int:
    # ~300 bytes of heap per Python frame in 3.11; keep pathological recursion well inside
    # the memory budget so that it ends in RecursionError.
    return max(10_000, min(1_000_000, limits.memory_mb * 400))


class _Collector:
    """The supervisor's end of the result channel: authenticates, parses and keeps the first
    record per test; also the per-test watchdog (CPU and wall clock since the last record)."""

    def __init__(self, spec: FunctionSpec, batch: list[int], runtime: FunctionRuntime):
        self.spec = spec
        self.runtime = runtime
        self.batch = batch
        self.expected_indices = set(batch)
        self._records = RecordReader(MAX_RECORD_BYTES + 256)
        self.nonce = self._records.nonce
        self.hello = False
        self.args_ready = False
        self.arg_error: str | None = None
        self.loaded = False
        self.compile_error: str | None = None
        self.import_failure: tuple[Verdict, str] | None = None
        self.tests: dict[int, dict] = {}
        self._phase_cpu = 0.0
        self._phase_wall = 0.0
        self._phase_oom = 0
        self._cpu_budget = spec.limits.cpu_time_s + _GRACE_S
        self._wall_budget = spec.limits.effective_wall_time_s + _GRACE_S
        self._load_cpu_budget = runtime.load_cpu_s + _GRACE_S
        self._load_wall_budget = _load_wall_s(spec.limits, runtime)

    # -- ChannelSink -----------------------------------------------------------------------
    def feed(self, data: bytes, meter: RunMeter) -> None:
        for record in self._records.feed(data):
            self._record(record, meter)

    def expired(self, meter: RunMeter) -> str | None:
        if not self.hello or self.compile_error is not None or self.import_failure is not None:
            return None  # the run-level limits cover start-up
        if len(self.tests) == len(self.batch):
            return None
        cpu_budget, wall_budget = (
            (self._cpu_budget, self._wall_budget) if self.loaded else (self._load_cpu_budget, self._load_wall_budget)
        )
        if meter.cpu_s - self._phase_cpu > cpu_budget:
            return "cpu"
        if meter.wall_s - self._phase_wall > wall_budget:
            return "wall"
        return None

    # -- records ---------------------------------------------------------------------------
    def _record(self, record: dict, meter: RunMeter) -> None:
        kind = record.get("k")
        accepted = False
        if kind == "hello" and not self.hello:
            self.hello = accepted = True
        elif not self.hello:
            return
        elif kind == "argerror" and not self.args_ready and self.arg_error is None:
            msg = record.get("msg")
            self.arg_error = clean_text(msg[:MAX_MESSAGE_CHARS]) if type(msg) is str else "unknown error"
        elif kind == "args" and not self.args_ready and self.arg_error is None:
            self.args_ready = True
        elif not self.args_ready:
            return
        elif kind == "ce" and self.compile_error is None and not self.loaded:
            msg = record.get("msg")
            if type(msg) is str:
                self.compile_error = clean_text(msg[:MAX_MESSAGE_CHARS])
        elif kind == "import" and self.import_failure is None and not self.loaded:
            verdict, msg = record.get("r"), record.get("msg")
            if verdict in ("RTE", "TLE", "MLE") and type(msg) is str:
                self.import_failure = (Verdict(verdict), clean_text(msg[:MAX_MESSAGE_CHARS]))
        elif kind == "loaded" and not self.loaded:
            self.loaded = accepted = True
        oom_kills = None
        if kind == "test" and self.loaded:
            oom_kills = meter.oom_kills()
            accepted = self._test_record(record, oom_kills)
        if accepted:
            self._phase_cpu, self._phase_wall = meter.cpu_s, meter.wall_s
            self._phase_oom = meter.oom_kills() if oom_kills is None else oom_kills

    def _test_record(self, record: dict, oom_kills: int) -> bool:
        index = record.get("i")
        if type(index) is not int or index not in self.expected_indices or index in self.tests:
            return False
        result, ms, msg = record.get("r"), record.get("ms"), record.get("msg", "")
        if type(ms) is not int or ms < 0 or type(msg) is not str:
            return False
        clean = {"r": result, "ms": min(ms, 10**7), "msg": clean_text(msg[:MAX_MESSAGE_CHARS])}
        if result == "value":
            try:
                clean["v"] = checkers.decode_value(record.get("v"))
            except (checkers.MalformedValue, RecursionError):
                return False
        elif result not in ("TLE", "MLE", "RTE", "unsupported"):
            return False
        if oom_kills > self._phase_oom:
            # A process of this test (a child, say) was killed for memory: the memory limit
            # binds the whole sandbox, whatever the function then returned.
            clean = {"r": "MLE", "ms": clean["ms"], "msg": "memory limit exceeded (a process was killed)"}
        self.tests[index] = clean
        return True

    def unfinished_ms(self, outcome: RunOutcome) -> int:
        return max(0, int((outcome.cpu_time_s - self._phase_cpu) * 1000))


def _grade(spec: FunctionSpec, test: FunctionTest, record: dict, runtime: FunctionRuntime) -> TestResult:
    result, ms = record["r"], record["ms"]
    if result == "value":
        actual = record["v"]
        message = checkers.compare(
            test.expected,
            actual,
            abs_tol=spec.abs_tol,
            rel_tol=spec.rel_tol,
            frames=_frame_options(spec, test),
            r_semantics=runtime.r_semantics,
            row_base=runtime.row_base,
        )
        if message is None:
            return TestResult(test.name, Verdict.AC, ms, "", actual)
        return TestResult(test.name, Verdict.WA, ms, message, actual)
    if result == "unsupported":
        return TestResult(test.name, Verdict.WA, ms, record["msg"])
    return TestResult(test.name, Verdict(result), ms, record["msg"])


def _death_verdict(outcome: RunOutcome, collector: _Collector) -> tuple[Verdict, str]:
    """What ended a run in the middle of a test, judged from outside."""
    stderr_tail = outcome.stderr[-2000:].decode("utf-8", "replace")
    if outcome.output_exceeded or outcome.channel_exceeded:
        return Verdict.OLE, "output limit exceeded"
    if outcome.memory_exceeded:
        return Verdict.MLE, "memory limit exceeded"
    if outcome.timed_out:
        what = {"wall": "wall-clock", "cpu": "CPU"}.get(outcome.timeout_reason, outcome.timeout_reason)
        return Verdict.TLE, f"time limit exceeded ({what})"
    if "MemoryError" in stderr_tail:
        return Verdict.MLE, "memory limit exceeded (MemoryError)"
    if outcome.signal in (signal.SIGXCPU, signal.SIGKILL) and outcome.cpu_time_s >= collector.spec.limits.cpu_time_s:
        return Verdict.TLE, "time limit exceeded (CPU)"
    if outcome.exit_code == 0:
        return Verdict.WA, "no result: the program exited before the function returned"
    if outcome.signal is not None:
        try:
            name = signal.Signals(outcome.signal).name
        except ValueError:
            name = f"signal {outcome.signal}"
        return Verdict.RTE, f"killed by {name}"
    return Verdict.RTE, f"the program exited with status {outcome.exit_code} before the function returned"


def _overall_verdict(results: list[TestResult]) -> Verdict:
    for r in results:
        if r.verdict != Verdict.AC:
            return r.verdict
    return Verdict.AC


def _score(tests: tuple[FunctionTest, ...], results: list[TestResult]) -> float:
    total = sum(float(t.weight) for t in tests)
    if total <= 0:
        return 1.0 if all(r.verdict == Verdict.AC for r in results) else 0.0
    passed = sum(float(t.weight) for t, r in zip(tests, results) if r.verdict == Verdict.AC)
    return min(1.0, max(0.0, passed / total))


def _text(data: bytes | bytearray) -> str:
    return clean_text(bytes(data).decode("utf-8", errors="replace"))


def _compile_error(spec: FunctionSpec, message: str, stdout=b"", stderr=b"", memory_kb: int = 0) -> JudgeResult:
    tests = [TestResult(t.name, Verdict.CE, 0, message) for t in spec.tests]
    return JudgeResult(
        verdict=Verdict.CE,
        score=0.0,
        tests=tests,
        time_ms=0,
        memory_kb=memory_kb,
        compile_output=message,
        stdout=_text(stdout),
        stderr=_text(stderr),
    )


__all__ = ["judge_python_function", "SandboxUnavailable", "JudgeError"]
