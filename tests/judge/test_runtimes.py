"""The language runtimes inside the sandbox (judge/runtimes.py) and their set-up
(scripts/setup-runtime.sh)."""

import os
import stat
import subprocess
from pathlib import Path

import pytest

from judge import runtimes, sandbox_problems
from judge.sandbox import SandboxLimits, host, run_in_sandbox

ROOT = Path(__file__).resolve().parents[2]
LIMITS = SandboxLimits(cpu_time_s=5, wall_time_s=20, memory_mb=128, output_bytes=64 * 1024)


def test_plain_python_is_debians_without_site():
    argv, binds = runtimes.python_argv(data_stack=False)
    assert argv == ["/usr/bin/python3", "-I", "-S"]
    assert binds == []


def test_data_stack_python_is_the_world_readable_venv_bound_read_only():
    argv, binds = runtimes.python_argv(data_stack=True)
    assert argv == ["/opt/prep-runtime/python/bin/python3", "-I"]
    assert binds == [("/opt/prep-runtime/python", "/opt/prep-runtime/python")]
    assert os.path.realpath(argv[0]) == os.path.realpath("/usr/bin/python3")  # already in the box via /usr


def test_r_runs_vanilla_with_constant_environment_and_read_only_config():
    argv, binds = runtimes.r_argv()
    assert argv[0] == "/usr/bin/env"
    assert argv[-2:] == ["/usr/bin/Rscript", "--vanilla"]
    assert "R_LIBS_USER=/usr/lib/R/site-library" in argv
    assert ("/etc/R", "/etc/R") in binds
    for source, dest in binds:
        assert source.startswith(("/etc/R", "/usr/")) and dest.startswith("/etc/")


def test_a_prepared_host_has_every_runtime():
    assert runtimes.runtime_problems() == []


def test_missing_r_is_named_with_its_fix_and_does_not_block_the_sandbox(monkeypatch):
    monkeypatch.setattr(runtimes, "RSCRIPT", "/nonexistent/Rscript")
    problems = runtimes.runtime_problems()
    assert len(problems) == 1
    assert "R is not installed" in problems[0] and "apt-get install r-base-core" in problems[0]
    assert sandbox_problems() == []  # Python and SQL still grade
    with pytest.raises(runtimes.RuntimeUnavailable, match="setup-runtime.sh"):
        runtimes.require(r=True)
    runtimes.require(python_data_stack=True)


def test_missing_data_stack_is_named_with_its_fix(monkeypatch):
    monkeypatch.setattr(runtimes, "DATA_STACK_PYTHON", "/nonexistent/python3")
    problems = runtimes.data_stack_problems()
    assert problems and "scripts/setup-runtime.sh" in problems[0]


def test_a_stale_data_stack_is_reported(monkeypatch, tmp_path):
    requirements = tmp_path / "requirements-sandbox.txt"
    requirements.write_text("numpy==0.0.1\n")
    monkeypatch.setattr(runtimes, "SANDBOX_REQUIREMENTS", requirements)
    problems = runtimes.data_stack_problems()
    assert len(problems) == 1 and "does not match requirements-sandbox.txt" in problems[0]


def test_a_runtime_the_sandbox_uid_cannot_read_is_reported(monkeypatch):
    monkeypatch.setattr(runtimes, "DATA_STACK_DIR", "/root")  # mode 0700 on these machines
    if stat.S_IMODE(os.stat("/root").st_mode) & 0o005 == 0o005:
        pytest.skip("/root is world-readable here")
    problems = runtimes.data_stack_problems()
    assert any("is not world-readable" in p for p in problems)


def test_the_runtime_tree_is_root_owned_and_not_writable_by_others():
    for top in (runtimes.RUNTIME_ROOT, runtimes.DATA_STACK_DIR, runtimes.DATA_STACK_DIR + "/lib"):
        st = os.stat(top)
        assert st.st_uid == 0
        assert stat.S_IMODE(st.st_mode) & 0o022 == 0
    for directory, _, files in os.walk(runtimes.DATA_STACK_DIR + "/lib/python3.11/site-packages/pandas"):
        for name in files[:5]:
            mode = os.stat(os.path.join(directory, name)).st_mode
            assert mode & 0o004 and not mode & 0o022


def test_the_pinned_requirements_pin_every_package():
    lines = [line.split("#")[0].strip() for line in (ROOT / "requirements-sandbox.txt").read_text().splitlines()]
    pins = [line for line in lines if line]
    assert pins and all("==" in line for line in pins)
    names = {line.split("==")[0].lower().replace("_", "-") for line in pins}
    assert {"numpy", "pandas", "scipy", "scikit-learn", "statsmodels"} <= names


@pytest.mark.usefixtures("sandbox_ready")
def test_in_the_box_r_library_paths_are_all_read_only():
    argv, binds = runtimes.r_argv()
    code = (
        'cat(paste(.libPaths(), file.access(.libPaths(), 2), sep = "=", collapse = "\\n"), "\\n"); '
        'cat(Sys.getenv("R_LIBS_USER"), "\\n")'
    )
    outcome = run_in_sandbox(
        argv + ["-e", code],
        limits=SandboxLimits(
            cpu_time_s=5,
            wall_time_s=20,
            memory_mb=128 + runtimes.R_EXTRA_MEMORY_MB,
            output_bytes=64 * 1024,
            open_files=runtimes.R_OPEN_FILES,
        ),
        ro_binds=binds,
    )
    assert outcome.exit_code == 0, outcome.stderr
    lines = outcome.stdout.decode().split()
    paths = dict(line.split("=") for line in lines[:-1])
    assert paths and all(v == "-1" for v in paths.values()), paths  # -1: not writable
    assert lines[-1] == "/usr/lib/R/site-library"
    assert b"Warning" not in outcome.stderr, outcome.stderr  # every default package attached


@pytest.mark.usefixtures("sandbox_ready")
def test_in_the_box_the_data_stack_imports_and_site_packages_is_read_only():
    argv, binds = runtimes.python_argv(data_stack=True)
    code = (
        "import os, sys; os.environ['OPENBLAS_NUM_THREADS'] = '1'; import pandas, numpy; "
        "site = [p for p in sys.path if p.endswith('site-packages')][0]; "
        "print(pandas.__version__, numpy.__version__, os.access(site, os.W_OK), sys.flags.isolated)"
    )
    outcome = run_in_sandbox(
        argv + ["-c", code],
        limits=SandboxLimits(
            cpu_time_s=10, wall_time_s=30, memory_mb=128 + runtimes.DATA_STACK_EXTRA_MEMORY_MB, output_bytes=4096
        ),
        ro_binds=binds,
    )
    assert outcome.exit_code == 0, outcome.stderr
    pandas_version, numpy_version, writable, isolated = outcome.stdout.decode().split()
    pins = dict(
        line.split("==") for line in (ROOT / "requirements-sandbox.txt").read_text().splitlines() if "==" in line
    )
    assert (pandas_version, numpy_version) == (pins["pandas"], pins["numpy"])
    assert (writable, isolated) == ("False", "1")


@pytest.mark.skipif(os.geteuid() != 0, reason="set-up runs as root")
def test_setup_runtime_is_idempotent_and_says_what_it_does():
    result = subprocess.run(
        ["bash", str(ROOT / "scripts/setup-runtime.sh")], capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert all(line.startswith("==> runtime: ") for line in lines), lines
    assert any("data stack up to date" in line for line in lines)  # nothing rebuilt on a second run
    assert any(line.startswith("==> runtime: check: numpy") for line in lines)
    assert runtimes.runtime_problems() == []


def test_sandbox_problems_do_not_include_optional_runtimes(monkeypatch):
    monkeypatch.setattr(host, "_host_ok", False)
    monkeypatch.setattr(runtimes, "RSCRIPT", "/nonexistent/Rscript")
    monkeypatch.setattr(runtimes, "DATA_STACK_PYTHON", "/nonexistent/python3")
    assert sandbox_problems() == []
