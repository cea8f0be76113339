"""Launching one sandbox run."""

from __future__ import annotations

import math
import os
import subprocess
import time
from typing import Callable, Sequence

from judge.errors import JudgeError
from judge.sandbox import cgroups, seccomp, tools
from judge.sandbox.limits import ChannelSink, RunOutcome, SandboxLimits
from judge.sandbox.processes import become_subreaper, kill_uid
from judge.sandbox.slots import Slot, acquire_slot
from judge.sandbox.supervise import kill_run, supervise

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
    in the outcome."""
    become_subreaper()
    slot = acquire_slot()
    try:
        return _run_in_slot(slot, argv, stdin=stdin, limits=limits, channel=channel, ro_binds=ro_binds)
    finally:
        slot.release()


def _run_in_slot(slot: Slot, argv, *, stdin, limits: SandboxLimits, channel, ro_binds) -> RunOutcome:
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
        if channel is not None:
            chan_r, chan_w = os.pipe2(os.O_CLOEXEC)
            to_close += [chan_r, chan_w]
            pass_fds.append(chan_w)
        payload = stdin(chan_w) if callable(stdin) else stdin

        join_fds = cg.join_fds()
        to_close += join_fds

        def enter_cgroup(fds=tuple(join_fds)) -> None:  # runs in the child, before exec
            for fd in fds:
                os.write(fd, b"0")

        full_argv = _launcher_argv(slot.uid, limits) + _bwrap_argv(
            argv, limits=limits, seccomp_fd=seccomp_r, ro_binds=ro_binds
        )
        start = time.monotonic()
        try:
            proc = subprocess.Popen(
                full_argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env={},
                cwd="/",
                close_fds=True,
                pass_fds=pass_fds,
                start_new_session=True,
                preexec_fn=enter_cgroup,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise JudgeError(f"cannot start the sandbox: {exc}") from exc
        for fd in [seccomp_r, chan_w, *join_fds]:
            if fd >= 0:
                os.close(fd)
                to_close.remove(fd)

        outcome = supervise(proc, cg, slot.uid, start, payload, limits, channel, chan_r)
        outcome.slot = slot.index
        return outcome
    finally:
        try:
            if proc is not None and proc.poll() is None:
                kill_run(proc, cg, slot.uid)
                proc.wait()
        finally:
            for fd in to_close:
                try:
                    os.close(fd)
                except OSError:
                    pass
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
