"""The generic sandbox (judge.sandbox.run_in_sandbox), with well-behaved programs."""

import contextlib
import os
import threading
import time

import pytest

from judge import sandbox
from judge.sandbox import PYTHON, SandboxLimits, run_in_sandbox

pytestmark = pytest.mark.usefixtures("sandbox_ready")

LIMITS = SandboxLimits(cpu_time_s=2, wall_time_s=5, memory_mb=64, output_bytes=4096)


def python(code):
    return [PYTHON, "-I", "-S", "-c", code]


def test_program_output_and_exit_status_come_back():
    outcome = run_in_sandbox(python("import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)"), limits=LIMITS)
    assert (outcome.exit_code, outcome.stdout, outcome.stderr) == (3, b"out\n", b"err\n")
    assert not outcome.killed
    assert outcome.memory_peak_kb and outcome.memory_peak_kb > 0
    assert outcome.cpu_time_s > 0


def test_stdin_is_delivered_whole_then_closed():
    data = b"x" * 300_000 + b"\n"
    outcome = run_in_sandbox(python("import sys; print(len(sys.stdin.buffer.read()))"), stdin=data, limits=LIMITS)
    assert outcome.stdout == b"300001\n"


def test_a_signal_that_ends_the_program_is_reported():
    outcome = run_in_sandbox(python("import os; os.kill(os.getpid(), 11)"), limits=LIMITS)
    assert outcome.signal == 11


@pytest.mark.slow
def test_the_wall_clock_limit_kills_the_run():
    limits = SandboxLimits(cpu_time_s=2, wall_time_s=0.5, memory_mb=64, output_bytes=4096)
    started = time.monotonic()
    outcome = run_in_sandbox(python("import time; time.sleep(30)"), limits=limits)
    assert outcome.timed_out and outcome.timeout_reason == "wall" and outcome.killed
    assert time.monotonic() - started < 3


def test_output_beyond_the_cap_kills_the_run_and_is_truncated():
    outcome = run_in_sandbox(python("while True: print('y' * 1000)"), limits=LIMITS)
    assert outcome.output_exceeded and outcome.killed
    assert len(outcome.stdout) + len(outcome.stderr) <= LIMITS.output_bytes


PF_EXITING = 0x4  # include/linux/sched.h


def _exiting(pid):
    with open(f"/proc/{pid}/stat") as f:
        after_name = f.read().rsplit(")", 1)[1].split()
    return after_name[0] in ("Z", "X", "x") or int(after_name[6]) & PF_EXITING


def test_every_process_of_the_run_is_in_the_runs_own_cgroup(slot_processes):
    seen = {}  # pid -> (uid, /proc/pid/cgroup)

    done = threading.Event()

    def watch():
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not done.is_set():
            uids = sandbox.pids_of_uid(range(sandbox.UID_BASE, sandbox.UID_BASE + sandbox.SLOT_COUNT), include_zombies=False)
            for pid, uid in uids.items():
                try:
                    with open(f"/proc/{pid}/cgroup") as f:
                        text = f.read()
                    # A process already exiting has left its cgroup (the kernel shows "/"):
                    # only a reading taken while it was still running counts.
                    if not _exiting(pid):
                        seen[pid] = (uid, text)
                except OSError:
                    pass
            time.sleep(0.01)

    watcher = threading.Thread(target=watch)
    watcher.start()
    outcome = run_in_sandbox(
        python("import os, time\nif os.fork() == 0:\n    time.sleep(0.5)\nelse:\n    os.wait()"), limits=LIMITS
    )
    done.set()
    watcher.join()
    # Only this run's slot: other sandboxes (a prewarmed grading worker's, say) may exist meanwhile.
    ours = [text for uid, text in seen.values() if uid == sandbox.UID_BASE + outcome.slot]
    assert len(ours) >= 3  # bwrap, its pid-1, the program and its child
    for text in ours:
        lines = {line.split(":")[1]: line.split(":", 2)[2] for line in text.splitlines()}
        for controller in ("memory", "pids", "cpuacct"):
            if controller in lines:  # cgroup v1
                assert "/prep-judge/slot-" in lines[controller], text
    assert slot_processes() == {}


def _thread_cgroups() -> str:
    with open("/proc/thread-self/cgroup") as f:
        return f.read()


def test_the_judging_thread_is_back_in_its_own_cgroup_after_starting_a_run():
    before = _thread_cgroups()
    run_in_sandbox(python("print(1)"), limits=LIMITS)
    assert _thread_cgroups() == before


def test_an_exception_raised_while_the_thread_is_inside_a_run_cgroup_comes_out_with_the_thread():
    """A Celery soft time limit, say, raised in the judging thread while it forks a run."""
    from judge.sandbox import cgroups

    group = cgroups.RunCgroup("slot-test-interrupted", memory_bytes=256 * 1024 * 1024, pids_max=8)
    try:
        if group.hier.version != 1:
            pytest.skip("only cgroup v1 moves one thread")
        before = _thread_cgroups()
        with pytest.raises(KeyboardInterrupt):
            with group.this_thread_inside():
                raise KeyboardInterrupt
        assert _thread_cgroups() == before
    finally:
        group.destroy()


def test_a_run_cgroup_never_counts_the_judging_process_among_its_own():
    """While the judging thread is inside a run's cgroup (cgroup v1, to fork the run there), the
    run's processes are listed and killed without it."""
    from judge.sandbox import cgroups

    group = cgroups.RunCgroup("slot-test-inside", memory_bytes=256 * 1024 * 1024, pids_max=8)
    if group.hier.version != 1:
        group.destroy()
        pytest.skip("only cgroup v1 moves one thread")
    try:
        with group.this_thread_inside():
            assert "/prep-judge/slot-test-inside" in _thread_cgroups()
            assert group.pids() == set()
            assert group.kill_all(timeout=0.5)  # and we are alive to say so
        assert "/prep-judge/slot-test-inside" not in _thread_cgroups()
    finally:
        group.destroy()


def test_sweeping_kills_what_a_dead_judge_left_in_free_slots_and_spares_held_ones():
    """A judging process killed mid-run leaves its run behind: the next grading process on the
    host sweeps it (in the run's cgroup already, even before it has taken the slot's UID)."""
    import subprocess

    from judge.sandbox import cgroups, sweep_free_slots
    from judge.sandbox.slots import acquire_slot

    held = acquire_slot()
    free_index = (held.index + 1) % sandbox.SLOT_COUNT
    group = cgroups.RunCgroup(f"slot-{free_index:03d}", memory_bytes=256 * 1024 * 1024, pids_max=8)
    left = []
    try:
        # Left behind: a root process in a free slot's cgroup (not yet switched to its UID), and
        # a process of another free slot's UID; and a live run of the slot this test holds.
        with group.this_thread_inside() if group.hier.version == 1 else contextlib.nullcontext():
            left.append(subprocess.Popen(["sleep", "30"]))
        if group.hier.version != 1:
            for path in group.dirs.values():
                with open(os.path.join(path, "cgroup.procs"), "w") as f:
                    f.write(str(left[0].pid))
        other_uid = sandbox.UID_BASE + (held.index + 2) % sandbox.SLOT_COUNT
        left.append(subprocess.Popen(["setpriv", f"--reuid={other_uid}", f"--regid={other_uid}", "--clear-groups",
                                      "sleep", "30"]))
        running = subprocess.Popen(["setpriv", f"--reuid={held.uid}", f"--regid={held.uid}", "--clear-groups",
                                    "sleep", "30"])
        time.sleep(0.2)

        swept = sweep_free_slots()

        assert set(swept) >= {left[0].pid, left[1].pid}
        for proc in left:
            proc.wait(timeout=5)  # (kill_uid may have reaped it already: then Popen says 0)
            assert not os.path.exists(f"/proc/{proc.pid}")
        assert running.poll() is None, "a held slot's run is not touched"
        assert not any(os.path.isdir(path) for path in group.dirs.values()), "the left-over cgroup is removed"
    finally:
        for proc in left + [running]:
            proc.kill()
            proc.wait()
        held.release()
