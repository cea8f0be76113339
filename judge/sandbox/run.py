"""Launching one sandbox run."""

from __future__ import annotations

import atexit
import contextlib
import functools
import logging
import math
import os
import queue
import subprocess
import threading
import time
from dataclasses import dataclass
from typing import Callable, Sequence

from judge.errors import JudgeError
from judge.sandbox import cgroups, seccomp, tools
from judge.sandbox.limits import ChannelSink, RunOutcome, SandboxLimits
from judge.sandbox.processes import become_subreaper, kill_uid
from judge.sandbox.slots import Slot, acquire_slot
from judge.sandbox.supervise import kill_run, supervise

logger = logging.getLogger(__name__)

WORK_DIR = "/work"
# What the runtime costs on top of the candidate's memory budget.
_AS_OVERHEAD_MB = 128  # address space: interpreter, shared libraries, a few thread stacks
_CGROUP_OVERHEAD_MB = 64  # resident: interpreter (~10 MiB) and both tmpfs mounts


def _bwrap_argv(argv: Sequence[str], *, limits: SandboxLimits, seccomp_fd: int,
                ro_binds: Sequence[tuple[str, str]]) -> list[str]:
    tmpfs_bytes = str(limits.work_mb * 1024 * 1024)
    args = [
        tools.find_tool("bwrap") or "bwrap",
        "--unshare-all", "--unshare-user", "--disable-userns",
        "--die-with-parent", "--new-session", "--cap-drop", "ALL",
        "--hostname", "sandbox",
        "--clearenv",
        "--setenv", "PATH", "/usr/bin:/bin",
        "--setenv", "LANG", "C.UTF-8",
        "--setenv", "HOME", WORK_DIR,
        "--ro-bind", "/usr", "/usr",
        "--symlink", "usr/lib", "/lib",
        "--symlink", "usr/lib64", "/lib64",
        "--symlink", "usr/bin", "/bin",
        "--symlink", "usr/sbin", "/sbin",
    ]
    for source, dest in ro_binds:
        args += ["--ro-bind", source, dest]
    args += [
        "--proc", "/proc",
        "--dev", "/dev", "--remount-ro", "/dev",
        "--size", tmpfs_bytes, "--perms", "0700", "--tmpfs", WORK_DIR,
        "--size", tmpfs_bytes, "--perms", "0700", "--tmpfs", "/tmp",
        "--remount-ro", "/",  # the box's own root: nothing but /work and /tmp is writable
        "--chdir", WORK_DIR,
        "--seccomp", str(seccomp_fd),
        "--",
    ]
    return args + list(argv)


_seccomp_cache: list[bytes] = []


def _seccomp_program() -> bytes:
    if not _seccomp_cache:
        _seccomp_cache.append(seccomp.build_filter())
    return _seccomp_cache[0]


def _launcher_argv(uid: int, limits: SandboxLimits) -> list[str]:
    mib = 1024 * 1024
    cpu = max(1, math.ceil(limits.cpu_time_s)) + 1
    return [
        tools.find_tool("prlimit") or "prlimit",
        f"--cpu={cpu}",
        f"--as={(limits.memory_mb + _AS_OVERHEAD_MB) * mib}",
        f"--fsize={limits.work_mb * mib}",
        f"--nofile={limits.open_files}",
        f"--nproc={limits.processes}",
        f"--stack={limits.stack_mb * mib}",
        "--core=0",
        "--memlock=0",
        "--msgqueue=0",
        "--",
        tools.find_tool("setpriv") or "setpriv",
        f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
        "--inh-caps=-all", "--bounding-set=-all", "--nnp",
        "--",
    ]


def run_in_sandbox(
    argv: Sequence[str],
    *,
    stdin: bytes | Callable[[int], bytes] = b"",
    limits: SandboxLimits,
    channel: ChannelSink | None = None,
    ro_binds: Sequence[tuple[str, str]] = (),
) -> RunOutcome:
    """Run argv (a program that exists inside the sandbox, e.g. /usr/bin/python3) in a fresh
    sandbox. `stdin` is written to the program's standard input, then closed; when it is a
    callable it is called with the descriptor number of the result channel as the program
    sees it (only when `channel` is given). What the program writes to that descriptor is fed
    to `channel`. Raises JudgeError for infrastructure faults; everything the program does is
    in the outcome.

    With prewarming on (see `set_prewarm`), the next sandbox for the same argv, limits and
    binds is started while this one runs, so that a later identical call finds its sandbox
    and interpreter already up and waiting for input: each sandbox still serves one run only."""
    become_subreaper()
    _upkeep_release_if_held_before_another_run()
    key = (tuple(argv), limits, tuple(ro_binds), channel is not None)
    launched = _take_warm(key)
    if launched is None:
        slot = acquire_slot()
        try:
            launched = _launch(slot, key)
        except BaseException:
            slot.release()
            raise
    prewarm = _prewarm["on"]
    if prewarm:
        _warm_soon(key)
    try:
        outcome = _finish(launched, stdin=stdin, channel=channel)
    except BaseException:
        _retire(launched)
        raise
    if prewarm:
        # The outcome is known: sweeping the run's cgroup and UID can happen off the caller's
        # path. The slot stays locked until the sweep is done, so nothing reuses it early.
        _in_background(lambda: _retire(launched, quiet=True))
    else:
        _retire(launched)
    return outcome


# --- prewarming ------------------------------------------------------------------------------

_prewarm = {"on": False, "max": 2}
# Boxes kept waiting per argv/limits. Two, so that a run finds one at once even while the box for
# the next one is still to be started: the upkeep after a verdict waits out UPKEEP_GRACE_S, and
# a sandbox takes ~20 ms to come up on a busy host.
WARM_PER_KIND = 2
_warm: dict[tuple, list["_Launched"]] = {}  # oldest first; a kind with none waiting has no entry
_starting: dict[tuple, threading.Event] = {}  # boxes asked of the keeper, not up yet (set when done or given up)
_warm_lock = threading.Lock()
_WARM_WAIT_S = 2.0  # how long a run waits for a box being started for it before starting its own


def set_prewarm(on: bool, *, max_waiting: int = 2) -> None:
    """Keep sandboxes started ahead of use (WARM_PER_KIND for each of up to `max_waiting`
    distinct argv/limits), and sweep finished runs in the background. Off by default; grading
    workers switch it on. Turning it off waits for the background work and stops the waiting
    sandboxes."""
    _prewarm["on"], _prewarm["max"] = on, max_waiting
    if not on:
        discard_warm()


def discard_warm() -> None:
    _end_graces()
    _drain()
    with _warm_lock:
        while _warm:
            _retire_all(_warm.popitem()[1])


# Waiting sandboxes are started, and finished runs swept, by one long-lived "keeper" thread:
# bwrap's --die-with-parent follows the thread that forked it, so a box started from a
# short-lived thread (the SQL judge's reference runner, say) would die with that thread.
_jobs: "queue.Queue[Callable[[], None]]" = queue.Queue()
_keeper: list[threading.Thread] = []
_keeper_lock = threading.Lock()


# Upkeep deferred by the thread that judges (upkeep_deferred): None when not deferring, else the
# jobs held so far and the runs started in the block.
_deferred = threading.local()


@contextlib.contextmanager
def upkeep_deferred():
    """Around a judging that runs one sandbox, when the caller has more work on the candidate's
    wait once the run is over (recording the verdict): the upkeep that prewarming does beside a
    run (starting the next sandbox, sweeping the finished one) starts UPKEEP_GRACE_S after the
    end of the block, not during the run and what follows it, where it competed with both for
    the CPU and the GIL; a run that finds no box of its kind waiting while one is being started
    for it ends the grace at once. A second run in the block releases what is held at once and
    defers nothing more, so a judge of many runs (a program's tests) keeps its sandboxes warmed
    during the runs, all but the second. Inside a block already deferring, it adds nothing. The
    deferral is this thread's: another thread's run for the same argv may wait (at most
    _WARM_WAIT_S) for a box held here."""
    if getattr(_deferred, "jobs", None) is not None:
        yield
        return
    _deferred.jobs, _deferred.runs = [], 0
    try:
        yield
    finally:
        _upkeep_release(grace_s=UPKEEP_GRACE_S)


# How long the upkeep released at the end of a deferring block waits before it starts. A verdict
# is often followed at once by more work for this host: the web tier answering it and, as the
# candidate sees it, their next Run or Submit, which another grading process takes. A sandbox
# started meanwhile (bwrap and an interpreter: ~15-20 ms of CPU in processes of their own) took
# the CPU from that work: under bench/load.py (200 candidates, 2 cores), a Submit sent on its
# Run's heels took 37 ms at the median with the upkeep at once, 27 ms with this grace and a spare
# box (WARM_PER_KIND), its p95 unchanged (73 against 74-76 ms).
UPKEEP_GRACE_S = 0.05
_graces: set[threading.Event] = set()  # grace periods under way; a run that needs a box ends them


def _upkeep_release(*, grace_s: float = 0.0) -> None:
    jobs, _deferred.jobs = getattr(_deferred, "jobs", None), None
    if jobs and grace_s > 0:
        ended = threading.Event()  # registered now: a run that asks before the keeper gets to it ends it too
        with _warm_lock:
            _graces.add(ended)
        _in_background(functools.partial(_grace, ended, grace_s))
    for job in jobs or ():
        _in_background(job)


def _grace(ended: threading.Event, seconds: float) -> None:
    """A keeper job: wait `seconds`, or less if a run asks for a box meanwhile (_end_graces)."""
    try:
        ended.wait(seconds)
    finally:
        with _warm_lock:
            _graces.discard(ended)


def _end_graces() -> None:
    with _warm_lock:
        for ended in _graces:
            ended.set()


def _upkeep_release_if_held_before_another_run() -> None:
    if getattr(_deferred, "jobs", None) is not None:
        _deferred.runs += 1
        if _deferred.runs > 1:
            _upkeep_release()


def _in_background(job: Callable[[], None]) -> None:
    held = getattr(_deferred, "jobs", None)
    if held is not None:
        held.append(job)
        return
    with _keeper_lock:
        if not _keeper or not _keeper[0].is_alive():
            thread = threading.Thread(target=_keep, name="judge-sandbox-keeper", daemon=True)
            thread.start()
            _keeper[:] = [thread]
    _jobs.put(job)


def _keep() -> None:
    while True:
        job = _jobs.get()
        try:
            job()
        except Exception:  # noqa: BLE001 — logged; the keeper must go on
            logger.exception("sandbox keeper job failed")
        finally:
            _jobs.task_done()


def _drain() -> None:
    """Wait until the keeper has done everything asked of it so far."""
    if _keeper and _keeper[0].is_alive():
        _jobs.join()


def _warm_soon(key: tuple) -> None:
    """Have the keeper start a box for `key`; until it has, a run for `key` waits for that box."""
    with _warm_lock:
        _starting.setdefault(key, threading.Event())
    _in_background(lambda: _start_warm(key))


def _take_warm(key: tuple) -> "_Launched | None":
    starting = _starting.get(key)  # read first: a box stored meanwhile is then found below
    launched = _pop_warm(key)
    if launched is None and starting is not None:
        # Asked for and not up yet: waiting costs less than starting another beside it. The
        # keeper may be holding back before it starts it (UPKEEP_GRACE_S): needed now.
        _end_graces()
        starting.wait(_WARM_WAIT_S)
        launched = _pop_warm(key)
    return launched


def _pop_warm(key: tuple) -> "_Launched | None":
    """The oldest box waiting for `key` that is still alive (one that died while it waited is
    never trusted: it is swept), or None."""
    while True:
        with _warm_lock:
            boxes = _warm.get(key)
            if not boxes:
                return None
            launched = boxes.pop(0)
            if boxes:
                _warm[key] = _warm.pop(key)  # the kind used last is evicted last
            else:
                del _warm[key]
        if launched.proc.poll() is None:
            return launched
        _retire(launched)


def _start_warm(key: tuple) -> None:
    """The keeper's job for _warm_soon: one box for `key`, which a run may be waiting for (told
    as soon as it is stored), then the spare, if a slot is free at once."""
    try:
        started = _start_one_warm(key, slot_timeout=0.5)
    finally:
        with _warm_lock:
            starting = _starting.pop(key, None)
        if starting is not None:
            starting.set()
    while started and _start_one_warm(key, slot_timeout=0):
        pass


def _start_one_warm(key: tuple, *, slot_timeout: float) -> bool:
    """Start one more box for `key` unless WARM_PER_KIND wait already (or prewarming is off, or
    no slot is free within `slot_timeout`): whether it did. Under the lock from check to store:
    callers may judge from several threads at once (the SQL judge runs the reference query
    beside the candidate's)."""
    with _warm_lock:
        if not _prewarm["on"] or len(_warm.get(key, ())) >= WARM_PER_KIND:
            return False
        if key not in _warm:
            while len(_warm) >= _prewarm["max"]:  # the kind used longest ago makes room
                _retire_all(_warm.pop(next(iter(_warm))))
        try:
            slot = acquire_slot(timeout=slot_timeout)
        except JudgeError:
            return False  # every slot busy: run cold next time
        try:
            launched = _launch(slot, key)
        except BaseException:
            slot.release()
            raise
        _warm[key] = [*_warm.pop(key, ()), launched]  # and the kind used last is evicted last
        return True


def _retire_all(boxes: list["_Launched"]) -> None:
    """Retire every box; one whose processes survive SIGKILL is quarantined (and logged), and
    the others are retired all the same."""
    for launched in boxes:
        _retire(launched, quiet=True)


def _retire(launched: "_Launched", *, quiet: bool = False) -> None:
    """Sweep a run (or a waiting box) and free its slot. If its processes survive SIGKILL the
    slot is quarantined (kept locked by this process) rather than handed to the next run."""
    try:
        _cleanup(launched)
    except JudgeError:
        if not quiet:
            raise
        logger.error("sandbox slot %d quarantined: its processes survive SIGKILL", launched.slot.index)
        return
    launched.slot.release()


atexit.register(discard_warm)


# --- one run: launch, then finish ------------------------------------------------------------

@dataclass
class _Launched:
    slot: Slot
    cg: "cgroups.RunCgroup"
    proc: subprocess.Popen
    to_close: list[int]
    chan_r: int
    chan_w: int  # the channel's write end, still open here until the payload is made
    limits: SandboxLimits


def _launch(slot: Slot, key: tuple) -> _Launched:
    argv, limits, ro_binds, with_channel = key
    if not kill_uid(slot.uid):
        raise JudgeError(f"processes of sandbox UID {slot.uid} survive SIGKILL")
    try:
        cg = cgroups.RunCgroup(
            f"slot-{slot.index:03d}",
            memory_bytes=(limits.memory_mb + _CGROUP_OVERHEAD_MB) * 1024 * 1024,
            pids_max=limits.processes,
        )
    except (OSError, cgroups.CgroupUnavailable) as exc:
        raise JudgeError(f"cannot create the run's cgroup: {exc}") from exc

    to_close: list[int] = []
    proc = None
    try:
        seccomp_r, seccomp_w = os.pipe2(os.O_CLOEXEC)
        to_close += [seccomp_r, seccomp_w]
        program = _seccomp_program()
        if len(program) > 60000:
            raise JudgeError("seccomp program larger than a pipe buffer")
        os.write(seccomp_w, program)
        os.close(seccomp_w)
        to_close.remove(seccomp_w)

        pass_fds = [seccomp_r]
        chan_r = chan_w = -1
        if with_channel:
            chan_r, chan_w = os.pipe2(os.O_CLOEXEC)
            to_close += [chan_r, chan_w]
            pass_fds.append(chan_w)

        full_argv = _launcher_argv(slot.uid, limits) + _bwrap_argv(
            argv, limits=limits, seccomp_fd=seccomp_r, ro_binds=ro_binds
        )
        popen = functools.partial(
            subprocess.Popen, full_argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env={}, cwd="/", close_fds=True, pass_fds=pass_fds, start_new_session=True,
        )
        join_fds: list[int] = []
        try:
            if cg.hier.version == 1:
                # Born in the run's cgroup (this thread is in it while it forks): subprocess
                # can vfork, where a preexec_fn would copy the whole judging process.
                try:
                    with cg.this_thread_inside():
                        proc = popen()
                except cgroups.ThreadStuck:
                    # Never go on from inside a run's cgroup: a Celery worker replaces this
                    # process and its task is delivered again; the next holder of the slot
                    # sweeps what was started.
                    logger.critical("sandbox slot %d: the judging thread is stuck in the run's cgroup; exiting",
                                    slot.index, exc_info=True)
                    os._exit(70)
            else:
                join_fds = cg.join_fds()
                to_close += join_fds

                def enter_cgroup(fds=tuple(join_fds)) -> None:  # runs in the child, before exec
                    for fd in fds:
                        os.write(fd, b"0")

                proc = popen(preexec_fn=enter_cgroup)
        except (OSError, subprocess.SubprocessError) as exc:
            raise JudgeError(f"cannot start the sandbox: {exc}") from exc
        for fd in [seccomp_r, *join_fds]:
            os.close(fd)
            to_close.remove(fd)
        return _Launched(slot, cg, proc, to_close, chan_r, chan_w, limits)
    except BaseException:
        _cleanup(_Launched(slot, cg, proc, to_close, -1, -1, limits))
        raise


def _finish(launched: _Launched, *, stdin, channel) -> RunOutcome:
    """Send the input and supervise the run to its end (the caller sweeps up afterwards)."""
    payload = stdin(launched.chan_w) if callable(stdin) else stdin
    if launched.chan_w >= 0:
        os.close(launched.chan_w)  # only the sandbox holds the write end now: EOF when it is done
        launched.to_close.remove(launched.chan_w)
    start = time.monotonic()
    outcome = supervise(
        launched.proc, launched.cg, launched.slot.uid, start, payload, launched.limits, channel, launched.chan_r
    )
    outcome.slot = launched.slot.index
    return outcome


def _cleanup(launched: _Launched) -> None:
    proc, cg, slot = launched.proc, launched.cg, launched.slot
    try:
        if proc is not None and proc.poll() is None:
            kill_run(proc, cg, slot.uid)
            proc.wait()
    finally:
        for fd in launched.to_close:
            try:
                os.close(fd)
            except OSError:
                pass
        launched.to_close.clear()
        if proc is not None:
            for pipe in (proc.stdin, proc.stdout, proc.stderr):
                try:
                    if pipe is not None:
                        pipe.close()
                except OSError:
                    pass
        group_empty = cg.kill_all()
        clean = kill_uid(slot.uid) and group_empty
        try:
            cg.destroy()
        except OSError as exc:
            raise JudgeError(f"cannot remove the run's cgroup: {exc}") from exc
        if not clean:
            raise JudgeError(f"processes of sandbox UID {slot.uid} survive SIGKILL")
