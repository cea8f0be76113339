"""Data frames: the tagged JSON form, comparison both ways (judge/checkers.py), and function-style
Python questions on the data-stack runtime (numpy, pandas, ...) through the real sandbox."""

import json

import pytest

from judge import FunctionSpec, FunctionTest, JudgeError, Limits, Verdict, checkers, judge_python_function, runtimes
from judge.checkers import Frame, FrameOptions, Series, compare

TOL = {"abs_tol": 1e-9, "rel_tol": 1e-9}


def frame(columns, data, dtypes=None, index=None):
    body = {"columns": columns, "data": data}
    if dtypes is not None:
        body["dtypes"] = dtypes
    if index is not None:
        body["index"] = index
    return {"$dataframe": body}


def returned(columns, data, dtypes=None, index=None):
    """A frame as the harness reports it, decoded."""
    dtypes = dtypes or ["float64"] * len(columns)
    return checkers.decode_value({"$dataframe": {"columns": columns, "dtypes": dtypes, "data": data, "index": index}})


EXPECTED = frame(["region", "total", "mean"], [["north", 12.5, 6.25], ["south", 3.0, 1.5]])


# -- comparison, no sandbox --------------------------------------------------------------------


def test_equal_frames_match_whatever_the_column_order():
    actual = returned(["mean", "region", "total"], [[6.25, "north", 12.5], [1.5, "south", 3.0]])
    assert compare(EXPECTED, actual, **TOL) is None


def test_column_order_is_checked_when_asked():
    actual = returned(["mean", "region", "total"], [[6.25, "north", 12.5], [1.5, "south", 3.0]])
    message = compare(EXPECTED, actual, frames=FrameOptions(check_column_order=True), **TOL)
    assert message == "columns in a different order: expected `region`, `total`, `mean`; got `mean`, `region`, `total`"


def test_a_missing_column_is_named():
    actual = returned(["region", "mean"], [["north", 6.25], ["south", 1.5]])
    assert compare(EXPECTED, actual, **TOL) == "column `total` missing"


def test_an_extra_column_is_named():
    actual = returned(["region", "total", "mean", "n"], [["north", 12.5, 6.25, 2], ["south", 3.0, 1.5, 2]])
    assert compare(EXPECTED, actual, **TOL) == "unexpected column `n`"


def test_row_count_differs():
    actual = returned(["region", "total", "mean"], [["north", 12.5, 6.25], ["south", 3.0, 1.5], ["east", 0.0, 0.0]])
    assert compare(EXPECTED, actual, **TOL) == "expected 2 rows, got 3"


def test_a_wrong_cell_is_located_by_row_and_column():
    actual = returned(["region", "total", "mean"], [["north", 12.5, 6.25], ["south", 3.0, 1.7]])
    assert compare(EXPECTED, actual, **TOL) == "row 1, column `mean`: expected 1.5, got 1.7"
    assert compare(EXPECTED, actual, row_base=1, **TOL) == "row 2, column `mean`: expected 1.5, got 1.7"


def test_numbers_compare_with_tolerance_and_ints_equal_floats():
    expected = frame(["n", "x"], [[1, 0.1 + 0.2]])
    assert compare(expected, returned(["n", "x"], [[1.0, 0.3]], ["int64", "float64"]), **TOL) is None
    assert (
        compare(expected, returned(["n", "x"], [[1, 0.31]]), **TOL)
        == "row 0, column `x`: expected 0.30000000000000004, got 0.31"
    )
    assert compare(expected, returned(["n", "x"], [[1, 0.31]]), abs_tol=0.05, rel_tol=0) is None


def test_missing_values_are_alike_whatever_their_spelling():
    expected = frame(["x"], [[None], [{"$float": "nan"}], [1.0]])
    actual = returned(["x"], [[{"$float": "nan"}], [None], [1.0]])
    assert compare(expected, actual, **TOL) is None
    assert compare(expected, returned(["x"], [[0.0], [None], [1.0]]), **TOL) == (
        "row 0, column `x`: expected a missing value, got 0.0"
    )


def test_row_order_matters_by_default_and_says_so():
    actual = returned(["region", "total", "mean"], [["south", 3.0, 1.5], ["north", 12.5, 6.25]])
    assert (
        compare(EXPECTED, actual, **TOL)
        == "the rows are right but in a different order (sort them as the question asks)"
    )
    assert compare(EXPECTED, actual, frames=FrameOptions(check_row_order=False), **TOL) is None


def test_unordered_rows_report_missing_and_extra_rows():
    actual = returned(["region", "total", "mean"], [["south", 3.0, 1.5], ["north", 12.0, 6.25]])
    message = compare(EXPECTED, actual, frames=FrameOptions(check_row_order=False), **TOL)
    assert message == "row ('north', 12.5, 6.25) missing; row ('north', 12.0, 6.25) extra"


def test_index_is_ignored_unless_asked():
    expected = frame(["x"], [[1], [2]], index=["a", "b"])
    actual = returned(["x"], [[1], [2]], index=["a", "c"])
    assert compare(expected, actual, **TOL) is None
    assert compare(expected, actual, frames=FrameOptions(check_index=True), **TOL) == (
        "index differs at row 1: expected 'b', got 'c'"
    )
    default = returned(["x"], [[1], [2]])  # index null: 0..n-1
    assert (
        compare(frame(["x"], [[1], [2]], index=[0, 1]), default, frames=FrameOptions(check_index=True), **TOL) is None
    )


def test_dtypes_compare_by_kind_when_asked():
    expected = frame(["n"], [[1], [2]], dtypes=["int64"])
    as_float = returned(["n"], [[1.0], [2.0]], ["float64"])
    assert compare(expected, as_float, **TOL) is None
    assert compare(expected, as_float, frames=FrameOptions(check_dtype=True), **TOL) == (
        "column `n`: expected dtype int64, got float64"
    )
    as_int32 = returned(["n"], [[1], [2]], ["int32"])
    assert compare(expected, as_int32, frames=FrameOptions(check_dtype=True), **TOL) is None
    r_integer = returned(["n"], [[1], [2]], ["integer"])
    assert compare(expected, r_integer, frames=FrameOptions(check_dtype=True), **TOL) is None


def test_a_plain_dict_shaped_like_a_frame_is_not_a_frame():
    forged = {
        "$dataframe": {"columns": ["region", "total", "mean"], "data": [["north", 12.5, 6.25], ["south", 3.0, 1.5]]}
    }
    assert compare(EXPECTED, forged, **TOL).startswith("expected a data frame, got a dict")
    assert compare(EXPECTED, [[1]], **TOL).startswith("expected a data frame, got a list")


def test_a_frame_where_a_plain_value_is_expected_is_wrong():
    actual = returned(["x"], [[1]])
    assert compare([[1]], actual, **TOL) == "expected [[1]], got a data frame"


def test_series_compare_to_tagged_series_lists_and_dicts():
    series = checkers.decode_value(
        {"$series": {"name": "total", "dtype": "float64", "data": [4.0, 2.5], "index": ["n", "s"]}}
    )
    assert type(series) is Series
    assert compare({"$series": {"data": [4.0, 2.5]}}, series, **TOL) is None
    assert compare([4.0, 2.5], series, **TOL) is None
    assert compare({"n": 4.0, "s": 2.5}, series, **TOL) is None
    assert compare({"$series": {"data": [4.0, 2.6]}}, series, **TOL) == "value 1: expected 2.6, got 2.5"
    assert compare({"$series": {"data": [4.0]}}, series, **TOL) == "expected 1 values, got 2"


def test_frames_nested_in_lists_are_compared_as_frames():
    actual = [returned(["x"], [[1.0]]), 3]
    assert compare([frame(["x"], [[1]]), 3], actual, **TOL) is None
    assert compare([frame(["x"], [[2]]), 3], actual, **TOL) == "at [0]: row 0, column `x`: expected 2, got 1.0"


def test_decoded_frames_stay_json_for_storage():
    actual = returned(["x"], [[{"$float": "nan"}]])
    assert type(actual) is Frame
    from judge.types import TestResult

    data = TestResult("t", Verdict.AC, 0, "", actual).to_dict()
    json.dumps(data, allow_nan=False)
    assert data["actual"] == {"$dataframe": {"columns": ["x"], "dtypes": ["float64"], "data": [["NaN"]], "index": None}}


def test_malformed_frames_are_refused():
    with pytest.raises(checkers.MalformedValue):
        checkers.decode_value({"$dataframe": {"columns": ["a"], "dtypes": ["int64"], "data": [[1, 2]], "index": None}})
    with pytest.raises(checkers.MalformedValue):
        checkers.decode_value({"$dataframe": {"columns": ["a"], "data": [[1]]}})  # the harness always sends dtypes
    with pytest.raises(checkers.MalformedValue):
        checkers.validate_expected({"$dataframe": {"columns": ["a"], "data": [[1]], "extra": 1}})
    checkers.validate_expected(frame(["a"], [[1]]))  # dtypes and index are optional for authors


def test_unknown_comparison_options_are_refused():
    with pytest.raises(ValueError, match="unknown comparison option"):
        FrameOptions.from_mapping(FrameOptions(), {"check_everything": True})


# -- through the sandbox, on the data-stack runtime ---------------------------------------------


@pytest.fixture(scope="module")
def data_stack_ready():
    """No silent skip: the data stack is part of the judge (scripts/setup-runtime.sh)."""
    problems = runtimes.data_stack_problems()
    if problems:
        pytest.fail("; ".join(problems))


pytestmark_sandbox = pytest.mark.usefixtures("sandbox_ready", "data_stack_ready")

SALES = frame(["region", "amount"], [["north", 10.0], ["south", 3.0], ["north", 2.5]], dtypes=["str", "float64"])

SOURCE = """
import numpy as np
import pandas as pd

def totals(df):
    return df.groupby("region", as_index=False)["amount"].agg(total="sum", mean="mean")

def totals_unsorted(df):
    return totals(df).sort_values("total").reset_index(drop=True)

def by_region(df):
    return df.groupby("region")["amount"].sum()

def scalar(df):
    return df["amount"].sum()

def stats(n):
    a = np.arange(n, dtype=np.int64)
    return {"sum": a.sum(), "mean": a.mean(), "array": a * 2, "flag": np.bool_(True), "matrix": np.eye(2)}

def echo(df):
    return df

def loaded():
    import sys
    return sorted(m for m in ("numpy", "pandas", "scipy", "sklearn") if m in sys.modules)
"""

TOTALS = frame(["region", "total", "mean"], [["north", 12.5, 6.25], ["south", 3.0, 3.0]])


def judge_ds(function_name, tests, source=SOURCE, **kwargs):
    tests = tuple(t if isinstance(t, FunctionTest) else FunctionTest(*t) for t in tests)
    kwargs.setdefault("limits", Limits(cpu_time_s=2.0))
    return judge_python_function(FunctionSpec(source, function_name, tests, data_stack=True, **kwargs))


@pytestmark_sandbox
def test_a_data_frame_argument_and_result_are_accepted():
    result = judge_ds("totals", [("sales", [SALES], TOTALS)])
    assert result.verdict == Verdict.AC, result.tests[0].message
    actual = result.tests[0].actual
    assert type(actual) is Frame
    assert actual.body["columns"] == ["region", "total", "mean"]
    assert actual.body["dtypes"][1:] == ["float64", "float64"]
    assert actual.body["index"] is None
    json.dumps(result.to_dict(), allow_nan=False)


@pytestmark_sandbox
def test_a_wrong_frame_gets_a_located_message():
    expected = frame(["region", "total", "mean"], [["north", 12.5, 6.25], ["south", 3.0, 2.0]])
    result = judge_ds("totals", [("sales", [SALES], expected)])
    assert result.verdict == Verdict.WA
    assert result.tests[0].message == "row 1, column `mean`: expected 2.0, got 3.0"


@pytestmark_sandbox
def test_row_order_options_per_spec_and_per_test():
    result = judge_ds("totals_unsorted", [("sales", [SALES], TOTALS)])
    assert result.tests[0].message.startswith("the rows are right but in a different order")
    result = judge_ds("totals_unsorted", [("sales", [SALES], TOTALS)], check_row_order=False)
    assert result.verdict == Verdict.AC
    result = judge_ds("totals_unsorted", [FunctionTest("sales", [SALES], TOTALS, options={"check_row_order": False})])
    assert result.verdict == Verdict.AC


@pytestmark_sandbox
def test_series_scalars_and_numpy_values_come_back_as_plain_values():
    result = judge_ds("by_region", [("series", [SALES], {"north": 12.5, "south": 3.0})])
    assert result.verdict == Verdict.AC, result.tests[0].message
    assert type(result.tests[0].actual) is Series
    result = judge_ds("scalar", [("sum", [SALES], 15.5)])
    assert result.verdict == Verdict.AC
    assert result.tests[0].actual == 15.5
    expected = {"sum": 6, "mean": 1.5, "array": [0, 2, 4, 6], "flag": True, "matrix": [[1.0, 0.0], [0.0, 1.0]]}
    result = judge_ds("stats", [("numpy", [4], expected)])
    assert result.verdict == Verdict.AC, result.tests[0].message
    assert type(result.tests[0].actual["sum"]) is int


@pytestmark_sandbox
def test_index_dtypes_and_missing_values_round_trip():
    df = frame(
        ["k", "v", "when"],
        [["a", 1, "2024-01-02"], ["b", None, None]],
        dtypes=["str", "Int64", "datetime64[ns]"],
        index=["x", "y"],
    )
    result = judge_ds("echo", [FunctionTest("echo", [df], df, options={"check_index": True, "check_dtype": True})])
    assert result.verdict == Verdict.AC, result.tests[0].message
    body = result.tests[0].actual.body
    assert body["index"] == ["x", "y"]
    assert body["dtypes"] == ["str", "Int64", "datetime64[ns]"]
    assert body["data"][0][2].startswith("2024-01-02T00:00:00")
    assert body["data"][1] == ["b", None, None]


@pytestmark_sandbox
def test_numpy_and_pandas_are_imported_only_when_needed():
    plain = "def loaded():\n    import sys\n    return sorted(m for m in ('numpy', 'pandas') if m in sys.modules)\n"
    assert judge_ds("loaded", [("none", [], [])], source=plain).verdict == Verdict.AC
    # a data-frame argument needs pandas (and so numpy), built before the candidate's code runs
    result = judge_ds(
        "loaded", [("frame", [SALES], ["numpy", "pandas"])], source=plain.replace("loaded():", "loaded(df):")
    )
    assert result.verdict == Verdict.AC, result.tests[0].actual


@pytestmark_sandbox
def test_the_data_stack_packages_are_importable_in_the_box():
    source = """
def versions():
    import numpy, pandas, scipy, sklearn, statsmodels
    from sklearn.linear_model import LinearRegression
    import statsmodels.api as sm
    model = LinearRegression().fit([[0], [1], [2]], [1, 3, 5])
    return [round(float(model.coef_[0]), 6), round(float(model.intercept_), 6)]
"""
    result = judge_ds(
        "versions", [("fit", [], [2.0, 1.0])], source=source, limits=Limits(cpu_time_s=5.0, memory_mb=256)
    )
    assert result.verdict == Verdict.AC, (result.tests[0].message, result.stderr[-2000:])


@pytestmark_sandbox
def test_subclasses_and_multiindex_columns_are_unsupported():
    source = """
import pandas as pd
class MyFrame(pd.DataFrame):
    pass
def sub():
    return MyFrame({"a": [1]})
def multi():
    return pd.DataFrame([[1, 2]], columns=pd.MultiIndex.from_tuples([("a", "x"), ("a", "y")]))
"""
    result = judge_ds("sub", [("sub", [], frame(["a"], [[1]]))], source=source)
    assert result.verdict == Verdict.WA
    assert result.tests[0].message == "unsupported return type MyFrame"
    result = judge_ds("multi", [("multi", [], frame(["a"], [[1]]))], source=source)
    assert "MultiIndex" in result.tests[0].message


@pytestmark_sandbox
def test_a_frame_argument_that_cannot_be_built_is_a_judge_error():
    bad = frame(["n"], [["not a number"]], dtypes=["int64"])
    with pytest.raises(JudgeError, match="could not be built"):
        judge_ds("echo", [("bad", [bad], bad)])


@pytestmark_sandbox
def test_pandas_errors_are_runtime_errors():
    source = "def f(df):\n    return df['missing_column']\n"
    result = judge_ds("f", [("key", [SALES], 1)], source=source)
    assert result.verdict == Verdict.RTE
    assert result.tests[0].message.startswith("KeyError")


@pytestmark_sandbox
def test_memory_of_the_data_stack_is_not_taken_from_the_candidate():
    source = "import pandas as pd\ndef f(n):\n    return len(bytearray(n * 2**20)) // 2**20\n"
    result = judge_ds("f", [("100 MiB", [100], 100)], source=source, limits=Limits(cpu_time_s=2.0, memory_mb=128))
    assert result.verdict == Verdict.AC, result.tests[0].message
    result = judge_ds("f", [("too much", [400], 400)], source=source, limits=Limits(cpu_time_s=2.0, memory_mb=128))
    assert result.verdict == Verdict.MLE


def test_malformed_expected_frames_are_judge_errors():
    with pytest.raises(JudgeError, match="every \\$dataframe row"):
        judge_python_function(FunctionSpec("def f(): pass", "f", (FunctionTest("t", [], frame(["a"], [[1, 2]])),)))


def test_without_the_data_stack_runtime_grading_refuses_with_the_fix(monkeypatch):
    monkeypatch.setattr(runtimes, "DATA_STACK_PYTHON", "/nonexistent/python3")
    with pytest.raises(runtimes.RuntimeUnavailable, match="setup-runtime.sh"):
        judge_ds("totals", [("sales", [SALES], TOTALS)])
