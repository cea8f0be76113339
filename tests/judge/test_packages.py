"""Kattis problem packages (judge.packages): loading the fixture packages in every supported
format, verifying that each of their submissions gets its expected verdict, time-limit
inference, and malformed packages refused with a message naming the problem and the file."""

import os
import shutil
from pathlib import Path

import pytest

from judge import Verdict
from judge.packages import (
    INFERENCE_CAP_S,
    PackageError,
    infer_time_limit,
    judge_package_submission,
    load_package,
    time_limit_from_runtime,
    verify_package,
)

PACKAGES = Path(__file__).with_name("packages")
FIXTURES = ["addtwo", "fairshares", "twoparts", "doubles"]

pytestmark = pytest.mark.usefixtures("sandbox_ready")


# -- loading --------------------------------------------------------------------------------------


def test_legacy_package_loads():
    pkg = load_package(PACKAGES / "addtwo")
    assert (pkg.name, pkg.title, pkg.format_version, pkg.scoring) == ("addtwo", "Add Two Numbers", "legacy", False)
    assert [t.name for t in pkg.tests] == ["sample/1", "secret/01", "secret/02", "secret/03"]
    assert pkg.tests[0].is_sample and pkg.tests[0].input == b"1 2\n" and pkg.tests[0].answer == b"3\n"
    assert [(g.name, g.weight, g.aggregation) for g in pkg.groups] == [("sample", 0.0, "sum"), ("secret", 3.0, "all")]
    assert pkg.checker.kind == "tokens"
    assert pkg.time_limit_s is None and pkg.time_limit_source == ""
    assert pkg.limits.memory_mb == 256 and pkg.limits.output_kb == 8 * 1024
    assert "## Input" in pkg.statement and "*one*" in pkg.statement and "\\problemname" not in pkg.statement
    assert sorted(pkg.submissions) == ["accepted", "run_time_error", "time_limit_exceeded", "wrong_answer"]
    assert [p.name for p in pkg.submissions["accepted"]] == ["add.cpp", "add.py", "multi_cpp", "multi_py"]


def test_2023_07_scoring_package_with_groups_and_float_tolerance_loads():
    pkg = load_package(PACKAGES / "fairshares")
    assert (pkg.format_version, pkg.scoring, pkg.title) == ("2023-07", True, "Fair Shares")
    assert pkg.time_limit_s == 1.0 and pkg.time_limit_source == "problem.yaml"
    assert [(g.name, g.weight, g.aggregation) for g in pkg.groups] == [
        ("sample", 0.0, "sum"), ("secret/group1", 40.0, "all"), ("secret/group2", 60.0, "sum")]
    assert [t.name for t in pkg.tests][1:] == ["secret/group1/1", "secret/group1/2", "secret/group2/1", "secret/group2/2"]
    assert all(t.checker_args == ("float_tolerance", "1e-6") for t in pkg.tests)
    assert pkg.statement.startswith("# Fair Shares")


def test_custom_validator_packages_load():
    legacy = load_package(PACKAGES / "twoparts")
    assert legacy.checker.kind == "custom" and [n for n, _ in legacy.checker.files] == ["parts.py"]
    assert legacy.time_limit_s == 1.0 and legacy.time_limit_source == ".timelimit"
    modern = load_package(PACKAGES / "doubles")
    assert modern.format_version == "2025-09"
    assert [n for n, _ in modern.checker.files] == ["feedback.h", "validate.cpp"]
    assert modern.paths["output_validator"].name == "output_validator"
    assert [n for n, _ in modern.include_files["cpp"]] == ["twice.h"]
    assert [n for n, _ in modern.include_files["python"]] == ["twice.py"]
    assert "c" not in modern.include_files


# -- verifying ------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("name", FIXTURES)
def test_every_fixture_submission_gets_its_expected_verdict(name):
    pkg = load_package(PACKAGES / name)
    results = verify_package(pkg)
    bad = [r for r in results if r["ok"] is not True]
    assert not bad, bad
    expected_folders = {r["expected"] for r in results}
    assert "accepted" in expected_folders
    for r in results:
        assert set(r) >= {"path", "expected", "got", "ok", "time_ms"}


def test_time_limit_inferred_the_legacy_way():
    pkg = load_package(PACKAGES / "addtwo")
    limit = infer_time_limit(pkg)
    assert limit == 1.0 and pkg.time_limit_source == "inferred" and pkg.limits.cpu_time_s == 1.0
    assert pkg.inference["rule"].startswith("max(1, round(")
    assert len(pkg.inference["from"]) == 4  # the four accepted submissions
    assert 0 < pkg.inference["slowest_s"] < 0.5


def test_time_limit_inferred_the_2023_07_way():
    pkg = load_package(PACKAGES / "doubles")
    assert infer_time_limit(pkg) == 1.0
    assert pkg.inference["rule"].startswith("smallest multiple of 1 s")
    # accepted, wrong_answer and run_time_error submissions all bound the limit from below
    assert {p.split("/")[1] for p in pkg.inference["from"]} == {"accepted", "wrong_answer", "run_time_error"}


def test_time_limit_rules():
    legacy = {"rule": "legacy", "time_multiplier": 5.0, "time_safety_margin": 2.0}
    assert time_limit_from_runtime(0.05, legacy)[:2] == (1.0, 2.0)
    assert time_limit_from_runtime(0.29, legacy)[:2] == (1.0, 3.0)  # 1.45 rounds to 1; margin round(2.9)
    assert time_limit_from_runtime(0.3, legacy)[:2] == (2.0, 3.0)  # 1.5 rounds up to 2
    assert time_limit_from_runtime(0.9, {**legacy, "time_multiplier": 3.0})[0] == 3.0
    modern = {"rule": "2023-07", "ac_to_time_limit": 2.0, "time_limit_to_tle": 1.5, "time_resolution": 1.0}
    assert time_limit_from_runtime(0.01, modern)[:2] == (1.0, 1.5)
    assert time_limit_from_runtime(0.6, modern)[0] == 2.0  # 1.2 -> next whole second
    assert time_limit_from_runtime(0.6, {**modern, "time_resolution": 0.5})[0] == 1.5
    assert time_limit_from_runtime(1.0, modern)[0] == 2.0  # exactly 2 stays 2


def test_judging_one_submission_folder_and_language_override(tmp_path):
    pkg = load_package(PACKAGES / "addtwo")
    pkg.time_limit_s = 1.0  # skip inference here
    result = judge_package_submission(pkg, PACKAGES / "addtwo/submissions/accepted/multi_cpp")
    assert result.verdict == Verdict.AC and result.score == 1.0
    bare = tmp_path / "solution"
    bare.write_text("a, b = map(int, input().split())\nprint(a - b)\n")
    result = judge_package_submission(pkg, bare, "python")
    assert result.verdict == Verdict.WA
    assert [t.not_run for t in result.tests] == [False, False, True, True]  # secret is all-or-nothing


def test_scoring_package_scores_by_group():
    pkg = load_package(PACKAGES / "fairshares")
    result = judge_package_submission(pkg, PACKAGES / "fairshares/submissions/wrong_answer/integer_division.py")
    assert result.verdict == Verdict.WA
    assert result.score == pytest.approx(0.4)  # group1 (40 of 100) passes, group2 fails


def test_validator_message_reaches_the_test_result():
    pkg = load_package(PACKAGES / "twoparts")
    result = judge_package_submission(pkg, PACKAGES / "twoparts/submissions/wrong_answer/zero_first.py")
    assert result.tests[0].verdict == Verdict.WA
    assert result.tests[0].message == "both parts must be positive"


# -- malformed packages ----------------------------------------------------------------------------

GOOD = {
    "problem.yaml": "name: Echo\n",
    "data/secret/1.in": "1\n",
    "data/secret/1.ans": "1\n",
    "submissions/accepted/echo.py": "print(input())\n",
    ".timelimit": "1\n",
}


def make(tmp_path, changes=None, name="echo"):
    root = tmp_path / name
    files = dict(GOOD)
    files.update(changes or {})
    for rel, text in files.items():
        if text is None:
            continue
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_a_minimal_package_loads(tmp_path):
    pkg = load_package(make(tmp_path))
    assert pkg.title == "Echo" and len(pkg.tests) == 1 and pkg.groups[0].name == "secret"


@pytest.mark.parametrize("changes,where,what", [
    ({"problem.yaml": None}, "problem.yaml", "missing"),
    ({"problem.yaml": "name: [x\n"}, "problem.yaml", "invalid YAML"),
    ({"problem.yaml": "- a\n- b\n"}, "problem.yaml", "must be a map"),
    ({"problem.yaml": "problem_format_version: 2023-07-draft\nuuid: x\n"}, "problem.yaml", "name is missing"),
    ({"problem.yaml": "problem_format_version: 1999-01\nname: E\n"}, "problem.yaml", "not supported"),
    ({"problem.yaml": "name: E\ntype: interactive\n"}, "problem.yaml", "not supported"),
    ({"problem.yaml": "name: E\nvalidation: custom interactive\n"}, "problem.yaml", "interactive"),
    ({"problem.yaml": "name: E\nlimits: 5\n"}, "problem.yaml", "limits must be a map"),
    ({"problem.yaml": "name: E\nlimits:\n  memory: -5\n"}, "problem.yaml", "limits.memory"),
    ({"problem.yaml": "name: E\nvalidator_flags: ignore_everything\n"}, "problem.yaml", "validator_flags"),
    ({"problem.yaml": "name: E\nvalidation: custom\n"}, "problem.yaml", "no output_validator"),
    ({".timelimit": "fast\n"}, ".timelimit", "positive number"),
    ({"data/secret/2.in": "2\n"}, "data/secret/2.in", "has no answer file 2.ans"),
    ({"data/secret/1.in": None, "data/secret/1.ans": None, "data/secret/x.txt": "x"}, "data/secret", "no test cases"),
    ({"submissions/maybe/echo.py": "print(1)\n"}, "submissions/maybe", "unknown verdict folder"),
    ({"submissions/accepted/echo.py": None, "submissions/wrong_answer/w.py": "print(2)\n"}, "submissions/accepted", "at least one accepted"),
    ({"data/secret/testdata.yaml": "on_reject: [\n"}, "data/secret/testdata.yaml", "invalid YAML"),
    ({"problem.yaml": "name: E\nvalidation: custom\n", "output_validators/v/build": "#!/bin/sh\n", "output_validators/v/v.py": "x"},
     "output_validators/v/build", "build/run scripts"),
])
def test_malformed_packages_name_the_problem_and_the_file(tmp_path, changes, where, what):
    with pytest.raises(PackageError) as info:
        load_package(make(tmp_path, changes))
    message = str(info.value)
    assert message.startswith(f"problem echo: {where}: "), message
    assert what in message
    assert "\n" not in message


def test_the_malformed_fixtures_are_refused():
    with pytest.raises(PackageError, match=r"^problem bad_yaml: problem\.yaml: invalid YAML at line 2"):
        load_package(PACKAGES / "malformed/bad_yaml")
    with pytest.raises(PackageError, match=r"^problem bad_validator: output_validators/check: the output validator does not build"):
        load_package(PACKAGES / "malformed/bad_validator")


def test_a_missing_package_folder_is_refused(tmp_path):
    with pytest.raises(PackageError, match="not a package folder"):
        load_package(tmp_path / "nope")


def test_symlinks_inside_the_package_are_followed_and_outside_refused(tmp_path):
    root = make(tmp_path)
    os.symlink("1.in", root / "data/secret/2.in")
    os.symlink("1.ans", root / "data/secret/2.ans")
    assert [t.input for t in load_package(root).tests] == [b"1\n", b"1\n"]
    os.symlink("/etc/passwd", root / "data/secret/3.in")
    (root / "data/secret/3.ans").write_text("x\n")
    with pytest.raises(PackageError, match=r"data/secret/3\.in: symbolic link to outside the package"):
        load_package(root)


def test_a_symlinked_folder_outside_the_package_is_refused(tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "9.in").write_text("9\n")
    (outside / "9.ans").write_text("9\n")
    root = make(tmp_path)
    os.symlink(outside, root / "data/secret/group")
    with pytest.raises(PackageError, match="symbolic link to outside the package"):
        load_package(root)


def test_hidden_files_and_readmes_are_ignored(tmp_path):
    root = make(tmp_path, {"data/secret/.2.in": "x", "submissions/accepted/README.txt": "notes", ".git/config": "x"})
    pkg = load_package(root)
    assert len(pkg.tests) == 1 and [p.name for p in pkg.submissions["accepted"]] == ["echo.py"]


def test_no_time_limit_and_no_working_accepted_submission_is_a_package_error(tmp_path):
    root = make(tmp_path, {".timelimit": None, "submissions/accepted/echo.py": "print(0)\n"})
    pkg = load_package(root)
    with pytest.raises(PackageError, match=r"^problem echo: submissions/accepted: no accepted submission"):
        infer_time_limit(pkg)


def test_submissions_in_unsupported_languages_are_skipped_not_failed(tmp_path):
    root = make(tmp_path, {"submissions/accepted/Echo.java": "class Echo {}\n"})
    results = {r["path"]: r for r in verify_package(load_package(root))}
    assert results["submissions/accepted/Echo.java"]["ok"] is None
    assert "Java" in results["submissions/accepted/Echo.java"]["skipped"]
    assert results["submissions/accepted/echo.py"]["ok"] is True


def test_submissions_yaml_can_redefine_a_folder(tmp_path):
    root = make(tmp_path, {
        "submissions/submissions.yaml": "slow_or_wrong:\n  permitted: [AC, WA, TLE]\n  required: [WA, TLE]\n",
        "submissions/slow_or_wrong/w.py": "print(2)\n",
    })
    results = {r["path"]: r for r in verify_package(load_package(root))}
    assert results["submissions/slow_or_wrong/w.py"]["ok"] is True


def test_inference_cap_is_generous():
    assert INFERENCE_CAP_S >= 5


def test_fixture_packages_are_not_modified_by_verification(tmp_path):
    copy = tmp_path / "twoparts"
    shutil.copytree(PACKAGES / "twoparts", copy)
    before = sorted(str(p.relative_to(copy)) for p in copy.rglob("*"))
    verify_package(load_package(copy))
    assert sorted(str(p.relative_to(copy)) for p in copy.rglob("*")) == before
