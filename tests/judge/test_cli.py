"""The judge's command line (DESIGN.md "Judge command line"): JSON shape and exit codes."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from judge.__main__ import main

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = Path(__file__).with_name("packages")
TWOPARTS = PACKAGES / "twoparts"

pytestmark = pytest.mark.usefixtures("sandbox_ready")


def cli(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_run_json_has_the_contract_shape(capsys):
    code, out, err = cli(capsys, "run", TWOPARTS, TWOPARTS / "submissions/accepted/one_and_rest.py", "--json")
    assert code == 0 and err == ""
    data = json.loads(out)
    assert {"verdict", "score", "time_ms", "memory_kb", "tests"} <= set(data)
    assert data["verdict"] == "AC" and data["score"] == 1.0
    assert isinstance(data["time_ms"], int) and isinstance(data["memory_kb"], int)
    assert [t["name"] for t in data["tests"]] == ["sample/1", "secret/01", "secret/02"]
    for test in data["tests"]:
        assert {"name", "verdict", "time_ms", "memory_kb"} <= set(test)
    assert out.count("\n") == 1  # one object


def test_run_exits_0_whatever_the_verdict(capsys):
    code, out, _ = cli(capsys, "run", TWOPARTS, TWOPARTS / "submissions/wrong_answer/zero_first.py", "--json")
    assert code == 0 and json.loads(out)["verdict"] == "WA"
    code, out, _ = cli(capsys, "run", TWOPARTS, TWOPARTS / "submissions/wrong_answer/zero_first.py")
    assert code == 0 and "verdict WA" in out and "both parts must be positive" in out


def test_run_with_a_compile_error_exits_0_and_says_ce(capsys, tmp_path):
    source = tmp_path / "broken.cpp"
    source.write_text("int main( {\n")
    code, out, _ = cli(capsys, "run", TWOPARTS, source, "--json")
    data = json.loads(out)
    assert code == 0 and data["verdict"] == "CE" and "broken.cpp" in data["compile_output"]


def test_run_with_an_explicit_language(capsys, tmp_path):
    source = tmp_path / "solution"
    source.write_text("n = int(input())\nprint(1, n - 1)\n")
    code, out, _ = cli(capsys, "run", TWOPARTS, source, "--language", "python", "--json")
    assert code == 0 and json.loads(out)["verdict"] == "AC"


def test_verify_json_reports_every_submission_and_overall_ok(capsys):
    code, out, err = cli(capsys, "verify", TWOPARTS, "--json")
    assert code == 0 and err == ""
    data = json.loads(out)
    assert data["ok"] is True and data["time_limit_s"] == 1.0
    assert sorted(s["path"] for s in data["submissions"]) == [
        "submissions/accepted/halves.cpp", "submissions/accepted/one_and_rest.py", "submissions/wrong_answer/zero_first.py"]
    for s in data["submissions"]:
        assert {"path", "expected", "got", "ok", "time_ms"} <= set(s)


def test_verify_exits_0_and_says_not_ok_when_a_submission_misbehaves(capsys, tmp_path):
    root = tmp_path / "echo"
    for rel, text in {"problem.yaml": "name: Echo\n", ".timelimit": "1\n", "data/secret/1.in": "1\n",
                      "data/secret/1.ans": "1\n", "submissions/accepted/good.py": "print(input())\n",
                      "submissions/accepted/bad.py": "print(0)\n"}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    code, out, _ = cli(capsys, "verify", root, "--json")
    data = json.loads(out)
    assert code == 0 and data["ok"] is False
    bad = next(s for s in data["submissions"] if s["path"].endswith("bad.py"))
    assert (bad["ok"], bad["got"]) == (False, "WA")
    code, out, _ = cli(capsys, "verify", root)
    assert code == 0 and "FAILED: 1 of 2" in out


@pytest.mark.parametrize("args,fragment", [
    (["run", "/nonexistent/package", TWOPARTS / "submissions/accepted/one_and_rest.py"], "not a package folder"),
    (["run", TWOPARTS, "/nonexistent/solution.py"], "no such file"),
    (["run", PACKAGES / "malformed/bad_yaml", TWOPARTS / "submissions/accepted/one_and_rest.py"],
     "problem bad_yaml: problem.yaml: invalid YAML"),
    (["verify", PACKAGES / "malformed/bad_validator"], "problem bad_validator: output_validators/check"),
    (["run", TWOPARTS, PACKAGES / "../test_cli.py", "--language", "sql"], "sql is not supported"),
    (["run", TWOPARTS, "--language", "cobol", "x.py"], "invalid choice"),
    ([], "a command is required"),
    (["frobnicate"], "invalid choice"),
    (["run", TWOPARTS], "required"),
])
def test_bad_input_exits_2_with_one_line(capsys, args, fragment):
    code, out, err = cli(capsys, *args)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("judge: error: ") and fragment in err, err


def test_an_unsupported_language_exits_2(capsys, tmp_path):
    source = tmp_path / "Main.java"
    source.write_text("class Main {}\n")
    code, _, err = cli(capsys, "run", TWOPARTS, source)
    assert code == 2 and "Java (.java) cannot be judged here" in err and err.count("\n") == 1


def test_python_dash_m_judge_is_the_entry_point():
    proc = subprocess.run(
        [sys.executable, "-m", "judge", "run", str(TWOPARTS), str(TWOPARTS / "submissions/accepted/halves.cpp"), "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["verdict"] == "AC"
    proc = subprocess.run([sys.executable, "-m", "judge", "verify", "/nonexistent"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1
