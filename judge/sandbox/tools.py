"""Where the sandbox's tools and runtime are."""

from __future__ import annotations

import os

PYTHON = "/usr/bin/python3"  # Debian's: readable by the sandbox UIDs (pyenv under /root is not)
TOOL_DIRS = ("/usr/bin", "/bin", "/usr/sbin", "/sbin", "/usr/local/bin")


def find_tool(name: str) -> str | None:
    """Absolute path of a host tool (bwrap, setpriv, prlimit), searched in fixed directories."""
    for directory in TOOL_DIRS:
        path = os.path.join(directory, name)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None
