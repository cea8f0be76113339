"""The OS sandbox every piece of candidate code runs in, whatever the language.

One run = one fresh bubblewrap sandbox:

- launched through `prlimit` (hard rlimits, soft = hard) and `setpriv` (an unprivileged UID
  unique to the concurrent *slot*, no groups, no capabilities, no_new_privs), never as root;
- every namespace unshared (user, pid, net, ipc, uts, mount, cgroup), no further user
  namespaces, an empty environment plus PATH/LANG/HOME, a new session, killed with its parent;
- read-only binds of the runtime only (/usr and the lib symlinks), fresh proc and a read-only
  minimal dev, size-capped tmpfs for /work (the working directory) and /tmp;
- a seccomp deny list (seccomp.py);
- its own cgroup (memory with swap, pids.max, CPU summed over all its processes), joined
  before anything is exec'd, emptied with SIGKILL and removed at the end (cgroups.py);
- supervised from outside: this process owns the wall clock, reads stdout, stderr and an
  optional result channel concurrently with byte caps, and kills the run on any excess
  (supervise.py);
- after the run, no process of the slot UID may survive (cgroup and /proc are both swept)
  before the slot is released (slots.py, processes.py).

The host never opens a path inside the sandbox: everything comes back through pipes.
"""

from judge.sandbox.host import sandbox_problems
from judge.sandbox.limits import ChannelSink, RunMeter, RunOutcome, SandboxLimits
from judge.sandbox.processes import pids_of_uid
from judge.sandbox.run import discard_warm, run_in_sandbox, set_prewarm, upkeep_deferred
from judge.sandbox.slots import LOCK_DIR, SLOT_COUNT, UID_BASE, stray_processes, sweep_free_slots
from judge.sandbox.tools import PYTHON

__all__ = [
    "LOCK_DIR",
    "PYTHON",
    "SLOT_COUNT",
    "UID_BASE",
    "ChannelSink",
    "RunMeter",
    "RunOutcome",
    "SandboxLimits",
    "pids_of_uid",
    "discard_warm",
    "run_in_sandbox",
    "set_prewarm",
    "sandbox_problems",
    "stray_processes",
    "sweep_free_slots",
    "upkeep_deferred",
]
