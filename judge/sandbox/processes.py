"""Processes of a sandbox UID: finding them, killing them, reaping the orphans."""

from __future__ import annotations

import os
import signal
import time


def _proc_status(pid: str) -> dict[bytes, bytes] | None:
    """The State, PPid and Uid fields of /proc/<pid>/status (None if the process is gone)."""
    try:
        fd = os.open(f"/proc/{pid}/status", os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        text = os.read(fd, 4096)
    except OSError:
        return None
    finally:
        os.close(fd)
    fields = {}
    for key in (b"State", b"PPid", b"Uid"):
        at = text.find(b"\n" + key + b":")
        if at >= 0:
            end = text.find(b"\n", at + 1)
            fields[key] = text[at + len(key) + 2: end if end >= 0 else None].strip()
    return fields


def pids_of_uid(uids, *, include_zombies: bool = True) -> dict[int, int]:
    """pid -> uid for every visible process whose real, effective, saved or fs UID is in uids."""
    found = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return found
    for entry in entries:
        if not entry.isdigit():
            continue
        status = _proc_status(entry)
        if not status or b"Uid" not in status:
            continue
        if not include_zombies and status.get(b"State", b"").startswith(b"Z"):
            continue
        for value in status[b"Uid"].split():
            if int(value) in uids:
                found[int(entry)] = int(value)
                break
    return found


def descendants(pid: int) -> list[int]:
    """Every visible descendant of pid, found through /proc's parent links (a sandbox leads a
    session of its own, so killing a process group alone would miss it)."""
    children: dict[int, list[int]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for entry in entries:
        if entry.isdigit() and (status := _proc_status(entry)) and b"PPid" in status:
            children.setdefault(int(status[b"PPid"]), []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_uid(uid: int, timeout: float = 5.0, *, spare: int | None = None) -> bool:
    """SIGKILL every process of `uid` until none is left alive. Zombies that are our children
    (orphans of the sandbox reparented to us, e.g. when this process is a PID namespace's
    init) are reaped — except `spare`, the Popen child whose status Popen itself collects;
    other zombies are dead already and left to their parent. True when no live process of
    `uid` is left."""
    deadline = time.monotonic() + timeout
    me = str(os.getpid()).encode()
    while True:
        alive = False
        for pid in pids_of_uid({uid}):
            status = _proc_status(str(pid)) or {}
            if status.get(b"State", b"").startswith(b"Z"):
                if status.get(b"PPid") == me and pid != spare:
                    try:
                        os.waitpid(pid, os.WNOHANG)
                    except ChildProcessError:
                        pass
                continue
            alive = True
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        if not alive:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.002)


_subreaper_pid: list[int] = []


def become_subreaper() -> None:
    """Make this process the reaper of the sandbox's orphans. bwrap's outer process exits as
    soon as its PID-namespace init reports the exit status, so that init is re-parented; as a
    child subreaper we can reap it (in kill_uid) instead of leaving a zombie that counts
    against the slot UID's RLIMIT_NPROC until some init gets round to it. Not inherited by
    fork, hence remembered per pid."""
    pid = os.getpid()
    if _subreaper_pid and _subreaper_pid[0] == pid:
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_CHILD_SUBREAPER = 36
        libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError, ImportError):
        pass  # then init reaps them, a little later
    _subreaper_pid[:] = [pid]
