"""One cgroup per sandbox run: memory (with swap accounted), pids.max, CPU summed over every
process of the run, and a way to kill them all. cgroup v1 (separate controller hierarchies, as
on the machines this was written on) and v2 (the unified hierarchy) are both supported.

The run's processes are in the cgroup before they exec anything, so nothing the candidate starts
can be outside it: on v1 they are born in it (`this_thread_inside`), on v2 they join between fork
and exec (`join_fds`).
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import time

_V1_CONTROLLERS = ("memory", "pids", "cpuacct")
_V2_CONTROLLERS = ("memory", "pids", "cpu")
_GROUP_PREFIX = "prep-judge"


class CgroupUnavailable(Exception):
    pass


def _read(path: str) -> str:
    with open(path, encoding="ascii") as f:
        return f.read()


def _write(path: str, value: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    try:
        os.write(fd, value.encode("ascii"))
    finally:
        os.close(fd)


def _mounts() -> list[tuple[str, str, str, set[str]]]:
    """(mount point, root within the hierarchy, fstype, super options) of cgroup mounts."""
    found = []
    with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as f:
        for line in f:
            left, _, right = line.partition(" - ")
            fields = left.split()
            rfields = right.split()
            if len(fields) < 5 or len(rfields) < 3:
                continue
            fstype = rfields[0]
            if fstype not in ("cgroup", "cgroup2"):
                continue
            mount_point = fields[4].replace("\\040", " ")
            found.append((mount_point, fields[3], fstype, set(rfields[2].split(","))))
    return found


def _own_paths(of: str = "self") -> dict[str, str]:
    """controller name (or "" for v2) -> this process's (of="thread-self": this thread's) cgroup path."""
    paths = {}
    with open(f"/proc/{of}/cgroup", encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split(":", 2)
            if len(parts) != 3:
                continue
            for name in parts[1].split(",") if parts[1] else [""]:
                paths[name] = parts[2]
    return paths


class Hierarchy:
    """Where run cgroups are created."""

    def __init__(self, version: int, bases: dict[str, str], mounts: dict[str, tuple[str, str]] | None = None):
        self.version = version
        self.bases = bases  # controller -> parent directory of the run cgroups (v2: key "")
        self.mounts = mounts or {}  # v1: controller -> (mount point, root of the hierarchy mounted there)

    def thread_dirs(self) -> dict[str, str]:
        """v1: the cgroup directory, per controller, of the calling thread right now."""
        paths = _own_paths("thread-self")
        dirs = {}
        for name, (mount_point, root) in self.mounts.items():
            if name not in paths:
                raise OSError(errno.ENOENT, f"this thread has no {name} cgroup")
            relative = os.path.relpath(paths[name], root) if root != "/" else paths[name].lstrip("/")
            if relative.startswith(".."):
                raise OSError(errno.ENOENT, f"this thread's {name} cgroup is outside the mounted hierarchy")
            dirs[name] = os.path.normpath(os.path.join(mount_point, relative))
        return dirs

    def __repr__(self) -> str:
        return f"Hierarchy(v{self.version}, {self.bases})"


def _v1_hierarchy() -> Hierarchy | None:
    mounts = [m for m in _mounts() if m[2] == "cgroup"]
    own = _own_paths()
    bases = {}
    where = {}
    for controller in _V1_CONTROLLERS:
        mount = next((m for m in mounts if controller in m[3]), None)
        if mount is None:
            return None
        mount_point, root, _, _ = mount
        where[controller] = (mount_point, root)
        parent = mount_point
        path = own.get(controller, "/")
        if root == "/" and path not in ("", "/"):
            # Nest under our own cgroup, so whatever limits our service has also bind the runs.
            candidate = os.path.join(mount_point, path.lstrip("/"))
            if os.path.isdir(candidate):
                parent = candidate
        bases[controller] = os.path.join(parent, _GROUP_PREFIX)
    return Hierarchy(1, bases, where)


def _v2_hierarchy() -> Hierarchy | None:
    mounts = [m for m in _mounts() if m[2] == "cgroup2"]
    for mount_point, root, _, _ in mounts:
        try:
            available = set(_read(os.path.join(mount_point, "cgroup.controllers")).split())
        except OSError:
            continue
        if root != "/" or not set(_V2_CONTROLLERS) <= available:
            continue
        # The root cgroup is exempt from the no-internal-processes rule: our own parent group
        # directly below it has no processes, so its controllers can be enabled for the runs.
        return Hierarchy(2, {"": os.path.join(mount_point, _GROUP_PREFIX)})
    return None


_hierarchy_cache: list = []


def hierarchy() -> Hierarchy:
    """The usable cgroup hierarchy, prepared (parent groups created). Raises CgroupUnavailable
    with a human-readable reason."""
    if _hierarchy_cache:
        return _hierarchy_cache[0]
    if os.geteuid() != 0:
        raise CgroupUnavailable("cgroups need root: run the grading worker as root")
    found = _v1_hierarchy() or _v2_hierarchy()
    if found is None:
        raise CgroupUnavailable(
            "no cgroup hierarchy with the memory, pids and cpu/cpuacct controllers is mounted "
            "(mount cgroup v1 controllers under /sys/fs/cgroup, or use cgroup v2 with those "
            "controllers enabled at the root)"
        )
    try:
        for base in found.bases.values():
            os.makedirs(base, mode=0o755, exist_ok=True)
        if found.version == 2:
            base = found.bases[""]
            for path in (os.path.dirname(base), base):
                enabled = set(_read(os.path.join(path, "cgroup.subtree_control")).split())
                if not set(_V2_CONTROLLERS) <= enabled:
                    _write(os.path.join(path, "cgroup.subtree_control"), "+memory +pids +cpu")
    except OSError as exc:
        raise CgroupUnavailable(f"cannot create the judge's cgroups ({exc})") from exc
    _hierarchy_cache.append(found)
    return found


def sweep(name: str) -> set[int]:
    """Kill every process in the run cgroup `name`, if it exists, and remove it (a run left
    behind by a judging process that died). Returns the processes that were in it."""
    try:
        hier = hierarchy()
    except CgroupUnavailable:
        return set()
    found: set[int] = set()
    for base in hier.bases.values():
        path = os.path.join(base, name)
        if os.path.isdir(path):
            found |= RunCgroup._pids_of(path)
            RunCgroup._kill_and_remove(path)
    return found


class ThreadStuck(Exception):
    """The judging thread could not leave a run's cgroup: its process must not go on judging
    (the run's limits now bind it, and sweeping that cgroup would kill it)."""


def _return_thread(back: dict[str, str]) -> None:
    """Move the calling thread back into `back` (v1 directories), in every controller whatever
    happened before (writing "0" where the thread already is changes nothing). An exception
    raised meanwhile, such as a Celery soft time limit's, is held until the thread is out, then
    raised."""
    pending: BaseException | None = None
    for path in back.values():
        for _ in range(3):
            try:
                _write(os.path.join(path, "tasks"), "0")
                break
            except BaseException as exc:  # noqa: BLE001 — raised again below, once the thread is out
                pending = pending or exc
        else:
            raise ThreadStuck(f"the judging thread cannot return to {path}: {pending}")
    if pending is not None:
        raise pending


class RunCgroup:
    """The cgroup (one directory per controller on v1) of one sandbox run."""

    def __init__(self, name: str, *, memory_bytes: int, pids_max: int):
        self.hier = hierarchy()
        self.dirs = {c: os.path.join(base, name) for c, base in self.hier.bases.items()}
        sweep(name)  # left over by a judging process that died
        for path in self.dirs.values():
            os.mkdir(path, 0o755)
        try:
            if self.hier.version == 1:
                mem = self.dirs["memory"]
                _write(os.path.join(mem, "memory.limit_in_bytes"), str(memory_bytes))
                memsw = os.path.join(mem, "memory.memsw.limit_in_bytes")
                if os.path.exists(memsw):
                    _write(memsw, str(memory_bytes))
                _write(os.path.join(self.dirs["pids"], "pids.max"), str(pids_max))
            else:
                d = self.dirs[""]
                _write(os.path.join(d, "memory.max"), str(memory_bytes))
                swap = os.path.join(d, "memory.swap.max")
                if os.path.exists(swap):
                    _write(swap, "0")
                _write(os.path.join(d, "pids.max"), str(pids_max))
        except OSError:
            self.destroy()
            raise

    # -- joining ---------------------------------------------------------------------------
    @contextlib.contextmanager
    def this_thread_inside(self):
        """cgroup v1 only: the calling thread (that thread alone: it writes to `tasks`, not to
        `cgroup.procs`) is in the run's cgroup while inside, and back where it was afterwards. A
        process it forks meanwhile is born in the run's cgroup, before it runs an instruction of
        its own, so subprocess can vfork() it: no preexec_fn, which forces a real fork() of
        the whole judging process (in a grading worker, ~11 ms of copying page tables and
        copy-on-write faults per sandbox start). The thread's own CPU time inside, the few
        microseconds of the fork, is counted as the run's."""
        if self.hier.version != 1:
            raise CgroupUnavailable("moving a single thread needs cgroup v1")
        back = self.hier.thread_dirs()
        try:
            for path in self.dirs.values():
                _write(os.path.join(path, "tasks"), "0")
            yield
        finally:
            _return_thread(back)

    def join_fds(self) -> list[int]:
        """Open descriptors; writing b"0" to each moves the writer in. The caller uses them in
        the child between fork and exec (single-threaded then), then closes them.

        On v1 this is the `tasks` file: moving one thread skips the global threadgroup
        rwsem, whose write side waits for an RCU grace period (~10 ms here) on every run;
        for a single-threaded child, moving the thread moves the process."""
        name = "tasks" if self.hier.version == 1 else "cgroup.procs"
        return [os.open(os.path.join(d, name), os.O_WRONLY | os.O_CLOEXEC) for d in self.dirs.values()]

    # -- figures ---------------------------------------------------------------------------
    def cpu_seconds(self) -> float:
        try:
            if self.hier.version == 1:
                return int(_read(os.path.join(self.dirs["cpuacct"], "cpuacct.usage"))) / 1e9
            for line in _read(os.path.join(self.dirs[""], "cpu.stat")).splitlines():
                key, _, value = line.partition(" ")
                if key == "usage_usec":
                    return int(value) / 1e6
        except (OSError, ValueError):
            pass
        return 0.0

    def memory_peak_bytes(self) -> int | None:
        try:
            if self.hier.version == 1:
                path = os.path.join(self.dirs["memory"], "memory.max_usage_in_bytes")
            else:
                path = os.path.join(self.dirs[""], "memory.peak")
            return int(_read(path))
        except (OSError, ValueError):
            return None

    def oom_killed(self) -> bool:
        return self.oom_kill_count() > 0

    def oom_kill_count(self) -> int:
        try:
            if self.hier.version == 1:
                text = _read(os.path.join(self.dirs["memory"], "memory.oom_control"))
            else:
                text = _read(os.path.join(self.dirs[""], "memory.events"))
        except OSError:
            return 0
        for line in text.splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill":
                try:
                    return int(value)
                except ValueError:
                    return 0
        return 0

    def pids(self) -> set[int]:
        found: set[int] = set()
        for d in self.dirs.values():
            found |= self._pids_of(d)
        return found

    @staticmethod
    def _pids_of(path: str) -> set[int]:
        """The processes in the group, never this one: one of its threads is inside while it
        forks a run (`this_thread_inside`), and v1 lists a process that has any thread inside."""
        try:
            return {int(p) for p in _read(os.path.join(path, "cgroup.procs")).split()} - {os.getpid()}
        except (OSError, ValueError):
            return set()

    # -- ending ----------------------------------------------------------------------------
    def kill_all(self, timeout: float = 5.0) -> bool:
        """SIGKILL every process in the group until it is empty. True when empty."""
        deadline = time.monotonic() + timeout
        if self.hier.version == 2:
            try:
                _write(os.path.join(self.dirs[""], "cgroup.kill"), "1")
            except OSError:
                pass
        while True:
            pids = self.pids()
            if not pids:
                return True
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            if time.monotonic() > deadline:
                return False
            time.sleep(0.002)

    def destroy(self) -> None:
        for path in self.dirs.values():
            self._kill_and_remove(path)

    @classmethod
    def _kill_and_remove(cls, path: str, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            for pid in cls._pids_of(path):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            try:
                os.rmdir(path)
                return
            except FileNotFoundError:
                return
            except OSError as exc:
                if exc.errno != errno.EBUSY or time.monotonic() > deadline:
                    raise
            time.sleep(0.002)
