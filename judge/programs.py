"""stdin/stdout programs: build once, then one fresh sandbox per test with the test's input on
standard input, then the checker.

    judge_program(ProgramSpec(files=(("sol.py", src),), language="python", tests=(...)))

Per test: the program's files are bound read-only at /box (compiled programs: just the binary);
stdout and stderr are captured with the output cap; CPU (all processes summed) and wall clock
are limited; then the output goes to the checker (judge.validators). Verdicts: AC, WA, TLE, MLE,
OLE, RTE per test; CE for the whole submission when it does not build; IE for a test whose
custom output validator failed.

An all-or-nothing group ("all") stops at its first failure: its remaining tests are not run and
carry that failure's verdict with `not_run=True`. Other groups run every test.

Score: with no groups, the weighted fraction of AC tests. With groups: every group's score
("sum": weighted fraction of its AC tests; "all": 1 if every test is AC, else 0) times the
group's weight, over the total weight of the groups that have tests. Tests with group "" then
form an implicit group of weight 0 (they count for the verdict, not the score). Verdict: AC iff
every test is AC, else the first non-AC test's verdict.
"""

from __future__ import annotations

import signal
from dataclasses import dataclass
from typing import Callable

from judge import languages
from judge.errors import JudgeError, SandboxUnavailable
from judge.program_build import BoxDir, BuiltProgram, CompileError, build_program
from judge.program_types import (
    AGGREGATIONS,
    ProgramSpec,
    ProgramTest,
    ProgramTestResult,
    TestGroup,
    valid_weight,
)
from judge.sandbox import RunOutcome, SandboxLimits, run_in_sandbox, sandbox_problems
from judge.types import JudgeResult, Limits, Verdict, clean_text
from judge.validators import PreparedChecker

_KILL_GRACE_S = 0.2  # the supervisor kills this far past the CPU limit; beyond the limit is TLE anyway
MAX_SHOWN_OUTPUT = 8 * 1024  # JudgeResult.stdout / stderr (from a sample test only)
R_EXTRA_MEMORY_MB = 128  # R's own footprint, on top of the program's budget
R_OPEN_FILES = 256  # Rscript refuses to start with fewer


def judge_program(spec: ProgramSpec, on_test: Callable[[ProgramTestResult], None] | None = None) -> JudgeResult:
    """Grade a stdin/stdout program. Raises SandboxUnavailable when the host cannot sandbox,
    UnsupportedLanguage / ValueError for a malformed spec, JudgeError for infrastructure faults
    (including a custom checker that does not build); what the program does is a verdict.
    `on_test`, when given, is called with each test's result as soon as it is known (tests
    run one sandbox each, so a caller can show them as they arrive)."""
    problems = sandbox_problems()
    if problems:
        raise SandboxUnavailable("cannot grade: " + "; ".join(problems))
    language = languages.normalize(spec.language)
    tests, groups = _validated(spec)
    own = dict(spec.files)
    included = dict(spec.include_files)
    files = {**own, **included}  # included files win (Kattis)

    try:
        program = build_program(files, language, entry=_entry_point(language, own, included))
    except CompileError as exc:
        return _compile_error(tests, str(exc))

    checker = PreparedChecker(spec.checker)  # ValidatorError (a JudgeError) if it does not build
    with checker, BoxDir() as box:  # removed at the end, whatever happens
        for name, data, executable in program.files:
            box.put(name, data, executable=executable)
        results = _run_tests(program, box, tests, groups, spec.limits, checker, on_test)

    shown = _shown_output(tests, results)
    return JudgeResult(
        verdict=overall_verdict(results),
        score=score(tests, groups, results),
        tests=[r for r, _ in results],
        time_ms=max((r.time_ms for r, _ in results), default=0),
        memory_kb=max((r.memory_kb for r, _ in results), default=0),
        compile_output=program.compile_output,
        stdout=shown[0],
        stderr=shown[1],
    )


def _entry_point(language: str, own: dict, included: dict) -> str | None:
    """The file to run for Python / R when included files are added: a driver among the included
    files must carry the language's main name (Kattis); otherwise the submission's own entry."""
    if not included or language not in ("python", "r"):
        return None
    pick = languages.python_entry_point if language == "python" else languages.r_entry_point
    mains = ("main.py", "__main__.py") if language == "python" else ("main.R", "main.r")
    if any(name in included for name in mains):
        return next(name for name in mains if name in included)
    return pick(own)


# -- the runs ------------------------------------------------------------------------------------


@dataclass
class _Captured:
    stdout: bytes = b""
    stderr: bytes = b""


def _run_tests(program: BuiltProgram, box: BoxDir, tests, groups, limits: Limits, checker: PreparedChecker, on_test=None):
    by_name = {g.name: g for g in groups}
    failed_all_group: dict[str, tuple[str, Verdict]] = {}
    results: list[tuple[ProgramTestResult, _Captured]] = []
    sandbox_limits = run_limits(limits, program.language)
    for test in tests:
        group = by_name.get(test.group)
        if group is not None and group.aggregation == "all" and test.group in failed_all_group:
            first, verdict = failed_all_group[test.group]
            results.append((ProgramTestResult(
                test.name, verdict, 0, f"not run: {first} failed in this all-or-nothing group",
                group=test.group, is_sample=test.is_sample, not_run=True,
            ), _Captured()))
            continue
        outcome = run_in_sandbox(
            list(program.argv), stdin=test.input, limits=sandbox_limits, ro_binds=[box.bind(), *program.binds],
        )
        verdict, message = run_verdict(outcome, limits, program.language)
        if verdict is None:
            checked = checker.check(test, outcome.stdout)
            verdict, message = checked.verdict, checked.message
        result = ProgramTestResult(
            test.name, verdict, int(round(outcome.cpu_time_s * 1000)), clean_text(message)[:4000],
            memory_kb=outcome.memory_peak_kb or 0, group=test.group, is_sample=test.is_sample,
        )
        results.append((result, _Captured(outcome.stdout, outcome.stderr)))
        if on_test is not None:
            on_test(result)
        if verdict != Verdict.AC and group is not None and group.aggregation == "all":
            failed_all_group.setdefault(test.group, (test.name, verdict))
    return results


def run_limits(limits: Limits, language: str = "") -> SandboxLimits:
    r = language == "r"
    return SandboxLimits(
        cpu_time_s=limits.cpu_time_s + _KILL_GRACE_S,
        wall_time_s=limits.effective_wall_time_s + _KILL_GRACE_S,
        memory_mb=limits.memory_mb + (R_EXTRA_MEMORY_MB if r else 0),
        output_bytes=limits.output_kb * 1024,
        processes=32,
        open_files=R_OPEN_FILES if r else 64,
        work_mb=16,
        stack_mb=max(8, min(limits.memory_mb, 1024)),  # Kattis: the stack is bounded by memory only
    )


def run_verdict(outcome: RunOutcome, limits: Limits, language: str) -> tuple[Verdict | None, str]:
    """The verdict of one run judged from outside, or (None, "") when it ended normally and
    its output goes to the checker."""
    if outcome.output_exceeded:
        return Verdict.OLE, f"output limit exceeded (more than {limits.output_kb} KiB)"
    if outcome.memory_exceeded:
        return Verdict.MLE, f"memory limit exceeded ({limits.memory_mb} MiB)"
    if outcome.timed_out:
        if outcome.timeout_reason == "wall":
            return Verdict.TLE, f"time limit exceeded (wall clock, {limits.effective_wall_time_s:g} s)"
        return Verdict.TLE, f"time limit exceeded ({limits.cpu_time_s:g} s of CPU)"
    if outcome.cpu_time_s > limits.cpu_time_s or outcome.signal == signal.SIGXCPU:
        return Verdict.TLE, f"time limit exceeded ({limits.cpu_time_s:g} s of CPU)"
    failed = outcome.exit_code != 0 or outcome.signal is not None
    if not failed:
        return None, ""
    tail = outcome.stderr[-4000:].decode("utf-8", "replace")
    if ("MemoryError" in tail and language == "python") or "std::bad_alloc" in tail or "cannot allocate" in tail:
        return Verdict.MLE, f"memory limit exceeded ({limits.memory_mb} MiB)"
    peak = outcome.memory_peak_kb or 0
    if peak >= limits.memory_mb * 1024 * 0.95:
        return Verdict.MLE, f"memory limit exceeded ({limits.memory_mb} MiB)"
    last = _last_line(tail)
    if outcome.signal is not None:
        try:
            name = signal.Signals(outcome.signal).name
        except ValueError:
            name = f"signal {outcome.signal}"
        return Verdict.RTE, f"killed by {name}" + (f": {last}" if last else "")
    return Verdict.RTE, f"exit status {outcome.exit_code}" + (f": {last}" if last else "")


def _last_line(text: str) -> str:
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line:
            return clean_text(line)[:300]
    return ""


# -- verdict and score ---------------------------------------------------------------------------


def overall_verdict(results) -> Verdict:
    for item in results:
        r = item[0] if isinstance(item, tuple) else item
        if r.verdict != Verdict.AC:
            return Verdict(r.verdict)
    return Verdict.AC


def score(tests, groups, results) -> float:
    results = [item[0] if isinstance(item, tuple) else item for item in results]
    ok = [r.verdict == Verdict.AC for r in results]
    if not groups:
        total = sum(float(t.weight) for t in tests)
        if total <= 0:
            return 1.0 if all(ok) else 0.0
        return _clamp(sum(float(t.weight) for t, good in zip(tests, ok) if good) / total)
    weighted = 0.0
    total = 0.0
    for group in groups:
        members = [(t, good) for t, good in zip(tests, ok) if t.group == group.name]
        if not members:
            continue
        if group.aggregation == "all":
            value = 1.0 if all(good for _, good in members) else 0.0
        else:
            test_total = sum(float(t.weight) for t, _ in members)
            if test_total > 0:
                value = sum(float(t.weight) for t, good in members if good) / test_total
            else:
                value = float(all(good for _, good in members))
        weighted += float(group.weight) * value
        total += float(group.weight)
    if total <= 0:
        return 1.0 if all(ok) else 0.0
    return _clamp(weighted / total)


def _clamp(value: float) -> float:
    return min(1.0, max(0.0, value))


# -- helpers -------------------------------------------------------------------------------------


def _validated(spec: ProgramSpec) -> tuple[tuple[ProgramTest, ...], tuple[TestGroup, ...]]:
    if not isinstance(spec.limits, Limits):
        raise ValueError("spec.limits must be a judge.Limits")
    tests = tuple(spec.tests)
    if not tests:
        raise ValueError("the spec has no tests")
    names = set()
    for test in tests:
        if not isinstance(test.input, (bytes, bytearray)) or not isinstance(test.answer, (bytes, bytearray)):
            raise ValueError(f"test {test.name!r}: input and answer must be bytes")
        if not valid_weight(test.weight):
            raise ValueError(f"test {test.name!r}: weight must be a finite number >= 0")
        if test.name in names:
            raise ValueError(f"two tests are named {test.name!r}")
        names.add(test.name)
    groups = tuple(spec.groups)
    group_names = set()
    for group in groups:
        if group.aggregation not in AGGREGATIONS:
            raise ValueError(f"group {group.name!r}: aggregation must be one of {', '.join(AGGREGATIONS)}")
        if not valid_weight(group.weight):
            raise ValueError(f"group {group.name!r}: weight must be a finite number >= 0")
        if group.name in group_names:
            raise ValueError(f"two groups are named {group.name!r}")
        group_names.add(group.name)
    if groups:
        for test in tests:
            if test.group and test.group not in group_names:
                raise ValueError(f"test {test.name!r}: group {test.group!r} is not declared in spec.groups")
    if not spec.files:
        raise ValueError("the spec has no files")
    return tests, groups


def _compile_error(tests, message: str) -> JudgeResult:
    message = clean_text(message)[:16000]
    short = message[:4000]
    return JudgeResult(
        verdict=Verdict.CE,
        score=0.0,
        tests=[
            ProgramTestResult(t.name, Verdict.CE, 0, short, group=t.group, is_sample=t.is_sample, not_run=True)
            for t in tests
        ],
        compile_output=message,
    )


def _shown_output(tests, results) -> tuple[str, str]:
    """stdout/stderr of the first failing sample test, else of the first sample test. Outputs
    of secret tests are never returned here (a program can echo its secret input)."""
    samples = [(t, r, c) for t, (r, c) in zip(tests, results) if t.is_sample and not r.not_run]
    if not samples:
        return "", ""
    chosen = next(((t, r, c) for t, r, c in samples if r.verdict != Verdict.AC), samples[0])
    captured = chosen[2]
    return _text(captured.stdout[:MAX_SHOWN_OUTPUT]), _text(captured.stderr[:MAX_SHOWN_OUTPUT])


def _text(data: bytes) -> str:
    return clean_text(data.decode("utf-8", "replace"))


__all__ = ["judge_program", "overall_verdict", "run_verdict", "score", "JudgeError"]
