"""stdin/stdout programs (judge.judge_program): verdicts per test for Python and C++, compile
errors, multi-file submissions, included files, groups and their scoring."""

import os
import shutil

import pytest

from judge import (
    Checker,
    JudgeError,
    Limits,
    ProgramSpec,
    ProgramTest,
    TestGroup,
    UnsupportedLanguage,
    Verdict,
    judge_program,
    language_for,
)
from judge.languages import detect_language, python_entry_point

pytestmark = pytest.mark.usefixtures("sandbox_ready")

QUICK = Limits(cpu_time_s=0.5, memory_mb=64, output_kb=64, wall_time_s=1.5)

PY_MODES = b'''import sys
words = sys.stdin.read().split()
mode = words[0]
if mode == "add":
    print(int(words[1]) + int(words[2]))
elif mode == "wrong":
    print(-1)
elif mode == "spin":
    while True:
        pass
elif mode == "sleep":
    import time
    time.sleep(100)
elif mode == "crash":
    raise ValueError("bad input")
elif mode == "exit3":
    sys.exit(3)
elif mode == "flood":
    while True:
        sys.stdout.write("x" * 65536)
elif mode == "hog":
    print(len(bytearray(10 ** 10)))
elif mode == "grow":
    hoard = []
    while True:
        hoard.append(b"x" * 10 ** 6)
elif mode == "noisy":
    print("debugging", file=sys.stderr)
    print(7)
'''

CPP_MODES = b'''#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>
#include <unistd.h>
int main() {
    char mode[32];
    if (scanf("%31s", mode) != 1) return 2;
    std::string m(mode);
    if (m == "add") { long long a, b; scanf("%lld %lld", &a, &b); printf("%lld\\n", a + b); }
    else if (m == "wrong") printf("-1\\n");
    else if (m == "spin") { volatile unsigned long x = 0; for (;;) x++; }
    else if (m == "sleep") sleep(100);
    else if (m == "segv") raise(SIGSEGV);
    else if (m == "exit3") return 3;
    else if (m == "flood") { std::string s(65536, 'x'); for (;;) fwrite(s.data(), 1, s.size(), stdout); }
    else if (m == "hog") { char *p = new char[10ULL << 30]; p[0] = 1; printf("%d\\n", p[0]); }
    else if (m == "grow") { std::vector<char *> v; for (;;) { char *p = (char *)malloc(1 << 20); if (!p) abort(); memset(p, 1, 1 << 20); v.push_back(p); } }
    else if (m == "noisy") { fprintf(stderr, "debugging\\n"); printf("7\\n"); }
    return 0;
}
'''


def mode_tests(*modes):
    answers = {"add": b"5\n", "noisy": b"7\n"}
    return tuple(ProgramTest(m, (m + " 2 3\n").encode(), answers.get(m, b"5\n")) for m in modes)


def judge(files, language, tests, **kwargs):
    kwargs.setdefault("limits", QUICK)
    return judge_program(ProgramSpec(files=tuple(files), language=language, tests=tuple(tests), **kwargs))


def verdicts(result):
    return {t.name: t.verdict for t in result.tests}


@pytest.mark.slow
def test_python_verdicts_per_test():
    result = judge([("sol.py", PY_MODES)], "python",
                   mode_tests("add", "wrong", "spin", "sleep", "crash", "exit3", "flood", "hog", "grow", "noisy"))
    assert verdicts(result) == {
        "add": Verdict.AC, "wrong": Verdict.WA, "spin": Verdict.TLE, "sleep": Verdict.TLE, "crash": Verdict.RTE,
        "exit3": Verdict.RTE, "flood": Verdict.OLE, "hog": Verdict.MLE, "grow": Verdict.MLE, "noisy": Verdict.AC,
    }
    by_name = {t.name: t for t in result.tests}
    assert by_name["crash"].message == "exit status 1: ValueError: bad input"
    assert by_name["exit3"].message == "exit status 3"
    assert by_name["wrong"].message == "line 1: expected '5', got '-1'"
    assert "wall clock" in by_name["sleep"].message
    assert by_name["spin"].time_ms >= 500
    assert by_name["add"].memory_kb > 0
    assert result.verdict == Verdict.WA  # the first failing test's
    assert result.score == pytest.approx(0.2)
    assert not any(t.not_run for t in result.tests)


@pytest.mark.slow
def test_cpp_verdicts_per_test():
    result = judge([("sol.cpp", CPP_MODES)], "cpp",
                   mode_tests("add", "wrong", "spin", "segv", "exit3", "flood", "hog", "grow", "noisy"))
    assert verdicts(result) == {
        "add": Verdict.AC, "wrong": Verdict.WA, "spin": Verdict.TLE, "segv": Verdict.RTE, "exit3": Verdict.RTE,
        "flood": Verdict.OLE, "hog": Verdict.MLE, "grow": Verdict.MLE, "noisy": Verdict.AC,
    }
    by_name = {t.name: t for t in result.tests}
    assert by_name["segv"].message == "killed by SIGSEGV"
    assert result.compile_output == ""


def test_c_programs_compile_with_gcc():
    source = b'#include <stdio.h>\n#include <math.h>\nint main(void){double x; scanf("%lf",&x); printf("%.0f\\n", sqrt(x)); return 0;}\n'
    result = judge([("root.c", source)], "c", [ProgramTest("t", b"49\n", b"7\n")])
    assert result.verdict == Verdict.AC


def test_a_python_syntax_error_is_a_compile_error_for_every_test():
    result = judge([("sol.py", b"print(1\n")], "python", mode_tests("add", "wrong"))
    assert result.verdict == Verdict.CE and result.score == 0
    assert "SyntaxError" in result.compile_output and 'File "sol.py", line 1' in result.compile_output
    assert [t.verdict for t in result.tests] == [Verdict.CE, Verdict.CE]


def test_a_cpp_compile_error_names_the_file_and_line():
    result = judge([("sol.cpp", b"int main() {\n  return x;\n}\n")], "cpp", mode_tests("add"))
    assert result.verdict == Verdict.CE
    assert "sol.cpp:2:" in result.compile_output and "/box/" not in result.compile_output


def test_a_link_error_is_a_compile_error():
    result = judge([("sol.cpp", b"int helper();\nint main() { return helper(); }\n")], "cpp", mode_tests("add"))
    assert result.verdict == Verdict.CE and "helper" in result.compile_output


def test_multi_file_python_runs_the_entry_point_with_its_modules():
    files = [("main.py", b"from tools import add\nimport sys\nprint(add(*map(int, sys.stdin.read().split()[1:])))\n"),
             ("tools.py", b"def add(a, b):\n    return a + b\n")]
    assert judge(files, "python", mode_tests("add")).verdict == Verdict.AC


def test_python_entry_point_rules():
    assert python_entry_point({"a.py": b""}) == "a.py"
    assert python_entry_point({"a.py": b"", "main.py": b""}) == "main.py"
    assert python_entry_point({"a.py": b"x = 1", "b.py": b"if __name__ == '__main__':\n    pass\n"}) == "b.py"
    assert python_entry_point({"a.py": b"", "b.py": b""}) is None
    result = judge([("a.py", b"print(5)\n"), ("b.py", b"print(5)\n")], "python", mode_tests("add"))
    assert result.verdict == Verdict.CE and "main.py" in result.compile_output


def test_included_files_are_added_and_win_over_the_submission():
    files = [("sol.py", b"from lib import value\nif __name__ == '__main__':\n    print(value())\n"),
             ("lib.py", b"def value():\n    return -1\n")]
    include = (("lib.py", b"def value():\n    return 5\n"),)
    assert judge(files, "python", mode_tests("add"), include_files=include).verdict == Verdict.AC


def test_languages_by_extension():
    assert [language_for(n) for n in ("a.py", "a.c", "a.cc", "a.cpp", "a.cxx", "a.c++", "a.C", "a.R", "a.r")] == \
        ["python", "c", "cpp", "cpp", "cpp", "cpp", "cpp", "r", "r"]
    assert language_for("A.java") is None and language_for("x.kt") is None and language_for("Makefile") is None
    assert detect_language(["main.cpp", "util.h", "util.cpp"]) == "cpp"
    with pytest.raises(UnsupportedLanguage, match="Java"):
        detect_language(["Main.java"])
    with pytest.raises(UnsupportedLanguage, match="more than one language"):
        detect_language(["a.py", "b.cpp"])


def test_unsupported_languages_and_bad_specs_are_refused():
    with pytest.raises(UnsupportedLanguage):
        judge([("Main.java", b"class Main {}")], "java", mode_tests("add"))
    with pytest.raises(ValueError, match="no tests"):
        judge([("a.py", b"")], "python", [])
    with pytest.raises(ValueError, match="not declared"):
        judge([("a.py", b"")], "python", [ProgramTest("t", b"", b"", group="g")], groups=(TestGroup("h"),))
    with pytest.raises(ValueError, match="not allowed"):
        judge([("../evil.py", b"print(1)")], "python", mode_tests("add"))


def test_r_programs_run_with_rscript_or_are_reported_missing():
    files = [("sol.R", b'x <- scan(file("stdin"), what = "", quiet = TRUE)\ncat(as.integer(x[2]) + as.integer(x[3]), "\\n")\n')]
    if shutil.which("Rscript") is None and not os.path.exists("/usr/bin/Rscript"):
        with pytest.raises(JudgeError, match="r-base-core"):
            judge(files, "r", mode_tests("add"))
    else:
        assert judge(files, "r", mode_tests("add"), limits=Limits(cpu_time_s=5, memory_mb=256)).verdict == Verdict.AC


# -- groups and scoring -------------------------------------------------------------------------

ECHO_SOLVES_SMALL = b"n = int(input())\nprint(n if n < 10 else -n)\n"


def number_tests():
    # group "easy": 1, 2, 3 (solved); group "hard": 40, 5, 60 (only 5 solved)
    easy = [ProgramTest(f"easy/{n}", f"{n}\n".encode(), f"{n}\n".encode(), group="easy") for n in (1, 2, 3)]
    hard = [ProgramTest(f"hard/{n}", f"{n}\n".encode(), f"{n}\n".encode(), group="hard") for n in (40, 5, 60)]
    return easy + hard


def test_an_all_or_nothing_group_stops_at_its_first_failure():
    groups = (TestGroup("easy", 30, "all"), TestGroup("hard", 70, "all"))
    result = judge([("s.py", ECHO_SOLVES_SMALL)], "python", number_tests(), groups=groups)
    hard = [t for t in result.tests if t.group == "hard"]
    assert [t.verdict for t in hard] == [Verdict.WA, Verdict.WA, Verdict.WA]
    assert [t.not_run for t in hard] == [False, True, True]
    assert hard[1].message == "not run: hard/40 failed in this all-or-nothing group" and hard[1].time_ms == 0
    assert result.score == pytest.approx(0.3)
    assert result.verdict == Verdict.WA


def test_a_sum_group_scores_the_fraction_of_its_tests():
    groups = (TestGroup("easy", 30, "all"), TestGroup("hard", 70, "sum"))
    tests = number_tests()
    tests[4] = ProgramTest("hard/5", b"5\n", b"5\n", group="hard", weight=2)
    result = judge([("s.py", ECHO_SOLVES_SMALL)], "python", tests, groups=groups)
    assert not any(t.not_run for t in result.tests)
    assert result.score == pytest.approx(0.3 + 0.7 * 2 / 4)


def test_ungrouped_tests_count_for_the_verdict_but_not_the_score_when_groups_exist():
    tests = [ProgramTest("sample", b"50\n", b"50\n", is_sample=True)] + number_tests()[:3]
    result = judge([("s.py", ECHO_SOLVES_SMALL)], "python", tests, groups=(TestGroup("easy", 1, "all"),))
    assert result.verdict == Verdict.WA and result.score == 1.0


def test_without_groups_the_score_is_the_weighted_fraction():
    tests = [ProgramTest("a", b"1\n", b"1\n", weight=3), ProgramTest("b", b"50\n", b"50\n", weight=1)]
    assert judge([("s.py", ECHO_SOLVES_SMALL)], "python", tests).score == pytest.approx(0.75)


def test_only_sample_output_is_returned_with_the_result():
    tests = [ProgramTest("sample", b"1\n", b"2\n", is_sample=True), ProgramTest("secret", b"3\n", b"3\n")]
    source = b"import sys\nn = input()\nprint(n)\nprint('err', n, file=sys.stderr)\n"
    result = judge([("s.py", source)], "python", tests)
    assert result.stdout == "1\n" and result.stderr == "err 1\n"
    only_secret = judge([("s.py", source)], "python", tests[1:])
    assert only_secret.stdout == "" and only_secret.stderr == ""


def test_the_checker_kind_is_used():
    tests = [ProgramTest("t", b"", b"b 2\na 1\n")]
    source = b"print('a 1')\nprint('b 2')\n"
    assert judge([("s.py", source)], "python", tests).verdict == Verdict.WA
    assert judge([("s.py", source)], "python", tests, checker=Checker(kind="unordered_lines")).verdict == Verdict.AC


def test_result_dicts_are_json_ready():
    import json

    result = judge([("s.py", ECHO_SOLVES_SMALL)], "python", number_tests()[:2])
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert set(data["tests"][0]) >= {"name", "verdict", "time_ms", "memory_kb", "group", "not_run", "message"}


def test_the_same_program_is_compiled_once():
    from judge import program_build

    source = b"#include <cstdio>\nint main(){int n; scanf(\"%d\",&n); printf(\"%d\\n\", n);}\n"
    first = program_build.build_program({"echo.cpp": source}, "cpp")
    again = program_build.build_program({"echo.cpp": source}, "cpp")
    assert first is again
