"""Plain data crossing the judge's boundary. No Django here."""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field


class Verdict(str, enum.Enum):
    AC = "AC"  # accepted
    WA = "WA"  # wrong answer
    TLE = "TLE"  # time limit exceeded (CPU or wall)
    MLE = "MLE"  # memory limit exceeded
    OLE = "OLE"  # output limit exceeded
    RTE = "RTE"  # run-time error
    CE = "CE"  # compilation error (or the function is missing)
    IE = "IE"  # internal error (reserved for callers recording infrastructure faults)

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Limits:
    cpu_time_s: float = 2.0  # CPU seconds per test
    memory_mb: int = 256
    output_kb: int = 64  # stdout + stderr cap for the whole run
    wall_time_s: float | None = None  # per test; None: derived from the CPU limit (well above it)

    def __post_init__(self) -> None:
        # Accept Decimal / numeric strings from a database row; store plain numbers.
        object.__setattr__(self, "cpu_time_s", float(self.cpu_time_s))
        object.__setattr__(self, "memory_mb", int(self.memory_mb))
        object.__setattr__(self, "output_kb", int(self.output_kb))
        if self.wall_time_s is not None:
            object.__setattr__(self, "wall_time_s", float(self.wall_time_s))
        if not (0 < self.cpu_time_s <= 60):
            raise ValueError("cpu_time_s must be in (0, 60]")
        if not (16 <= self.memory_mb <= 8192):
            raise ValueError("memory_mb must be in [16, 8192]")
        if not (1 <= self.output_kb <= 16384):
            raise ValueError("output_kb must be in [1, 16384]")
        if self.wall_time_s is not None and not (0 < self.wall_time_s <= 600):
            raise ValueError("wall_time_s must be in (0, 600]")

    @property
    def effective_wall_time_s(self) -> float:
        if self.wall_time_s is not None:
            return float(self.wall_time_s)
        return max(2.0, 3.0 * self.cpu_time_s)


@dataclass(frozen=True)
class FunctionTest:
    name: str
    args: list  # JSON values passed positionally
    expected: object  # JSON value. Never enters the sandbox.
    weight: float = 1.0
    # Per-test overrides of the spec's data-frame comparison options, e.g. {"check_index": True}.
    options: dict | None = None


@dataclass(frozen=True)
class FunctionSpec:
    source: str
    function_name: str
    tests: tuple[FunctionTest, ...]
    limits: Limits = Limits()
    abs_tol: float = 1e-9  # floats (and int vs float) compare with math.isclose(rel_tol, abs_tol)
    rel_tol: float = 1e-9
    # Python only: run on the data-stack runtime (numpy, pandas, scipy, scikit-learn,
    # statsmodels); arguments and expected values may then use the tagged data-frame form.
    data_stack: bool = False
    # How returned data frames compare with expected ones (see judge/checkers.py).
    check_column_order: bool = False  # column names must match; their order only if this is set
    check_index: bool = False
    check_dtype: bool = False  # compare dtype kinds (int, float, bool, string, datetime, ...)
    check_row_order: bool = True


@dataclass
class TestResult:
    __test__ = False  # not a pytest test class

    name: str
    verdict: Verdict
    time_ms: int
    message: str = ""  # "ZeroDivisionError: division by zero", "expected 3, got 4", ...
    actual: object | None = None  # the returned value as decoded JSON, when there was one

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "verdict": Verdict(self.verdict).value,
            "time_ms": int(self.time_ms),
            "message": self.message,
            "actual": json_safe(self.actual),
        }


@dataclass
class JudgeResult:
    verdict: Verdict  # AC iff every test is AC; else the first non-AC test's verdict
    score: float  # sum of weights of AC tests / total weight, in [0, 1]
    tests: list[TestResult] = field(default_factory=list)
    time_ms: int = 0  # the slowest test
    memory_kb: int = 0  # peak of the whole sandbox (interpreter included)
    compile_output: str = ""  # CE message (SyntaxError with line), empty otherwise
    stdout: str = ""  # candidate's captured stdout (truncated)
    stderr: str = ""

    def to_dict(self) -> dict:
        return {
            "verdict": Verdict(self.verdict).value,
            "score": float(self.score),
            "tests": [t.to_dict() for t in self.tests],
            "time_ms": int(self.time_ms),
            "memory_kb": int(self.memory_kb),
            "compile_output": self.compile_output,
            "stdout": self.stdout,
            "stderr": self.stderr,
        }


def clean_text(text: str) -> str:
    """Text safe to store and show: NUL and lone surrogates (which PostgreSQL's text and jsonb
    reject) become U+FFFD. Escaping for HTML is the template's job."""
    if text.isascii() and "\x00" not in text:
        return text
    fixed = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return fixed.replace("\x00", "\ufffd")


def json_safe(value: object) -> object:
    """`value` as json.dumps(allow_nan=False) and a JSON column accept it: non-finite floats
    spelled as strings ("NaN", "Infinity", "-Infinity"), tuples as lists, strings cleaned."""
    if isinstance(value, float) and not math.isfinite(value):
        if math.isnan(value):
            return "NaN"
        return "Infinity" if value > 0 else "-Infinity"
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, dict):
        return {clean_text(str(k)): json_safe(v) for k, v in value.items()}
    return value


@dataclass
class GenerateResult:
    """What `generate_variants` produced: one variant per requested seed, in order.

    A variant is {"seed", "ok": True, "params": {...}} plus whichever of "answer", "answers",
    "correct", "datasets" the generator returned, or {"seed", "ok": False, "error": str}.
    `error` is "" when the run itself was fine (single seeds may still have failed), else why
    it ended early or could not start (a SyntaxError, no `generate`, out of time...)."""

    error: str
    variants: list[dict] = field(default_factory=list)
    stdout: str = ""  # the author's prints (truncated)
    stderr: str = ""

    def to_dict(self) -> dict:
        return {
            "error": self.error,
            "variants": [dict(v) for v in self.variants],
            "stdout": self.stdout,
            "stderr": self.stderr,
        }
