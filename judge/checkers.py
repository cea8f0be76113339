"""Comparing what a candidate's function returned with what was expected. Runs OUTSIDE the
sandbox, on values decoded from the harness's JSON records (never on candidate objects)."""

from __future__ import annotations

import math

_MESSAGE_VALUE_CHARS = 200


class MalformedValue(ValueError):
    pass


def decode_value(encoded: object, _depth: int = 0) -> object:
    """The harness's wire form -> a plain value. JSON objects are always tags:
    {"$float": "nan" | "inf" | "-inf"} or {"$dict": {...}}. Raises MalformedValue."""
    if _depth > 100:
        raise MalformedValue("nested too deeply")
    t = type(encoded)
    if encoded is None or t in (bool, int, float, str):
        return encoded
    if t is list:
        return [decode_value(v, _depth + 1) for v in encoded]
    if t is dict and len(encoded) == 1:
        (tag, inner), = encoded.items()
        if tag == "$float" and inner in ("nan", "inf", "-inf"):
            return float(inner)
        if tag == "$dict" and type(inner) is dict:
            return {k: decode_value(v, _depth + 1) for k, v in inner.items()}
    raise MalformedValue(f"unexpected {t.__name__} in a result record")


def _is_number(x: object) -> bool:
    return type(x) is int or type(x) is float  # bool is not a number here


def values_equal(expected: object, actual: object, *, abs_tol: float, rel_tol: float) -> bool:
    """Type-aware equality: numbers (int/float, not bool) with math.isclose — NaN equals NaN,
    int vs int exactly; list and tuple alike; dicts by key; everything else exactly."""
    if _is_number(expected) and _is_number(actual):
        if type(expected) is int and type(actual) is int:
            return expected == actual
        try:
            e, a = float(expected), float(actual)
        except OverflowError:
            return False
        if math.isnan(e) or math.isnan(a):
            return math.isnan(e) and math.isnan(a)
        return math.isclose(e, a, rel_tol=rel_tol, abs_tol=abs_tol)
    if isinstance(expected, (list, tuple)) and isinstance(actual, (list, tuple)):
        return len(expected) == len(actual) and all(
            values_equal(e, a, abs_tol=abs_tol, rel_tol=rel_tol) for e, a in zip(expected, actual)
        )
    if isinstance(expected, dict) and isinstance(actual, dict):
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
