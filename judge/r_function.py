"""Function-style R questions: call the candidate's R function on each test's arguments and
compare the returned value with the expected one, outside the sandbox.

Same spec type and trust model as Python (judge/python_function.py, whose engine this reuses):
all tests run in one `Rscript --vanilla` process (R takes ~150 ms to start), the trusted
harness judge/harness/r_function.R reports returned values as nonce-framed JSON records on a
pipe the supervisor owns, the expected values never enter the box, and a death restarts the
remaining tests in a fresh sandbox.

Base R has no JSON reader, so the arguments travel as R literals written here:

| JSON argument                        | R value                                            |
| ------------------------------------ | -------------------------------------------------- |
| null                                 | NULL                                               |
| true / false                         | TRUE / FALSE                                       |
| number (int or float)                | a double (R's numeric), NaN / Inf / -Inf as such   |
| string                               | a character string                                 |
| list of numbers / strings / bools    | c(...) of that type; null items are NA             |
| any other list (mixed, nested, [])   | list(...)                                          |
| object                               | a named list                                       |
| {"$dataframe": {...}}                | data.frame (dtypes: int* -> integer, float* ->     |
|                                      | numeric, bool -> logical, str/object -> character, |
|                                      | category/factor -> factor, Date -> Date)           |
| {"$integer": [...]}, {"$numeric":    | a vector of exactly that type (also empty),        |
| [...]}, {"$character": [...]},       | null items NA                                      |
| {"$logical": [...]}, {"$list": [...]}| / a list                                           |

Strings are written as double-quoted R literals with `\\` and `"` escaped and every control
character as an escape; other characters go through as UTF-8 (the box's locale is C.UTF-8).
A NUL cannot be part of an R string: a test argument holding one is refused (JudgeError), a
source holding one is a compile error.

Comparison: as for Python, with R's view of values: integers and doubles compare as numbers, a
length-1 vector is the same as a scalar, NULL the same as an empty vector; rows of data frames
are numbered from 1 in messages.
"""

from __future__ import annotations

import math
import os
import re

from judge import checkers, runtimes
from judge.errors import JudgeError
from judge.python_function import (
    MAX_RECORD_BYTES,
    MAX_SOURCE_BYTES,
    FunctionRuntime,
    _Collector,
    _compile_error,
    _validated_tests,
    check_sandbox,
    harness_text,
    run_function_tests,
)
from judge.types import FunctionSpec, JudgeResult

R_START_CPU_S = 2.0  # loading the source, beyond the per-test limit (R itself starts in ~0.2 s)
MAX_NODES = 1_000_000

BOOTSTRAP = (
    'local({con <- file("stdin"); program <- parse(con, keep.source = FALSE); close(con); '
    "eval(program, envir = new.env(parent = baseenv()))})"
)

_R_NAME = re.compile(r"^(?:[A-Za-z]|\.[A-Za-z_.])[A-Za-z0-9_.]*$|^\.$")
_R_RESERVED = frozenset(
    "if else repeat while function for next break TRUE FALSE NULL Inf NaN NA NA_integer_ NA_real_ "
    "NA_character_ NA_complex_ in".split()
)
_INT32_MAX = 2**31 - 1
_TYPED = {"$integer": "integer", "$numeric": "double", "$character": "character", "$logical": "logical"}


def judge_r_function(spec: FunctionSpec) -> JudgeResult:
    """Grade `spec` (its `source` is R code defining `function_name`). Raises
    SandboxUnavailable / RuntimeUnavailable (R not installed) / JudgeError for infrastructure
    faults; whatever the candidate's code does is a verdict."""
    check_sandbox()
    runtimes.require(r=True)
    if spec.data_stack:
        raise JudgeError("data_stack applies to Python questions only")
    tests = _validated_tests(spec)
    name = spec.function_name
    if not isinstance(name, str) or not _R_NAME.match(name) or name in _R_RESERVED:
        raise JudgeError(f"function name {name!r} is not a syntactic R name")
    for test in tests:
        try:
            for arg in test.args:
                r_literal(arg)
        except ValueError as exc:
            raise JudgeError(f"test {test.name!r}: {exc}") from exc

    source = spec.source
    if len(source.encode("utf-8", "surrogatepass")) > MAX_SOURCE_BYTES:
        return _compile_error(spec, f"source too large (more than {MAX_SOURCE_BYTES // 1024} KiB)")
    if "\x00" in source:
        return _compile_error(spec, "the source contains a NUL character")

    argv, binds = runtimes.r_argv()
    runtime = FunctionRuntime(
        argv=argv + ["-e", BOOTSTRAP],
        ro_binds=binds,
        payload=_r_payload,
        load_cpu_s=spec.limits.cpu_time_s + R_START_CPU_S,
        extra_memory_mb=runtimes.R_EXTRA_MEMORY_MB,
        open_files=runtimes.R_OPEN_FILES,
        r_semantics=True,
        row_base=1,
    )
    return run_function_tests(spec, tests, runtime)


def _r_payload(collector: _Collector, fd: int) -> bytes:
    # R cannot write to an inherited descriptor: it can only open a path, /dev/fd/N, which
    # re-opens the pipe and so checks the pipe's mode (0600, owned by root who made it). Let the
    # sandbox UID open it for writing. run_in_sandbox calls this before the launch with the
    # channel's write end, whose number the box keeps (pass_fds). Nothing else can reach the
    # pipe: opening it through /proc/<pid>/fd needs the descriptor already (the box's own
    # /proc) or ptrace rights over the supervisor (root).
    try:
        os.fchmod(fd, 0o622)
    except OSError as exc:
        raise JudgeError(f"cannot open the result channel to R: {exc}") from exc
    spec = collector.spec
    limits = spec.limits
    tests = ", ".join(
        f"list({i}L, list({', '.join(r_literal(a) for a in spec.tests[i].args)}))" for i in collector.batch
    )
    call = (
        "prep_main(list("
        f"nonce = {r_string(collector.nonce)}, fd = {int(fd)}L, "
        f"source = {r_string(_clean(spec.source))}, fn = {r_string(spec.function_name)}, "
        f"cpu = {_double(limits.cpu_time_s)}, wall = {_double(limits.effective_wall_time_s)}, "
        f"load_cpu = {_double(collector.runtime.load_cpu_s)}, "
        f"load_wall = {_double(limits.effective_wall_time_s + 2 * R_START_CPU_S)}, "
        f"max_record = {MAX_RECORD_BYTES}, max_nodes = {MAX_NODES}, "
        f"tests = list({tests})))\n"
    )
    return (harness_text("r_function.R") + "\n" + call).encode("utf-8")


# -- R literals --------------------------------------------------------------------------------


def _clean(text: str) -> str:
    """Lone surrogates (not encodable as UTF-8) become U+FFFD."""
    if text.isascii():
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def r_string(text: str) -> str:
    """`text` as a double-quoted R string literal. Only `"` ends an R string and `\\` starts an
    escape; both are escaped, and so is every control character, so nothing in `text` can end
    the literal or change how the rest of the program parses."""
    if "\x00" in text:
        raise ValueError("R strings cannot contain NUL characters")
    out = ['"']
    for ch in _clean(text):
        code = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _double(x: float | int) -> str:
    if isinstance(x, bool):
        raise ValueError("a boolean is not a number")
    try:
        f = float(x)
    except OverflowError:
        raise ValueError(f"number {x} is too large for R") from None
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "Inf" if f > 0 else "-Inf"
    text = repr(f)
    return f"({text})" if text.startswith("-") else text


def _integer(x: object) -> str:
    if type(x) is not int or abs(x) > _INT32_MAX:
        raise ValueError(f"{x!r} is not an R integer (32-bit)")
    return f"({x}L)" if x < 0 else f"{x}L"


def _is_number(x: object) -> bool:
    return type(x) in (int, float)


def _scalar_kind(x: object) -> str | None:
    if type(x) is bool:
        return "logical"
    if _is_number(x):
        return "double"
    if type(x) is str:
        return "character"
    return None


_NA = {"logical": "NA", "integer": "NA_integer_", "double": "NA_real_", "character": "NA_character_"}


def _vector(items: list, kind: str) -> str:
    if not items:
        return {"logical": "logical(0)", "integer": "integer(0)", "double": "numeric(0)", "character": "character(0)"}[
            kind
        ]
    parts = []
    for x in items:
        if x is None:
            parts.append(_NA[kind])
        elif kind == "logical" and type(x) is bool:
            parts.append("TRUE" if x else "FALSE")
        elif kind == "integer":
            parts.append(_integer(x))
        elif kind == "double" and _is_number(x):
            parts.append(_double(x))
        elif kind == "character" and type(x) is str:
            parts.append(r_string(x))
        else:
            raise ValueError(f"{x!r} does not fit an R {kind} vector")
    return f"c({', '.join(parts)})"


def r_literal(value: object, _depth: int = 0) -> str:
    """An R expression (literals and base constructors only) for a JSON argument."""
    if _depth > 64:
        raise ValueError("argument nested too deeply")
    if value is None:
        return "NULL"
    if type(value) is bool:
        return "TRUE" if value else "FALSE"
    if _is_number(value):
        return _double(value)
    if type(value) is str:
        return r_string(value)
    if isinstance(value, (list, tuple)):
        items = list(value)
        kinds = {_scalar_kind(x) for x in items if x is not None}
        if items and len(kinds) == 1 and None not in kinds:
            return _vector(items, kinds.pop())
        if items and not kinds:  # only nulls
            return _vector(items, "logical")
        return "list(" + ", ".join(r_literal(x, _depth + 1) for x in items) + ")"
    if isinstance(value, dict):
        if len(value) == 1:
            ((tag, inner),) = value.items()
            if tag in _TYPED:
                if not isinstance(inner, (list, tuple)):
                    raise ValueError(f"{tag} must hold a list")
                return _vector(list(inner), _TYPED[tag])
            if tag == "$list":
                if not isinstance(inner, (list, tuple)):
                    raise ValueError("$list must hold a list")
                return "list(" + ", ".join(r_literal(x, _depth + 1) for x in inner) + ")"
            if tag == checkers.FRAME_TAG:
                return _data_frame(value)
            if tag == "$float" and inner in ("nan", "inf", "-inf"):
                return _double(float(inner))
        if not value:
            return "structure(list(), names = character(0))"
        keys = list(value)
        for k in keys:
            if type(k) is not str:
                raise ValueError("object keys must be strings")
        items = ", ".join(r_literal(value[k], _depth + 1) for k in keys)
        names = ", ".join(r_string(k) for k in keys)
        return f"structure(list({items}), names = c({names}))"
    raise ValueError(f"unsupported argument type {type(value).__name__}")


def _column_kind(dtype: str | None, cells: list) -> str:
    if dtype is not None:
        kind = checkers.dtype_kind(dtype)
        if kind == "int":
            fits = all(c is None or (type(c) is int and abs(c) <= _INT32_MAX) for c in cells)
            return "integer" if fits else "double"
        if kind == "datetime" and dtype.lower() == "date":
            return "Date"
        mapping = {"float": "double", "bool": "logical", "string": "character", "category": "factor"}
        if kind in mapping:
            return mapping[kind]
        raise ValueError(f"dtype {dtype!r} has no R equivalent here")
    kinds = {_scalar_kind(c) for c in cells if c is not None and not _is_nan(c)}
    if len(kinds) > 1:
        raise ValueError("a data frame column mixes types: give its dtype")
    return kinds.pop() if kinds else "logical"


def _is_nan(x: object) -> bool:
    return type(x) is float and math.isnan(x)


def _data_frame(value: dict) -> str:
    try:
        body = checkers.expected_frame(value)
    except checkers.MalformedValue as exc:
        raise ValueError(str(exc)) from exc
    assert body is not None
    columns, rows = body["columns"], body["data"]
    names = []
    for c in columns:
        if type(c) is not str or not c:
            raise ValueError("R data frame columns need non-empty string names")
        names.append(c)
    vectors = []
    for j, name in enumerate(names):
        cells = [row[j] for row in rows]
        kind = _column_kind(body["dtypes"][j] if body["dtypes"] else None, cells)
        if kind == "factor":
            vectors.append(f"factor({_vector(cells, 'character')})")
        elif kind == "Date":
            vectors.append(f"as.Date({_vector(cells, 'character')})")
        else:
            vectors.append(_vector(cells, kind))
    n = len(rows)
    if body["index"] is None:
        row_names = f"c(NA, {-n}L)" if n else "integer(0)"
    else:
        labels = [str(x) for x in body["index"]]
        if len(set(labels)) != len(labels):
            raise ValueError("R row names must be unique")
        row_names = _vector(labels, "character")
    return (
        f"structure(list({', '.join(vectors)}), names = {_vector(names, 'character')}, "
        f'row.names = {row_names}, class = "data.frame")'
    )


__all__ = ["judge_r_function", "r_literal", "r_string"]
