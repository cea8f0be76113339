"""Output checkers for stdin/stdout programs.

Built-in checkers run in this (trusted) process on the captured output, as plain byte
comparisons:

- `exact`: byte for byte.
- `tokens`: the Kattis default output validator. Tokens are separated by runs of whitespace
  (space, \\t, \\n, \\r, \\v, \\f); leading/trailing whitespace and the amount of whitespace are
  ignored; tokens compare case-insensitively (ASCII) unless `case_sensitive`. With
  `space_sensitive` (Kattis `space_change_sensitive`) every whitespace run must match exactly,
  including leading and trailing ones.
- `float`: `tokens`, and every answer token that is a decimal floating-point number (the Kattis
  grammar: `[+-]? (d*.d+ | d+.? ) ([eE][+-]?d+)?`, finite; so not `nan` or `inf`, which compare
  as strings) accepts an output token that is such a number within `abs_tol` (|g-a| <= abs_tol)
  or `rel_tol` (|g-a| <= rel_tol*|a|) — either is enough. Neither set: both 1e-6.
- `unordered_lines`: the same lines in any order (a multiset); whitespace inside a line is
  normalised and blank lines ignored unless `space_sensitive`; case-insensitive unless
  `case_sensitive`.

A `custom` checker is a Kattis output validator (Python or C/C++, compiled with the system's
compiler in a sandbox): `validator input_file answer_file feedback_dir [args] < team_output`,
exit 42 = accept, 43 = reject, feedback_dir/judgemessage.txt = the message. It runs in its own
fresh sandbox per test, apart from the candidate: the team output arrives on stdin, input and
answer through a read-only bind, the feedback directory is in the validator box's own /work, and
judgemessage.txt comes back on the validator box's standard output (written by a wrapper inside
the box) — the host never opens a path inside a box. Any other exit status (or a crash or a
timeout) is the validator's failure: verdict IE with the validator's stderr in the message.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Sequence

from judge import languages
from judge.errors import JudgeError
from judge.program_build import BOX, SH, BoxDir, BuiltProgram, CompileError, build_program
from judge.program_types import CHECKER_KINDS, Checker, CheckResult, ProgramTest
from judge.sandbox import SandboxLimits, run_in_sandbox
from judge.types import Verdict, clean_text

DEFAULT_FLOAT_TOL = 1e-6
MAX_MESSAGE_CHARS = 4000
VALIDATOR_CPU_S = 10.0
VALIDATOR_MEMORY_MB = 1024
DATA = "/data"
_SHOW = 60  # characters of a token or line shown in a message

_WHITESPACE = b" \t\n\r\x0b\x0c"
_TOKEN = re.compile(rb"[^ \t\n\r\x0b\x0c]+")
_PIECE = re.compile(rb"[ \t\n\r\x0b\x0c]+|[^ \t\n\r\x0b\x0c]+")
_FLOAT = re.compile(rb"[+-]?(?:[0-9]*\.[0-9]+|[0-9]+\.?)(?:[eE][+-]?[0-9]+)?")

_VALIDATOR_SCRIPT = """mkdir /work/feedback || exit 124
"$@" >/dev/null 2>/work/.stderr
rc=$?
if [ -f /work/feedback/judgemessage.txt ]; then head -c 65536 /work/feedback/judgemessage.txt; fi
case "$rc" in 42|43) ;; *) head -c 4096 /work/.stderr >&2 ;; esac
exit "$rc"
"""


class ValidatorError(JudgeError):
    """The custom output validator itself cannot be used (it does not build, or its language
    is not supported). Not the candidate's fault."""


# -- presentation ------------------------------------------------------------------------------


def _show(data: bytes, limit: int = _SHOW) -> str:
    text = data[: limit * 4].decode("utf-8", "replace")
    cut = len(text) > limit or len(data) > limit * 4
    text = text[:limit]
    text = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)
    return clean_text(text + ("..." if cut else ""))


def _show_space(data: bytes) -> str:
    return "'" + _show(data, 20).replace(" ", "\u2423") + "'" if data else "end of output"


def _line_at(data: bytes, pos: int) -> int:
    return data.count(b"\n", 0, pos) + 1


def parse_float(token: bytes) -> float | None:
    """The token as a float if it is a decimal number in the Kattis grammar and finite."""
    if len(token) > 1000 or not _FLOAT.fullmatch(token):
        return None
    value = float(token)
    return value if math.isfinite(value) else None


# -- built-in comparisons ------------------------------------------------------------------------


def compare_exact(expected: bytes, got: bytes) -> CheckResult:
    if expected == got:
        return CheckResult(Verdict.AC)
    exp = expected.split(b"\n")
    out = got.split(b"\n")
    exp_lines = len(exp) - 1 if exp[-1] == b"" else len(exp)
    for i in range(min(len(exp), len(out))):
        a, b = exp[i], out[i]
        if a == b:
            continue
        if i == len(exp) - 1 and a == b"":  # the expected output is over
            return CheckResult(Verdict.WA, f"line {i + 1}: unexpected extra output '{_show(b)}'")
        if i == len(out) - 1 and b == b"":  # the output is over
            return CheckResult(Verdict.WA, f"the output ends after line {i}; expected {exp_lines} lines")
        return CheckResult(Verdict.WA, f"line {i + 1}: expected '{_show(a)}', got '{_show(b)}'")
    if len(out) < len(exp):
        if exp[len(out):] == [b""]:
            return CheckResult(Verdict.WA, f"line {len(out)}: the output does not end with a newline")
        return CheckResult(Verdict.WA, f"the output ends after line {len(out)}; expected {exp_lines} lines")
    if out[len(exp):] == [b""]:
        return CheckResult(Verdict.WA, f"line {len(exp)}: unexpected newline at the end of the output")
    return CheckResult(Verdict.WA, f"line {len(exp) + 1}: unexpected extra output '{_show(out[len(exp)])}'")


def _token_problem(exp: bytes, got: bytes, case_sensitive: bool, abs_tol, rel_tol) -> str | None:
    if abs_tol is not None or rel_tol is not None:
        a = parse_float(exp)
        if a is not None:
            g = parse_float(got)
            if g is None:
                return f"expected a number near {_show(exp)}, got '{_show(got)}'"
            diff = abs(g - a)
            if (abs_tol is not None and diff <= abs_tol) or (rel_tol is not None and diff <= rel_tol * abs(a)):
                return None
            tolerances = []
            if abs_tol is not None:
                tolerances.append(f"absolute {abs_tol:g}")
            if rel_tol is not None:
                tolerances.append(f"relative {rel_tol:g}")
            beyond = " or ".join(tolerances)
            return f"expected {_show(exp)}, got {_show(got)} (difference {diff:.3g} beyond {beyond} tolerance)"
    if exp == got or (not case_sensitive and exp.lower() == got.lower()):
        return None
    return f"expected '{_show(exp)}', got '{_show(got)}'"


def compare_tokens(
    expected: bytes,
    got: bytes,
    *,
    case_sensitive: bool = False,
    space_sensitive: bool = False,
    abs_tol: float | None = None,
    rel_tol: float | None = None,
) -> CheckResult:
    """The Kattis default output validator (see the module docstring)."""
    floats = abs_tol is not None or rel_tol is not None
    if space_sensitive:
        return _compare_pieces(expected, got, case_sensitive, abs_tol, rel_tol)
    if not floats:  # fast path, at C speed
        e, g = (expected, got) if case_sensitive else (expected.lower(), got.lower())
        if e.split() == g.split():
            return CheckResult(Verdict.AC)
    exp_iter = _TOKEN.finditer(expected)
    got_iter = _TOKEN.finditer(got)
    index = 0
    while True:
        em = next(exp_iter, None)
        gm = next(got_iter, None)
        if em is None and gm is None:
            return CheckResult(Verdict.AC)
        if em is None:
            line = _line_at(got, gm.start())
            return CheckResult(Verdict.WA, f"line {line}: unexpected extra output '{_show(gm.group())}'")
        if gm is None:
            if index == 0:
                return CheckResult(Verdict.WA, f"the output is empty; expected '{_show(em.group())}'")
            line = _line_at(got, len(got))
            return CheckResult(Verdict.WA, f"line {line}: the output ends here; expected '{_show(em.group())}' next")
        problem = _token_problem(em.group(), gm.group(), case_sensitive, abs_tol, rel_tol)
        if problem:
            return CheckResult(Verdict.WA, f"line {_line_at(got, gm.start())}: {problem}")
        index += 1


def _compare_pieces(expected: bytes, got: bytes, case_sensitive: bool, abs_tol, rel_tol) -> CheckResult:
    exp_iter = _PIECE.finditer(expected)
    got_iter = _PIECE.finditer(got)
    while True:
        em = next(exp_iter, None)
        gm = next(got_iter, None)
        if em is None and gm is None:
            return CheckResult(Verdict.AC)
        line = _line_at(got, gm.start() if gm is not None else len(got))
        e = em.group() if em is not None else None
        g = gm.group() if gm is not None else None
        e_space = e is not None and e[0] in _WHITESPACE
        g_space = g is not None and g[0] in _WHITESPACE
        if e is None:
            if g_space:
                what = f"unexpected whitespace {_show_space(g)} at the end of the output"
                return CheckResult(Verdict.WA, f"line {line}: {what}")
            return CheckResult(Verdict.WA, f"line {line}: unexpected extra output '{_show(g)}'")
        if g is None:
            if e_space:
                what = f"whitespace differs: expected {_show_space(e)}, got end of output"
                return CheckResult(Verdict.WA, f"line {line}: {what}")
            return CheckResult(Verdict.WA, f"line {line}: the output ends here; expected '{_show(e)}' next")
        if e_space or g_space:
            if e_space and g_space and e == g:
                continue
            want = _show_space(e) if e_space else f"'{_show(e)}'"
            have = _show_space(g) if g_space else f"'{_show(g)}'"
            return CheckResult(Verdict.WA, f"line {line}: whitespace differs: expected {want}, got {have}")
        problem = _token_problem(e, g, case_sensitive, abs_tol, rel_tol)
        if problem:
            return CheckResult(Verdict.WA, f"line {line}: {problem}")


def compare_unordered_lines(
    expected: bytes, got: bytes, *, case_sensitive: bool = False, space_sensitive: bool = False
) -> CheckResult:
    def lines(data: bytes) -> list[tuple[int, bytes, bytes]]:
        pieces = data.split(b"\n")
        if space_sensitive and pieces and pieces[-1] == b"":
            pieces.pop()
        out = []
        for number, raw in enumerate(pieces, 1):
            key = raw if space_sensitive else b" ".join(raw.split())
            if not space_sensitive and not key:
                continue
            out.append((number, raw, key if case_sensitive else key.lower()))
        return out

    exp = lines(expected)
    out = lines(got)
    exp_count = Counter(k for _, _, k in exp)
    got_count = Counter(k for _, _, k in out)
    if exp_count == got_count:
        return CheckResult(Verdict.AC)
    remaining = Counter(exp_count)
    for number, raw, key in out:
        if remaining[key] > 0:
            remaining[key] -= 1
            continue
        what = "appears more often than expected" if key in exp_count else "is not an expected line"
        return CheckResult(Verdict.WA, f"line {number}: '{_show(raw)}' {what}")
    missing = exp_count - got_count
    for _, raw, key in exp:
        if missing.get(key):
            return CheckResult(
                Verdict.WA, f"expected {len(exp)} lines, got {len(out)}: the line '{_show(raw)}' is missing"
            )
    return CheckResult(Verdict.WA, "the lines differ")  # pragma: no cover


# -- Kattis flags -------------------------------------------------------------------------------


def checker_from_flags(flags: str | Sequence[str], base: Checker | None = None) -> Checker:
    """Kattis default-validator flags (`case_sensitive`, `space_change_sensitive`,
    `float_tolerance e`, `float_absolute_tolerance e`, `float_relative_tolerance e`) applied on
    top of `base` (default: a plain `tokens` checker). Raises ValueError for anything else."""
    words = flags.split() if isinstance(flags, str) else [str(w) for w in flags]
    base = base or Checker()
    case_sensitive = base.case_sensitive
    space_sensitive = base.space_sensitive
    abs_tol, rel_tol = base.abs_tol, base.rel_tol
    i = 0
    while i < len(words):
        word = words[i]
        if word == "case_sensitive":
            case_sensitive = True
        elif word in ("space_change_sensitive", "space_sensitive"):
            space_sensitive = True
        elif word in ("float_tolerance", "float_absolute_tolerance", "float_relative_tolerance"):
            if i + 1 >= len(words):
                raise ValueError(f"{word} needs a number after it")
            value = parse_float(words[i + 1].encode("ascii", "replace"))
            if value is None or value < 0:
                raise ValueError(f"{word} {words[i + 1]!r}: not a non-negative number")
            if word == "float_tolerance":
                abs_tol = rel_tol = value
            elif word == "float_absolute_tolerance":
                abs_tol = value
            else:
                rel_tol = value
            i += 1
        else:
            raise ValueError(f"unknown default output validator flag {word!r}")
        i += 1
    if abs_tol is not None or rel_tol is not None:
        kind = "float"
    else:
        kind = base.kind if base.kind != "custom" else "tokens"
    return Checker(
        kind=kind, abs_tol=abs_tol, rel_tol=rel_tol, case_sensitive=case_sensitive, space_sensitive=space_sensitive
    )


def validate_checker(checker: Checker) -> None:
    if not isinstance(checker, Checker):
        raise ValueError("checker must be a judge.Checker")
    if checker.kind not in CHECKER_KINDS:
        raise ValueError(f"checker kind {checker.kind!r} is not one of {', '.join(CHECKER_KINDS)}")
    for name in ("abs_tol", "rel_tol"):
        value = getattr(checker, name)
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if value is not None and not (number and math.isfinite(value) and value >= 0):
            raise ValueError(f"checker {name} must be a finite number >= 0")
    if checker.kind == "custom" and not checker.files:
        raise ValueError("a custom checker needs its validator's source files")
    for arg in checker.args:
        if not isinstance(arg, str) or "\0" in arg:
            raise ValueError("checker args must be strings without NUL")


def compare(checker: Checker, expected: bytes, got: bytes) -> CheckResult:
    """A built-in (non-custom) checker's verdict on one output."""
    kind = checker.kind
    if kind == "exact":
        return compare_exact(expected, got)
    if kind == "unordered_lines":
        return compare_unordered_lines(
            expected, got, case_sensitive=checker.case_sensitive, space_sensitive=checker.space_sensitive
        )
    abs_tol, rel_tol = checker.abs_tol, checker.rel_tol
    if kind == "float" and abs_tol is None and rel_tol is None:
        abs_tol = rel_tol = DEFAULT_FLOAT_TOL
    if kind == "tokens" and (abs_tol is not None or rel_tol is not None):
        kind = "float"
    return compare_tokens(
        expected, got, case_sensitive=checker.case_sensitive, space_sensitive=checker.space_sensitive,
        abs_tol=abs_tol if kind == "float" else None, rel_tol=rel_tol if kind == "float" else None,
    )


# -- prepared checkers (built-in or custom) ------------------------------------------------------


class PreparedChecker:
    """A checker ready to judge outputs: custom validators are built once (cached by content)
    and run per test in their own sandbox. Use as a context manager."""

    def __init__(self, checker: Checker):
        validate_checker(checker)
        self.checker = checker
        self._program = None
        self._program_box: BoxDir | None = None
        self._data_box: BoxDir | None = None
        if checker.kind == "custom":
            self._program = build_validator(checker.files)

    def __enter__(self) -> "PreparedChecker":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        for box in (self._program_box, self._data_box):
            if box is not None:
                box.close()
        self._program_box = self._data_box = None

    def check(self, test: ProgramTest, output: bytes) -> CheckResult:
        if self.checker.kind != "custom":
            checker = self.checker
            if test.checker_args:
                try:
                    checker = checker_from_flags(test.checker_args, base=checker)
                except ValueError as exc:
                    raise JudgeError(f"test {test.name}: {exc}") from exc
            return compare(checker, test.answer, output)
        return self._run_custom(test, output)

    def _run_custom(self, test: ProgramTest, output: bytes) -> CheckResult:
        program = self._program
        if self._program_box is None:
            self._program_box = BoxDir()
            for name, data, executable in program.files:
                self._program_box.put(name, data, executable=executable)
            self._data_box = BoxDir()
        self._data_box.put("input", test.input)
        self._data_box.put("answer", test.answer)
        argv = [
            SH, "-c", _VALIDATOR_SCRIPT, "sh", *program.argv,
            f"{DATA}/input", f"{DATA}/answer", "/work/feedback/", *self.checker.args, *test.checker_args,
        ]
        outcome = run_in_sandbox(
            argv,
            stdin=output,
            limits=SandboxLimits(
                cpu_time_s=VALIDATOR_CPU_S, wall_time_s=3 * VALIDATOR_CPU_S, memory_mb=VALIDATOR_MEMORY_MB,
                output_bytes=128 * 1024, work_mb=32, stack_mb=64,
            ),
            ro_binds=[self._program_box.bind(BOX), self._data_box.bind(DATA), *program.binds],
        )
        message = clean_text(outcome.stdout.decode("utf-8", "replace")).strip()[:MAX_MESSAGE_CHARS]
        if outcome.timed_out:
            return CheckResult(Verdict.IE, f"the output validator took too long (more than {VALIDATOR_CPU_S:.0f} s)")
        if outcome.memory_exceeded:
            return CheckResult(Verdict.IE, "the output validator ran out of memory")
        if outcome.killed:
            return CheckResult(Verdict.IE, "the output validator wrote too much")
        if outcome.exit_code == 42:
            return CheckResult(Verdict.AC, message)
        if outcome.exit_code == 43:
            return CheckResult(Verdict.WA, message or "wrong answer (rejected by the output validator)")
        stderr = clean_text(outcome.stderr.decode("utf-8", "replace")).strip()
        status = f"signal {outcome.signal}" if outcome.signal else f"exit status {outcome.exit_code}"
        detail = (stderr or message)[-1500:]
        return CheckResult(Verdict.IE, f"the output validator failed ({status}){': ' + detail if detail else ''}")


def build_validator(files) -> BuiltProgram:
    """Build a custom output validator's sources. Raises ValidatorError."""
    files = dict(files)
    try:
        language = languages.detect_language(files)
        return build_program(files, language)
    except CompileError as exc:
        raise ValidatorError(f"the output validator does not build: {exc}") from exc
    except (languages.UnsupportedLanguage, ValueError) as exc:
        raise ValidatorError(f"the output validator cannot be used: {exc}") from exc
