"""SQL questions (judge.judge_sql): semantic comparison of result sets, and queries run through
the real sandbox on SQLite."""

import json

import pytest

from judge import JudgeError, Limits, SqlSpec, SqlTest, Verdict, judge_sql
from judge.sql import compare_result

FIXTURE = """
CREATE TABLE sales (id INTEGER PRIMARY KEY, region TEXT NOT NULL, amount REAL, day INTEGER);
INSERT INTO sales (region, amount, day) VALUES
  ('north', 10.0, 1), ('south', 5.5, 1), ('north', 2.5, 2), ('east', NULL, 2), ('south', 1.0, 3);
CREATE TABLE regions (name TEXT PRIMARY KEY, manager TEXT);
INSERT INTO regions VALUES ('north', 'Ana'), ('south', 'Bo'), ('east', NULL);
"""
TOTALS = "SELECT region, SUM(amount) AS total FROM sales GROUP BY region"
TOTALS_ROWS = [["east", None], ["north", 12.5], ["south", 6.5]]
QUICK = Limits(cpu_time_s=0.5, memory_mb=64)


def spec(query, *, tests=None, **kwargs):
    kwargs.setdefault("limits", QUICK)
    if tests is None:
        tests = (SqlTest("main", expected_columns=("region", "total"), expected_rows=TOTALS_ROWS),)
    return SqlSpec(query, FIXTURE, tests, **kwargs)


# -- comparison (no sandbox) ----------------------------------------------------------------------

COLS = ["region", "total"]


def test_rows_compare_as_multisets_by_default():
    assert compare_result(COLS, TOTALS_ROWS, COLS, list(reversed(TOTALS_ROWS))) is None


def test_order_differs_when_order_matters():
    message = compare_result(COLS, TOTALS_ROWS, COLS, list(reversed(TOTALS_ROWS)), order_matters=True)
    assert message == "order differs (this question requires ORDER BY)"
    assert compare_result(COLS, TOTALS_ROWS, COLS, TOTALS_ROWS, order_matters=True) is None


def test_row_count_and_the_extra_row_are_reported():
    actual = TOTALS_ROWS + [["west", 1.0]]
    assert compare_result(COLS, TOTALS_ROWS, COLS, actual) == "expected 3 rows, got 4: row ('west', 1.0) extra"


def test_missing_rows_are_reported():
    actual = TOTALS_ROWS[:2]
    assert compare_result(COLS, TOTALS_ROWS, COLS, actual) == "expected 3 rows, got 2: row ('south', 6.5) missing"


def test_a_wrong_value_is_one_row_missing_and_one_extra():
    actual = [["east", None], ["north", 12.5], ["south", 6.0]]
    assert compare_result(COLS, TOTALS_ROWS, COLS, actual) == "row ('south', 6.5) missing; row ('south', 6.0) extra"


def test_nulls_are_equal_and_shown_as_null():
    assert compare_result(COLS, [["x", None]], COLS, [["x", None]]) is None
    assert compare_result(COLS, [["x", None]], COLS, [["x", 0]]) == "row ('x', NULL) missing; row ('x', 0) extra"


def test_numbers_compare_with_tolerance():
    actual = [["east", None], ["north", 12.5000001], ["south", 6.5]]
    assert compare_result(COLS, TOTALS_ROWS, COLS, actual) is not None
    assert compare_result(COLS, TOTALS_ROWS, COLS, actual, abs_tol=1e-3) is None
    assert compare_result(COLS, [["a", 3]], COLS, [["a", 3.0]]) is None  # integer vs real


def test_tolerant_matching_is_not_fooled_by_sort_order():
    expected = [[1.0000000001, "b"], [1.0, "a"]]
    actual = [[1.0, "b"], [1.0000000001, "a"]]
    assert compare_result(["x", "y"], expected, ["x", "y"], actual, abs_tol=1e-6) is None


def test_column_count_is_checked_positionally_when_names_are_not():
    assert compare_result(COLS, TOTALS_ROWS, ["a"], [["east"], ["north"], ["south"]]) == "expected 2 columns, got 1"
    assert compare_result(COLS, TOTALS_ROWS, ["r", "t"], TOTALS_ROWS) is None  # names ignored by default


def test_column_names_when_checked_match_case_insensitively_in_any_order():
    swapped = [[t, r] for r, t in TOTALS_ROWS]
    assert compare_result(COLS, TOTALS_ROWS, ["TOTAL", "Region"], swapped, check_column_names=True) is None
    assert (
        compare_result(COLS, TOTALS_ROWS, ["region", "sum"], TOTALS_ROWS, check_column_names=True)
        == "column `total` missing"
    )
    assert (
        compare_result(
            COLS, TOTALS_ROWS, ["region", "total", "n"], [r + [1] for r in TOTALS_ROWS], check_column_names=True
        )
        == "unexpected column `n`"
    )


def test_long_differences_are_summarised():
    expected = [[i] for i in range(10)]
    actual = [[i] for i in range(10, 20)]
    message = compare_result(["x"], expected, ["x"], actual)
    assert message.count("missing") == 4 and "7 more rows missing" in message and "7 more rows extra" in message


# -- through the sandbox --------------------------------------------------------------------------

sandboxed = pytest.mark.usefixtures("sandbox_ready")


@sandboxed
def test_a_correct_query_is_accepted_in_any_row_order():
    result = judge_sql(spec(TOTALS + " ORDER BY total DESC"))
    assert result.verdict == Verdict.AC, result.tests[0].message
    assert result.score == 1.0
    assert result.tests[0].actual["columns"] == ["region", "total"]
    json.dumps(result.to_dict(), allow_nan=False)


@sandboxed
def test_a_wrong_query_gets_row_diagnostics():
    result = judge_sql(spec("SELECT region, SUM(amount) AS total FROM sales WHERE amount > 2 GROUP BY region"))
    assert result.verdict == Verdict.WA
    assert result.tests[0].message == (
        "expected 3 rows, got 2: row ('east', NULL) missing; row ('south', 6.5) missing; row ('south', 5.5) extra"
    )


@sandboxed
def test_order_matters_when_the_question_says_so():
    tests = (SqlTest("main", expected_rows=[["north", 12.5], ["south", 6.5], ["east", None]]),)
    result = judge_sql(spec(TOTALS, tests=tests, order_matters=True))
    assert result.verdict == Verdict.WA
    assert result.tests[0].message == "order differs (this question requires ORDER BY)"
    result = judge_sql(spec(TOTALS + " ORDER BY total DESC", tests=tests, order_matters=True))
    assert result.verdict == Verdict.AC


@sandboxed
def test_column_names_are_checked_only_when_asked():
    query = "SELECT region AS r, SUM(amount) AS s FROM sales GROUP BY region"
    assert judge_sql(spec(query)).verdict == Verdict.AC
    result = judge_sql(spec(query, check_column_names=True))
    assert result.verdict == Verdict.WA
    assert result.tests[0].message == "column `region` missing"


@sandboxed
def test_the_reference_query_is_the_expectation_on_each_fixture_variant():
    variant = FIXTURE + "INSERT INTO sales (region, amount, day) VALUES ('west', 7.0, 4);"
    tests = (SqlTest("base"), SqlTest("with west", fixture_sql=variant, weight=2))
    reference = "SELECT region, SUM(amount) AS total FROM sales GROUP BY region"
    result = judge_sql(spec(TOTALS, tests=tests, reference_query=reference))
    assert [t.verdict for t in result.tests] == [Verdict.AC, Verdict.AC]
    hard_coded = "SELECT * FROM (VALUES ('east', NULL), ('north', 12.5), ('south', 6.5))"
    result = judge_sql(spec(hard_coded, tests=tests, reference_query=reference))
    assert [t.verdict for t in result.tests] == [Verdict.AC, Verdict.WA]
    assert result.tests[1].message == "expected 4 rows, got 3: row ('west', 7.0) missing"
    assert result.score == pytest.approx(1 / 3)


@sandboxed
def test_joins_ctes_window_functions_and_schema_reads_work():
    query = """
    WITH t AS (SELECT region, SUM(amount) AS total FROM sales GROUP BY region)
    SELECT r.manager, t.total, RANK() OVER (ORDER BY t.total DESC) AS rk
    FROM t JOIN regions r ON r.name = t.region
    """
    tests = (SqlTest("main", expected_rows=[["Ana", 12.5, 1], ["Bo", 6.5, 2], [None, None, 3]]),)
    result = judge_sql(spec(query, tests=tests))
    assert result.verdict == Verdict.AC, result.tests[0].message
    tests = (SqlTest("schema", expected_rows=[["regions"], ["sales"]]),)
    assert judge_sql(spec("SELECT name FROM sqlite_master WHERE type = 'table'", tests=tests)).verdict == Verdict.AC
    pragma = judge_sql(
        spec(
            "PRAGMA table_info(regions)",
            tests=(SqlTest("p", expected_rows=[[0, "name", "TEXT", 0, None, 1], [1, "manager", "TEXT", 0, None, 0]]),),
        )
    )
    assert pragma.verdict == Verdict.AC, pragma.tests[0].message


@sandboxed
def test_blobs_and_integers_round_trip():
    tests = (SqlTest("main", expected_rows=[[{"$blob": "00ff"}, 2**62, "é"]]),)
    result = judge_sql(spec("SELECT x'00ff', 4611686018427387904, 'é'", tests=tests))
    assert result.verdict == Verdict.AC, result.tests[0].message
    assert result.tests[0].actual["rows"] == [[{"$blob": "00ff"}, 2**62, "é"]]


@sandboxed
@pytest.mark.parametrize(
    "query, message",
    [
        ("SELEC region FROM sales", 'near "SELEC": syntax error'),
        ("SELECT nope FROM sales", "no such column: nope"),
        ("SELECT * FROM missing_table", "no such table: missing_table"),
        ("SELECT 1; SELECT 2", "only one SQL statement is allowed (remove everything after the first `;`)"),
        ("   ", "the query is empty"),
    ],
)
def test_queries_that_do_not_compile_are_compile_errors(query, message):
    result = judge_sql(spec(query))
    assert result.verdict == Verdict.CE
    assert result.tests[0].message == message
    assert result.compile_output == message


@sandboxed
@pytest.mark.parametrize(
    "query, message",
    [
        ("DELETE FROM sales", "the query may only read data: DELETE on `sales` is not allowed"),
        ("INSERT INTO sales (region) VALUES ('x')", "the query may only read data: INSERT on `sales` is not allowed"),
        ("UPDATE sales SET amount = 0", "the query may only read data: UPDATE on `sales` is not allowed"),
        ("DROP TABLE sales", "the query may only read data: changing the schema (CREATE, DROP, ALTER) is not allowed"),
        (
            "CREATE TEMP TABLE t AS SELECT 1",
            "the query may only read data: changing the schema (CREATE, DROP, ALTER) is not allowed",
        ),
        ("PRAGMA journal_mode = OFF", "the query may only read data: PRAGMA journal_mode is not allowed"),
        ("BEGIN", "the query may only read data: a transaction (BEGIN) is not allowed"),
    ],
)
def test_anything_but_reading_is_refused_as_a_compile_error(query, message):
    result = judge_sql(spec(query))
    assert result.verdict == Verdict.CE
    assert result.tests[0].message == message


@sandboxed
def test_errors_while_running_are_runtime_errors():
    result = judge_sql(spec("SELECT abs(-9223372036854775808), 1"))
    assert result.verdict == Verdict.RTE
    assert result.tests[0].message == "integer overflow"


@pytest.mark.slow
@sandboxed
def test_a_slow_query_is_time_limit_exceeded():
    query = "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) SELECT count(*), 1 FROM r"
    result = judge_sql(spec(query))
    assert result.verdict == Verdict.TLE
    assert result.tests[0].time_ms >= 500


@sandboxed
def test_too_many_rows_are_an_output_limit():
    query = "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r LIMIT 1000000) SELECT x, x FROM r"
    result = judge_sql(spec(query, max_rows=1000))
    assert result.verdict == Verdict.OLE
    assert result.tests[0].message == "the query returned more than 1000 rows (expected 3)"


@sandboxed
def test_a_fixture_that_does_not_build_is_a_judge_error():
    with pytest.raises(JudgeError, match="does not build"):
        judge_sql(SqlSpec("SELECT 1", "CREATE TABLE broken (", (SqlTest("t", expected_rows=[[1]]),)))


@sandboxed
def test_a_failing_reference_query_is_a_judge_error():
    with pytest.raises(JudgeError, match="reference query failed"):
        judge_sql(spec(TOTALS, tests=(SqlTest("t"),), reference_query="SELECT nope FROM sales"))


def test_malformed_specs_are_judge_errors():
    with pytest.raises(JudgeError, match="no reference_query"):
        judge_sql(SqlSpec("SELECT 1", FIXTURE, (SqlTest("t"),)))
    with pytest.raises(JudgeError, match="needs expected_columns"):
        judge_sql(SqlSpec("SELECT 1", FIXTURE, (SqlTest("t", expected_rows=[[1]]),), check_column_names=True))
    with pytest.raises(JudgeError, match="one cell per expected column"):
        judge_sql(SqlSpec("SELECT 1", FIXTURE, (SqlTest("t", expected_rows=[[1, 2]], expected_columns=["a"]),)))
