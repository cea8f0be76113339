"""Grading function-style Python questions, through the real sandbox."""

import json
import math
import threading

import pytest

from judge import (
    FunctionSpec,
    FunctionTest,
    JudgeError,
    Limits,
    SandboxUnavailable,
    Verdict,
    judge_python_function,
    sandbox_problems,
)
from judge.sandbox import host, tools

pytestmark = pytest.mark.usefixtures("sandbox_ready")

FAST = Limits(cpu_time_s=1.0)


def spec_of(source, function_name, tests, **kwargs):
    tests = tuple(t if isinstance(t, FunctionTest) else FunctionTest(*t) for t in tests)
    kwargs.setdefault("limits", FAST)
    return FunctionSpec(source=source, function_name=function_name, tests=tests, **kwargs)


def verdicts(result):
    return [t.verdict for t in result.tests]


def test_correct_function_is_accepted_on_every_test():
    source = """
def stats(xs):
    mean = sum(xs) / len(xs)
    return {"mean": mean, "sorted": sorted(xs), "n": len(xs), "name": "ok"}
"""
    result = judge_python_function(
        spec_of(
            source,
            "stats",
            [
                ("ints", [[3, 1, 2]], {"mean": 2.0, "sorted": [1, 2, 3], "n": 3, "name": "ok"}),
                ("thirds", [[0.1, 0.2]], {"mean": 0.15, "sorted": [0.1, 0.2], "n": 2, "name": "ok"}),
                ("one", [[5]], {"mean": 5, "sorted": [5], "n": 1, "name": "ok"}),
            ],
        )
    )
    assert result.verdict == Verdict.AC
    assert result.score == 1.0
    assert verdicts(result) == [Verdict.AC] * 3
    assert result.tests[0].actual == {"mean": 2.0, "sorted": [1, 2, 3], "n": 3, "name": "ok"}
    assert result.compile_output == ""
    assert result.memory_kb > 0


def test_floats_within_tolerance_pass_and_outside_fail():
    source = "def f(x):\n    return x + 1e-12 if x < 10 else x + 1e-3\n"
    result = judge_python_function(spec_of(source, "f", [("close", [1.0], 1.0), ("far", [100.0], 100.0)]))
    assert verdicts(result) == [Verdict.AC, Verdict.WA]
    assert result.tests[1].message == "expected 100.0, got 100.001"


def test_wrong_answers_score_by_weight():
    source = "def double(x):\n    return x * 2 if x != 3 else 7\n"
    result = judge_python_function(
        spec_of(
            source,
            "double",
            [
                FunctionTest("a", [1], 2, weight=1),
                FunctionTest("b", [3], 6, weight=2),
                FunctionTest("c", [5], 10, weight=1),
            ],
        )
    )
    assert result.verdict == Verdict.WA
    assert verdicts(result) == [Verdict.AC, Verdict.WA, Verdict.AC]
    assert result.score == pytest.approx(0.5)
    assert result.tests[1].message == "expected 6, got 7"
    assert result.tests[1].actual == 7


def test_syntax_error_is_a_compile_error_with_its_line():
    source = "def f(x):\n    return x\n\ndef g(:\n    pass\n"
    result = judge_python_function(spec_of(source, "f", [("a", [1], 1), ("b", [2], 2)]))
    assert result.verdict == Verdict.CE
    assert result.score == 0.0
    assert verdicts(result) == [Verdict.CE, Verdict.CE]
    assert "SyntaxError" in result.compile_output
    assert "line 4" in result.compile_output
    assert "def g(:" in result.compile_output


def test_missing_function_is_a_compile_error():
    result = judge_python_function(spec_of("def other():\n    return 1\n", "solve", [("a", [], 1)]))
    assert result.verdict == Verdict.CE
    assert result.compile_output == "function `solve` is not defined"


def test_name_that_is_not_callable_is_a_compile_error():
    result = judge_python_function(spec_of("solve = 3\n", "solve", [("a", [], 3)]))
    assert result.verdict == Verdict.CE
    assert "not callable" in result.compile_output


def test_exception_is_a_runtime_error_with_its_message():
    source = "def f(a, b):\n    return a / b\n"
    result = judge_python_function(spec_of(source, "f", [("ok", [6, 3], 2), ("zero", [1, 0], 0)]))
    assert verdicts(result) == [Verdict.AC, Verdict.RTE]
    assert result.verdict == Verdict.RTE
    assert result.tests[1].message == "ZeroDivisionError: division by zero"
    assert result.tests[1].actual is None


def test_exception_while_loading_the_module_fails_every_test():
    source = "import nonexistent_module_xyz\ndef f():\n    return 1\n"
    result = judge_python_function(spec_of(source, "f", [("a", [], 1), ("b", [], 1)]))
    assert verdicts(result) == [Verdict.RTE, Verdict.RTE]
    assert "ModuleNotFoundError" in result.tests[0].message


def test_system_exit_in_the_function_is_a_runtime_error():
    source = "import sys\ndef f():\n    sys.exit(0)\n"
    result = judge_python_function(spec_of(source, "f", [("a", [], 1)]))
    assert result.verdict == Verdict.RTE
    assert result.tests[0].message.startswith("SystemExit")


@pytest.mark.slow
def test_only_the_slow_test_exceeds_the_time_limit():
    source = """
def f(n):
    if n == 2:
        while True:
            pass
    return n
"""
    result = judge_python_function(
        spec_of(source, "f", [("a", [1], 1), ("slow", [2], 2), ("c", [3], 3)], limits=Limits(cpu_time_s=0.3))
    )
    assert verdicts(result) == [Verdict.AC, Verdict.TLE, Verdict.AC]
    assert result.verdict == Verdict.TLE
    assert result.tests[1].time_ms >= 300
    assert result.score == pytest.approx(2 / 3)


def test_crash_at_one_test_reruns_the_remaining_tests_in_a_fresh_sandbox():
    source = """
import os, signal
def f(n):
    if n == 2:
        os.kill(os.getpid(), signal.SIGSEGV)
    return n * 10
"""
    result = judge_python_function(
        spec_of(source, "f", [("a", [1], 10), ("crash", [2], 20), ("c", [3], 30), ("d", [4], 40)])
    )
    assert verdicts(result) == [Verdict.AC, Verdict.RTE, Verdict.AC, Verdict.AC]
    assert result.tests[1].message == "killed by SIGSEGV"


def test_restarts_are_capped_and_the_rest_is_marked_not_run():
    source = "import os\ndef f(n):\n    os.abort()\n"
    tests = [(f"t{i}", [i], i) for i in range(7)]
    result = judge_python_function(spec_of(source, "f", tests))
    assert verdicts(result) == [Verdict.RTE] * 7
    assert [t.message for t in result.tests[:4]] == ["killed by SIGABRT"] * 4
    assert all(t.message.startswith("not run") for t in result.tests[4:])


def test_bool_is_not_equal_to_int_either_way():
    source = "def f(x):\n    return x\n"
    result = judge_python_function(
        spec_of(source, "f", [("true-for-1", [True], 1), ("1-for-true", [1], True), ("false", [False], False)])
    )
    assert verdicts(result) == [Verdict.WA, Verdict.WA, Verdict.AC]


def test_tuple_is_equal_to_list():
    source = "def f():\n    return (1, (2, 3), [4])\n"
    result = judge_python_function(spec_of(source, "f", [("a", [], [1, [2, 3], [4]])]))
    assert result.verdict == Verdict.AC
    assert result.tests[0].actual == [1, [2, 3], [4]]


def test_nan_equals_only_nan_and_infinities_compare_by_sign():
    source = "def f(x):\n    return float(x)\n"
    result = judge_python_function(
        spec_of(
            source,
            "f",
            [
                ("nan", ["nan"], math.nan),
                ("nan-for-number", ["nan"], 1.0),
                ("number-for-nan", ["1.5"], math.nan),
                ("inf", ["inf"], math.inf),
                ("-inf-for-inf", ["-inf"], math.inf),
            ],
        )
    )
    assert verdicts(result) == [Verdict.AC, Verdict.WA, Verdict.WA, Verdict.AC, Verdict.WA]
    assert math.isnan(result.tests[0].actual)
    json.dumps(result.to_dict(), allow_nan=False)  # NaN is spelled out for JSON columns
    assert result.to_dict()["tests"][0]["actual"] == "NaN"


def test_int_and_float_compare_with_tolerance_but_ints_compare_exactly():
    source = "def f(x):\n    return x\n"
    result = judge_python_function(
        spec_of(source, "f", [("int-for-float", [3], 3.0), ("big", [10**20 + 1], 10**20), ("float-for-int", [2.0], 2)])
    )
    assert verdicts(result) == [Verdict.AC, Verdict.WA, Verdict.AC]


def test_returned_objects_other_than_plain_json_types_are_wrong_answers():
    source = """
class Anything:
    def __eq__(self, other):
        return True
class MyInt(int):
    pass
def f(kind):
    return {"obj": Anything(), "sub": MyInt(3), "set": {3}, "key": {1: 3}, "nested": [[Anything()]]}[kind]
"""
    tests = [(k, [k], 3) for k in ("obj", "sub", "set", "key", "nested")]
    result = judge_python_function(spec_of(source, "f", tests))
    assert verdicts(result) == [Verdict.WA] * 5
    assert result.tests[0].message == "unsupported return type Anything"
    assert result.tests[1].message == "unsupported return type MyInt"
    assert result.tests[2].message == "unsupported return type set"
    assert result.tests[3].message == "unsupported dict key type int"
    assert all(t.actual is None for t in result.tests)


def test_printed_output_is_captured_but_never_a_pass():
    source = 'def f():\n    print("all tests passed")\n    print("AC")\n    return 0\n'
    result = judge_python_function(spec_of(source, "f", [("a", [], 1)]))
    assert result.verdict == Verdict.WA
    assert result.stdout == "all tests passed\nAC\n"


def test_unicode_strings_and_nested_values_round_trip():
    source = "def f(s):\n    return {'s': s[::-1], 'l': [s, None, True, -0.5, 2**70]}\n"
    expected = {"s": "ßéλ😀"[::-1], "l": ["ßéλ😀", None, True, -0.5, 2**70]}
    result = judge_python_function(spec_of(source, "f", [("u", ["ßéλ😀"], expected)]))
    assert result.verdict == Verdict.AC
    assert result.tests[0].actual == expected


def test_legitimate_deep_recursion_works_after_raising_the_limit():
    source = """
import sys
sys.setrecursionlimit(20000)
def depth(n):
    return 0 if n == 0 else 1 + depth(n - 1)
"""
    result = judge_python_function(spec_of(source, "depth", [("deep", [5000], 5000)]))
    assert result.verdict == Verdict.AC


def test_oversized_source_is_a_compile_error():
    source = "x = 1\n" * 60000 + "def f():\n    return 1\n"
    result = judge_python_function(spec_of(source, "f", [("a", [], 1)]))
    assert result.verdict == Verdict.CE
    assert "too large" in result.compile_output


def test_result_to_dict_is_plain_json():
    result = judge_python_function(spec_of("def f():\n    return [1, 'x']\n", "f", [("a", [], [1, "x"])]))
    data = result.to_dict()
    assert json.loads(json.dumps(data, allow_nan=False)) == data
    assert data["verdict"] == "AC"
    assert data["tests"][0] == {"name": "a", "verdict": "AC", "time_ms": 0, "message": "", "actual": [1, "x"]}


def test_concurrent_gradings_each_get_their_own_sandbox():
    spec = spec_of("def f(x):\n    return x + 1\n", "f", [(f"t{i}", [i], i + 1) for i in range(3)])
    results = []

    def grade():
        results.append(judge_python_function(spec))

    threads = [threading.Thread(target=grade) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.verdict for r in results] == [Verdict.AC] * 6


def test_malformed_specs_are_judge_errors_not_verdicts():
    with pytest.raises(JudgeError):
        judge_python_function(spec_of("def f(): pass", "not an identifier", [("a", [], 1)]))
    with pytest.raises(JudgeError):
        judge_python_function(spec_of("def f(): pass", "f", []))
    with pytest.raises(JudgeError):
        judge_python_function(spec_of("def f(x): pass", "f", [("a", [object()], 1)]))


def test_sandbox_problems_is_empty_on_a_prepared_host():
    assert sandbox_problems() == []


def test_missing_bubblewrap_fails_closed_naming_the_fix(monkeypatch):
    real_find_tool = tools.find_tool
    monkeypatch.setattr(host, "_host_ok", False)
    monkeypatch.setattr(tools, "find_tool", lambda name: None if name == "bwrap" else real_find_tool(name))
    assert "bubblewrap (bwrap) is not installed: apt-get install bubblewrap" in sandbox_problems()
    with pytest.raises(SandboxUnavailable, match="apt-get install bubblewrap"):
        judge_python_function(spec_of("def f():\n    return 1\n", "f", [("a", [], 1)]))


def test_large_source_and_many_tests_travel_through_the_pipes():
    padding = "".join(f"CONSTANT_{i} = {'x' * 60!r}\n" for i in range(2500))  # ~200 KiB
    source = padding + "def f(x):\n    return [x] * 3\n"
    tests = [(f"t{i}", [i], [i, i, i]) for i in range(300)]
    result = judge_python_function(spec_of(source, "f", tests))
    assert result.verdict == Verdict.AC
    assert len(result.tests) == 300


def test_oversized_return_value_is_a_wrong_answer():
    source = "def f():\n    return 'x' * (2 * 2**20)\n"
    result = judge_python_function(spec_of(source, "f", [("big", [], "x")]))
    assert result.verdict == Verdict.WA
    assert "too large" in result.tests[0].message
