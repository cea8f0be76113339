"""The language runtimes inside the sandbox: which interpreter runs, and what must be bound
read-only for it. Every runner asks here instead of hard-coding interpreter paths.

- Python without the data stack: Debian's /usr/bin/python3 in isolated mode without `site`
  (the fastest start; /usr is always bound).
- Python with the data stack: the virtualenv that scripts/setup-runtime.sh builds at
  /opt/prep-runtime/python (numpy, pandas, scipy, scikit-learn, statsmodels pinned in
  requirements-sandbox.txt), bound read-only at the same path. Its bin/python3 is a symlink to
  /usr/bin/python3; `site` must run so that the venv's site-packages is on the path, and -I
  keeps the user site and PYTHON* variables out.
- R: Debian's Rscript --vanilla (no profiles, no saved workspace, no site/user Renviron).
  /etc/R (where Debian keeps R_HOME/etc: Renviron, ldpaths) is bound read-only; the library
  paths are Debian's read-only ones, and R_LIBS_USER points at one of them, so no library
  directory on the search path is writable inside the box.

`runtime_problems()` lists what is missing with its fix. It is separate from
`judge.sandbox_problems()` on purpose: a host without R can still grade Python and SQL.
"""

from __future__ import annotations

import glob
import hashlib
import os
import stat
import sys
from pathlib import Path

from judge.errors import JudgeError
from judge.sandbox.tools import PYTHON

RUNTIME_ROOT = "/opt/prep-runtime"
DATA_STACK_DIR = RUNTIME_ROOT + "/python"
DATA_STACK_PYTHON = DATA_STACK_DIR + "/bin/python3"
DATA_STACK_STAMP = DATA_STACK_DIR + "/.prep-runtime-stamp"
SANDBOX_REQUIREMENTS = Path(__file__).resolve().parent.parent / "requirements-sandbox.txt"

RSCRIPT = "/usr/bin/Rscript"
R_HOME = "/usr/lib/R"
R_CONFIG_DIR = "/etc/R"  # Debian: R_HOME/etc/* are symlinks into /etc/R
R_SITE_LIBRARY = "/usr/lib/R/site-library"
ENV = "/usr/bin/env"
ALTERNATIVES_DIR = "/etc/alternatives"
R_ALTERNATIVES = ("libblas.so.3*", "liblapack.so.3*", "which")
# The packages an R user expects attached (Rscript's own default list).
R_DEFAULT_PACKAGES = "datasets,utils,grDevices,graphics,stats,methods"

SETUP_FIX = "run scripts/setup-runtime.sh as root"

# What a sandbox run of each runtime needs beyond the candidate's own budget
# (SandboxLimits.memory_mb and open_files):
R_OPEN_FILES = 256  # R refuses to start below ~128 ("the limit on the number of open files is too low")
R_EXTRA_MEMORY_MB = 128  # R's own footprint (~50 MiB resident, more address space)
DATA_STACK_EXTRA_MEMORY_MB = 256  # numpy + pandas + scipy + scikit-learn loaded: ~180 MiB resident


class RuntimeUnavailable(JudgeError):
    """The language runtime a question needs is not installed on this host (R, or the Python
    data stack). The message names the fix. Other languages still grade."""


def python_argv(*, data_stack: bool = False) -> tuple[list[str], list[tuple[str, str]]]:
    """Interpreter argv prefix and (host path, box path) read-only binds for Python.

    Without the data stack: Debian's python3 in isolated mode without site (fastest start).
    With it: the data-stack virtualenv's python3, isolated, with site (for its packages)."""
    if data_stack:
        return [DATA_STACK_PYTHON, "-I"], [(DATA_STACK_DIR, DATA_STACK_DIR)]
    return [PYTHON, "-I", "-S"], []


def r_argv() -> tuple[list[str], list[tuple[str, str]]]:
    """argv prefix (ends with Rscript's options; append `-e EXPR` or a file) and read-only
    binds for R. The environment inside the box is empty but for PATH/LANG/HOME, so the few
    variables R needs are set here, as constants. Runs need SandboxLimits(open_files >=
    R_OPEN_FILES) and R_EXTRA_MEMORY_MB on top of the candidate's memory."""
    argv = [
        ENV,
        f"R_LIBS_USER={R_SITE_LIBRARY}",
        "R_LIBS=",
        f"R_DEFAULT_PACKAGES={R_DEFAULT_PACKAGES}",
        "TMPDIR=/tmp",
        RSCRIPT,
        "--vanilla",
    ]
    return argv, [(R_CONFIG_DIR, R_CONFIG_DIR), *_r_alternatives_binds()]


def _r_alternatives_binds() -> list[tuple[str, str]]:
    """Debian picks R's BLAS and LAPACK, and `which` (utils' start-up runs it), through
    /etc/alternatives symlinks (/usr/lib/<arch>/libblas.so.3 -> /etc/alternatives/libblas.so.3-
    <arch> -> /usr/lib/...). Bind each link's target file (under /usr) at the link's path,
    rather than all of /etc."""
    binds = []
    links = [path for pattern in R_ALTERNATIVES for path in glob.glob(os.path.join(ALTERNATIVES_DIR, pattern))]
    for link in sorted(set(links)):
        target = os.path.realpath(link)
        if target.startswith("/usr/") and os.path.isfile(target):
            binds.append((target, link))
    return binds


def require(*, python_data_stack: bool = False, r: bool = False) -> None:
    """Raise RuntimeUnavailable when a runtime the caller needs is missing."""
    problems = []
    if python_data_stack:
        problems += data_stack_problems()
    if r:
        problems += r_problems()
    if problems:
        raise RuntimeUnavailable("cannot grade: " + "; ".join(problems))


def runtime_problems() -> list[str]:
    """What is missing for each optional runtime, with its fix; [] when all are ready."""
    return data_stack_problems() + r_problems()


def r_problems() -> list[str]:
    problems = []
    if not _executable(RSCRIPT) or not os.path.isdir(R_HOME):
        return [
            f"R is not installed ({RSCRIPT} is missing), so R questions cannot be graded: "
            f"apt-get install r-base-core, or {SETUP_FIX}"
        ]
    if not os.path.isdir(R_CONFIG_DIR):
        problems.append(
            f"{R_CONFIG_DIR} is missing (Debian's R configuration): apt-get install --reinstall r-base-core"
        )
    if not _executable(ENV):
        problems.append(f"{ENV} is missing: apt-get install coreutils")
    problems += _world_readable_problems([RSCRIPT, R_HOME, R_CONFIG_DIR], "R")
    return problems


def data_stack_problems() -> list[str]:
    if not _executable(DATA_STACK_PYTHON):
        return [
            f"the Python data stack (numpy, pandas, ...) is not set up at {DATA_STACK_DIR}, so data-stack "
            f"questions cannot be graded: {SETUP_FIX}"
        ]
    problems = _world_readable_problems([RUNTIME_ROOT, DATA_STACK_DIR, DATA_STACK_DIR + "/lib"], "the data stack")
    expected = expected_stamp()
    try:
        with open(DATA_STACK_STAMP, encoding="ascii") as f:
            found = f.read().strip()
    except OSError:
        found = ""
    if expected is not None and found != expected:
        problems.append(
            f"the Python data stack in {DATA_STACK_DIR} does not match requirements-sandbox.txt "
            f"(stamp {found or 'missing'}, expected {expected}): {SETUP_FIX}"
        )
    return problems


def expected_stamp() -> str | None:
    """The stamp scripts/setup-runtime.sh writes: sha256 of the system Python's sys.version
    line and requirements-sandbox.txt, first 32 hex digits. None when either is unreadable."""
    try:
        requirements = SANDBOX_REQUIREMENTS.read_bytes()
    except OSError:
        return None
    version = _system_python_version()
    if version is None:
        return None
    return hashlib.sha256(version.encode() + b"\n" + requirements).hexdigest()[:32]


_version_cache: list[str] = []


def _system_python_version() -> str | None:
    if not _version_cache:
        import subprocess

        try:
            out = subprocess.run(
                [PYTHON, "-I", "-S", "-c", "import sys; print(sys.version)"],
                capture_output=True,
                text=True,
                timeout=20,
                env={},
                check=True,
            ).stdout
        except (OSError, subprocess.SubprocessError):
            return None
        _version_cache.append(out.rstrip("\n"))
    return _version_cache[0]


def _executable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def _world_readable_problems(paths: list[str], what: str) -> list[str]:
    """The sandbox runs as an unprivileged UID: every directory on the way must be world-
    traversable and the files world-readable."""
    for path in paths:
        current = Path(path)
        for part in [current, *current.parents]:
            try:
                mode = os.stat(part).st_mode
            except OSError:
                continue
            need = stat.S_IXOTH | stat.S_IROTH if stat.S_ISDIR(mode) else stat.S_IROTH
            if mode & need != need:
                return [
                    f"{part} is not world-readable, so the sandbox cannot use {what}: chmod a+rX {part}, or {SETUP_FIX}"
                ]
    return []


__all__ = [
    "DATA_STACK_DIR",
    "DATA_STACK_PYTHON",
    "RSCRIPT",
    "RuntimeUnavailable",
    "python_argv",
    "r_argv",
    "require",
    "runtime_problems",
]

if __name__ == "__main__":  # python -m judge.runtimes: a quick report
    found = runtime_problems()
    print("\n".join(found) if found else "all language runtimes are ready")
    sys.exit(1 if found else 0)
