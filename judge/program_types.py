"""Plain data for stdin/stdout programs: the spec the caller builds, and a per-test result that
also carries memory and grouping. No Django here."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from judge.types import Limits, TestResult, Verdict

CHECKER_KINDS = ("exact", "tokens", "float", "unordered_lines", "custom")
AGGREGATIONS = ("sum", "all")


@dataclass(frozen=True)
class ProgramTest:
    __test__ = False  # not a pytest test class

    name: str  # e.g. "sample/1", "secret/group1/03"
    input: bytes  # given on standard input
    answer: bytes  # the .ans file: what the checker compares against; never enters the candidate's box
    group: str = ""  # "" = no group
    is_sample: bool = False
    weight: float = 1.0  # the test's share within its group ("sum" aggregation)
    checker_args: tuple[str, ...] = ()  # extra Kattis validator arguments for this test (group flags)


@dataclass(frozen=True)
class TestGroup:
    __test__ = False

    name: str
    weight: float = 1.0  # the group's share of the score
    aggregation: str = "sum"  # "sum" (weighted fraction of its tests) or "all" (all-or-nothing)


@dataclass(frozen=True)
class Checker:
    """How a test's output is judged. The default is Kattis' default output validator."""

    kind: str = "tokens"  # "exact" | "tokens" | "float" | "unordered_lines" | "custom"
    abs_tol: float | None = None  # "float": |got - expected| <= abs_tol ...
    rel_tol: float | None = None  # ... or <= rel_tol * |expected| (either is enough)
    case_sensitive: bool = False
    space_sensitive: bool = False  # Kattis space_change_sensitive
    files: tuple[tuple[str, bytes], ...] = ()  # "custom": the output validator's sources (Python or C/C++)
    args: tuple[str, ...] = ()  # "custom": arguments after feedback_dir (Kattis validator_flags)


@dataclass(frozen=True)
class ProgramSpec:
    files: tuple[tuple[str, bytes], ...]  # the submission: one or several files, name -> content
    language: str  # "python" | "c" | "cpp" | "r"; see judge.languages
    tests: tuple[ProgramTest, ...]
    groups: tuple[TestGroup, ...] = ()
    checker: Checker = Checker()
    limits: Limits = Limits()  # cpu_time_s per test, memory_mb, output_kb (stdout + stderr of one test)
    include_files: tuple[tuple[str, bytes], ...] = ()  # Kattis include/<language>/ files, added (and winning)


@dataclass
class ProgramTestResult(TestResult):
    """A TestResult that also says how much memory the test's sandbox used, which group the test
    belongs to and whether it ran at all (an all-or-nothing group stops at its first failure:
    its remaining tests are "not run" and carry that failure's verdict)."""

    __test__ = False

    memory_kb: int = 0
    group: str = ""
    is_sample: bool = False
    not_run: bool = False

    def to_dict(self) -> dict:
        data = super().to_dict()
        data.pop("actual", None)
        data.update(memory_kb=int(self.memory_kb), group=self.group, is_sample=self.is_sample, not_run=self.not_run)
        return data


@dataclass
class CheckResult:
    """What an output checker said about one test's output."""

    verdict: Verdict  # AC, WA, or IE when a custom validator itself failed
    message: str = ""
    extra: dict = field(default_factory=dict)


def valid_weight(value: object) -> bool:
    if isinstance(value, bool):
        return False
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return math.isfinite(number) and number >= 0
