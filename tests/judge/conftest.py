import os
import sys
from pathlib import Path

import pytest

# `judge` lives at the repository root; make it importable however pytest was started.
ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from judge import sandbox  # noqa: E402


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes a second or more (time limits, floods, restarts)")
    config.addinivalue_line("markers", "hostile: runs hostile code in the sandbox; needs its own PID namespace")


@pytest.fixture(scope="session")
def sandbox_ready():
    """The judge's tests need the real sandbox: no fakes, and no silent skip either."""
    problems = sandbox.sandbox_problems()
    if problems:
        pytest.fail("the grading sandbox is unavailable on this host: " + "; ".join(problems))


@pytest.fixture
def slot_processes():
    return _slot_processes


@pytest.fixture
def files_owned_by_sandbox():
    return _files_owned_by_sandbox


def _slot_processes() -> dict[int, int]:
    """Live processes (pid -> uid) of sandbox UIDs whose slot is free: once a run is over,
    nothing of it may be left. (Slots held by a concurrent run elsewhere are skipped.)"""
    return sandbox.stray_processes()


def _files_owned_by_sandbox(top: str = "/tmp") -> list[str]:
    """Entries under `top` (two levels deep) owned by a sandbox UID."""
    uids = range(sandbox.UID_BASE, sandbox.UID_BASE + sandbox.SLOT_COUNT)
    found = []
    try:
        entries = list(os.scandir(top))
    except OSError:
        return found
    for entry in entries:
        try:
            if entry.stat(follow_symlinks=False).st_uid in uids:
                found.append(entry.path)
            if entry.is_dir(follow_symlinks=False):
                for sub in os.scandir(entry.path):
                    if sub.stat(follow_symlinks=False).st_uid in uids:
                        found.append(sub.path)
        except OSError:
            continue
    return found
