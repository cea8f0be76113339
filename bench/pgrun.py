"""Benchmarks that need PostgreSQL re-run themselves under a private one."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def rerun_under_postgres(flag: str, script_file: str, **extra_env: str) -> None:
    """Unless the environment variable `flag` says this already runs under it, replace this
    process with `script_file` and its arguments under scripts/with-postgres.sh, which starts a
    private PostgreSQL (DATABASE_URL) and removes it when the benchmark returns."""
    if os.environ.get(flag) == "1":
        return
    script = str(ROOT / "scripts" / "with-postgres.sh")
    os.execvpe(script, [script, sys.executable, str(Path(script_file).resolve()), *sys.argv[1:]],
               {**os.environ, flag: "1", **extra_env})
