"""The hostile suite: candidate code that attacks the sandbox, the supervisor or the verdict.

Every sample here runs only inside the judge's sandbox, and this module refuses to run unless
the test process itself lives in its own PID namespace (`make test` arranges it), so that a
sandbox failing open under `os.kill(-1, 9)` could not take down the machine.

After every test the host is checked: no process of a sandbox UID is left, no file owned by a
sandbox UID appeared in /tmp, a canary process started before the suite is still alive.
"""

import json
import os
import socket
import time

import pytest

from judge import FunctionSpec, FunctionTest, Limits, Verdict, judge_python_function

pytestmark = [pytest.mark.hostile, pytest.mark.usefixtures("sandbox_ready", "host_is_fine_afterwards")]

QUICK = Limits(cpu_time_s=0.5, wall_time_s=1.0, memory_mb=128)


def judge(source, *, expected=None, args=(), limits=QUICK, function_name="f", tests=None):
    tests = tests or (FunctionTest("hostile", list(args), expected),)
    return judge_python_function(FunctionSpec(source, function_name, tuple(tests), limits=limits))


def returned(source, **kwargs):
    """What the function returned (the test itself is graded WA: nothing is expected)."""
    result = judge(source, expected="<nothing>", **kwargs)
    assert result.tests[0].verdict == Verdict.WA, result.tests[0].message
    return result.tests[0].actual


# -- time ------------------------------------------------------------------------------------


@pytest.mark.slow
def test_busy_loop_is_time_limit_exceeded():
    result = judge("def f():\n    while True:\n        pass\n")
    assert result.verdict == Verdict.TLE


@pytest.mark.slow
def test_swallowing_the_timer_exception_does_not_escape_the_limit():
    source = """
def f():
    while True:
        try:
            while True:
                pass
        except BaseException:
            pass
"""
    started = time.monotonic()
    assert judge(source).verdict == Verdict.TLE
    assert time.monotonic() - started < 5


@pytest.mark.slow
def test_ignoring_the_timer_signal_is_caught_by_the_supervisor():
    source = """
import signal
def f():
    signal.signal(signal.SIGPROF, signal.SIG_IGN)
    signal.signal(signal.SIGXCPU, signal.SIG_IGN)
    signal.setitimer(signal.ITIMER_PROF, 0)
    while True:
        pass
"""
    started = time.monotonic()
    assert judge(source).verdict == Verdict.TLE
    assert time.monotonic() - started < 5


@pytest.mark.slow
def test_sleeping_is_time_limit_exceeded_on_the_wall_clock():
    started = time.monotonic()
    result = judge("import time\ndef f():\n    time.sleep(1e9)\n")
    assert result.verdict == Verdict.TLE
    assert "wall" in result.tests[0].message
    assert time.monotonic() - started < 5


def test_reading_stdin_returns_nothing_instead_of_blocking():
    result = judge("import sys\ndef f():\n    return sys.stdin.read()\n", expected="")
    assert result.verdict == Verdict.AC


@pytest.mark.slow
def test_cpu_spent_in_child_processes_counts_against_the_limit():
    source = """
import os
def f():
    for _ in range(2):
        if os.fork() == 0:
            while True:
                pass
    os.wait()
"""
    result = judge(source)
    assert result.verdict == Verdict.TLE


@pytest.mark.slow
def test_a_child_that_outlives_its_parent_cannot_answer_late():
    source = """
import os, time
def f():
    if os.fork() == 0:
        time.sleep(0.3)
        print("late answer")
        os._exit(0)
    os._exit(0)
"""
    result = judge(source, expected=1)
    assert result.verdict == Verdict.WA
    assert result.tests[0].message.startswith("no result")
    assert "late answer" not in result.stdout


# -- processes -------------------------------------------------------------------------------


def test_fork_bomb_is_contained():
    started = time.monotonic()
    result = judge("import os\ndef f():\n    while True:\n        os.fork()\n")
    assert result.verdict in (Verdict.RTE, Verdict.TLE)
    assert time.monotonic() - started < 10


def test_killing_the_parent_and_everyone_leaves_the_supervisor_alive():
    source = """
import os, signal, time
def f():
    out = []
    if os.fork() == 0:
        time.sleep(5)
        os._exit(0)
    for target in (os.getppid(), -1, 1):
        try:
            os.kill(target, signal.SIGKILL)
            out.append("sent")
        except OSError as e:
            out.append(type(e).__name__)
    return "alive"
"""
    result = judge(source, expected="alive")
    assert result.verdict == Verdict.AC


def test_a_detached_daemon_does_not_survive_the_run(slot_processes):
    source = """
import os, time
def f():
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            while True:
                pass
        os._exit(0)
    time.sleep(0.1)
    return 1
"""
    assert judge(source, expected=1).verdict == Verdict.AC
    assert slot_processes() == {}


def test_raising_resource_limits_back_fails():
    source = """
import resource
def f():
    out = {}
    for name in ("RLIMIT_CPU", "RLIMIT_AS", "RLIMIT_NPROC", "RLIMIT_NOFILE", "RLIMIT_FSIZE",
                 "RLIMIT_STACK", "RLIMIT_CORE"):
        which = getattr(resource, name)
        soft, hard = resource.getrlimit(which)
        try:
            resource.setrlimit(which, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
            out[name] = "raised"
        except (ValueError, OSError):
            out[name] = "refused" if soft == hard != resource.RLIM_INFINITY else "unlimited"
    return out
"""
    limits = returned(source)
    assert limits == {name: "refused" for name in limits}
    assert len(limits) == 7


# -- memory ----------------------------------------------------------------------------------


def test_huge_allocation_is_memory_limit_exceeded():
    assert judge("def f():\n    return len(bytearray(10**10))\n").verdict == Verdict.MLE


@pytest.mark.slow
def test_growing_memory_is_memory_limit_exceeded():
    source = "def f():\n    hoard = []\n    while True:\n        hoard.append(' ' * 10**6)\n"
    assert judge(source, limits=Limits(cpu_time_s=2.0, memory_mb=64)).verdict == Verdict.MLE


def test_memory_spread_over_children_is_memory_limit_exceeded():
    source = """
import os
def f():
    pids = []
    for _ in range(4):
        pid = os.fork()
        if pid == 0:
            block = bytearray(100 * 2**20)
            for i in range(0, len(block), 4096):
                block[i] = 1
            os._exit(0)
        pids.append(pid)
    return [os.waitpid(p, 0)[1] for p in pids]
"""
    result = judge(source, expected=[0, 0, 0, 0], limits=Limits(cpu_time_s=2.0, memory_mb=128))
    assert result.verdict == Verdict.MLE


def test_unbounded_recursion_is_a_runtime_error():
    source = "import sys\nsys.setrecursionlimit(10**9)\ndef f(n=0):\n    return f(n + 1) + 1\n"
    result = judge(source, limits=Limits(cpu_time_s=2.0))
    assert result.verdict == Verdict.RTE
    assert "RecursionError" in result.tests[0].message


def test_recursion_through_c_code_crashes_as_a_runtime_error():
    source = """
import sys
sys.setrecursionlimit(10**9)
class Deep:
    def __repr__(self):
        return repr(Deep())
def f():
    return repr(Deep())
"""
    assert judge(source, limits=Limits(cpu_time_s=2.0)).verdict == Verdict.RTE


# -- output and disk -------------------------------------------------------------------------


def _rss_kb() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.mark.parametrize("stream", ["stdout", "stderr"])
def test_output_flood_is_output_limit_exceeded_and_the_supervisor_stays_small(stream):
    source = f"import sys\ndef f():\n    while True:\n        print('x' * 10**6, file=sys.{stream})\n"
    judge(source)  # warm up
    before = _rss_kb()
    _reset_peak_rss()
    result = judge(source)
    after, peak = _rss_kb(), _peak_rss_kb()
    assert result.verdict == Verdict.OLE
    assert len(getattr(result, stream)) <= QUICK.output_kb * 1024
    assert after - before < 3 * 1024, f"supervisor RSS grew by {after - before} KiB"
    assert peak - before < 10 * 1024, f"supervisor peak RSS rose {peak - before} KiB during the flood"


def _reset_peak_rss() -> None:
    """Reset this process's peak RSS (VmHWM), so the peak below belongs to the flood alone
    (the test process's lifetime peak depends on whatever tests ran before)."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def _peak_rss_kb() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError("no VmHWM")


def test_output_that_attacks_the_ui_comes_back_as_replaced_text():
    source = "import sys\ndef f():\n    sys.stdout.buffer.write(b'\\x1b[2J<script>\\x00\\xff\\xfe')\n    return 1\n"
    result = judge(source, expected=1)
    assert result.verdict == Verdict.AC
    assert isinstance(result.stdout, str)
    assert "\ufffd" in result.stdout
    assert "\x00" not in result.stdout
    json.dumps(result.to_dict(), allow_nan=False).encode("utf-8")


def test_returned_text_with_nul_and_lone_surrogates_is_stored_cleanly():
    source = "def f():\n    raise ValueError('bad\\x00\\udcff')\n"
    result = judge(source, tests=(FunctionTest("a", [], 1),))
    assert result.verdict == Verdict.RTE
    assert result.tests[0].message == "ValueError: bad\ufffd\ufffd"
    source = "def f():\n    return 'a\\x00b\\ud800'\n"
    data = judge(source, expected="ab").to_dict()
    assert data["tests"][0]["actual"] == "a\ufffdb\ufffd"
    json.dumps(data).encode("utf-8")


@pytest.mark.parametrize("directory", ["/work", "/tmp"])
def test_filling_the_disk_is_capped(directory):
    source = f"""
def f():
    with open("{directory}/fill", "wb") as fh:
        while True:
            fh.write(b"x" * 2**20)
"""
    result = judge(source)
    assert result.verdict == Verdict.RTE
    assert "File too large" in result.tests[0].message or "No space left" in result.tests[0].message


@pytest.mark.slow
def test_creating_files_without_end_is_contained():
    source = "def f():\n    i = 0\n    while True:\n        open(f'/work/{i}', 'w').close()\n        i += 1\n"
    result = judge(source)
    assert result.verdict in (Verdict.RTE, Verdict.TLE, Verdict.MLE)


def test_the_runtime_cannot_be_replaced():
    target = "/usr/lib/python3.11/os.py"
    before = os.stat(target)
    source = f"""
def f():
    try:
        open("{target}", "a").write("#")
        return "wrote"
    except OSError as e:
        return type(e).__name__
"""
    assert returned(source) in ("PermissionError", "OSError")
    after = os.stat(target)
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)


def test_links_planted_in_the_work_dir_have_no_effect_on_the_host():
    before = os.stat("/etc/passwd")
    source = """
import os
def f():
    os.symlink("/etc/passwd", "/work/stdout")
    os.symlink("/etc/passwd", "/tmp/result.json")
    return 1
"""
    assert judge(source, expected=1).verdict == Verdict.AC
    after = os.stat("/etc/passwd")
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)


# -- secrets ---------------------------------------------------------------------------------


def test_host_files_are_not_visible(tmp_path):
    secret = tmp_path / "secret.env"
    secret.write_text("SECRET_KEY=do-not-leak\n")
    secret.chmod(0o644)
    paths = ["/etc/shadow", "/etc/passwd", "/root/.bashrc", "/work/main/.env", "/work/main/prep/settings.py",
             str(secret), "/home", "/var", "/run", "/sys/fs/cgroup"]
    source = f"""
import os
def f():
    out = {{}}
    for p in {paths!r}:
        try:
            out[p] = os.listdir(p) if os.path.isdir(p) else open(p, "rb").read(200).decode("latin-1")
        except OSError as e:
            out[p] = type(e).__name__
    return out
"""
    seen = returned(source)
    assert seen == {p: "FileNotFoundError" for p in paths}


def test_other_runs_and_the_host_tmp_are_not_visible(tmp_path):
    marker = tmp_path / "other-candidate.py"
    marker.write_text("print('mine')\n")
    source = "import glob\ndef f():\n    return sorted(glob.glob('/tmp/**', recursive=True)) + sorted(glob.glob('/work/**', recursive=True))\n"
    assert returned(source) == ["/tmp/", "/work/"]


def test_environment_holds_only_the_allowlist(monkeypatch):
    monkeypatch.setenv("PREP_HOSTILE_SECRET", "s3cr3t-value-for-the-test")
    source = """
import os
def f():
    init_env = open("/proc/1/environ", "rb").read().decode("latin-1")
    return {"env": dict(os.environ), "init": init_env}
"""
    seen = returned(source)
    assert set(seen["env"]) <= {"PATH", "LANG", "HOME", "PWD"}
    assert seen["env"]["HOME"] == "/work"
    assert "s3cr3t-value-for-the-test" not in repr(seen)
    assert seen["init"] == ""


def test_the_sandbox_runs_unprivileged_with_seccomp_and_its_own_hostname():
    source = """
import os, socket
def f():
    status = {}
    for line in open("/proc/self/status"):
        key, _, value = line.partition(":")
        status[key] = value.strip()
    return {"uid": os.getuid(), "cap": status["CapEff"], "bnd": status["CapBnd"],
            "nnp": status["NoNewPrivs"], "seccomp": status["Seccomp"], "host": socket.gethostname()}
"""
    seen = returned(source)
    assert 61000 <= seen["uid"] < 61064
    assert seen["cap"] == seen["bnd"] == "0000000000000000"
    assert seen["nnp"] == "1"
    assert seen["seccomp"] == "2"
    assert seen["host"] == "sandbox"


# -- network ---------------------------------------------------------------------------------


def test_network_and_host_services_are_unreachable():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    port = listener.getsockname()[1]
    source = f"""
import socket
def f():
    out = []
    for address in (("127.0.0.1", {port}), ("127.0.0.1", 6379), ("1.1.1.1", 53)):
        try:
            socket.create_connection(address, timeout=0.5).close()
            out.append("connected")
        except OSError as e:
            out.append(type(e).__name__)
    return out
"""
    try:
        seen = returned(source)
        listener.settimeout(0.2)
        with pytest.raises(socket.timeout):
            listener.accept()
    finally:
        listener.close()
    assert "connected" not in seen


# -- kernel surface --------------------------------------------------------------------------


def test_native_syscalls_for_escape_are_denied():
    source = """
import ctypes, errno
def f():
    libc = ctypes.CDLL(None, use_errno=True)
    calls = {"ptrace": (101, 0, 0, 0, 0), "unshare": (272, 0x10000000), "mount": (165, 0, 0, 0, 0, 0),
             "bpf": (321, 0, 0, 0), "io_uring_setup": (425, 1, 0), "keyctl": (250, 0, 0, 0),
             "perf_event_open": (298, 0, 0, -1, -1, 0), "setns": (308, 0, 0),
             "clone_newuser": (56, 0x10000000 | 17, 0, 0, 0, 0), "clone3": (435, 0, 0)}
    out = {}
    for name, (nr, *args) in calls.items():
        ret = libc.syscall(nr, *args)
        out[name] = errno.errorcode.get(ctypes.get_errno(), "?") if ret == -1 else "succeeded"
    return out
"""
    import platform

    if platform.machine() != "x86_64":
        pytest.skip("syscall numbers in this sample are x86_64's")
    seen = returned(source)
    assert seen.pop("clone3") == "ENOSYS"
    assert seen == {name: "EPERM" for name in seen}


def test_terminal_injection_ioctl_is_denied():
    source = """
import fcntl, termios
def f():
    try:
        fcntl.ioctl(1, termios.TIOCSTI, b"x")
        return "injected"
    except OSError as e:
        return e.errno
"""
    assert returned(source) == 1  # EPERM, from the seccomp filter


# -- forged verdicts -------------------------------------------------------------------------


def test_printing_a_pass_is_not_a_pass():
    source = "def f():\n    print('all tests passed')\n    print('{\"verdict\": \"AC\"}')\n    return 41\n"
    assert judge(source, expected=42).verdict == Verdict.WA


def test_an_object_equal_to_everything_is_not_a_pass():
    source = """
class Yes:
    def __eq__(self, other):
        return True
    __hash__ = object.__hash__
def f():
    return Yes()
"""
    result = judge(source, expected=42)
    assert result.verdict == Verdict.WA
    assert result.tests[0].message == "unsupported return type Yes"


def test_exiting_cleanly_before_returning_is_not_a_pass():
    tests = (FunctionTest("a", [], 1), FunctionTest("b", [], 1))
    result = judge("import os\ndef f():\n    os._exit(0)\n", tests=tests)
    assert result.verdict == Verdict.WA
    assert [t.verdict for t in result.tests] == [Verdict.WA, Verdict.WA]


def test_fake_records_on_every_descriptor_are_ignored():
    source = """
import os, json
def f():
    fake = b'{"k": "test", "i": 0, "r": "value", "ms": 0, "v": 42}\\n'
    for fd in range(3, 256):
        for line in (fake, b"0" * 32 + b" " + fake):
            try:
                os.write(fd, line)
            except OSError:
                pass
    return 41
"""
    assert judge(source, expected=42).verdict == Verdict.WA


def test_a_record_forged_with_the_stolen_nonce_cannot_claim_a_pass():
    # The nonce lives in the harness's memory, so in-process code can find it. That buys
    # nothing: a record can only carry a value, and the expected value never enters the box.
    source = """
import gc, os, sys
def f():
    frame = sys._getframe(1)
    while frame is not None and "nonce" not in frame.f_locals:
        frame = frame.f_back
    nonce = frame.f_locals["nonce"]
    fd = frame.f_locals["fd"]
    for record in (b'{"k":"test","i":0,"r":"AC","ms":0}', b'{"k":"done","verdict":"AC","score":1}',
                   b'{"k":"test","i":1,"r":"value","ms":0,"v":{"$dict":{"expected":true}}}',
                   b'{"k":"test","i":0,"r":"value","ms":0,"v":{"$eq":"anything"}}'):
        os.write(fd, nonce + b" " + record + b"\\n")
    return 41
"""
    tests = (FunctionTest("a", [], 42), FunctionTest("b", [], 42))
    result = judge(source, tests=tests)
    assert result.verdict == Verdict.WA
    assert result.score == 0.0


@pytest.mark.slow
def test_threads_do_not_multiply_the_cpu_limit():
    source = """
import threading
def spin():
    while True:
        pass
def f():
    threads = [threading.Thread(target=spin, daemon=True) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
"""
    started = time.monotonic()
    assert judge(source).verdict == Verdict.TLE
    assert time.monotonic() - started < 5


def test_32_bit_system_calls_kill_the_program():
    import platform

    if platform.machine() != "x86_64":
        pytest.skip("x86_64 machine code")
    source = '''
import ctypes, mmap
def f():
    code = b"\\xb8\\x14\\x00\\x00\\x00\\xcd\\x80\\xc3"  # mov eax, 20 (i386 getpid); int 0x80; ret
    page = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    page.write(code)
    call = ctypes.CFUNCTYPE(ctypes.c_int)(ctypes.addressof(ctypes.c_char.from_buffer(page)))
    return call()
'''
    result = judge(source)
    assert result.verdict == Verdict.RTE
    assert result.tests[0].message == "killed by SIGSYS"
