"""Program languages for stdin/stdout judging, chosen by file extension.

| code     | language | extensions                   | runs as                                          |
| -------- | -------- | ---------------------------- | ------------------------------------------------ |
| `python` | Python 3 | .py                          | Debian's /usr/bin/python3 (judge.runtimes)        |
| `c`      | C        | .c                           | gcc -O2 -std=gnu11 -static ... -lm, in a sandbox |
| `cpp`    | C++      | .cc .cpp .cxx .c++ .C        | g++ -O2 -std=gnu++17 -static ... -lm, in a sandbox |
| `r`      | R        | .R .r                        | Rscript --vanilla                                |

Everything else (Java, Kotlin, ...) is reported as unsupported with a message naming it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass


class UnsupportedLanguage(ValueError):
    """The submission's language cannot be judged here (unknown extension, a language this judge
    does not run, or files of several languages). The message says which and what is supported."""


@dataclass(frozen=True)
class Language:
    code: str
    name: str
    extensions: tuple[str, ...]
    kattis_codes: tuple[str, ...]  # directory names under a Kattis package's include/
    compiled: bool


LANGUAGES: dict[str, Language] = {
    "python": Language("python", "Python 3", (".py",), ("python3", "python"), False),
    "c": Language("c", "C", (".c",), ("c",), True),
    "cpp": Language("cpp", "C++", (".cc", ".cpp", ".cxx", ".c++", ".C"), ("cpp", "c++"), True),
    "r": Language("r", "R", (".R", ".r"), ("r", "R"), False),
}

ALIASES = {
    "python": "python", "python3": "python", "py": "python", "py3": "python",
    "c": "c",
    "cpp": "cpp", "c++": "cpp", "cxx": "cpp", "cc": "cpp",
    "r": "r", "R": "r",
}

# Files that may sit beside the sources (headers, data) without deciding the language.
SUPPORT_EXTENSIONS = (".h", ".hh", ".hpp", ".hxx", ".h++", ".H", ".inc", ".txt", ".in", ".dat", ".md")

_KNOWN_OTHERS = {
    ".java": "Java", ".kt": "Kotlin", ".kts": "Kotlin", ".js": "JavaScript", ".mjs": "JavaScript",
    ".ts": "TypeScript", ".go": "Go", ".rs": "Rust", ".cs": "C#", ".fs": "F#", ".vb": "Visual Basic",
    ".rb": "Ruby", ".pl": "Perl", ".php": "PHP", ".hs": "Haskell", ".swift": "Swift", ".scala": "Scala",
    ".pas": "Pascal", ".f90": "Fortran", ".f": "Fortran", ".ml": "OCaml", ".lua": "Lua", ".sh": "shell",
    ".bash": "shell", ".jl": "Julia", ".d": "D", ".nim": "Nim", ".cr": "Crystal", ".ex": "Elixir",
    ".exs": "Elixir", ".erl": "Erlang", ".clj": "Clojure", ".lisp": "Lisp", ".scm": "Scheme",
    ".cob": "COBOL", ".adb": "Ada", ".m": "Objective-C", ".zig": "Zig", ".dart": "Dart", ".pyc": "Python bytecode",
    ".sql": "SQL (not a stdin/stdout program language)",
}

_SAFE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,254}$")


def supported_summary() -> str:
    return ", ".join(f"{lang.name} ({' '.join(lang.extensions)})" for lang in LANGUAGES.values())


def normalize(language: str) -> str:
    """A language code or common alias -> its code. Raises UnsupportedLanguage."""
    code = ALIASES.get(language) if isinstance(language, str) else None
    if code is None and isinstance(language, str):
        code = ALIASES.get(language.lower())
    if code is None:
        raise UnsupportedLanguage(f"language {language!r} is not supported: supported are {supported_summary()}")
    return code


def _extension(path: str) -> str:
    base = os.path.basename(str(path))
    dot = base.rfind(".")
    return base[dot:] if dot > 0 else ""


def language_for(path: str) -> str | None:
    """The language code for a source file, by extension; None when unsupported."""
    ext = _extension(path)
    if not ext:
        return None
    for lang in LANGUAGES.values():
        if ext in lang.extensions:
            return lang.code
    lowered = ext.lower()
    if lowered == ".c":  # ".C" is C++ (matched above); only an exact ".c" is C
        return None
    for lang in LANGUAGES.values():
        if lowered in (e.lower() for e in lang.extensions if e != ".C"):
            return lang.code
    return None


def unsupported_message(path: str) -> str:
    ext = _extension(path)
    known = _KNOWN_OTHERS.get(ext) or _KNOWN_OTHERS.get(ext.lower())
    what = f"{known} ({ext})" if known else (f"files ending in {ext}" if ext else "files without an extension")
    return f"{os.path.basename(str(path))}: {what} cannot be judged here; supported are {supported_summary()}"


def is_support_file(name: str) -> bool:
    ext = _extension(name)
    return ext in SUPPORT_EXTENSIONS or ext.lower() in SUPPORT_EXTENSIONS


def detect_language(names) -> str:
    """The one language of a submission's files (headers and data files do not count).
    Raises UnsupportedLanguage when there is none or more than one."""
    names = list(names)
    found: dict[str, list[str]] = {}
    unknown: list[str] = []
    for name in names:
        code = language_for(name)
        if code is not None:
            found.setdefault(code, []).append(name)
        elif not is_support_file(name):
            unknown.append(name)
    if "c" in found and "cpp" in found:  # C and C++ together: g++ compiles both
        found["cpp"] += found.pop("c")
    if len(found) == 1:
        return next(iter(found))
    if not found:
        if unknown:
            raise UnsupportedLanguage(unsupported_message(unknown[0]))
        raise UnsupportedLanguage("no source file: supported are " + supported_summary())
    listing = "; ".join(f"{LANGUAGES[c].name}: {', '.join(sorted(v))}" for c, v in sorted(found.items()))
    raise UnsupportedLanguage(f"files of more than one language ({listing}): cannot tell which to judge")


def safe_file_name(name: str) -> bool:
    """A flat file name that is safe to create in a box directory and to pass as an argument."""
    return isinstance(name, str) and bool(_SAFE_NAME.match(name)) and name not in (".", "..")


_MAIN_GUARD = re.compile(rb"""^\s*if\s+__name__\s*==\s*["']__main__["']\s*:""", re.MULTILINE)
_MAIN_GUARD_REVERSED = re.compile(rb"""^\s*if\s+["']__main__["']\s*==\s*__name__\s*:""", re.MULTILINE)


def python_entry_point(files: dict[str, bytes]) -> str | None:
    """Which Python file runs: the only one; else main.py (or __main__.py); else the one file
    with an `if __name__ == "__main__":` guard. None when that does not decide it."""
    sources = sorted(n for n in files if n.endswith(".py"))
    if len(sources) == 1:
        return sources[0]
    for name in ("main.py", "__main__.py"):
        if name in files:
            return name
    guarded = [n for n in sources if _MAIN_GUARD.search(files[n]) or _MAIN_GUARD_REVERSED.search(files[n])]
    if len(guarded) == 1:
        return guarded[0]
    return None


def r_entry_point(files: dict[str, bytes]) -> str | None:
    sources = sorted(n for n in files if language_for(n) == "r")
    if len(sources) == 1:
        return sources[0]
    for name in ("main.R", "main.r"):
        if name in files:
            return name
    return None
