"""A seccomp deny list for the sandbox, as a classic BPF program for `bwrap --seccomp FD`.

Written by hand (no libseccomp binding in Debian's base python): the program checks the
architecture (anything else, e.g. 32-bit `int 0x80` calls on x86_64, kills the process),
refuses x32 system calls, returns EPERM for the kernel attack surface a graded program never
needs (ptrace, process_vm_*, mount and friends, unshare/setns, bpf, userfaultfd, io_uring,
keyctl, perf_event_open, module loading, ...), refuses namespace flags on clone, makes clone3
return ENOSYS (glibc then falls back to clone, whose flags we can inspect) and refuses the
TIOCSTI / TIOCLINUX ioctls.
"""

from __future__ import annotations

import errno
import os
import struct

# struct seccomp_data: int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6];
_OFF_NR = 0
_OFF_ARCH = 4


def _off_arg_low(i: int) -> int:  # the low 32 bits of args[i] (little-endian hosts)
    return 16 + 8 * i


# classic BPF opcodes
_LD_W_ABS = 0x20
_JEQ_K = 0x15
_JGE_K = 0x35
_JSET_K = 0x45
_RET_K = 0x06

_RET_KILL_PROCESS = 0x80000000
_RET_ERRNO = 0x00050000
_RET_ALLOW = 0x7FFF0000

_CLONE_NS_FLAGS = (
    0x00020000  # CLONE_NEWNS
    | 0x02000000  # CLONE_NEWCGROUP
    | 0x04000000  # CLONE_NEWUTS
    | 0x08000000  # CLONE_NEWIPC
    | 0x10000000  # CLONE_NEWUSER
    | 0x20000000  # CLONE_NEWPID
    | 0x40000000  # CLONE_NEWNET
    | 0x00000080  # CLONE_NEWTIME
)
_TIOCSTI = 0x5412
_TIOCLINUX = 0x541C

_DENIED_NAMES = (
    "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd", "process_madvise", "kcmp",
    "mount", "umount2", "pivot_root", "chroot", "open_tree", "move_mount", "fsopen", "fsconfig",
    "fsmount", "fspick", "mount_setattr", "unshare", "setns", "bpf", "userfaultfd",
    "io_uring_setup", "io_uring_enter", "io_uring_register", "keyctl", "add_key", "request_key",
    "perf_event_open", "init_module", "finit_module", "delete_module", "kexec_load",
    "kexec_file_load", "swapon", "swapoff", "reboot", "acct", "open_by_handle_at",
    "name_to_handle_at", "syslog", "fanotify_init", "quotactl", "lookup_dcookie", "vhangup",
    "sethostname", "setdomainname", "uselib",
)

# Syscall numbers from the kernel headers: asm/unistd_64.h (x86_64) and asm-generic/unistd.h
# (aarch64). Only x86_64 is exercised by the test suite on the machines we have.
_ARCHES = {
    "x86_64": {
        "audit_arch": 0xC000003E,
        "x32_bit": 0x40000000,
        "clone": 56, "clone3": 435, "ioctl": 16,
        "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311, "pidfd_getfd": 438,
        "process_madvise": 440, "kcmp": 312, "mount": 165, "umount2": 166, "pivot_root": 155,
        "chroot": 161, "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431,
        "fsmount": 432, "fspick": 433, "mount_setattr": 442, "unshare": 272, "setns": 308,
        "bpf": 321, "userfaultfd": 323, "io_uring_setup": 425, "io_uring_enter": 426,
        "io_uring_register": 427, "keyctl": 250, "add_key": 248, "request_key": 249,
        "perf_event_open": 298, "init_module": 175, "finit_module": 313, "delete_module": 176,
        "kexec_load": 246, "kexec_file_load": 320, "swapon": 167, "swapoff": 168, "reboot": 169,
        "acct": 163, "open_by_handle_at": 304, "name_to_handle_at": 303, "syslog": 103,
        "fanotify_init": 300, "quotactl": 179, "lookup_dcookie": 212, "vhangup": 153,
        "sethostname": 170, "setdomainname": 171, "uselib": 134,
    },
    "aarch64": {
        "audit_arch": 0xC00000B7,
        "x32_bit": None,
        "clone": 220, "clone3": 435, "ioctl": 29,
        "ptrace": 117, "process_vm_readv": 270, "process_vm_writev": 271, "pidfd_getfd": 438,
        "process_madvise": 440, "kcmp": 272, "mount": 40, "umount2": 39, "pivot_root": 41,
        "chroot": 51, "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431,
        "fsmount": 432, "fspick": 433, "mount_setattr": 442, "unshare": 97, "setns": 268,
        "bpf": 280, "userfaultfd": 282, "io_uring_setup": 425, "io_uring_enter": 426,
        "io_uring_register": 427, "keyctl": 219, "add_key": 217, "request_key": 218,
        "perf_event_open": 241, "init_module": 105, "finit_module": 273, "delete_module": 106,
        "kexec_load": 104, "kexec_file_load": 294, "swapon": 224, "swapoff": 225, "reboot": 142,
        "acct": 89, "open_by_handle_at": 265, "name_to_handle_at": 264, "syslog": 116,
        "fanotify_init": 262, "quotactl": 60, "lookup_dcookie": 18, "vhangup": 58,
        "sethostname": 161, "setdomainname": 162, "uselib": None,
    },
}


def supported_arch() -> str | None:
    machine = os.uname().machine
    return machine if machine in _ARCHES else None


def build_filter(machine: str | None = None) -> bytes:
    """The BPF program (an array of struct sock_filter) for this machine's architecture."""
    machine = machine or os.uname().machine
    table = _ARCHES.get(machine)
    if table is None:
        raise ValueError(f"no seccomp syscall table for architecture {machine!r}")

    prog: list[tuple] = []  # (code, jt, jf, k), where jt/jf may be label names

    def stmt(code: int, k: int) -> None:
        prog.append((code, 0, 0, k))

    def jump(code: int, k: int, jt, jf) -> None:
        prog.append((code, jt, jf, k))

    stmt(_LD_W_ABS, _OFF_ARCH)
    jump(_JEQ_K, table["audit_arch"], 0, "kill")
    stmt(_LD_W_ABS, _OFF_NR)
    if table["x32_bit"] is not None:
        jump(_JGE_K, table["x32_bit"], "eperm", 0)
    for name in _DENIED_NAMES:
        nr = table.get(name)
        if nr is not None:
            jump(_JEQ_K, nr, "eperm", 0)
    jump(_JEQ_K, table["clone3"], "enosys", 0)
    jump(_JEQ_K, table["clone"], "clone", 0)
    jump(_JEQ_K, table["ioctl"], "ioctl", 0)
    stmt(_RET_K, _RET_ALLOW)
    labels = {}
    labels["clone"] = len(prog)
    stmt(_LD_W_ABS, _off_arg_low(0))
    jump(_JSET_K, _CLONE_NS_FLAGS, "eperm", "allow")
    labels["ioctl"] = len(prog)
    stmt(_LD_W_ABS, _off_arg_low(1))  # the kernel reads cmd as an unsigned int: low word only
    jump(_JEQ_K, _TIOCSTI, "eperm", 0)
    jump(_JEQ_K, _TIOCLINUX, "eperm", "allow")
    labels["allow"] = len(prog)
    stmt(_RET_K, _RET_ALLOW)
    labels["eperm"] = len(prog)
    stmt(_RET_K, _RET_ERRNO | errno.EPERM)
    labels["enosys"] = len(prog)
    stmt(_RET_K, _RET_ERRNO | errno.ENOSYS)
    labels["kill"] = len(prog)
    stmt(_RET_K, _RET_KILL_PROCESS)

    out = bytearray()
    for index, (code, jt, jf, k) in enumerate(prog):
        offsets = []
        for target in (jt, jf):
            if isinstance(target, str):
                target = labels[target] - (index + 1)
            if not 0 <= target <= 255:
                raise AssertionError("seccomp jump out of range")
            offsets.append(target)
        out += struct.pack("=HBBI", code, offsets[0], offsets[1], k)
    return bytes(out)
