"""Function-style R questions (judge.judge_r_function), through the real sandbox, and the R
literals the host writes for the arguments."""

import json
import math

import pytest

from judge import FunctionSpec, FunctionTest, JudgeError, Limits, Verdict, judge_r_function, runtimes
from judge.checkers import Frame
from judge.r_function import r_literal, r_string

FAST = Limits(cpu_time_s=1.0)


@pytest.fixture(scope="module")
def r_ready():
    """No silent skip: R is part of the judge (scripts/setup-runtime.sh installs it)."""
    problems = runtimes.r_problems()
    if problems:
        pytest.fail("; ".join(problems))


sandboxed = pytest.mark.usefixtures("sandbox_ready", "r_ready")


def judge_r(source, function_name, tests, **kwargs):
    tests = tuple(t if isinstance(t, FunctionTest) else FunctionTest(*t) for t in tests)
    kwargs.setdefault("limits", FAST)
    return judge_r_function(FunctionSpec(source, function_name, tests, **kwargs))


def verdicts(result):
    return [t.verdict for t in result.tests]


# -- R literals (no sandbox) --------------------------------------------------------------------


def test_strings_are_quoted_so_nothing_can_end_the_literal():
    assert r_string('a"b') == '"a\\"b"'
    assert r_string("a\\b") == '"a\\\\b"'
    assert r_string("line\nnext\ttab\r\x01\x7f") == '"line\\nnext\\ttab\\r\\x01\\x7f"'
    assert r_string("é😀") == '"é😀"'
    assert r_string("\ud800") == '"\ufffd"'  # lone surrogate -> replacement character
    with pytest.raises(ValueError, match="NUL"):
        r_string("a\x00b")


def test_json_values_become_r_literals():
    assert r_literal(None) == "NULL"
    assert r_literal(True) == "TRUE"
    assert r_literal(3) == "3.0"
    assert r_literal(-2.5) == "(-2.5)"
    assert r_literal(math.nan) == "NaN"
    assert r_literal(-math.inf) == "-Inf"
    assert r_literal([1, 2, None]) == "c(1.0, 2.0, NA_real_)"
    assert r_literal(["a", None]) == 'c("a", NA_character_)'
    assert r_literal([True, None]) == "c(TRUE, NA)"
    assert r_literal([None, None]) == "c(NA, NA)"
    assert r_literal([1, "a"]) == 'list(1.0, "a")'
    assert r_literal([]) == "list()"
    assert r_literal([[1, 2], [3]]) == "list(c(1.0, 2.0), c(3.0))"
    assert r_literal({"a": 1, "b c": "x"}) == 'structure(list(1.0, "x"), names = c("a", "b c"))'
    assert r_literal({}) == "structure(list(), names = character(0))"
    assert r_literal({"$integer": [1, None]}) == "c(1L, NA_integer_)"
    assert r_literal({"$numeric": []}) == "numeric(0)"
    assert r_literal({"$list": [1]}) == "list(1.0)"
    with pytest.raises(ValueError):
        r_literal({"$integer": [2**40]})
    with pytest.raises(ValueError):
        r_literal(10**400)


def test_data_frames_become_data_frame_structures():
    df = {
        "$dataframe": {
            "columns": ["g", "n", "x", "ok"],
            "dtypes": ["category", "int64", "float64", "bool"],
            "data": [["a", 1, 0.5, True], ["b", None, None, False]],
        }
    }
    assert r_literal(df) == (
        'structure(list(factor(c("a", "b")), c(1L, NA_integer_), c(0.5, NA_real_), c(TRUE, FALSE)), '
        'names = c("g", "n", "x", "ok"), row.names = c(NA, -2L), class = "data.frame")'
    )
    with pytest.raises(ValueError, match="mixes types"):
        r_literal({"$dataframe": {"columns": ["a"], "data": [[1], ["x"]]}})


def test_an_injection_attempt_in_an_argument_stays_data():
    text = '"); system("id"); x <- ("'
    literal = r_literal([text])
    assert literal == 'c("\\"); system(\\"id\\"); x <- (\\"")'


# -- grading ------------------------------------------------------------------------------------

SOURCE = """
add <- function(a, b) a + b
summary_of <- function(x) list(mean = mean(x), n = length(x), sorted = sort(x), name = "ok")
int_sum <- function(x) sum(as.integer(x))
first <- function(x) x[1]
nothing <- function() NULL
na_value <- function() c(1, NA, 3)
count_words <- function(words) table(words)
describe <- function(df) aggregate(amount ~ region, data = df, FUN = sum)
with_factor <- function() {
  data.frame(g = factor(c("b", "a")), d = as.Date(c("2024-01-02", NA)), stringsAsFactors = FALSE)
}
mat <- function() matrix(1:6, nrow = 2)
echo <- function(x) x
"""


@sandboxed
def test_correct_functions_are_accepted():
    result = judge_r(
        SOURCE, "add", [("ints", [1, 2], 3), ("floats", [0.1, 0.2], 0.3), ("vectors", [[1, 2], [3, 4]], [4, 6])]
    )
    assert verdicts(result) == [Verdict.AC] * 3, [t.message for t in result.tests]
    assert result.score == 1.0
    assert result.memory_kb > 0


@sandboxed
def test_named_lists_vectors_and_integers_compare_as_values():
    expected = {"mean": 2, "n": 3, "sorted": [1, 2, 3], "name": "ok"}
    result = judge_r(SOURCE, "summary_of", [("list", [[3, 1, 2]], expected)])
    assert result.verdict == Verdict.AC, result.tests[0].message
    assert result.tests[0].actual == {"mean": 2, "n": 3, "sorted": [1, 2, 3], "name": "ok"}
    result = judge_r(SOURCE, "int_sum", [("integer vs double", [[1, 2]], 3.0)])
    assert result.verdict == Verdict.AC
    assert type(result.tests[0].actual) is int


@sandboxed
def test_length_one_vectors_are_scalars_and_null_is_empty():
    result = judge_r(SOURCE, "first", [("scalar", [[7, 8]], 7), ("as list", [[7, 8]], [7])])
    assert verdicts(result) == [Verdict.AC, Verdict.AC]
    result = judge_r(SOURCE, "nothing", [("null", [], None), ("empty", [], [])])
    assert verdicts(result) == [Verdict.AC, Verdict.AC]


@sandboxed
def test_na_is_null_and_wrong_values_are_wrong():
    result = judge_r(SOURCE, "na_value", [("na", [], [1, None, 3]), ("wrong", [], [1, 2, 3])])
    assert verdicts(result) == [Verdict.AC, Verdict.WA]
    assert result.tests[1].message == "expected [1, 2, 3], got [1, None, 3]"


@sandboxed
def test_tables_are_named_counts():
    result = judge_r(SOURCE, "count_words", [("t", [["a", "b", "a"]], {"a": 2, "b": 1})])
    assert result.verdict == Verdict.AC, result.tests[0].message


@sandboxed
def test_data_frames_both_ways():
    sales = {"$dataframe": {"columns": ["region", "amount"], "data": [["n", 10], ["s", 3], ["n", 2.5]]}}
    expected = {"$dataframe": {"columns": ["region", "amount"], "data": [["n", 12.5], ["s", 3]]}}
    result = judge_r(SOURCE, "describe", [("aggregate", [sales], expected)])
    assert result.verdict == Verdict.AC, result.tests[0].message
    actual = result.tests[0].actual
    assert type(actual) is Frame
    assert actual.body["dtypes"] == ["character", "numeric"]
    wrong = {"$dataframe": {"columns": ["region", "amount"], "data": [["n", 12.5], ["s", 4]]}}
    result = judge_r(SOURCE, "describe", [("aggregate", [sales], wrong)])
    assert result.tests[0].message == "row 2, column `amount`: expected 4, got 3"
    missing = {"$dataframe": {"columns": ["region", "total"], "data": [["n", 12.5], ["s", 3]]}}
    result = judge_r(SOURCE, "describe", [("aggregate", [sales], missing)])
    assert result.tests[0].message == "column `total` missing"


@sandboxed
def test_factors_dates_and_matrices_are_encoded():
    expected = {"$dataframe": {"columns": ["g", "d"], "data": [["b", "2024-01-02"], ["a", None]]}}
    result = judge_r(SOURCE, "with_factor", [("f", [], expected)])
    assert result.verdict == Verdict.AC, result.tests[0].message
    assert result.tests[0].actual.body["dtypes"] == ["factor", "Date"]
    result = judge_r(SOURCE, "mat", [("m", [], [[1, 3, 5], [2, 4, 6]])])
    assert result.verdict == Verdict.AC, result.tests[0].actual


@sandboxed
def test_strings_round_trip_exactly():
    text = 'quote " backslash \\ newline \n tab \t unicode é 😀 and ") system("id")'
    result = judge_r(SOURCE, "echo", [("text", [text], text), ("vector", [[text, "b"]], [text, "b"])])
    assert verdicts(result) == [Verdict.AC, Verdict.AC], [t.message for t in result.tests]


@sandboxed
def test_syntax_error_is_a_compile_error():
    result = judge_r("f <- function(x) {\n  x y\n}\n", "f", [("a", [1], 1), ("b", [2], 2)])
    assert verdicts(result) == [Verdict.CE, Verdict.CE]
    assert "unexpected symbol" in result.compile_output
    assert ":2:" in result.compile_output


@sandboxed
def test_missing_or_non_function_names_are_compile_errors():
    assert judge_r("g <- function() 1\n", "f", [("a", [], 1)]).compile_output == "function `f` is not defined"
    assert judge_r("f <- 3\n", "f", [("a", [], 1)]).compile_output == "function `f` is not a function"


@sandboxed
def test_errors_are_runtime_errors_with_their_message():
    source = "f <- function(x) if (x > 1) stop('too big: ', x) else x\n"
    result = judge_r(source, "f", [("ok", [1], 1), ("err", [5], 5)])
    assert verdicts(result) == [Verdict.AC, Verdict.RTE]
    assert result.tests[1].message == "too big: 5"


@sandboxed
def test_an_error_while_loading_fails_every_test():
    result = judge_r("stop('at load')\nf <- function() 1\n", "f", [("a", [], 1), ("b", [], 1)])
    assert verdicts(result) == [Verdict.RTE, Verdict.RTE]
    assert result.tests[0].message == "at load"


@pytest.mark.slow
@sandboxed
def test_only_the_slow_test_exceeds_the_time_limit():
    source = "f <- function(n) { if (n == 2) repeat {}; n }\n"
    result = judge_r(source, "f", [("a", [1], 1), ("slow", [2], 2), ("c", [3], 3)], limits=Limits(cpu_time_s=0.5))
    assert verdicts(result) == [Verdict.AC, Verdict.TLE, Verdict.AC]
    assert result.tests[1].time_ms >= 500


@pytest.mark.slow
@sandboxed
def test_swallowing_the_time_limit_error_does_not_escape_it():
    source = "f <- function() repeat tryCatch(repeat {}, error = function(e) NULL)\n"
    result = judge_r(source, "f", [("a", [], 1), ("b", [], 1)], limits=Limits(cpu_time_s=0.5))
    assert verdicts(result) == [Verdict.TLE, Verdict.TLE]


@sandboxed
def test_unsupported_return_values_are_wrong_answers():
    source = (
        "f <- function(kind) switch(kind, env = environment(), fun = function() 1,\n"
        "  lm = lm(y ~ x, data.frame(x = 1:3, y = c(2, 4, 7))))\n"
    )
    result = judge_r(source, "f", [("env", ["env"], 1), ("fun", ["fun"], 1), ("lm", ["lm"], 1)])
    assert verdicts(result) == [Verdict.WA] * 3
    assert result.tests[0].message == "unsupported return type environment"
    assert result.tests[1].message == "unsupported return type closure"
    assert result.tests[2].message == "unsupported return type lm"


@sandboxed
def test_a_crash_reruns_the_remaining_tests():
    source = "f <- function(n) { if (n == 2) tools::pskill(Sys.getpid(), 11L); n * 10 }\n"
    result = judge_r(source, "f", [("a", [1], 10), ("crash", [2], 20), ("c", [3], 30)])
    assert verdicts(result) == [Verdict.AC, Verdict.RTE, Verdict.AC]
    assert result.tests[1].message == "killed by SIGSEGV"


@sandboxed
def test_printed_output_is_captured_but_never_a_pass():
    source = "f <- function() { cat('all tests passed\\n'); message('to stderr'); 0 }\n"
    result = judge_r(source, "f", [("a", [], 1)])
    assert result.verdict == Verdict.WA
    assert "all tests passed" in result.stdout
    assert "to stderr" in result.stderr
    json.dumps(result.to_dict(), allow_nan=False)


@sandboxed
def test_global_definitions_do_not_break_the_harness():
    source = (
        "paste0 <- function(...) 'hijacked'\nsprintf <- function(...) 'x'\nc <- function(...) 0\n"
        "f <- function() list(a = 1)\n"
    )
    result = judge_r(source, "f", [("a", [], {"a": 1})])
    assert result.verdict == Verdict.AC, result.tests[0].message


def test_function_names_must_be_r_names():
    with pytest.raises(JudgeError, match="syntactic R name"):
        judge_r_function(FunctionSpec("x <- 1", "not a name", (FunctionTest("a", [], 1),)))
    with pytest.raises(JudgeError, match="NUL"):
        judge_r_function(FunctionSpec("f <- function(x) x", "f", (FunctionTest("a", ["a\x00"], 1),)))


@sandboxed
def test_a_nul_in_the_source_is_a_compile_error():
    result = judge_r("f <- function() 1\x00\n", "f", [("a", [], 1)])
    assert result.verdict == Verdict.CE
    assert "NUL" in result.compile_output


def test_without_r_grading_refuses_with_the_fix(monkeypatch):
    monkeypatch.setattr(runtimes, "RSCRIPT", "/nonexistent/Rscript")
    with pytest.raises(runtimes.RuntimeUnavailable, match="apt-get install r-base-core"):
        judge_r("f <- function() 1", "f", [("a", [], 1)])


@sandboxed
def test_closing_every_connection_does_not_lose_results():
    source = "f <- function(x) { closeAllConnections(); x * 2 }\n"
    result = judge_r(source, "f", [("a", [1], 2), ("b", [2], 4)])
    assert verdicts(result) == [Verdict.AC, Verdict.AC], [t.message for t in result.tests]
