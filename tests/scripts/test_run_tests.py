"""scripts/run-tests.sh, what `make test` runs: the host-exclusive tests alone, then the rest on
SQLite and PostgreSQL side by side; one failing run fails the whole, a phase that holds none of
the selected tests does not."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

# The runner does not depend on the outer run's database: once, on SQLite, is enough.
pytestmark = pytest.mark.skipif(connection.vendor == "postgresql", reason="the runner is tested from the SQLite run")

ROOT = Path(__file__).resolve().parents[2]
EXCLUSIVE = "tests/assessments/test_worker_start.py"  # marked host_exclusive in the module
JUDGE = "tests/judge/test_validators.py"  # marked host_exclusive by tests/judge/conftest.py
SHARED = "tests/prep/test_wsgi.py"


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without what the outer run set for itself (its phase, its
    PostgreSQL)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PREP_TEST_PHASE", "DATABASE_URL")}
    return {**env, **extra}


def collected(phase: str | None) -> set[str]:
    """The test files pytest collects from EXCLUSIVE, JUDGE and SHARED in `phase`."""
    done = subprocess.run([sys.executable, "-m", "pytest", "--co", "-q", "-p", "no:cacheprovider", EXCLUSIVE, JUDGE,
                           SHARED], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env=clean_env(**({"PREP_TEST_PHASE": phase} if phase else {})))
    assert done.returncode == 0, done.stdout + done.stderr
    return {line.split("::")[0] for line in done.stdout.splitlines() if "::" in line}


def test_the_exclusive_phase_collects_only_host_exclusive_tests_and_the_shared_phase_the_rest():
    assert collected("exclusive") == {EXCLUSIVE, JUDGE}
    assert collected("shared") == {SHARED}
    assert collected(None) == {EXCLUSIVE, JUDGE, SHARED}


def run_tests(databases: str, *pytest_args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(["scripts/run-tests.sh", databases, "-q", "-p", "no:cacheprovider", *pytest_args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, env=clean_env(**env))


@pytest.mark.slow
def test_on_both_databases_the_exclusive_phase_comes_first_and_one_that_selects_nothing_passes():
    done = run_tests("sqlite postgres", "-k", "test_zero_keeps_pythons_own_interval")  # a shared test only
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    phases = [out.index(header) for header in ("== on SQLite, alone", "== on SQLite, the rest", "== on PostgreSQL")]
    assert phases == sorted(phases), out
    assert out.count("1 passed") == 2, "the test ran on SQLite and on PostgreSQL"
    exclusive = out[phases[0]:phases[1]]
    assert "passed" not in exclusive and "deselected" in exclusive, "nothing selected there, and that passes"


@pytest.mark.slow
@pytest.mark.parametrize("parallel", ["1", "0"])
def test_a_run_that_fails_fails_the_whole(parallel):
    done = run_tests("sqlite postgres", "tests/no_such_file.py", PREP_TEST_PARALLEL=parallel)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "no_such_file.py" in done.stdout + done.stderr
