import os
import sys
import subprocess
import time
from pathlib import Path

import pytest

# `judge` lives at the repository root; make it importable however pytest was started.
ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from judge import sandbox  # noqa: E402
from judge.sandbox.processes import _proc_status, descendants  # noqa: E402


def pytest_configure(config):
    config.addinivalue_line("markers", "hostile: runs hostile code in the sandbox; needs its own PID namespace")


def pytest_collection_modifyitems(items):
    """Every judge test may check the host's sandbox slots, /tmp and box directories afterwards
    (host_is_fine_afterwards, the sweep tests): what another test run's sandboxes do there at the
    same time would be counted against it."""
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.host_exclusive)


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


def _slot_processes() -> dict[int, str]:
    """Live processes of sandbox UIDs whose slot is free, each with what it is: once a run is
    over, nothing of it may be left. (Slots held by a concurrent run elsewhere are skipped.)

    A stray fails the first test that sees it, and only that one: the later tests of the
    session look for strays of their own, rather than all failing on the same process."""
    found = {}
    for pid, uid in sandbox.stray_processes().items():
        identity = (pid, _start_ticks(pid))  # a pid may be reused: the start time tells processes apart
        if identity not in _reported_strays:
            _reported_strays.add(identity)
            found[pid] = _describe(pid, uid)
    return found


_reported_strays: set = set()


def _proc_field(pid: int, name: str) -> str:
    try:
        with open(f"/proc/{pid}/{name}", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def _start_ticks(pid: int) -> int | None:
    fields = _proc_field(pid, "stat").rsplit(")", 1)[-1].split()
    return int(fields[19]) if len(fields) > 19 and fields[19].isdigit() else None


def _describe(pid: int, uid: int) -> str:
    """Enough to tell where a stray came from: its command, state, parent, cgroup, descendants,
    and the test that was running when it started."""
    status = _proc_status(str(pid))
    if status is None or not status.get(b"PPid", b"").isdigit():
        return f"uid {uid}, gone"
    ppid = status[b"PPid"].decode()
    ticks = _start_ticks(pid)
    born, during = "?", "?"
    if ticks is not None:
        started = ticks / os.sysconf("SC_CLK_TCK")
        born = f"{time.clock_gettime(time.CLOCK_BOOTTIME) - started:.0f} s ago"
        from conftest import TEST_TIMELINE

        during = next((nodeid for at, nodeid in reversed(TEST_TIMELINE) if at <= started), "before the first test")
    children = [f"{child} {_proc_field(child, 'cmdline')[:200]!r}" for child in descendants(pid)]
    memory_cgroup = next((line for line in _proc_field(pid, "cgroup").splitlines() if ":memory:" in line), "")
    return (f"uid {uid}, state {status.get(b'State', b'?').decode()}, started {born}, during {during}; "
            f"cmd {_proc_field(pid, 'cmdline')[:3000]!r}; parent {ppid} {_proc_field(int(ppid), 'cmdline')[:120]!r}; "
            f"cgroup {memory_cgroup!r}; descendants {children}")


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


# --- the hostile suites' guard and host checks -------------------------------------------------

INITIAL_PID_NAMESPACE_INODE = 0xEFFFFFFC  # PROC_PID_INIT_INO: the host's own PID namespace


def _in_own_pid_namespace() -> bool:
    try:
        ns = os.readlink("/proc/self/ns/pid")  # "pid:[4026531836]" on the host
        with open("/proc/1/cmdline", "rb") as f:
            init = f.read().split(b"\0")[0]
    except OSError:
        return False
    host_ns = ns == f"pid:[{INITIAL_PID_NAMESPACE_INODE}]"
    return not host_ns and any(word in init for word in (b"unshare", b"python", b"pytest"))


@pytest.fixture(scope="session")
def own_pid_namespace():
    """Hostile code runs only inside the suite's own PID namespace, so that a sandbox that fails
    open under kill(-1) or a fork bomb cannot reach the rest of the machine."""
    if os.environ.get("PREP_PIDNS") != "1" or not _in_own_pid_namespace():
        pytest.fail("run the hostile suite under unshare --pid --fork --mount-proc (make test does)")


@pytest.fixture(scope="session")
def canary():
    """A process outside every sandbox that must outlive the whole hostile suite."""
    proc = subprocess.Popen(["sleep", "3600"])
    yield proc
    proc.kill()
    proc.wait()


def _judge_tmp_entries() -> set[str]:
    # Names the judge itself could leave behind (files written from inside a box are owned by a
    # sandbox UID, which files_owned_by_sandbox catches whatever their name).
    return {name for name in os.listdir("/tmp") if name.startswith(("prep-judge", "box-"))}


def _box_dirs() -> set[str]:
    from judge.program_build import box_base

    return set(os.listdir(box_base()))


@pytest.fixture
def host_is_fine_afterwards(own_pid_namespace, canary):
    """After each hostile run: no process of a free slot's UID, nothing a sandbox UID owns in
    the host's /tmp, no judge file or box directory left behind, the canary alive."""
    before, boxes = _judge_tmp_entries(), _box_dirs()
    yield
    assert _slot_processes() == {}, "a process of a sandbox UID survived the run"
    assert _files_owned_by_sandbox("/tmp") == [], "the sandbox wrote to the host's /tmp"
    assert _judge_tmp_entries() - before == set(), "a new judge file appeared in the host's /tmp"
    assert _box_dirs() - boxes == set(), "a box directory was left behind"
    assert canary.poll() is None, "a process outside the sandbox was killed"
