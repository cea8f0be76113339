"""What a sandbox run is given and what it gives back."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from judge.sandbox.cgroups import RunCgroup


@dataclass(frozen=True)
class SandboxLimits:
    """Limits of one sandbox run (all of its processes together unless said otherwise)."""

    cpu_time_s: float  # CPU of every process summed (cgroup); also the per-process rlimit
    wall_time_s: float
    memory_mb: int  # the program's budget; the runtime's own overhead is added on top
    output_bytes: int  # stdout + stderr together
    channel_bytes: int = 16 * 1024 * 1024
    processes: int = 32  # pids.max and RLIMIT_NPROC (threads count)
    open_files: int = 64
    work_mb: int = 16  # size of /work and of /tmp, and the largest file
    stack_mb: int = 8


@dataclass
class RunOutcome:
    exit_code: int | None  # bwrap's exit status (the program's, or 128+N if signal N killed it)
    signal: int | None  # the signal that ended the program, when known
    cpu_time_s: float  # every process of the run, summed
    wall_time_s: float
    memory_peak_kb: int | None
    stdout: bytes  # at most limits.output_bytes, with stderr
    stderr: bytes
    timed_out: bool = False  # killed by the supervisor for time
    timeout_reason: str = ""  # "wall", "cpu", or what the channel's watchdog said
    output_exceeded: bool = False
    channel_exceeded: bool = False
    memory_exceeded: bool = False  # the cgroup's OOM killer struck
    killed: bool = False  # the supervisor killed the run (for any of the reasons above)
    slot: int = -1
    extra: dict = field(default_factory=dict)


class RunMeter:
    """Live figures of a running sandbox, for a channel's bookkeeping and watchdog."""

    def __init__(self, cg: "RunCgroup", start: float):
        self._cg = cg
        self._start = start

    @property
    def cpu_s(self) -> float:
        """CPU seconds of every process of the run so far."""
        return self._cg.cpu_seconds()

    @property
    def wall_s(self) -> float:
        return time.monotonic() - self._start

    def oom_kills(self) -> int:
        """Processes of the run killed so far for exceeding the memory limit."""
        return self._cg.oom_kill_count()


class ChannelSink(Protocol):
    """Receives what the sandbox writes to its result descriptor."""

    def feed(self, data: bytes, meter: RunMeter) -> None: ...

    def expired(self, meter: RunMeter) -> str | None:
        """A reason to kill the run now (e.g. one test took too long), or None."""
