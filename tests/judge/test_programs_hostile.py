"""The hostile suite for stdin/stdout programs, in Python and C++: processes, memory, output,
secrets, network, the file system, links planted for the host, and attacks at compile time.

Every sample runs only inside the judge's sandbox, and this module refuses to run unless the
test process lives in its own PID namespace (`make test` arranges it). After every test the
host is checked: no process of a sandbox UID is left, no file owned by a sandbox UID appeared in
/tmp, the judge left no file of its own in /tmp nor a box directory behind, and a canary process
started before the suite is still alive.
"""

import json
import os
import resource
import socket
import time

import pytest

from judge import Limits, ProgramSpec, ProgramTest, Verdict, judge_program

pytestmark = [pytest.mark.hostile, pytest.mark.usefixtures("sandbox_ready", "host_is_fine_afterwards")]

QUICK = Limits(cpu_time_s=0.5, memory_mb=64, output_kb=64, wall_time_s=1.5)


def run(files, language, mode, *, answer=b"42\n", limits=QUICK, sample=True):
    test = ProgramTest("hostile", mode.encode() + b"\n", answer, is_sample=sample)
    return judge_program(ProgramSpec(files=tuple(files), language=language, tests=(test,), limits=limits))


def _rss_kb() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


# -- the samples ---------------------------------------------------------------------------------

PY = b'''import os, signal, socket, sys, time
words = sys.stdin.read().split()
mode = words[0]
if mode == "forkbomb":
    while True:
        try:
            os.fork()
        except OSError:
            pass
elif mode == "memspread":
    for _ in range(4):
        if os.fork() == 0:
            block = bytearray(40 * 2 ** 20)
            for i in range(0, len(block), 4096):
                block[i] = 1
            time.sleep(0.5)
            os._exit(0)
    for _ in range(4):
        os.wait()
    print(42)
elif mode == "flood":
    while True:
        os.write(1, b"y" * 1_000_000)
elif mode == "killall":
    for target in (os.getppid(), -1, 1):
        try:
            os.kill(target, signal.SIGKILL)
        except OSError:
            pass
    print(42)
elif mode == "daemon":
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.close(1)
            os.close(2)
            while True:
                pass
        os._exit(0)
    print(42)
elif mode == "late":
    if os.fork() == 0:
        time.sleep(0.3)
        print(42, flush=True)
        os._exit(0)
    os._exit(0)
elif mode == "secrets":
    out = {}
    for p in sys.argv[1:] or words[1].split(","):
        try:
            out[p] = sorted(os.listdir(p)) if os.path.isdir(p) else open(p, "rb").read(100).decode("latin-1")
        except OSError as e:
            out[p] = type(e).__name__
    out["environ"] = dict(os.environ)
    print(repr(out))
elif mode == "net":
    out = []
    for host, port in (("127.0.0.1", int(words[1])), ("127.0.0.1", 6379), ("1.1.1.1", 53)):
        try:
            socket.create_connection((host, port), timeout=0.5).close()
            out.append("connected")
        except OSError as e:
            out.append(type(e).__name__)
    print(" ".join(out))
elif mode == "write":
    out = []
    for p in ("/usr/lib/python3.11/os.py", "/box/sol.py", "/box/new", "/etc/passwd", "/newfile", "/proc/1/environ"):
        try:
            open(p, "a").write("#")
            out.append(p + "=wrote")
        except OSError as e:
            out.append(p + "=" + type(e).__name__)
    print(" ".join(out))
elif mode == "links":
    for target, name in (("/etc/passwd", "/work/prog"), ("/etc/shadow", "/work/.messages"),
                         ("/etc/passwd", "/work/feedback"), ("/etc/passwd", "/tmp/judgemessage.txt"),
                         ("/etc/passwd", "/work/stdout")):
        os.symlink(target, name)
    print(42)
'''

CPP = b'''#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

int main() {
    char buf[256];
    if (scanf("%255s", buf) != 1) return 2;
    std::string mode(buf);
    if (mode == "forkbomb") {
        for (;;) fork();
    } else if (mode == "bigvec") {
        std::vector<char> v((size_t)1 << 30);
        memset(v.data(), 1, v.size());
        printf("%d\\n", v[12345]);
    } else if (mode == "memspread") {
        for (int i = 0; i < 4; i++) if (fork() == 0) {
            char *p = (char *)malloc(40 << 20);
            if (p) memset(p, 1, 40 << 20);
            usleep(500000);
            _exit(0);
        }
        for (int i = 0; i < 4; i++) wait(nullptr);
        printf("42\\n");
    } else if (mode == "flood") {
        std::string s(1 << 20, 'y');
        for (;;) if (write(1, s.data(), s.size()) < 0) return 1;
    } else if (mode == "killall") {
        kill(getppid(), SIGKILL);
        kill(-1, SIGKILL);
        kill(1, SIGKILL);
        printf("42\\n");
    } else if (mode == "daemon") {
        if (fork() == 0) {
            setsid();
            if (fork() == 0) { close(1); close(2); for (volatile long x = 0;; x++) {} }
            _exit(0);
        }
        printf("42\\n");
    } else if (mode == "secrets") {
        const char *paths[] = {"/etc/shadow", "/etc/passwd", "/root/.bashrc", "/work/main/.env",
                               "/work/main/prep/settings.py", "/run/prep-judge-box", "/run/prep-judge"};
        for (const char *p : paths) {
            int fd = open(p, O_RDONLY);
            printf("%s:%s\\n", p, fd >= 0 ? "OPEN" : strerror(errno));
        }
    } else if (mode == "net") {
        int port = 0;
        scanf("%d", &port);
        int s = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        printf("%s\\n", s < 0 ? "nosocket" : connect(s, (sockaddr *)&a, sizeof a) == 0 ? "connected" : strerror(errno));
    } else if (mode == "write") {
        const char *paths[] = {"/usr/bin/prep-owned", "/box/prog", "/box/new", "/etc/passwd", "/newfile"};
        for (const char *p : paths) {
            int fd = open(p, O_WRONLY | O_CREAT | O_APPEND, 0644);
            printf("%s:%s\\n", p, fd >= 0 ? "WROTE" : strerror(errno));
        }
    } else if (mode == "links") {
        symlink("/etc/passwd", "/work/prog");
        symlink("/etc/shadow", "/work/.messages");
        symlink("/etc/passwd", "/tmp/out");
        printf("42\\n");
    }
    return 0;
}
'''

LANGS = [pytest.param([("sol.py", PY)], "python", id="python"), pytest.param([("sol.cpp", CPP)], "cpp", id="cpp")]


# -- processes -----------------------------------------------------------------------------------


@pytest.mark.parametrize("files,language", LANGS)
def test_fork_bomb_is_contained(files, language):
    started = time.monotonic()
    result = run(files, language, "forkbomb")
    assert result.verdict in (Verdict.TLE, Verdict.RTE)
    assert time.monotonic() - started < 10


@pytest.mark.parametrize("files,language", LANGS)
def test_killing_the_parent_and_everyone_leaves_the_supervisor_alive(files, language, canary):
    result = run(files, language, "killall")
    assert result.verdict == Verdict.AC
    assert canary.poll() is None


@pytest.mark.parametrize("files,language", LANGS)
def test_a_detached_daemon_dies_with_the_run(files, language, slot_processes):
    result = run(files, language, "daemon")
    assert result.verdict == Verdict.AC
    assert slot_processes() == {}


def test_a_child_that_outlives_the_program_cannot_answer_late():
    result = run([("sol.py", PY)], "python", "late")
    assert result.verdict == Verdict.WA
    assert "42" not in result.stdout


# -- memory and output ---------------------------------------------------------------------------


@pytest.mark.parametrize("files,language", LANGS)
def test_memory_spread_over_children_is_memory_limit_exceeded(files, language):
    assert run(files, language, "memspread", limits=Limits(cpu_time_s=2, memory_mb=64, wall_time_s=4)).verdict == Verdict.MLE


def test_a_huge_vector_is_memory_limit_exceeded():
    assert run([("sol.cpp", CPP)], "cpp", "bigvec").verdict == Verdict.MLE


@pytest.mark.parametrize("files,language", LANGS)
def test_output_flood_is_output_limit_exceeded_and_the_supervisor_stays_small(files, language):
    run(files, language, "flood")  # warm up
    before, peak_before = _rss_kb(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = run(files, language, "flood")
    after, peak_after = _rss_kb(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert result.verdict == Verdict.OLE
    assert len(result.stdout) <= QUICK.output_kb * 1024
    assert after - before < 3 * 1024, f"supervisor RSS grew by {after - before} KiB"
    # The process's high-water mark, which the rest of the session may already have raised: a
    # buffered flood (a gigabyte) would lift it far above wherever it stood.
    assert peak_after - peak_before < 64 * 1024, f"peak RSS rose by {peak_after - peak_before} KiB"


# -- secrets, network, the file system ---------------------------------------------------------


def test_python_sees_no_host_file_and_no_secret(tmp_path, monkeypatch):
    monkeypatch.setenv("PREP_HOSTILE_SECRET", "s3cr3t-for-the-program-test")
    secret = tmp_path / "secret.env"
    secret.write_text("SECRET_KEY=do-not-leak\n")
    secret.chmod(0o644)
    paths = ["/etc/shadow", "/etc/passwd", "/root", "/work/main/.env", "/work/main/prep/settings.py", str(secret),
             "/home", "/var", "/run", "/run/prep-judge-box", "/sys/fs/cgroup"]
    result = run([("sol.py", PY)], "python", "secrets " + ",".join(paths))
    seen = eval(result.stdout, {})  # our own repr of plain strings and lists
    environ = seen.pop("environ")
    assert seen == {p: "FileNotFoundError" for p in paths}
    assert set(environ) <= {"PATH", "LANG", "HOME", "PWD"}
    assert "s3cr3t" not in result.stdout


def test_cpp_sees_no_host_file():
    result = run([("sol.cpp", CPP)], "cpp", "secrets")
    lines = result.stdout.splitlines()
    assert len(lines) == 7 and all(line.endswith("No such file or directory") for line in lines), lines


@pytest.mark.parametrize("files,language", LANGS)
def test_network_and_host_services_are_unreachable(files, language):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    port = listener.getsockname()[1]
    try:
        result = run(files, language, f"net {port}")
        listener.settimeout(0.2)
        with pytest.raises(socket.timeout):
            listener.accept()
    finally:
        listener.close()
    assert "connected" not in result.stdout and result.stdout.strip()


def test_python_cannot_write_outside_its_work_dir():
    # The box's own root is remounted read-only: only /work and /tmp (capped tmpfs) take writes.
    target = "/usr/lib/python3.11/os.py"
    before = os.stat(target)
    result = run([("sol.py", PY)], "python", "write")
    seen = dict(item.split("=", 1) for item in result.stdout.split())
    assert len(seen) == 6 and "wrote" not in seen.values(), seen
    assert not os.path.exists("/newfile")
    after = os.stat(target)
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)


def test_cpp_cannot_write_outside_its_work_dir():
    result = run([("sol.cpp", CPP)], "cpp", "write")
    lines = result.stdout.splitlines()
    assert len(lines) == 5 and not any("WROTE" in line for line in lines[:4]), lines
    assert not os.path.exists("/usr/bin/prep-owned") and not os.path.exists("/newfile")


@pytest.mark.parametrize("files,language", LANGS)
def test_links_planted_in_the_box_have_no_effect_on_the_host(files, language):
    watched = ["/etc/passwd", "/etc/shadow"]
    before = [os.stat(p) for p in watched]
    result = run(files, language, "links")
    assert result.verdict == Verdict.AC
    after = [os.stat(p) for p in watched]
    assert [(s.st_size, s.st_mtime_ns, s.st_mode) for s in before] == [(s.st_size, s.st_mtime_ns, s.st_mode) for s in after]


# -- compile time ----------------------------------------------------------------------------------


@pytest.mark.parametrize("include", ["/etc/shadow", "/work/main/.env", "/root/.bashrc", "../../etc/passwd"])
def test_including_host_files_is_a_compile_error_that_leaks_nothing(include):
    source = f'#include "{include}"\nint main() {{ return 0; }}\n'.encode()
    result = run([("sol.cpp", source)], "cpp", "x")
    assert result.verdict == Verdict.CE
    assert "No such file or directory" in result.compile_output
    assert "root:" not in result.compile_output and "SECRET" not in result.compile_output


def test_including_the_environment_shows_only_the_allowlist(monkeypatch):
    monkeypatch.setenv("PREP_HOSTILE_SECRET", "s3cr3t-compile-env")
    for path in ("/proc/self/environ", "/proc/1/environ"):
        result = run([("sol.cpp", f'#include "{path}"\nint main() {{ return 0; }}\n'.encode())], "cpp", "x")
        assert result.verdict in (Verdict.CE, Verdict.WA)  # /proc files read as empty, or garbage
        assert "s3cr3t" not in result.compile_output


@pytest.mark.parametrize("device", ["/dev/random", "/dev/zero"])
def test_including_an_endless_device_is_contained(device):
    started = time.monotonic()
    result = run([("sol.cpp", f"#include <{device}>\nint main() {{ return 0; }}\n".encode())], "cpp", "x")
    assert result.verdict == Verdict.CE
    assert time.monotonic() - started < 70
    assert len(result.compile_output) <= 64 * 1024 + 200


def test_a_huge_compiler_output_is_truncated_and_the_supervisor_stays_small():
    warnings = b"".join(b"#warning " + b"W" * 40 + b" %d\n" % i for i in range(2000))
    source = warnings + b"int main() { return 0; }\n"
    assert len(source) < 1024 * 1024
    before = _rss_kb()
    result = run([("sol.cpp", source)], "cpp", "x", answer=b"")
    after = _rss_kb()
    assert result.verdict in (Verdict.AC, Verdict.CE)
    assert len(result.compile_output) <= 64 * 1024
    assert after - before < 8 * 1024, f"supervisor RSS grew by {after - before} KiB"


def test_an_include_bomb_is_contained():
    source = b'#include "sol.cpp"\n#include "sol.cpp"\nint main() { return 0; }\n'
    started = time.monotonic()
    result = run([("sol.cpp", source)], "cpp", "x")
    assert result.verdict == Verdict.CE
    assert time.monotonic() - started < 70


def test_python_source_that_breaks_the_compiler_is_a_compile_error():
    result = run([("sol.py", b"x = " + b"-" * 200_000 + b"1\n")], "python", "x")
    assert result.verdict == Verdict.CE
    result = run([("sol.py", b"x = " + b"(" * 5000 + b")" * 5000 + b"\n")], "python", "x")
    assert result.verdict == Verdict.CE


def test_results_are_json_safe_whatever_the_output():
    source = b"import sys\nsys.stdout.buffer.write(b'\\x1b[2J<script>\\x00\\xff\\xfe\\n')\n"
    result = run([("sol.py", source)], "python", "x")
    assert result.verdict == Verdict.WA
    assert "\x00" not in result.stdout and "\ufffd" in result.stdout
    json.dumps(result.to_dict(), allow_nan=False).encode("utf-8")
