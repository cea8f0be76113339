"""Getting a stdin/stdout program ready to run: host-owned box directories, compilation (C, C++)
and syntax checks (Python), each in a fresh sandbox.

Files go INTO a sandbox through a *box directory*: a directory the host creates and writes under
a root-owned 0711 base (so other users cannot list it), bound read-only into the sandbox (the
sandbox UID can read it but never write to it). A compiled binary comes OUT of the compile
sandbox on its standard output; the host never opens a path inside a sandbox by name.

Built programs are cached in memory by a hash of (language, files): the same sources always give
the same program, so a package's validator or a resubmitted solution is compiled once per process.
"""

from __future__ import annotations

import glob
import hashlib
import os
import shutil
import stat
import tempfile
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from judge import languages
from judge.errors import JudgeError
from judge.languages import UnsupportedLanguage
from judge.sandbox import SandboxLimits, run_in_sandbox
from judge.sandbox.tools import find_tool
from judge.types import clean_text

BOX = "/box"  # where a program's files appear inside its sandbox (read-only)
SH = "/bin/sh"
MAX_SOURCE_BYTES = 1024 * 1024  # all files of one submission together
MAX_BINARY_BYTES = 64 * 1024 * 1024
MAX_COMPILE_MESSAGE_BYTES = 64 * 1024
COMPILE_CPU_S = 30.0
COMPILE_MEMORY_MB = 1024
_STALE_BOX_S = 12 * 3600

# The compile step. The compiler's messages go to a file in the sandbox's own /work (capped by
# the tmpfs size and RLIMIT_FSIZE), the first 64 KiB of them to stderr; on success the binary is
# the sandbox's standard output. "$@" is the compiler's argv: no candidate text in the script.
_COMPILE_SCRIPT = f"""cd /work || exit 125
"$@" >/work/.messages 2>&1
rc=$?
head -c {MAX_COMPILE_MESSAGE_BYTES} /work/.messages >&2
if [ "$rc" -ne 0 ]; then exit 1; fi
if [ ! -f /work/prog ]; then exit 2; fi
exec cat /work/prog
"""

# Python has no compile step, but a syntax check up front turns a SyntaxError into CE (once)
# instead of one RTE per test.
_PY_CHECK = r"""
import sys
for path in sys.argv[1:]:
    name = path.rpartition('/')[2]
    try:
        with open(path, 'rb') as f:
            compile(f.read(), name, 'exec', dont_inherit=True)
    except SyntaxError as e:
        import traceback
        sys.stderr.write(''.join(traceback.format_exception_only(type(e), e)))
        sys.exit(1)
    except (ValueError, MemoryError, RecursionError, OverflowError) as e:
        sys.stderr.write(f'{name}: {type(e).__name__}: {e}\n')
        sys.exit(1)
"""

# Several Python files: put the box on sys.path (isolated mode leaves the script's directory
# out), then run the entry point as __main__.
_PY_BOOTSTRAP = (
    "import sys\n"
    "sys.path.insert(0, {box!r})\n"
    "sys.argv[:] = [{path!r}]\n"
    "__file__ = {path!r}\n"
    "with open({path!r}, 'rb') as _f:\n"
    "    _code = compile(_f.read(), {path!r}, 'exec')\n"
    "del _f\n"
    "exec(_code)\n"
)


class CompileError(Exception):
    """The candidate's program does not build. str() is the compiler's message."""


@dataclass(frozen=True)
class BuiltProgram:
    language: str
    files: tuple[tuple[str, bytes, bool], ...]  # (name, content, executable) for the run's box
    argv: tuple[str, ...]  # inside the sandbox; the box is mounted at BOX
    binds: tuple[tuple[str, str], ...] = ()  # extra read-only (host, box) binds of the runtime
    compile_output: str = ""  # compiler warnings, if any
    compile_ms: int = 0


# -- box directories --------------------------------------------------------------------------

_base_lock = threading.Lock()
_base_dir: list[str] = []


def _traversable_by_others(path: str) -> bool:
    path = os.path.abspath(path)
    while True:
        try:
            st = os.stat(path)
        except OSError:
            return False
        if not st.st_mode & stat.S_IXOTH:
            return False
        parent = os.path.dirname(path)
        if parent == path:
            return True
        path = parent


def box_base() -> str:
    """The root-owned 0711 directory holding the box directories (created once)."""
    with _base_lock:
        if _base_dir:
            return _base_dir[0]
        candidates = ["/run/prep-judge-box", os.path.join(tempfile.gettempdir(), f"prep-judge-box-{os.geteuid()}")]
        reasons = []
        for directory in candidates:
            try:
                os.makedirs(directory, mode=0o711, exist_ok=True)
                st = os.lstat(directory)
                if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid():
                    reasons.append(f"{directory} is not a directory of ours")
                    continue
                if stat.S_IMODE(st.st_mode) != 0o711:
                    os.chmod(directory, 0o711)
                if os.statvfs(directory).f_flag & os.ST_NOEXEC:
                    reasons.append(f"{directory} is on a noexec file system")
                    continue
                if not _traversable_by_others(directory):
                    reasons.append(f"a parent of {directory} is not searchable by other users")
                    continue
            except OSError as exc:
                reasons.append(f"{directory}: {exc}")
                continue
            _remove_stale(directory)
            _base_dir.append(directory)
            return directory
        raise JudgeError("no directory to pass files into the sandbox: " + "; ".join(reasons))


def _remove_stale(directory: str) -> None:
    now = time.time()
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return
    for entry in entries:
        try:
            if entry.name.startswith("box-") and now - entry.stat(follow_symlinks=False).st_mtime > _STALE_BOX_S:
                shutil.rmtree(entry.path, ignore_errors=True)
        except OSError:
            continue


class BoxDir:
    """A host-owned directory bound read-only into sandboxes. Only the host writes to it."""

    def __init__(self) -> None:
        self.path = tempfile.mkdtemp(prefix="box-", dir=box_base())
        os.chmod(self.path, 0o755)

    def put(self, name: str, data: bytes, *, executable: bool = False) -> None:
        if not languages.safe_file_name(name):
            raise ValueError(f"unsafe file name {name!r}")
        path = os.path.join(self.path, name)
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            os.fchmod(f.fileno(), 0o755 if executable else 0o644)

    def bind(self, mount: str = BOX) -> tuple[str, str]:
        return (self.path, mount)

    def close(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)

    def __enter__(self) -> "BoxDir":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# -- building ---------------------------------------------------------------------------------

_cache_lock = threading.Lock()
_cache: "OrderedDict[str, BuiltProgram]" = OrderedDict()
_CACHE_MAX_BYTES = 128 * 1024 * 1024
_CACHE_MAX_ENTRIES = 64


def _cache_key(language: str, files: dict[str, bytes]) -> str:
    h = hashlib.sha256(language.encode() + b"\0")
    for name in sorted(files):
        h.update(name.encode() + b"\0" + str(len(files[name])).encode() + b"\0")
        h.update(files[name])
    return h.hexdigest()


def _cache_put(key: str, program: BuiltProgram) -> None:
    with _cache_lock:
        _cache[key] = program
        _cache.move_to_end(key)
        total = sum(sum(len(f[1]) for f in p.files) for p in _cache.values())
        while _cache and (len(_cache) > _CACHE_MAX_ENTRIES or total > _CACHE_MAX_BYTES):
            _, old = _cache.popitem(last=False)
            total -= sum(len(f[1]) for f in old.files)


def build_program(files, language: str, *, entry: str | None = None, use_cache: bool = True) -> BuiltProgram:
    """Build `files` ((name, content) pairs or a dict) as a `language` program. `entry` names the
    file to run for Python and R (default: see judge.languages). Raises CompileError (the
    candidate's fault), UnsupportedLanguage, ValueError (bad file names), JudgeError."""
    language = languages.normalize(language)
    files = dict(files)
    if not files:
        raise CompileError("no files submitted")
    for name, data in files.items():
        if not languages.safe_file_name(name):
            raise ValueError(f"file name {name!r} is not allowed (letters, digits, _ . + - only)")
        if not isinstance(data, (bytes, bytearray)):
            raise ValueError(f"file {name!r}: content must be bytes")
    if sum(len(d) for d in files.values()) > MAX_SOURCE_BYTES:
        raise CompileError(f"the submission is too large (more than {MAX_SOURCE_BYTES // 1024} KiB)")
    if entry is not None and entry not in files:
        raise ValueError(f"entry point {entry!r} is not among the files")
    key = _cache_key(language, files) + (f":{entry}" if entry else "")
    if use_cache:
        with _cache_lock:
            hit = _cache.get(key)
            if hit is not None:
                _cache.move_to_end(key)
                return hit
    if language == "python":
        program = _build_python(files, entry)
    elif language in ("c", "cpp"):
        program = _build_native(files, language)
    elif language == "r":
        program = _build_r(files, entry)
    else:  # pragma: no cover - normalize() allows nothing else
        raise UnsupportedLanguage(language)
    if use_cache:
        _cache_put(key, program)
    return program


def _python_runtime() -> tuple[list[str], list[tuple[str, str]]]:
    from judge import runtimes

    prefix, binds = runtimes.python_argv(data_stack=False)
    return list(prefix), list(binds)


def _build_python(files: dict[str, bytes], entry: str | None = None) -> BuiltProgram:
    entry = entry or languages.python_entry_point(files)
    if entry is None:
        raise CompileError(
            "cannot tell which Python file to run: name it main.py, or give exactly one file an "
            "`if __name__ == \"__main__\":` block"
        )
    prefix, binds = _python_runtime()
    sources = sorted(n for n in files if n.endswith(".py"))
    started = time.monotonic()
    with BoxDir() as box:
        for name, data in files.items():
            box.put(name, data)
        outcome = run_in_sandbox(
            [*prefix, "-c", _PY_CHECK, *(f"{BOX}/{n}" for n in sources)],
            limits=SandboxLimits(cpu_time_s=10, wall_time_s=20, memory_mb=512, output_bytes=MAX_COMPILE_MESSAGE_BYTES),
            ro_binds=[box.bind(), *binds],
        )
    ms = int((time.monotonic() - started) * 1000)
    if outcome.killed or outcome.memory_exceeded:
        raise CompileError("checking the Python syntax exceeded its limits")
    if outcome.exit_code != 0:
        message = _text(outcome.stderr).strip()
        if outcome.exit_code == 1 and message:
            raise CompileError(message)
        raise JudgeError(f"the Python syntax check failed (exit status {outcome.exit_code}): {message[-500:]}")
    box_files = tuple((name, data, False) for name, data in sorted(files.items()))
    if len(files) == 1:
        argv = (*prefix, f"{BOX}/{entry}")
    else:
        argv = (*prefix, "-c", _PY_BOOTSTRAP.format(box=BOX, path=f"{BOX}/{entry}"))
    return BuiltProgram("python", box_files, argv, tuple(binds), compile_ms=ms)


_static_cache: list[bool] = []


def _static_linking_available() -> bool:
    if not _static_cache:
        _static_cache.append(bool(glob.glob("/usr/lib/gcc/*/*/libstdc++.a")) and bool(glob.glob("/usr/lib/*/libc.a")))
    return _static_cache[0]


def compiler_argv(language: str, sources: list[str]) -> list[str]:
    compiler = "gcc" if language == "c" else "g++"
    path = find_tool(compiler)
    if path is None:
        raise JudgeError(
            f"{compiler} is not installed on this host (apt-get install {compiler}): cannot build {language} programs"
        )
    standard = "-std=gnu11" if language == "c" else "-std=gnu++17"
    argv = [path, "-O2", standard, "-pipe", "-fmax-errors=50", "-o", "/work/prog"]
    if _static_linking_available():
        argv.append("-static")
    return argv + [f"{BOX}/{name}" for name in sources] + ["-lm"]


def _build_native(files: dict[str, bytes], language: str) -> BuiltProgram:
    wanted = ("c",) if language == "c" else ("cpp", "c")
    sources = sorted(n for n in files if languages.language_for(n) in wanted)
    if not sources:
        raise CompileError(f"no {languages.LANGUAGES[language].name} source file among: {', '.join(sorted(files))}")
    argv = compiler_argv(language, sources)
    started = time.monotonic()
    with BoxDir() as box:
        for name, data in files.items():
            box.put(name, data)
        outcome = run_in_sandbox(
            [SH, "-c", _COMPILE_SCRIPT, "sh", *argv],
            limits=SandboxLimits(
                cpu_time_s=COMPILE_CPU_S,
                wall_time_s=2 * COMPILE_CPU_S,
                memory_mb=COMPILE_MEMORY_MB,
                output_bytes=MAX_BINARY_BYTES + MAX_COMPILE_MESSAGE_BYTES + 4096,
                processes=32,
                open_files=256,
                work_mb=256,
                stack_mb=64,
            ),
            ro_binds=[box.bind()],
        )
    ms = int((time.monotonic() - started) * 1000)
    messages = _compiler_text(outcome.stderr)
    if outcome.output_exceeded:
        raise CompileError(f"the compiled program is larger than {MAX_BINARY_BYTES // (1024 * 1024)} MiB")
    if outcome.timed_out:
        raise CompileError(f"compilation took too long (more than {COMPILE_CPU_S:.0f} s)\n{messages}".strip())
    if outcome.memory_exceeded:
        raise CompileError(f"compilation used too much memory (more than {COMPILE_MEMORY_MB} MiB)\n{messages}".strip())
    if outcome.exit_code != 0:
        if outcome.exit_code in (1, 2) or outcome.signal is not None:
            raise CompileError(messages or f"compilation failed (status {outcome.exit_code})")
        raise JudgeError(f"the compile sandbox failed (exit status {outcome.exit_code}): {messages[-500:]}")
    if not outcome.stdout:
        raise CompileError(messages or "the compiler produced no program")
    return BuiltProgram(language, (("prog", outcome.stdout, True),), (f"{BOX}/prog",), (), messages, ms)


def _build_r(files: dict[str, bytes], entry: str | None = None) -> BuiltProgram:
    entry = entry or languages.r_entry_point(files)
    if entry is None:
        raise CompileError("cannot tell which R file to run: name it main.R")
    prefix, binds = r_runtime()
    box_files = tuple((name, data, False) for name, data in sorted(files.items()))
    if len(files) == 1:
        argv = (*prefix, f"{BOX}/{entry}")
    else:  # source("helper.R") resolves against the working directory: run from the box
        argv = (SH, "-c", 'cd /box && exec "$@"', "sh", *prefix, entry)
    return BuiltProgram("r", box_files, argv, tuple(binds))


def r_runtime() -> tuple[list[str], list[tuple[str, str]]]:
    """Rscript's argv prefix and read-only binds (judge.runtimes.r_argv when it exists)."""
    from judge import runtimes

    getter = getattr(runtimes, "r_argv", None)
    if getter is not None:
        prefix, binds = getter()
        return list(prefix), list(binds)
    rscript = find_tool("Rscript")
    if rscript is None:
        raise JudgeError("R is not installed on this host (apt-get install r-base-core): R programs cannot be judged")
    binds = [("/etc/R", "/etc/R")] if os.path.isdir("/etc/R") else []
    return [rscript, "--vanilla"], binds


def _text(data: bytes) -> str:
    return clean_text(data.decode("utf-8", "replace"))


def _compiler_text(data: bytes) -> str:
    return _text(data).replace(f"{BOX}/", "").strip()
