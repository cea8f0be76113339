"""Can this host grade safely? Fail closed: every missing mechanism is named with its fix."""

from __future__ import annotations

import os
import threading

from judge.errors import JudgeError
from judge.sandbox import cgroups, seccomp, tools
from judge.sandbox.limits import SandboxLimits
from judge.sandbox.run import run_in_sandbox
from judge.sandbox.slots import SLOT_COUNT, UID_BASE
from judge.sandbox.tools import PYTHON


_problems_lock = threading.Lock()
_host_ok = False


def sandbox_problems() -> list[str]:
    """Human-readable names of what the host lacks to grade safely; [] when grading can run.
    The positive answer is cached for the life of the process."""
    global _host_ok
    if _host_ok:
        return []
    with _problems_lock:
        if _host_ok:
            return []
        problems = _static_problems()
        if not problems:
            problems = _trial_run_problems()
        if not problems:
            _host_ok = True
        return problems


def _static_problems() -> list[str]:
    problems = []
    if not hasattr(os, "pidfd_open") or os.uname().sysname != "Linux":
        return ["the judge's sandbox needs Linux"]
    if os.geteuid() != 0:
        problems.append(
            "the grading worker is not root, so it cannot switch to the per-slot sandbox UIDs: "
            "run the grading worker as root (bubblewrap itself then runs unprivileged)"
        )
    if tools.find_tool("bwrap") is None:
        problems.append("bubblewrap (bwrap) is not installed: apt-get install bubblewrap")
    for tool in ("setpriv", "prlimit"):
        if tools.find_tool(tool) is None:
            problems.append(f"{tool} is not installed: apt-get install util-linux")
    if not (os.path.isfile(PYTHON) and os.access(PYTHON, os.X_OK)):
        problems.append(f"{PYTHON} (the sandbox's Python) is missing: apt-get install python3")
    problems += _userns_problems()
    if seccomp.supported_arch() is None:
        problems.append(
            f"no seccomp syscall table for this CPU architecture ({os.uname().machine}): "
            "add one to judge/sandbox/seccomp.py"
        )
    try:
        cgroups.hierarchy()
    except cgroups.CgroupUnavailable as exc:
        problems.append(str(exc))
    problems += _uid_range_problems()
    return problems


def _userns_problems() -> list[str]:
    checks = (
        ("/proc/sys/user/max_user_namespaces", "sysctl -w user.max_user_namespaces=15000"),
        ("/proc/sys/kernel/unprivileged_userns_clone", "sysctl -w kernel.unprivileged_userns_clone=1"),
    )
    problems = []
    for path, fix in checks:
        try:
            with open(path) as f:
                value = int(f.read().strip())
        except (OSError, ValueError):
            continue
        if value <= 0:
            problems.append(f"unprivileged user namespaces are disabled ({path} is {value}): {fix}")
    return problems


def _uid_range_problems() -> list[str]:
    try:
        with open("/etc/passwd", encoding="utf-8", errors="replace") as f:
            for line in f:
                fields = line.split(":")
                if len(fields) > 2 and fields[2].isdigit():
                    uid = int(fields[2])
                    if UID_BASE <= uid < UID_BASE + SLOT_COUNT:
                        return [
                            f"UID {uid} ({fields[0]}) lies in the sandbox UID range "
                            f"{UID_BASE}-{UID_BASE + SLOT_COUNT - 1}, which must belong to no "
                            "account: move that account or change judge.sandbox.slots.UID_BASE"
                        ]
    except OSError:
        pass
    return []


def _trial_run_problems() -> list[str]:
    limits = SandboxLimits(cpu_time_s=5, wall_time_s=20, memory_mb=64, output_bytes=4096)
    try:
        outcome = run_in_sandbox([PYTHON, "-I", "-S", "-c", "pass"], stdin=b"", limits=limits)
    except JudgeError as exc:
        return [f"a trial sandbox run failed: {exc}"]
    if outcome.exit_code == 0 and not outcome.killed:
        return []
    detail = outcome.stderr.decode("utf-8", "replace").strip()[-800:]
    hint = ""
    if any(word in detail for word in ("namespace", "Operation not permitted", "Permission denied", "uid map")):
        hint = (
            " — unprivileged user namespaces look unavailable: sysctl -w kernel.unprivileged_userns_clone=1, "
            "sysctl -w user.max_user_namespaces=15000, and on Ubuntu 23.10+ "
            "sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 (or an AppArmor profile for bwrap)"
        )
    return [
        f"a trial sandbox run of `{PYTHON} -I -S -c pass` as an unprivileged UID failed "
        f"(exit {outcome.exit_code}): {detail or 'no message'}{hint}"
    ]
