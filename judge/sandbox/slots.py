"""Slots: one UID, one lock file and one cgroup name per concurrent run on a host.

The UID is unique to the slot so that RLIMIT_NPROC (counted per real UID) covers exactly one
run, and so that "every process of this UID" means "every process of this run".
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
import tempfile
import time

from judge.errors import JudgeError
from judge.sandbox import cgroups
from judge.sandbox.processes import kill_uid, pids_of_uid

UID_BASE = 61000
SLOT_COUNT = 64
LOCK_DIR = "/run/prep-judge"


class Slot:
    def __init__(self, index: int, lock_fd: int):
        self.index = index
        self.uid = UID_BASE + index
        self.lock_fd = lock_fd

    def release(self) -> None:
        os.close(self.lock_fd)  # closing drops the flock


def lock_dir() -> str:
    for directory in (LOCK_DIR, os.path.join(tempfile.gettempdir(), f"prep-judge-{os.geteuid()}")):
        try:
            os.makedirs(directory, mode=0o700, exist_ok=True)
            st = os.lstat(directory)
        except OSError:
            continue
        if stat.S_ISDIR(st.st_mode) and st.st_uid == os.geteuid() and not st.st_mode & 0o022:
            return directory
    raise JudgeError(f"cannot create a private lock directory ({LOCK_DIR} or a temp dir)")


def acquire_slot(timeout: float = 300.0) -> Slot:
    directory = lock_dir()
    deadline = time.monotonic() + timeout
    start = os.getpid() % SLOT_COUNT
    while True:
        for i in range(SLOT_COUNT):
            index = (start + i) % SLOT_COUNT
            try:
                fd = _try_lock(directory, index)
            except OSError as exc:
                raise JudgeError(f"cannot lock sandbox slot {index} in {directory}: {exc}") from exc
            if fd is not None:
                return Slot(index, fd)
        if time.monotonic() > deadline:
            raise JudgeError(f"all {SLOT_COUNT} sandbox slots stayed busy for {timeout:.0f} s")
        time.sleep(0.05)


def _try_lock(directory: str, index: int) -> int | None:
    """The slot's lock, taken now (its descriptor: closing it frees the slot), or None when
    another process holds it. OSError when the lock file cannot be opened or locked at all."""
    fd = os.open(os.path.join(directory, f"slot-{index:03d}.lock"),
                 os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
            return None
        raise
    return fd


def _lock_if_free(directory: str, index: int) -> int | None:
    """`_try_lock` for the sweeps, which pass over a slot whose lock file is unusable."""
    try:
        return _try_lock(directory, index)
    except OSError:
        return None


def sweep_free_slots() -> dict[int, int]:
    """Kill what runs left behind when the process judging them died without sweeping up (kill
    -9, the OOM killer): every process in a free slot's cgroup or of its UID, each slot locked
    while it is swept, and the slot's cgroup removed. A run whose judging process was killed
    while it was still starting (before bubblewrap's --die-with-parent was armed) goes on as an
    orphan, in its cgroup from birth; this finds it even before it has switched to the slot's
    UID. Returns the processes killed (pid -> uid)."""
    directory = lock_dir()
    held = {index: fd for index in range(SLOT_COUNT) if (fd := _lock_if_free(directory, index)) is not None}
    try:
        uids = {UID_BASE + index for index in held}
        killed = pids_of_uid(uids, include_zombies=False) if uids else {}
        for index in held:
            for pid in cgroups.sweep(f"slot-{index:03d}"):
                killed.setdefault(pid, UID_BASE + index)
        for uid in set(killed.values()):
            kill_uid(uid)
        return killed
    finally:
        for fd in held.values():
            os.close(fd)


def stray_processes() -> dict[int, int]:
    """Live processes (pid -> uid) of sandbox UIDs whose slot nobody holds: there should be
    none. Slots in use right now (by any worker on this host) are skipped."""
    free = set()
    directory = lock_dir()
    for index in range(SLOT_COUNT):
        fd = _lock_if_free(directory, index)
        if fd is not None:
            free.add(UID_BASE + index)
            os.close(fd)
    return pids_of_uid(free, include_zombies=False) if free else {}
