"""Comparing what a candidate's function (or query) returned with what was expected. Runs
OUTSIDE the sandbox, on values decoded from the harness's JSON records (never on candidate
objects).

Data frames and series travel in a tagged JSON form, the same for the harness's records and for
the expected values a question author writes:

    {"$dataframe": {"columns": ["region", "total"],        # labels: str / int / float / bool / null
                    "dtypes": ["str", "float64"],           # optional for expected values
                    "data": [["north", 12.5], ["south", 3.0]],   # row-major, like orient="split"
                    "index": null}}                         # null: the default 0..n-1 (or R's 1..n)
    {"$series": {"name": "total", "dtype": "float64", "data": [12.5, 3.0], "index": null}}

Cells are JSON scalars; a missing value is null (NaN, None, pd.NA, NaT and R's NA all compare
as missing inside frames); non-finite floats are {"$float": "nan" | "inf" | "-inf"}.
A decoded frame is a `Frame` (a dict subclass holding the tagged form, so it stays JSON-safe),
which a plain dict returned by the candidate can never be.
"""

from __future__ import annotations

import datetime
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, fields

_MESSAGE_VALUE_CHARS = 200
_MAX_LISTED_ROWS = 3
_GREEDY_PAIR_BUDGET = 4_000_000  # expected x actual comparisons for tolerant multiset matching

FRAME_TAG = "$dataframe"
SERIES_TAG = "$series"


class MalformedValue(ValueError):
    pass


class Frame(dict):
    """A data frame as the harness reported it: {"$dataframe": {...}}, normalised."""

    @property
    def body(self) -> dict:
        return self[FRAME_TAG]


class Series(dict):
    """A pandas Series as the harness reported it: {"$series": {...}}, normalised."""

    @property
    def body(self) -> dict:
        return self[SERIES_TAG]


@dataclass(frozen=True)
class FrameOptions:
    """How data frames compare. The defaults: column names must match but their order does
    not, the index is ignored, dtypes are not compared (numbers compare as numbers), rows
    compare in order."""

    check_column_order: bool = False
    check_index: bool = False
    check_dtype: bool = False  # compare dtype kinds: int, float, bool, string, datetime, ...
    check_row_order: bool = True
    check_names: bool = False  # a series' name

    @classmethod
    def from_mapping(cls, base: "FrameOptions", overrides: dict | None) -> "FrameOptions":
        if not overrides:
            return base
        known = {f.name for f in fields(cls)}
        values = {f.name: getattr(base, f.name) for f in fields(cls)}
        for key, value in overrides.items():
            if key not in known:
                raise ValueError(f"unknown comparison option {key!r} (known: {', '.join(sorted(known))})")
            if type(value) is not bool:
                raise ValueError(f"comparison option {key!r} must be true or false")
            values[key] = value
        return cls(**values)


# -- decoding --------------------------------------------------------------------------------


def decode_value(encoded: object, _depth: int = 0) -> object:
    """The harness's wire form -> a plain value. JSON objects are always tags:
    {"$float": "nan" | "inf" | "-inf"}, {"$dict": {...}}, {"$dataframe": {...}} or
    {"$series": {...}}. Raises MalformedValue."""
    if _depth > 100:
        raise MalformedValue("nested too deeply")
    t = type(encoded)
    if encoded is None or t in (bool, int, float, str):
        return encoded
    if t is list:
        return [decode_value(v, _depth + 1) for v in encoded]
    if t is dict and len(encoded) == 1:
        ((tag, inner),) = encoded.items()
        if tag == "$float" and inner in ("nan", "inf", "-inf"):
            return float(inner)
        if tag == "$dict" and type(inner) is dict:
            return {k: decode_value(v, _depth + 1) for k, v in inner.items()}
        if tag == FRAME_TAG and type(inner) is dict:
            return Frame({FRAME_TAG: _frame_body(inner, lambda v: decode_value(v, _depth + 2), strict=True)})
        if tag == SERIES_TAG and type(inner) is dict:
            return Series({SERIES_TAG: _series_body(inner, lambda v: decode_value(v, _depth + 2), strict=True)})
    raise MalformedValue(f"unexpected {t.__name__} in a result record")


def expected_frame(value: object) -> dict | None:
    """The body of an author-written {"$dataframe": {...}}, validated and normalised, or None
    when `value` is not one. Raises MalformedValue for a malformed one."""
    if type(value) is dict and len(value) == 1 and FRAME_TAG in value:
        if type(value[FRAME_TAG]) is not dict:
            raise MalformedValue("$dataframe must hold an object")
        return _frame_body(value[FRAME_TAG], _author_cell, strict=False)
    return None


def expected_series(value: object) -> dict | None:
    if type(value) is dict and len(value) == 1 and SERIES_TAG in value:
        if type(value[SERIES_TAG]) is not dict:
            raise MalformedValue("$series must hold an object")
        return _series_body(value[SERIES_TAG], _author_cell, strict=False)
    return None


def validate_expected(value: object, _depth: int = 0) -> None:
    """Raise MalformedValue if an author's expected value holds a malformed tagged form."""
    if _depth > 100:
        raise MalformedValue("nested too deeply")
    if expected_frame(value) is not None or expected_series(value) is not None:
        return
    if isinstance(value, (list, tuple)):
        for v in value:
            validate_expected(v, _depth + 1)
    elif isinstance(value, dict):
        for v in value.values():
            validate_expected(v, _depth + 1)


def _author_cell(value: object) -> object:
    if type(value) is dict and len(value) == 1 and value.get("$float") in ("nan", "inf", "-inf"):
        return float(value["$float"])
    if value is None or type(value) in (bool, int, float, str):
        return value
    if type(value) in (list, tuple):
        return [_author_cell(v) for v in value]
    raise MalformedValue(f"unsupported cell {value!r}")


def _label(value: object) -> object:
    if value is None or type(value) in (bool, int, float, str):
        return value
    raise MalformedValue("column and index labels must be JSON scalars")


def _frame_body(inner: dict, cell, *, strict: bool) -> dict:
    allowed = {"columns", "dtypes", "data", "index"}
    if not set(inner) <= allowed:
        raise MalformedValue(f"unknown $dataframe keys: {sorted(set(inner) - allowed)}")
    columns = inner.get("columns")
    data = inner.get("data")
    if type(columns) not in (list, tuple) or type(data) not in (list, tuple):
        raise MalformedValue("$dataframe needs `columns` and `data` lists")
    columns = [_label(cell(c)) for c in columns]
    dtypes = inner.get("dtypes")
    if dtypes is None and strict:
        raise MalformedValue("$dataframe from the harness needs `dtypes`")
    if dtypes is not None:
        if type(dtypes) not in (list, tuple) or len(dtypes) != len(columns) or any(type(d) is not str for d in dtypes):
            raise MalformedValue("$dataframe `dtypes` must be one string per column")
        dtypes = list(dtypes)
    rows = []
    for row in data:
        if type(row) not in (list, tuple) or len(row) != len(columns):
            raise MalformedValue(f"every $dataframe row must have {len(columns)} cells")
        rows.append([cell(v) for v in row])
    index = inner.get("index")
    if index is not None:
        if type(index) not in (list, tuple) or len(index) != len(rows):
            raise MalformedValue("$dataframe `index` must be null or one label per row")
        index = [cell(v) for v in index]
    return {"columns": columns, "dtypes": dtypes, "data": rows, "index": index}


def _series_body(inner: dict, cell, *, strict: bool) -> dict:
    allowed = {"name", "dtype", "data", "index"}
    if not set(inner) <= allowed:
        raise MalformedValue(f"unknown $series keys: {sorted(set(inner) - allowed)}")
    data = inner.get("data")
    if type(data) not in (list, tuple):
        raise MalformedValue("$series needs a `data` list")
    dtype = inner.get("dtype")
    if (dtype is None and strict) or (dtype is not None and type(dtype) is not str):
        raise MalformedValue("$series `dtype` must be a string")
    index = inner.get("index")
    if index is not None:
        if type(index) not in (list, tuple) or len(index) != len(data):
            raise MalformedValue("$series `index` must be null or one label per value")
        index = [cell(v) for v in index]
    return {"name": _label(cell(inner.get("name"))), "dtype": dtype, "data": [cell(v) for v in data], "index": index}


# -- scalars and plain values ----------------------------------------------------------------


def _is_number(x: object) -> bool:
    return type(x) is int or type(x) is float  # bool is not a number here


def numbers_close(e: int | float, a: int | float, *, abs_tol: float, rel_tol: float) -> bool:
    if type(e) is int and type(a) is int:
        return e == a
    try:
        ef, af = float(e), float(a)
    except OverflowError:
        return False
    if math.isnan(ef) or math.isnan(af):
        return math.isnan(ef) and math.isnan(af)
    return math.isclose(ef, af, rel_tol=rel_tol, abs_tol=abs_tol)


def values_equal(expected: object, actual: object, *, abs_tol: float, rel_tol: float) -> bool:
    """Type-aware equality: numbers (int/float, not bool) with math.isclose — NaN equals NaN,
    int vs int exactly; list and tuple alike; dicts by key; everything else exactly."""
    if _is_number(expected) and _is_number(actual):
        return numbers_close(expected, actual, abs_tol=abs_tol, rel_tol=rel_tol)
    if isinstance(expected, (list, tuple)) and isinstance(actual, (list, tuple)):
        return len(expected) == len(actual) and all(
            values_equal(e, a, abs_tol=abs_tol, rel_tol=rel_tol) for e, a in zip(expected, actual)
        )
    if isinstance(expected, dict) and isinstance(actual, dict):
        if type(actual) in (Frame, Series) or type(expected) in (Frame, Series):
            return type(expected) is type(actual) and expected == actual
        return expected.keys() == actual.keys() and all(
            values_equal(expected[k], actual[k], abs_tol=abs_tol, rel_tol=rel_tol) for k in expected
        )
    if type(expected) is not type(actual):
        return False  # bool vs int, str vs number, None vs anything
    return expected == actual


def short_repr(value: object, limit: int = _MESSAGE_VALUE_CHARS) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def mismatch_message(expected: object, actual: object) -> str:
    return f"expected {short_repr(expected)}, got {short_repr(actual)}"


@dataclass(frozen=True)
class Tolerance:
    abs_tol: float = 1e-9
    rel_tol: float = 1e-9


def compare(
    expected: object,
    actual: object,
    *,
    abs_tol: float,
    rel_tol: float,
    frames: FrameOptions = FrameOptions(),
    r_semantics: bool = False,
    row_base: int = 0,
) -> str | None:
    """None when `actual` is acceptable for `expected`, else a message for the candidate.

    Plain values compare as values_equal does. Expected data frames and series (tagged form)
    compare with `frames`. With r_semantics (R results): a length-1 vector and a scalar are
    the same, and NULL equals an empty vector. `row_base` numbers rows in messages (0 for
    Python, 1 for R)."""
    ctx = _Context(Tolerance(abs_tol, rel_tol), frames, r_semantics, row_base)
    return _diff(expected, actual, ctx, "")


@dataclass(frozen=True)
class _Context:
    tol: Tolerance
    frames: FrameOptions
    r: bool
    row_base: int


def _where(path: str) -> str:
    return f"at {path}: " if path else ""


def _diff(expected: object, actual: object, ctx: _Context, path: str) -> str | None:
    frame = expected_frame(expected)
    if frame is not None:
        if type(actual) is not Frame:
            return f"{_where(path)}expected a data frame, got {_kind(actual)}"
        return _prefix(path, compare_frames(frame, actual.body, ctx.tol, ctx.frames, ctx.row_base))
    series = expected_series(expected)
    if series is not None:
        if type(actual) is not Series:
            return f"{_where(path)}expected a series, got {_kind(actual)}"
        return _prefix(path, _compare_series(series, actual.body, ctx))
    if type(actual) is Series and isinstance(expected, (list, tuple)):
        actual = actual.body["data"]  # a series where a list is expected: its values
    elif type(actual) is Series and type(expected) is dict:
        body = actual.body
        labels = body["index"] if body["index"] is not None else list(range(len(body["data"])))
        actual = {str(k): v for k, v in zip(labels, body["data"])}
    if type(actual) in (Frame, Series):
        what = "data frame" if type(actual) is Frame else "series"
        return f"{_where(path)}expected {short_repr(expected)}, got a {what}"
    if ctx.r:
        expected, actual = _r_normalise(expected), _r_normalise(actual)
    if isinstance(expected, (list, tuple)) and isinstance(actual, (list, tuple)):
        if len(expected) != len(actual):
            return _plain_mismatch(expected, actual, path)
        for i, (e, a) in enumerate(zip(expected, actual)):
            message = _diff(e, a, ctx, f"{path}[{i}]")
            if message:
                return message if _contains_tag(e) else _plain_mismatch(expected, actual, path)
        return None
    if type(expected) is dict and isinstance(actual, dict) and type(actual) is dict:
        if expected.keys() != actual.keys():
            return _plain_mismatch(expected, actual, path)
        for k in expected:
            message = _diff(expected[k], actual[k], ctx, f"{path}[{k!r}]")
            if message:
                return message if _contains_tag(expected[k]) else _plain_mismatch(expected, actual, path)
        return None
    if values_equal(expected, actual, abs_tol=ctx.tol.abs_tol, rel_tol=ctx.tol.rel_tol):
        return None
    return _plain_mismatch(expected, actual, path)


def _plain_mismatch(expected, actual, path) -> str:
    return _where(path) + mismatch_message(expected, actual)


def _prefix(path: str, message: str | None) -> str | None:
    return None if message is None else _where(path) + message


def _contains_tag(value: object) -> bool:
    return type(value) is dict and len(value) == 1 and (FRAME_TAG in value or SERIES_TAG in value)


def _r_normalise(value: object) -> object:
    if isinstance(value, (list, tuple)) and len(value) == 1 and not isinstance(value[0], (list, tuple, dict)):
        return value[0]
    if isinstance(value, (list, tuple)) and len(value) == 0:
        return None
    return value


def _kind(value: object) -> str:
    if type(value) is Frame:
        return "a data frame"
    if type(value) is Series:
        return "a series"
    if value is None:
        return "None"
    if isinstance(value, (list, tuple)):
        return f"a list ({short_repr(value, 80)})"
    if isinstance(value, dict):
        return f"a dict ({short_repr(value, 80)})"
    return f"{type(value).__name__} {short_repr(value, 80)}"


# -- cells, rows and row multisets (data frames and SQL results) ------------------------------


def is_missing(value: object) -> bool:
    return value is None or (type(value) is float and math.isnan(value))


def cells_equal(e: object, a: object, tol: Tolerance, *, missing_alike: bool = True) -> bool:
    if missing_alike and is_missing(e) and is_missing(a):
        return True
    if _is_number(e) and _is_number(a):
        return numbers_close(e, a, abs_tol=tol.abs_tol, rel_tol=tol.rel_tol)
    if isinstance(e, (list, tuple)) and isinstance(a, (list, tuple)):
        return len(e) == len(a) and all(cells_equal(x, y, tol, missing_alike=missing_alike) for x, y in zip(e, a))
    return type(e) is type(a) and e == a


def rows_equal(e: list, a: list, tol: Tolerance) -> bool:
    return len(e) == len(a) and all(cells_equal(x, y, tol) for x, y in zip(e, a))


def _cell_key(value: object) -> tuple:
    if is_missing(value):
        return (0, 0)
    if type(value) is bool:
        return (1, int(value))
    if _is_number(value):
        try:
            return (2, float(value))
        except OverflowError:
            return (2, math.inf if value > 0 else -math.inf)
    if type(value) is str:
        return (3, value)
    if type(value) is bytes:
        return (4, value)
    return (5, repr(value))


def _exact_part(row: list) -> tuple:
    """What must match exactly between two rows that match with tolerance (buckets)."""
    return tuple(("n",) if _is_number(v) and type(v) is not bool else _cell_key(v) for v in row)


def row_multiset_diff(expected: list[list], actual: list[list], tol: Tolerance) -> tuple[list[list], list[list]]:
    """(expected rows with no match in actual, actual rows with no match in expected), rows
    compared as multisets with numeric tolerance and missing values alike."""
    key = lambda row: tuple(_cell_key(v) for v in row)  # noqa: E731
    e_sorted, a_sorted = sorted(expected, key=key), sorted(actual, key=key)
    if len(e_sorted) == len(a_sorted) and all(rows_equal(e, a, tol) for e, a in zip(e_sorted, a_sorted)):
        return [], []
    buckets: dict[tuple, list[int]] = defaultdict(list)
    for j, row in enumerate(a_sorted):
        buckets[_exact_part(row)].append(j)
    used = [False] * len(a_sorted)
    missing = []
    budget = _GREEDY_PAIR_BUDGET
    for row in e_sorted:
        found = False
        for j in buckets.get(_exact_part(row), ()):
            if used[j]:
                continue
            budget -= 1
            if rows_equal(row, a_sorted[j], tol):
                used[j] = found = True
                break
            if budget <= 0:
                break
        if not found:
            missing.append(row)
    extra = [a_sorted[j] for j in range(len(a_sorted)) if not used[j]]
    return missing, extra


def format_row(row: list, *, sql: bool = False) -> str:
    def cell(v):
        if v is None:
            return "NULL" if sql else "None"
        if type(v) is bytes:
            return "x'" + v[:16].hex() + ("…" if len(v) > 16 else "") + "'"
        return short_repr(v, 60)

    return "(" + ", ".join(cell(v) for v in row) + ")"


def describe_row_differences(missing: list[list], extra: list[list], *, sql: bool = False) -> str:
    parts = []
    for rows, what in ((missing, "missing"), (extra, "extra")):
        for row in rows[:_MAX_LISTED_ROWS]:
            parts.append(f"row {format_row(row, sql=sql)} {what}")
        if len(rows) > _MAX_LISTED_ROWS:
            parts.append(f"{len(rows) - _MAX_LISTED_ROWS} more rows {what}")
    return "; ".join(parts)


# -- data frames -----------------------------------------------------------------------------


def dtype_kind(dtype: str | None) -> str:
    """int, float, bool, string, datetime, timedelta, category, complex or other; pandas' and
    R's names alike ("int64", "Int32", "integer", "float64", "numeric", "object", "character"...)."""
    if dtype is None:
        return "unknown"
    d = dtype.lower()
    if d.startswith(("int", "uint")) or d == "integer":
        return "int"
    if d.startswith("float") or d in ("numeric", "double"):
        return "float"
    if d in ("bool", "boolean", "logical"):
        return "bool"
    if d in ("object", "str", "string", "character") or d.startswith("string"):
        return "string"
    if d.startswith("datetime") or d in ("date", "posixct"):
        return "datetime"
    if d.startswith("timedelta"):
        return "timedelta"
    if d in ("category", "factor"):
        return "category"
    if d.startswith("complex"):
        return "complex"
    return "other"


def _name(label: object) -> str:
    return str(label) if type(label) is str else repr(label)


def compare_frames(
    expected: dict, actual: dict, tol: Tolerance, options: FrameOptions, row_base: int = 0
) -> str | None:
    e_cols, a_cols = expected["columns"], actual["columns"]
    e_count, a_count = Counter(map(_hashable, e_cols)), Counter(map(_hashable, a_cols))
    missing = [c for c in e_cols if e_count[_hashable(c)] > a_count[_hashable(c)]]
    extra = [c for c in a_cols if a_count[_hashable(c)] > e_count[_hashable(c)]]
    if missing:
        more = f" (and {len(set(map(_hashable, missing))) - 1} more)" if len(set(map(_hashable, missing))) > 1 else ""
        return f"column `{_name(missing[0])}` missing{more}"
    if extra:
        return f"unexpected column `{_name(extra[0])}`"
    if options.check_column_order and list(map(_hashable, e_cols)) != list(map(_hashable, a_cols)):
        return (
            "columns in a different order: expected "
            + ", ".join(f"`{_name(c)}`" for c in e_cols)
            + "; got "
            + ", ".join(f"`{_name(c)}`" for c in a_cols)
        )
    # expected column j -> actual column position (duplicates matched in order)
    positions: dict[object, list[int]] = defaultdict(list)
    for j, c in enumerate(a_cols):
        positions[_hashable(c)].append(j)
    mapping = [positions[_hashable(c)].pop(0) for c in e_cols]

    e_rows, a_rows = expected["data"], actual["data"]
    if len(e_rows) != len(a_rows):
        return f"expected {len(e_rows)} rows, got {len(a_rows)}"
    if options.check_dtype and expected["dtypes"] is not None and actual["dtypes"] is not None:
        for j, c in enumerate(e_cols):
            e_dt, a_dt = expected["dtypes"][j], actual["dtypes"][mapping[j]]
            if dtype_kind(e_dt) != dtype_kind(a_dt):
                return f"column `{_name(c)}`: expected dtype {e_dt}, got {a_dt}"
    if options.check_index:
        e_index = expected["index"] if expected["index"] is not None else list(range(len(e_rows)))
        a_index = actual["index"] if actual["index"] is not None else list(range(len(a_rows)))
        for i, (x, y) in enumerate(zip(e_index, a_index)):
            if not cells_equal(x, y, tol):
                return f"index differs at row {i + row_base}: expected {short_repr(x)}, got {short_repr(y)}"
    aligned = [[row[j] for j in mapping] for row in a_rows]
    # Datetime columns: "2024-01-02" and "2024-01-02T00:00:00" are the same instant.
    dated = [
        j
        for j in range(len(e_cols))
        if "datetime"
        in (
            dtype_kind((expected["dtypes"] or [None] * len(e_cols))[j]),
            dtype_kind((actual["dtypes"] or [None] * len(a_cols))[mapping[j]]),
        )
    ]
    if dated:
        e_rows = [[_as_datetime(v) if j in dated else v for j, v in enumerate(row)] for row in e_rows]
        aligned = [[_as_datetime(v) if j in dated else v for j, v in enumerate(row)] for row in aligned]
    first_bad = None
    for i, (e_row, a_row) in enumerate(zip(e_rows, aligned)):
        for j, (x, y) in enumerate(zip(e_row, a_row)):
            if not cells_equal(x, y, tol):
                first_bad = (i, j, x, y)
                break
        if first_bad:
            break
    if first_bad is None:
        return None
    missing_rows, extra_rows = row_multiset_diff(e_rows, aligned, tol)
    if not missing_rows and not extra_rows:
        if not options.check_row_order:
            return None
        return "the rows are right but in a different order (sort them as the question asks)"
    if not options.check_row_order:
        return describe_row_differences(missing_rows, extra_rows)
    i, j, x, y = first_bad
    return f"row {i + row_base}, column `{_name(e_cols[j])}`: expected {_cell_text(x)}, got {_cell_text(y)}"


def _as_datetime(value: object) -> object:
    """An ISO date or date-time string in its canonical form ("2024-01-02T00:00:00"); any
    other value unchanged."""
    if type(value) is not str or len(value) < 10 or not value[:4].isdigit():
        return value
    try:
        parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    return parsed.isoformat()


def _cell_text(value: object) -> str:
    if value is None:
        return "a missing value"
    if type(value) is float and math.isnan(value):
        return "NaN (missing)"
    return short_repr(value, 80)


def _hashable(value: object) -> object:
    if type(value) is float and math.isnan(value):
        return ("nan",)
    if type(value) is bool:
        return ("bool", value)
    return value


def _compare_series(expected: dict, actual: dict, ctx: _Context) -> str | None:
    if ctx.frames.check_names and not cells_equal(expected["name"], actual["name"], ctx.tol):
        return f"expected the series to be named {short_repr(expected['name'])}, got {short_repr(actual['name'])}"
    e_frame = {
        "columns": ["value"],
        "dtypes": None if expected["dtype"] is None else [expected["dtype"]],
        "data": [[v] for v in expected["data"]],
        "index": expected["index"],
    }
    a_frame = {
        "columns": ["value"],
        "dtypes": [actual["dtype"]],
        "data": [[v] for v in actual["data"]],
        "index": actual["index"],
    }
    message = compare_frames(e_frame, a_frame, ctx.tol, ctx.frames, ctx.row_base)
    if message is None:
        return None
    for old, new in (("rows", "values"), (", column `value`", ""), ("column `value`: ", ""), ("row ", "value ")):
        message = message.replace(old, new)
    return message


__all__ = [
    "FRAME_TAG",
    "SERIES_TAG",
    "Frame",
    "FrameOptions",
    "MalformedValue",
    "Series",
    "Tolerance",
    "cells_equal",
    "compare",
    "compare_frames",
    "decode_value",
    "describe_row_differences",
    "dtype_kind",
    "expected_frame",
    "format_row",
    "mismatch_message",
    "row_multiset_diff",
    "short_repr",
    "validate_expected",
    "values_equal",
]
