"""SQL questions: run the candidate's query on the question's fixture database(s) inside the
sandbox, with Python's sqlite3, and compare the result set semantically outside it.

Each sandbox run is one /usr/bin/python3 -I -S process running judge/harness/sql_query.py:
it builds every fixture from its SQL text into a database file in the box's tmpfs, then runs
the query on a read-only connection under an authorizer, limits, a heap limit and a progress
handler (the harness's header says exactly what). When a test's expectation is the spec's
`reference_query`, that query runs in its own sandbox (at the same time, in another slot):
nothing the candidate's box returns is ever the expectation.

Comparison (`compare_result`): columns by position, or by name (case-insensitive, order free)
with `check_column_names`; rows as multisets unless `order_matters`; numbers with
`abs_tol`/`rel_tol`; NULL equals NULL. Messages for the candidate: "expected 3 columns, got 2",
"column `total` missing", "expected 4 rows, got 5", "row ('north', 12.5) missing",
"order differs (this question requires ORDER BY)".

Verdicts: a query that does not compile (syntax, unknown table or column, more than one
statement, anything but reading) is CE with SQLite's message; an error while it runs is RTE;
too slow is TLE; SQLite's heap limit is MLE; more than `max_rows` rows is OLE.
"""

from __future__ import annotations

import json
import math
import signal
import threading
from pathlib import Path

from judge import checkers, runtimes
from judge.channel import RecordReader
from judge.errors import JudgeError
from judge.python_function import check_sandbox
from judge.sandbox import RunMeter, RunOutcome, SandboxLimits, run_in_sandbox
from judge.sql_types import SqlSpec, SqlTest
from judge.types import JudgeResult, TestResult, Verdict, clean_text

MAX_QUERY_BYTES = 100 * 1024
MAX_FIXTURE_BYTES = 8 * 1024 * 1024
MAX_RESULT_BYTES = 8 * 1024 * 1024  # one test's result as JSON
MAX_RESTARTS = 3
MAX_ACTUAL_ROWS_SHOWN = 50
MAX_MESSAGE_CHARS = 4096
_GRACE_S = 0.5
_STARTUP_WALL_S = 5.0
_SQLITE_OVERHEAD_MB = 32

_harness_cache: list[str] = []


def _harness() -> str:
    if not _harness_cache:
        _harness_cache.append((Path(__file__).with_name("harness") / "sql_query.py").read_text(encoding="utf-8"))
    return _harness_cache[0]


def judge_sql(spec: SqlSpec) -> JudgeResult:
    """Grade a SQL question. Raises SandboxUnavailable / JudgeError for infrastructure faults
    and authoring errors (a fixture that does not build, a failing reference query); whatever
    the candidate's query does is a verdict."""
    check_sandbox()
    tests = _validated(spec)
    if len(spec.query.encode("utf-8", "surrogatepass")) > MAX_QUERY_BYTES:
        message = f"the query is too long (more than {MAX_QUERY_BYTES // 1024} KiB)"
        return _all_ce(tests, message)

    need_reference = [i for i, t in enumerate(tests) if t.expected_rows is None]
    reference: dict[int, dict] = {}
    errors: list[BaseException] = []

    def run_reference() -> None:
        try:
            reference.update(_run_all(spec, tests, spec.reference_query or "", need_reference))
        except BaseException as exc:  # noqa: BLE001 — re-raised in the caller's thread
            errors.append(exc)

    worker = None
    if need_reference:
        worker = threading.Thread(target=run_reference, name="sql-reference", daemon=True)
        worker.start()
    try:
        actual = _run_all(spec, tests, spec.query, list(range(len(tests))))
    finally:
        if worker is not None:
            worker.join()
    if errors:
        raise errors[0]

    results = []
    for i, test in enumerate(tests):
        if test.expected_rows is None:
            ref = reference[i]
            if ref["r"] != "rows":
                raise JudgeError(f"test {test.name!r}: the reference query failed ({ref['r']}): {ref.get('msg', '')}")
            expected_columns, expected_rows = ref["columns"], ref["rows"]
        else:
            expected_columns = list(test.expected_columns) if test.expected_columns is not None else None
            expected_rows = [_expected_row(row) for row in test.expected_rows]
        results.append(_grade(spec, test, actual[i], expected_columns, expected_rows))

    compile_output = ""
    if results and all(r.verdict == Verdict.CE for r in results):
        compile_output = results[0].message
    verdict = next((r.verdict for r in results if r.verdict != Verdict.AC), Verdict.AC)
    return JudgeResult(
        verdict=verdict,
        score=_score(tests, results),
        tests=results,
        time_ms=max((r.time_ms for r in results), default=0),
        memory_kb=max((a.get("memory_kb", 0) for a in actual.values()), default=0),
        compile_output=compile_output,
    )


# -- comparison --------------------------------------------------------------------------------


def compare_result(
    expected_columns: list[str] | None,
    expected_rows: list[list],
    columns: list[str],
    rows: list[list],
    *,
    order_matters: bool = False,
    check_column_names: bool = False,
    abs_tol: float = 1e-9,
    rel_tol: float = 1e-9,
) -> str | None:
    """None when the result matches, else the message for the candidate."""
    tol = checkers.Tolerance(abs_tol, rel_tol)
    width = (
        len(expected_columns) if expected_columns is not None else (len(expected_rows[0]) if expected_rows else None)
    )
    if check_column_names and expected_columns is not None:
        wanted = [c.lower() for c in expected_columns]
        have = [c.lower() for c in columns]
        for name, low in zip(expected_columns, wanted):
            if low not in have:
                return f"column `{name}` missing"
        for name, low in zip(columns, have):
            if low not in wanted:
                return f"unexpected column `{name}`"
        if len(have) != len(wanted):
            return f"expected {len(wanted)} columns, got {len(have)}"
        used: set[int] = set()
        order = []
        for low in wanted:
            j = next(j for j, h in enumerate(have) if h == low and j not in used)
            used.add(j)
            order.append(j)
        rows = [[row[j] for j in order] for row in rows]
    elif width is not None and len(columns) != width:
        return f"expected {width} column{'s' if width != 1 else ''}, got {len(columns)}"

    missing, extra = checkers.row_multiset_diff(expected_rows, rows, tol)
    if missing or extra:
        detail = checkers.describe_row_differences(missing, extra, sql=True)
        if len(expected_rows) != len(rows):
            return f"expected {len(expected_rows)} rows, got {len(rows)}: {detail}"
        return detail
    if order_matters:
        for e, a in zip(expected_rows, rows):
            if not checkers.rows_equal(e, a, tol):
                return "order differs (this question requires ORDER BY)"
    return None


def _expected_row(row) -> list:
    if not isinstance(row, (list, tuple)):
        raise JudgeError(f"expected rows must be lists of cells, got {row!r}")
    return [_expected_cell(v) for v in row]


def _expected_cell(v: object) -> object:
    if type(v) is bool:
        return int(v)
    if v is None or type(v) in (int, float, str, bytes):
        return v
    if type(v) is dict and len(v) == 1:
        ((tag, inner),) = v.items()
        if tag == "$blob" and type(inner) is str:
            return bytes.fromhex(inner)
        if tag == "$float" and inner in ("inf", "-inf"):
            return float(inner)
    raise JudgeError(f"unsupported expected cell {v!r} (JSON scalars, or {{'$blob': hex}})")


def _actual_cell(v: object) -> object:
    if type(v) is dict and len(v) == 1:
        ((tag, inner),) = v.items()
        if tag == "$blob" and type(inner) is str:
            try:
                return bytes.fromhex(inner)
            except ValueError:
                raise checkers.MalformedValue("bad blob") from None
        if tag == "$float" and inner in ("inf", "-inf"):
            return float(inner)
    if v is None or type(v) in (int, float, str):
        return v
    raise checkers.MalformedValue("unexpected cell")


def _shown(columns: list[str], rows: list[list]) -> dict:
    def cell(v):
        if type(v) is bytes:
            return {"$blob": v.hex()}
        return v

    shown = [[cell(v) for v in row] for row in rows[:MAX_ACTUAL_ROWS_SHOWN]]
    data = {"columns": list(columns), "rows": shown}
    if len(rows) > MAX_ACTUAL_ROWS_SHOWN:
        data["rows_total"] = len(rows)
    return data


def _grade(spec: SqlSpec, test: SqlTest, record: dict, expected_columns, expected_rows) -> TestResult:
    kind, ms = record["r"], record.get("ms", 0)
    if kind == "rows":
        columns, rows = record["columns"], record["rows"]
        message = compare_result(
            expected_columns,
            expected_rows,
            columns,
            rows,
            order_matters=spec.order_matters,
            check_column_names=spec.check_column_names,
            abs_tol=spec.abs_tol,
            rel_tol=spec.rel_tol,
        )
        actual = _shown(columns, rows)
        if message is None:
            return TestResult(test.name, Verdict.AC, ms, "", actual)
        return TestResult(test.name, Verdict.WA, ms, message, actual)
    if kind == "too_many":
        return TestResult(
            test.name,
            Verdict.OLE,
            ms,
            f"the query returned more than {record['n']} rows (expected {len(expected_rows)})",
        )
    if kind == "too_large":
        return TestResult(test.name, Verdict.OLE, ms, f"the result is larger than {MAX_RESULT_BYTES // 2**20} MiB")
    if kind == "ce":
        return TestResult(test.name, Verdict.CE, 0, record["msg"])
    return TestResult(test.name, Verdict(kind), ms, record["msg"])


def _score(tests, results) -> float:
    total = sum(float(t.weight) for t in tests)
    if total <= 0:
        return 1.0 if all(r.verdict == Verdict.AC for r in results) else 0.0
    return min(1.0, max(0.0, sum(float(t.weight) for t, r in zip(tests, results) if r.verdict == Verdict.AC) / total))


def _all_ce(tests, message) -> JudgeResult:
    return JudgeResult(
        Verdict.CE, 0.0, [TestResult(t.name, Verdict.CE, 0, message) for t in tests], compile_output=message
    )


# -- validation ----------------------------------------------------------------------------------


def _validated(spec: SqlSpec) -> tuple[SqlTest, ...]:
    if not isinstance(spec.query, str) or not isinstance(spec.fixture_sql, str):
        raise JudgeError("query and fixture_sql must be strings")
    tests = tuple(spec.tests)
    if not tests:
        raise JudgeError("the spec has no tests")
    if len({t.name for t in tests}) != len(tests):
        raise JudgeError("test names must be unique")
    if type(spec.max_rows) is not int or not 1 <= spec.max_rows <= 1_000_000:
        raise JudgeError("max_rows must be an integer in [1, 1000000]")
    if not isinstance(spec.fixture_cpu_s, (int, float)) or not 0 < spec.fixture_cpu_s <= 60:
        raise JudgeError("fixture_cpu_s must be a number of seconds in (0, 60]")
    for test in tests:
        fixture = test.fixture_sql if test.fixture_sql is not None else spec.fixture_sql
        if not isinstance(fixture, str) or len(fixture.encode("utf-8", "surrogatepass")) > MAX_FIXTURE_BYTES:
            raise JudgeError(
                f"test {test.name!r}: the fixture must be SQL text of at most {MAX_FIXTURE_BYTES >> 20} MiB"
            )
        try:
            weight = float(test.weight)
        except (TypeError, ValueError):
            weight = math.nan
        if isinstance(test.weight, bool) or not (math.isfinite(weight) and weight >= 0):
            raise JudgeError(f"test {test.name!r}: weight must be a finite number >= 0")
        if test.expected_rows is None:
            if not spec.reference_query:
                raise JudgeError(f"test {test.name!r}: no expected_rows and the spec has no reference_query")
        else:
            rows = [_expected_row(r) for r in test.expected_rows]
            if test.expected_columns is not None:
                if any(type(c) is not str for c in test.expected_columns):
                    raise JudgeError(f"test {test.name!r}: expected_columns must be strings")
                if any(len(r) != len(test.expected_columns) for r in rows):
                    raise JudgeError(f"test {test.name!r}: every expected row needs one cell per expected column")
            elif spec.check_column_names:
                raise JudgeError(f"test {test.name!r}: check_column_names needs expected_columns")
            if len({len(r) for r in rows}) > 1:
                raise JudgeError(f"test {test.name!r}: expected rows differ in width")
    return tests


# -- running -------------------------------------------------------------------------------------


def _run_all(spec: SqlSpec, tests: tuple[SqlTest, ...], query: str, indices: list[int]) -> dict[int, dict]:
    """Run `query` for the tests at `indices`, restarting after a death; index -> record."""
    records: dict[int, dict] = {}
    remaining = list(indices)
    runs = 0
    while remaining:
        runs += 1
        collector = _SqlCollector(spec, tests, query, remaining)
        outcome = run_in_sandbox(
            runtimes.python_argv(data_stack=False)[0] + ["-u", "-c", _harness()],
            stdin=collector.payload,
            limits=_limits(spec, len(remaining), collector.n_fixtures),
            channel=collector,
        )
        if collector.fixture_error is not None:
            number, message = collector.fixture_error
            raise JudgeError(
                f"the fixture of test {tests[collector.fixture_owner(number)].name!r} does not build: {message}"
            )
        if not collector.hello:
            raise JudgeError(
                f"the sandboxed SQL harness did not start (exit status {outcome.exit_code}): "
                + outcome.stderr.decode("utf-8", "replace")[-1000:].strip()
            )
        for index, record in collector.records.items():
            record["memory_kb"] = outcome.memory_peak_kb or 0
            records[index] = record
        missing = [i for i in remaining if i not in collector.records]
        if not missing:
            break
        verdict, message = _death(outcome)
        first = missing[0]
        records[first] = {
            "r": verdict.value,
            "ms": collector.unfinished_ms(outcome),
            "msg": message,
            "memory_kb": outcome.memory_peak_kb or 0,
        }
        remaining = missing[1:]
        if remaining and runs > MAX_RESTARTS:
            for i in remaining:
                records[i] = {
                    "r": verdict.value,
                    "ms": 0,
                    "msg": f"not run: earlier tests kept ending the run ({verdict.value})",
                }
            break
    return records


def _limits(spec: SqlSpec, n_tests: int, n_fixtures: int) -> SandboxLimits:
    limits = spec.limits
    per_test_wall = limits.effective_wall_time_s + _GRACE_S
    return SandboxLimits(
        cpu_time_s=n_fixtures * spec.fixture_cpu_s + n_tests * (limits.cpu_time_s + _GRACE_S) + 1.0,
        wall_time_s=_STARTUP_WALL_S + n_fixtures * 2 * spec.fixture_cpu_s + n_tests * per_test_wall,
        memory_mb=limits.memory_mb + _SQLITE_OVERHEAD_MB,
        output_bytes=limits.output_kb * 1024,
        channel_bytes=min(256 * 1024 * 1024, n_tests * (MAX_RESULT_BYTES + 4096) + 64 * 1024),
        processes=8,
    )


class _SqlCollector:
    def __init__(self, spec: SqlSpec, tests: tuple[SqlTest, ...], query: str, batch: list[int]):
        self.spec = spec
        self.query = query
        self.batch = batch
        self._records = RecordReader(MAX_RESULT_BYTES + 8192, allow_constants=True)
        self.nonce = self._records.nonce
        fixtures: list[str] = []
        self._fixture_of: dict[int, int] = {}
        self._owner: dict[int, int] = {}
        for i in batch:
            sql = tests[i].fixture_sql if tests[i].fixture_sql is not None else spec.fixture_sql
            if sql not in fixtures:
                fixtures.append(sql)
                self._owner[len(fixtures) - 1] = i
            self._fixture_of[i] = fixtures.index(sql)
        self.fixtures = fixtures
        self.n_fixtures = len(fixtures)
        self.hello = False
        self.fixture_error: tuple[int, str] | None = None
        self.records: dict[int, dict] = {}
        self._running: int | None = None  # the test whose query runs now
        self._phase_cpu = 0.0
        self._phase_wall = 0.0

    def fixture_owner(self, number: int) -> int:
        return self._owner[number]

    def payload(self, fd: int) -> bytes:
        limits = self.spec.limits
        return json.dumps(
            {
                "nonce": self.nonce,
                "fd": fd,
                "query": self.query,
                "fixtures": self.fixtures,
                "tests": [[i, self._fixture_of[i]] for i in self.batch],
                "cpu_limit": limits.cpu_time_s,
                "wall_limit": limits.effective_wall_time_s,
                "max_rows": self.spec.max_rows,
                "max_record": MAX_RESULT_BYTES,
                "heap_bytes": limits.memory_mb * 1024 * 1024,
            },
            ensure_ascii=True,
        ).encode("ascii")

    # ChannelSink
    def feed(self, data: bytes, meter: RunMeter) -> None:
        for record in self._records.feed(data):
            self._record(record, meter)

    def expired(self, meter: RunMeter) -> str | None:
        if self._running is None:
            return None  # start-up and fixtures: the run's own limits
        if meter.cpu_s - self._phase_cpu > self.spec.limits.cpu_time_s + _GRACE_S:
            return "cpu"
        if meter.wall_s - self._phase_wall > self.spec.limits.effective_wall_time_s + _GRACE_S:
            return "wall"
        return None

    def _record(self, record: dict, meter: RunMeter) -> None:
        kind = record.get("k")
        if kind == "hello":
            self.hello = True
        elif kind == "fixture" and self.fixture_error is None:
            n, msg = record.get("n"), record.get("msg")
            if type(n) is int and 0 <= n < self.n_fixtures and type(msg) is str:
                self.fixture_error = (n, clean_text(msg[:MAX_MESSAGE_CHARS]))
        elif kind == "ready" and record.get("i") in self._fixture_of:
            self._running = record["i"]
            self._phase_cpu, self._phase_wall = meter.cpu_s, meter.wall_s
        elif kind == "test":
            self._test(record)
            self._running = None

    def _test(self, record: dict) -> None:
        index = record.get("i")
        if index != self._running or index in self.records:
            return
        kind, ms = record.get("r"), record.get("ms", 0)
        if type(ms) is not int or ms < 0:
            return
        clean: dict = {"r": kind, "ms": min(ms, 10**7)}
        if kind == "rows":
            columns, rows = record.get("columns"), record.get("rows")
            if type(columns) is not list or type(rows) is not list or any(type(c) is not str for c in columns):
                return
            try:
                clean["rows"] = [
                    [_actual_cell(v) for v in row] for row in rows if type(row) is list and len(row) == len(columns)
                ]
            except checkers.MalformedValue:
                return
            if len(clean["rows"]) != len(rows):
                return
            clean["columns"] = [clean_text(c) for c in columns]
        elif kind in ("too_many", "too_large"):
            n = record.get("n")
            if type(n) is not int:
                return
            clean["n"] = n
        elif kind in ("ce", "RTE", "TLE", "MLE"):
            msg = record.get("msg")
            if type(msg) is not str:
                return
            clean["msg"] = clean_text(msg[:MAX_MESSAGE_CHARS])
        else:
            return
        self.records[index] = clean

    def unfinished_ms(self, outcome: RunOutcome) -> int:
        return max(0, int((outcome.cpu_time_s - self._phase_cpu) * 1000)) if self._running is not None else 0


def _death(outcome: RunOutcome) -> tuple[Verdict, str]:
    if outcome.output_exceeded or outcome.channel_exceeded:
        return Verdict.OLE, "output limit exceeded"
    if outcome.memory_exceeded:
        return Verdict.MLE, "memory limit exceeded"
    if outcome.timed_out:
        what = {"wall": "wall-clock", "cpu": "CPU"}.get(outcome.timeout_reason, outcome.timeout_reason)
        return Verdict.TLE, f"time limit exceeded ({what})"
    if b"MemoryError" in outcome.stderr[-2000:]:
        return Verdict.MLE, "memory limit exceeded (MemoryError)"
    if outcome.signal is not None:
        try:
            name = signal.Signals(outcome.signal).name
        except ValueError:
            name = f"signal {outcome.signal}"
        return Verdict.RTE, f"killed by {name}"
    return Verdict.RTE, f"the query ended the run (exit status {outcome.exit_code})"


__all__ = ["SqlSpec", "SqlTest", "compare_result", "judge_sql"]
