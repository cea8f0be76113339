"""Output checkers (judge.validators): the built-in comparisons, Kattis flags, and custom output
validators in Python and C++ run in their own sandbox."""

import pytest

from judge import Checker, ProgramTest, Verdict
from judge.validators import (
    PreparedChecker,
    ValidatorError,
    checker_from_flags,
    compare,
    compare_exact,
    compare_tokens,
    compare_unordered_lines,
    parse_float,
)


def ok(result):
    return result.verdict == Verdict.AC


# -- exact ----------------------------------------------------------------------------------------


def test_exact_accepts_only_identical_bytes():
    assert ok(compare_exact(b"1 2\n3\n", b"1 2\n3\n"))
    r = compare_exact(b"1 2\n3\n", b"1 2\n4\n")
    assert r.verdict == Verdict.WA and r.message == "line 2: expected '3', got '4'"


def test_exact_names_a_missing_final_newline_and_trailing_whitespace():
    assert compare_exact(b"3\n", b"3").message == "line 1: the output does not end with a newline"
    assert compare_exact(b"3\n", b"3 \n").message == "line 1: expected '3', got '3 '"
    assert compare_exact(b"3\n", b"3\n\n").message == "line 2: unexpected newline at the end of the output"
    assert compare_exact(b"3\n", b"3\n4\n").message == "line 2: unexpected extra output '4'"
    assert compare_exact(b"3\n4\n5\n", b"3\n").message == "the output ends after line 1; expected 3 lines"
    assert compare_exact(b"3\n4\n", b"3\n4").message == "line 2: the output does not end with a newline"


def test_exact_shows_control_characters_escaped():
    r = compare_exact(b"a\n", b"a\r\n")
    assert r.message == "line 1: expected 'a', got 'a\\r'"


# -- tokens (Kattis default) ---------------------------------------------------------------------


@pytest.mark.parametrize("got", [b"1 2\n3\n", b"1   2 3", b"\n\n 1\t2\r\n3 \n\n", b"1\n2\n3"])
def test_tokens_ignore_the_amount_and_kind_of_whitespace(got):
    assert ok(compare_tokens(b"1 2\n3\n", got))


def test_tokens_are_case_insensitive_unless_asked():
    assert ok(compare_tokens(b"Yes\n", b"YES\n"))
    r = compare_tokens(b"Yes\n", b"YES\n", case_sensitive=True)
    assert r.verdict == Verdict.WA and r.message == "line 1: expected 'Yes', got 'YES'"


def test_tokens_report_the_line_of_the_output():
    r = compare_tokens(b"1\n2\n4\n", b"1\n2\n5\n")
    assert r.message == "line 3: expected '4', got '5'"


def test_tokens_missing_extra_and_empty_output():
    assert compare_tokens(b"1 2\n", b"1\n").message == "line 2: the output ends here; expected '2' next"
    assert compare_tokens(b"1\n", b"1 2\n").message == "line 1: unexpected extra output '2'"
    assert compare_tokens(b"1\n", b"").message == "the output is empty; expected '1'"
    assert compare_tokens(b"1\n", b" \n\n").message == "the output is empty; expected '1'"
    assert ok(compare_tokens(b"", b"\n"))


def test_numbers_compare_as_strings_without_a_tolerance():
    assert compare_tokens(b"1e-6\n", b"0.000001\n").verdict == Verdict.WA
    assert compare_tokens(b"2\n", b"2.0\n").verdict == Verdict.WA


def test_long_tokens_are_truncated_in_messages():
    r = compare_tokens(b"a\n", b"x" * 10_000 + b"\n")
    assert r.verdict == Verdict.WA and len(r.message) < 120 and r.message.endswith("...'")


def test_space_sensitive_requires_identical_whitespace_including_the_end():
    assert ok(compare_tokens(b"1 2\n", b"1 2\n", space_sensitive=True))
    assert compare_tokens(b"1 2\n", b"1  2\n", space_sensitive=True).message.startswith("line 1: whitespace differs")
    assert compare_tokens(b"1 2\n", b"1\t2\n", space_sensitive=True).verdict == Verdict.WA
    r = compare_tokens(b"1 2\n", b"1 2", space_sensitive=True)
    assert r.message == "line 1: whitespace differs: expected '\\n', got end of output"
    r = compare_tokens(b"1 2\n", b"1 2\n\n", space_sensitive=True)
    assert r.message == "line 1: whitespace differs: expected '\\n', got '\\n\\n'"
    assert compare_tokens(b"1 2\n", b" 1 2\n", space_sensitive=True).verdict == Verdict.WA
    assert ok(compare_tokens(b"A b\n", b"a B\n", space_sensitive=True))  # still case-insensitive


# -- floats ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("token,value", [
    (b"1", 1.0), (b"-2.5", -2.5), (b"+.5", 0.5), (b"3.", 3.0), (b"1e-6", 1e-6), (b"2.5E+3", 2500.0),
])
def test_parse_float_follows_the_kattis_grammar(token, value):
    assert parse_float(token) == value


@pytest.mark.parametrize("token", [b"nan", b"NaN", b"inf", b"-inf", b"infinity", b"0x1p3", b"1_000", b"1e999", b".", b"e5", b"1e"])
def test_parse_float_rejects_what_is_not_a_finite_decimal(token):
    assert parse_float(token) is None


def test_float_tolerance_absolute_or_relative_either_is_enough():
    assert ok(compare_tokens(b"1.0\n", b"1.0000005\n", abs_tol=1e-6))
    assert compare_tokens(b"1.0\n", b"1.000002\n", abs_tol=1e-6).verdict == Verdict.WA
    assert ok(compare_tokens(b"1000000\n", b"1000000.5\n", abs_tol=1e-6, rel_tol=1e-6))
    assert ok(compare_tokens(b"1e-6\n", b"0.000001\n", abs_tol=1e-9))
    assert ok(compare_tokens(b"0.5\n", b"5e-1\n", rel_tol=1e-9))
    assert ok(compare_tokens(b"2\n", b"2.0000000001\n", abs_tol=1e-6))  # integers are floats then


def test_float_messages_name_the_difference_and_tolerance():
    r = compare_tokens(b"0.5\n", b"0.6\n", abs_tol=1e-6)
    assert r.message == "line 1: expected 0.5, got 0.6 (difference 0.1 beyond absolute 1e-06 tolerance)"
    r = compare_tokens(b"0.5\n", b"abc\n", abs_tol=1e-6)
    assert r.message == "line 1: expected a number near 0.5, got 'abc'"


def test_nan_in_the_answer_compares_as_a_string():
    assert ok(compare_tokens(b"nan\n", b"NaN\n", abs_tol=1e-6))
    assert compare_tokens(b"nan\n", b"0.0\n", abs_tol=1e-6).verdict == Verdict.WA
    assert compare_tokens(b"1.0\n", b"nan\n", abs_tol=1e-6).message.startswith("line 1: expected a number")


def test_float_checker_without_tolerances_uses_1e_6():
    assert ok(compare(Checker(kind="float"), b"0.333333\n", b"0.3333333333\n"))
    assert compare(Checker(kind="float"), b"0.3333\n", b"0.3334\n").verdict == Verdict.WA


def test_tokens_checker_with_a_tolerance_compares_floats():
    assert ok(compare(Checker(kind="tokens", abs_tol=0.01), b"1.00\n", b"1.001\n"))


# -- unordered lines ------------------------------------------------------------------------------


def test_unordered_lines_are_a_multiset():
    assert ok(compare_unordered_lines(b"a 1\nb 2\nc 3\n", b"c 3\na 1\nb 2\n"))
    assert ok(compare_unordered_lines(b"a 1\nb 2\n", b"\n  B   2 \nA 1\n\n"))
    r = compare_unordered_lines(b"a\na\nb\n", b"a\nb\nb\n")
    assert r.verdict == Verdict.WA and r.message == "line 3: 'b' appears more often than expected"
    assert compare_unordered_lines(b"a\n", b"c\n").message == "line 1: 'c' is not an expected line"
    r = compare_unordered_lines(b"a\nb\n", b"b\n")
    assert r.message == "expected 2 lines, got 1: the line 'a' is missing"


def test_unordered_lines_flags():
    assert compare_unordered_lines(b"A\n", b"a\n", case_sensitive=True).verdict == Verdict.WA
    assert compare_unordered_lines(b"a b\n", b"a  b\n", space_sensitive=True).verdict == Verdict.WA


# -- Kattis flags -----------------------------------------------------------------------------------


def test_kattis_flags_make_a_checker():
    assert checker_from_flags("") == Checker()
    c = checker_from_flags("case_sensitive space_change_sensitive float_tolerance 1e-4")
    assert (c.kind, c.abs_tol, c.rel_tol, c.case_sensitive, c.space_sensitive) == ("float", 1e-4, 1e-4, True, True)
    c = checker_from_flags(["float_relative_tolerance", "0.001"])
    assert (c.kind, c.abs_tol, c.rel_tol) == ("float", None, 0.001)
    with pytest.raises(ValueError, match="unknown"):
        checker_from_flags("ignore_case")
    with pytest.raises(ValueError, match="needs a number"):
        checker_from_flags("float_tolerance")


def test_per_test_flags_apply_on_top_of_the_checker():
    with PreparedChecker(Checker()) as checker:
        test = ProgramTest("t", b"", b"0.5\n", checker_args=("float_absolute_tolerance", "0.1"))
        assert ok(checker.check(test, b"0.55\n"))
        assert checker.check(ProgramTest("u", b"", b"0.5\n"), b"0.55\n").verdict == Verdict.WA


def test_bad_checkers_are_refused():
    with pytest.raises(ValueError):
        PreparedChecker(Checker(kind="regex"))
    with pytest.raises(ValueError):
        PreparedChecker(Checker(kind="float", abs_tol=-1))
    with pytest.raises(ValueError):
        PreparedChecker(Checker(kind="custom"))


# -- custom validators (sandboxed) ------------------------------------------------------------------

PY_VALIDATOR = b'''import sys
n = int(open(sys.argv[1]).read())
expected = open(sys.argv[2]).read().split()
got = sys.stdin.read().split()
extra = sys.argv[4:]
if got == expected or (got and int(got[0]) == 2 * n):
    sys.exit(42)
with open(sys.argv[3] + "judgemessage.txt", "w") as f:
    f.write("wanted %d, flags %s" % (2 * n, " ".join(extra)))
sys.exit(43)
'''

CPP_VALIDATOR = b'''#include <cstdio>
#include <fstream>
#include "msg.h"
int main(int argc, char **argv) {
    std::ifstream in(argv[1]);
    long long n; in >> n;
    long long x;
    if (scanf("%lld", &x) != 1) { message(argv[3], "no number"); return 43; }
    if (x != n * n) { message(argv[3], "not the square"); return 43; }
    return 42;
}
'''
CPP_HEADER = b'''#include <cstdio>
#include <string>
inline void message(const char *dir, const char *text) {
    FILE *f = fopen((std::string(dir) + "judgemessage.txt").c_str(), "w");
    fputs(text, f); fclose(f);
}
'''


@pytest.mark.usefixtures("sandbox_ready")
def test_a_python_validator_accepts_rejects_and_explains():
    checker = Checker(kind="custom", files=(("check.py", PY_VALIDATOR),), args=("alpha",))
    with PreparedChecker(checker) as prepared:
        assert ok(prepared.check(ProgramTest("t", b"3\n", b"6\n"), b"6\n"))
        r = prepared.check(ProgramTest("t", b"3\n", b"6\n", checker_args=("beta",)), b"7\n")
        assert r.verdict == Verdict.WA and r.message == "wanted 6, flags alpha beta"


@pytest.mark.usefixtures("sandbox_ready")
def test_a_cpp_validator_with_a_header_is_compiled_once_and_runs():
    checker = Checker(kind="custom", files=(("check.cpp", CPP_VALIDATOR), ("msg.h", CPP_HEADER)))
    with PreparedChecker(checker) as prepared:
        assert ok(prepared.check(ProgramTest("t", b"4\n", b""), b"16\n"))
        r = prepared.check(ProgramTest("t", b"4\n", b""), b"15\n")
        assert (r.verdict, r.message) == (Verdict.WA, "not the square")
        assert prepared.check(ProgramTest("t", b"4\n", b""), b"").message == "no number"


@pytest.mark.usefixtures("sandbox_ready")
def test_a_validator_that_crashes_or_exits_oddly_is_an_internal_error():
    crash = Checker(kind="custom", files=(("v.py", b"import sys\nsys.stderr.write('boom')\nsys.exit(1)\n"),))
    with PreparedChecker(crash) as prepared:
        r = prepared.check(ProgramTest("t", b"", b""), b"x")
        assert r.verdict == Verdict.IE and "exit status 1" in r.message and "boom" in r.message
    zero = Checker(kind="custom", files=(("v.py", b"pass\n"),))
    with PreparedChecker(zero) as prepared:
        assert prepared.check(ProgramTest("t", b"", b""), b"x").verdict == Verdict.IE


@pytest.mark.usefixtures("sandbox_ready")
def test_a_validator_sees_only_its_files_and_cannot_write_them():
    source = b'''import os, sys
seen = sorted(os.listdir("/data")), sorted(os.listdir("/box"))
try:
    open("/data/answer", "w")
    wrote = "wrote"
except OSError as e:
    wrote = type(e).__name__
open(sys.argv[3] + "judgemessage.txt", "w").write(repr((seen, wrote, sys.argv[1:4])))
sys.exit(43)
'''
    with PreparedChecker(Checker(kind="custom", files=(("v.py", source),))) as prepared:
        r = prepared.check(ProgramTest("t", b"in", b"ans"), b"out")
    assert r.message == repr(((["answer", "input"], ["v.py"]), "OSError", ["/data/input", "/data/answer", "/work/feedback/"])) \
        or r.message == repr(((["answer", "input"], ["v.py"]), "PermissionError", ["/data/input", "/data/answer", "/work/feedback/"]))


@pytest.mark.usefixtures("sandbox_ready")
def test_a_validator_that_does_not_build_is_a_validator_error():
    with pytest.raises(ValidatorError, match="does not build"):
        PreparedChecker(Checker(kind="custom", files=(("v.cpp", b"int main( {"),)))
    with pytest.raises(ValidatorError, match="cannot be used"):
        PreparedChecker(Checker(kind="custom", files=(("V.java", b"class V {}"),)))
