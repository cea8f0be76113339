"""The spec of a SQL question (judge/sql.py). Plain data, no Django."""

from __future__ import annotations

from dataclasses import dataclass

from judge.types import Limits


@dataclass(frozen=True)
class SqlTest:
    """One database to run the query on, and what it must return there.

    `fixture_sql` is schema + data as SQL text (None: the spec's fixture). The expectation is
    `expected_rows` (+ `expected_columns`, needed when the spec checks column names), or, when
    `expected_rows` is None, what the spec's `reference_query` returns on the same fixture
    (run in its own sandbox). Cells are JSON scalars; a BLOB is {"$blob": "<hex>"}; NULL is
    None; true/false mean 1/0."""

    __test__ = False  # not a pytest test class

    name: str = "main"
    fixture_sql: str | None = None
    expected_rows: tuple | list | None = None
    expected_columns: tuple | list | None = None
    weight: float = 1.0


@dataclass(frozen=True)
class SqlSpec:
    query: str  # the candidate's query: exactly one read-only statement
    fixture_sql: str  # schema + data as SQL text (trusted: the question's author wrote it)
    tests: tuple[SqlTest, ...] = (SqlTest(),)
    reference_query: str | None = None
    order_matters: bool = False  # False: result sets compare as multisets of rows
    check_column_names: bool = False  # True: names must match (case-insensitive), order free
    abs_tol: float = 1e-9
    rel_tol: float = 1e-9
    limits: Limits = Limits()  # cpu_time_s per test; memory_mb for SQLite's heap
    max_rows: int = 10_000  # more rows than this: OLE (the result is not read further)
    # CPU for building each fixture before the query's clock starts. Ten seconds suits an
    # author's fixture; a fixture with someone else's SQL in it (a Run's custom input) gets less.
    fixture_cpu_s: float = 10.0


__all__ = ["SqlSpec", "SqlTest"]
