"""Kattis problem packages: loading, judging one submission, verifying the package's own
submissions.

Formats (told apart by `problem_format_version` in problem.yaml):

- legacy (no version, `legacy`, `legacy-icpc`): `validation: default | custom [score]`,
  `validator_flags`, `limits: {time_multiplier (5), time_safety_margin (2), memory, output}`,
  `output_validators/<name>/`, `problem_statement/`, `testdata.yaml` (on_reject, grading,
  grader_flags, accept_score, range, output_validator_flags; inherited by subgroups).
- 2023-07 (`2023-07-draft`, `2023-07`) and 2025-09 (`2025-09`, `2025-09-draft`, `draft`):
  `name` required, `limits: {time_limit, time_multipliers: {ac_to_time_limit (2),
  time_limit_to_tle (1.5)}, time_resolution (1), memory, output}`, a custom validator is the
  program in `output_validator/` (or, in early drafts, `validation: custom` with
  `output_validators/`), `statement/` (or `problem_statement/`), `test_group.yaml` (or
  `testdata.yaml`) with `scoring: {score, aggregation}` (2023-07) or `max_score`,
  `score_aggregation` (2025-09), and `output_validator_args`.

Also: a `.timelimit` file (seconds) in the package root; `data/sample`, `data/secret` flat or
with group folders; `include/default/` and `include/<language>/`; `submissions/<verdict>/`
files and folders (multi-file); `submissions/submissions.yaml` for folder-level or
per-submission `permitted` / `required` verdict lists.

When no time limit is given it is inferred from the submissions the way problemtools does:
see `infer_time_limit`. Malformed packages raise PackageError("problem <name>: <file>: <what is
wrong>"). Symlinks are followed only when they stay inside the package folder.
"""

from __future__ import annotations

import fnmatch
import math
import os
import re
import stat
from dataclasses import dataclass, field, replace
from pathlib import Path

from judge import languages
from judge.languages import UnsupportedLanguage
from judge.program_types import Checker, ProgramSpec, ProgramTest, TestGroup
from judge.programs import judge_program
from judge.types import JudgeResult, Limits, Verdict
from judge.validators import ValidatorError, build_validator, checker_from_flags

LEGACY, V2023, V2025 = "legacy", "2023-07", "2025-09"
_VERSIONS = {
    "legacy": LEGACY, "legacy-icpc": LEGACY,
    "2023-07-draft": V2023, "2023-07": V2023,
    "2025-09": V2025, "2025-09-draft": V2025, "draft": V2025,
}
DEFAULT_MEMORY_MB = 1024
DEFAULT_OUTPUT_MB = 8
INFERENCE_CAP_S = 10.0  # CPU per test while measuring submissions for the time limit
MAX_FILE_BYTES = 256 * 1024 * 1024
MAX_TEST_DATA_BYTES = 1024 * 1024 * 1024
_UNSUPPORTED_TYPES = ("interactive", "multi-pass", "submit-answer")


class PackageError(Exception):
    """The package is malformed or uses something this judge does not support. The message is
    one line: "problem <name>: <file>: <what is wrong>"."""


@dataclass(frozen=True)
class Expectation:
    """What a submission in a folder must get. Verdicts: AC WA TLE RTE MLE OLE (MLE and OLE
    also count as RTE, which is what Kattis reports for them)."""

    permitted: frozenset | None = None  # every test that ran must be one of these (None: any)
    required: frozenset | None = None  # at least one test must be one of these (None: nothing)
    partial: bool = False  # legacy partially_accepted: 0 < score < 1
    compile_error: bool = False

    def describe(self) -> str:
        if self.compile_error:
            return "CE"
        if self.partial:
            return "0 < score < 1"
        parts = []
        if self.permitted is not None:
            parts.append("only " + "/".join(sorted(self.permitted)))
        if self.required is not None:
            parts.append("some " + "/".join(sorted(self.required)))
        return ", ".join(parts) or "anything"


def _exp(permitted=None, required=None, **kw) -> Expectation:
    return Expectation(
        frozenset(permitted) if permitted is not None else None,
        frozenset(required) if required is not None else None, **kw,
    )


DEFAULT_EXPECTATIONS: dict[str, Expectation] = {
    "accepted": _exp(["AC"]),
    "partially_accepted": _exp(partial=True),
    "wrong_answer": _exp(["AC", "WA"], ["WA"]),
    "time_limit_exceeded": _exp(["AC", "TLE"], ["TLE"]),
    "run_time_error": _exp(["AC", "RTE"], ["RTE"]),
    "memory_limit_exceeded": _exp(["AC", "MLE"], ["MLE"]),
    "output_limit_exceeded": _exp(["AC", "OLE"], ["OLE"]),
    "rejected": _exp(None, ["WA", "TLE", "RTE"]),
    "brute_force": _exp(["AC", "TLE", "RTE"], ["TLE", "RTE"]),
    "compile_error": _exp(compile_error=True),
}
_FOLDER_ORDER = list(DEFAULT_EXPECTATIONS)


@dataclass
class Package:
    name: str  # the package folder's name (the problem's short name)
    path: Path
    title: str
    statement: str  # Markdown / plain text of the English (or first) statement, "" if none
    format_version: str  # "legacy" | "2023-07" | "2025-09"
    scoring: bool  # type scoring (else pass-fail)
    tests: tuple[ProgramTest, ...]
    groups: tuple[TestGroup, ...]
    checker: Checker
    limits: Limits  # cpu_time_s is the time limit once known (else the inference cap)
    time_limit_s: float | None  # None until given or inferred
    time_limit_source: str  # "problem.yaml", ".timelimit", "inferred" or ""
    include_files: dict[str, tuple[tuple[str, bytes], ...]]  # language code -> files
    submissions: dict[str, list[Path]]  # expected-verdict folder -> submission files/folders
    expectations: dict[str, Expectation] = field(default_factory=dict)  # folder or submission path -> rule
    paths: dict[str, Path] = field(default_factory=dict)  # "problem.yaml", "statement", "output_validator", "data"
    warnings: list[str] = field(default_factory=list)
    timing: dict = field(default_factory=dict)  # the time-limit rule's parameters
    inference: dict = field(default_factory=dict)  # filled by infer_time_limit
    _measured: dict = field(default_factory=dict, repr=False)  # path -> JudgeResult at the inference cap

    def spec_for(self, files, language: str, time_limit_s: float | None = None) -> ProgramSpec:
        """A ProgramSpec for a submission (files: (name, content) pairs) in `language`."""
        language = languages.normalize(language)
        tl = time_limit_s if time_limit_s is not None else self.time_limit_s
        if tl is None:
            raise ValueError("the time limit is not known yet: call infer_time_limit(package) first")
        return ProgramSpec(
            files=tuple(files), language=language, tests=self.tests, groups=self.groups, checker=self.checker,
            limits=replace(self.limits, cpu_time_s=tl), include_files=self.include_files.get(language, ()),
        )

    def relative(self, path) -> str:
        try:
            return str(Path(path).relative_to(self.path))
        except ValueError:
            return str(path)


# -- loading --------------------------------------------------------------------------------------


def load_package(path, *, check_validator: bool = True) -> Package:
    """Read a package folder. With check_validator, a custom output validator is built (in the
    sandbox) so that one that does not compile is reported now."""
    return _Loader(Path(path), check_validator).load()


class _Loader:
    def __init__(self, path: Path, check_validator: bool):
        self.path = path
        self.name = path.name or str(path)
        self.check_validator = check_validator
        self.warnings: list[str] = []
        self.data_bytes = 0

    # errors and safe file access ------------------------------------------------------------
    def error(self, where, what: str) -> PackageError:
        rel = where if isinstance(where, str) else self.rel(where)
        return PackageError(f"problem {self.name}: {rel}: {what}")

    def rel(self, path: Path) -> str:
        try:
            return str(Path(path).relative_to(self.path))
        except ValueError:
            return str(path)

    def inside(self, path: Path) -> bool:
        real = os.path.realpath(path)
        return real == self.real_root or real.startswith(self.real_root + os.sep)

    def exists(self, path: Path) -> bool:
        return os.path.lexists(path)

    def is_dir(self, path: Path) -> bool:
        if not os.path.lexists(path):
            return False
        if not self.inside(path):
            raise self.error(path, "symbolic link to outside the package")
        return os.path.isdir(path)

    def read(self, path: Path, *, data: bool = False) -> bytes:
        if not self.inside(path):
            raise self.error(path, "symbolic link to outside the package")
        real = os.path.realpath(path)
        try:
            fd = os.open(real, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError as exc:
            raise self.error(path, f"cannot read ({exc.strerror})") from exc
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise self.error(path, "not a regular file")
            if st.st_size > MAX_FILE_BYTES:
                raise self.error(path, f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
            if data:
                self.data_bytes += st.st_size
                if self.data_bytes > MAX_TEST_DATA_BYTES:
                    total = MAX_TEST_DATA_BYTES // (1024 * 1024)
                    raise self.error(path, f"the test data is larger than {total} MiB in all")
            chunks = []
            while True:
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
            return b"".join(chunks)
        finally:
            os.close(fd)

    def listdir(self, directory: Path) -> list[Path]:
        """Entries of a package folder, sorted, without hidden ones ('.' or '-' first)."""
        try:
            names = sorted(os.listdir(directory))
        except OSError as exc:
            raise self.error(directory, f"cannot list ({exc.strerror})") from exc
        out = []
        for name in names:
            if name.startswith((".", "-")):
                continue
            entry = directory / name
            if not self.inside(entry):
                raise self.error(entry, "symbolic link to outside the package")
            out.append(entry)
        return out

    def yaml(self, path: Path, *, required: bool = False) -> dict:
        if not self.exists(path):
            if required:
                raise self.error(path, "missing")
            return {}
        text = self.read(path)
        try:
            import yaml
        except ImportError as exc:  # pragma: no cover - PyYAML ships with the project's requirements
            raise PackageError("reading problem packages needs PyYAML (pip install PyYAML)") from exc
        try:
            value = yaml.safe_load(text.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise self.error(path, "not UTF-8 text") from exc
        except yaml.YAMLError as exc:
            where = getattr(exc, "problem_mark", None)
            at = f" at line {where.line + 1}" if where is not None else ""
            what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise self.error(path, f"invalid YAML{at}: {what}") from exc
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.error(path, f"must be a map of keys, not a {type(value).__name__}")
        return value

    # the whole package ------------------------------------------------------------------------
    def load(self) -> Package:
        if not os.path.isdir(self.path):
            raise PackageError(f"problem {self.name}: {self.path}: not a package folder")
        self.real_root = os.path.realpath(self.path)
        config = self.yaml(self.path / "problem.yaml", required=True)
        version_raw = config.get("problem_format_version", "legacy")
        version = _VERSIONS.get(str(version_raw).strip())
        if version is None:
            raise self.error("problem.yaml", f"problem_format_version {version_raw!r} is not supported "
                             f"(supported: legacy, 2023-07-draft, 2025-09)")
        self.version = version
        self.config = config
        scoring = self.problem_type()
        title = self.title()
        limits, timing, time_limit, source = self.limits()
        checker, validator_path = self.checker()
        tests, groups = self.test_data(scoring, checker)
        include = self.include_files()
        submissions, expectations = self.submissions()
        statement, statement_path = self.statement()
        if not title:
            title = _tex_problemname(statement_path, self) or self.name
        paths = {"problem.yaml": self.path / "problem.yaml", "data": self.path / "data"}
        if statement_path is not None:
            paths["statement"] = statement_path
        if validator_path is not None:
            paths["output_validator"] = validator_path
        return Package(
            name=self.name, path=self.path, title=title, statement=statement, format_version=version,
            scoring=scoring, tests=tests, groups=groups, checker=checker,
            limits=replace(limits, cpu_time_s=time_limit or INFERENCE_CAP_S),
            time_limit_s=time_limit, time_limit_source=source, include_files=include,
            submissions=submissions, expectations=expectations, paths=paths, warnings=self.warnings, timing=timing,
        )

    def problem_type(self) -> bool:
        raw = self.config.get("type", "pass-fail")
        types = raw.split() if isinstance(raw, str) else raw
        if not isinstance(types, list) or not all(isinstance(t, str) for t in types) or not types:
            raise self.error("problem.yaml", "type must be a string or a list of strings")
        for t in types:
            if t in _UNSUPPORTED_TYPES:
                raise self.error(
                    "problem.yaml", f"type {t} is not supported (only stdin/stdout pass-fail and scoring problems)"
                )
            if t not in ("pass-fail", "scoring"):
                raise self.error("problem.yaml", f"unknown problem type {t!r}")
        return "scoring" in types

    def title(self) -> str:
        name = self.config.get("name")
        if name is None:
            if self.version != LEGACY:
                raise self.error("problem.yaml", "name is missing")
            return ""
        if isinstance(name, str):
            return name.strip()
        if isinstance(name, dict) and name:
            value = name.get("en", next(iter(name.values())))
            if isinstance(value, str):
                return value.strip()
        raise self.error("problem.yaml", "name must be a string or a map of language to string")

    def number(self, where: str, value, *, integer: bool = False, minimum: float = 0.0, strict: bool = True) -> float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        if ok and integer and not float(value).is_integer():
            ok = False
        if ok:
            ok = value > minimum if strict else value >= minimum
        if not ok:
            kind = "an integer" if integer else "a number"
            relation = ">" if strict else ">="
            raise self.error("problem.yaml", f"{where} must be {kind} {relation} {minimum:g}, not {value!r}")
        return float(value)

    def limits(self):
        raw = self.config.get("limits", {}) or {}
        if not isinstance(raw, dict):
            raise self.error("problem.yaml", "limits must be a map")
        memory = self.number("limits.memory", raw["memory"], integer=True) if "memory" in raw else DEFAULT_MEMORY_MB
        output = self.number("limits.output", raw["output"], integer=True) if "output" in raw else DEFAULT_OUTPUT_MB
        memory_mb = int(min(8192, max(16, memory)))
        if memory_mb != memory:
            self.warnings.append(f"limits.memory {memory:g} MiB clamped to {memory_mb} MiB")
        output_kb = int(min(16384, max(1, output * 1024)))
        if output_kb != output * 1024:
            self.warnings.append(f"limits.output {output:g} MiB clamped to {output_kb // 1024} MiB")
        timing = {
            "rule": "legacy" if self.version == LEGACY else "2023-07",
            "time_multiplier": 5.0, "time_safety_margin": 2.0,
            "ac_to_time_limit": 2.0, "time_limit_to_tle": 1.5, "time_resolution": 1.0,
        }
        for key in ("time_multiplier", "time_safety_margin"):
            if key in raw:
                timing[key] = self.number(f"limits.{key}", raw[key], minimum=1.0, strict=False)
        multipliers = raw.get("time_multipliers")
        if multipliers is not None:
            if not isinstance(multipliers, dict):
                raise self.error("problem.yaml", "limits.time_multipliers must be a map")
            for key in ("ac_to_time_limit", "time_limit_to_tle"):
                if key in multipliers:
                    timing[key] = self.number(
                        f"limits.time_multipliers.{key}", multipliers[key], minimum=1.0, strict=False
                    )
        if "time_resolution" in raw:
            timing["time_resolution"] = self.number("limits.time_resolution", raw["time_resolution"])
        time_limit, source = None, ""
        if "time_limit" in raw:
            time_limit, source = self.number("limits.time_limit", raw["time_limit"]), "problem.yaml"
        elif self.exists(self.path / ".timelimit"):
            text = self.read(self.path / ".timelimit").decode("utf-8", "replace").strip()
            try:
                time_limit = float(text)
            except ValueError:
                time_limit = math.nan
            if not (math.isfinite(time_limit) and time_limit > 0):
                raise self.error(".timelimit", f"must hold a positive number of seconds, not {text[:40]!r}")
            source = ".timelimit"
        if time_limit is not None and time_limit > 60:
            raise self.error("problem.yaml" if source == "problem.yaml" else ".timelimit",
                             f"time limit {time_limit:g} s is above this judge's maximum of 60 s")
        limits = Limits(cpu_time_s=time_limit or INFERENCE_CAP_S, memory_mb=memory_mb, output_kb=output_kb)
        return limits, timing, time_limit, source

    # output validation ------------------------------------------------------------------------
    def checker(self) -> tuple[Checker, Path | None]:
        validation = self.config.get("validation")
        custom = None
        if validation is not None:
            if isinstance(validation, str):
                words = validation.split()
            elif isinstance(validation, dict):
                words = [k for k, v in validation.items() if v is True] + [str(validation.get("type", "custom"))]
            else:
                raise self.error("problem.yaml", "validation must be a string such as 'default' or 'custom'")
            if any(w in ("interactive", "multi-pass", "multipass") for w in words):
                raise self.error(
                    "problem.yaml",
                    f"validation {validation!r}: interactive and multi-pass validation are not supported",
                )
            if "score" in words:
                self.warnings.append(
                    "validation 'custom score': score.txt from the validator is ignored; tests score as pass/fail"
                )
            unknown = [w for w in words if w not in ("default", "custom", "score")]
            if unknown or not words:
                raise self.error(
                    "problem.yaml", f"validation {validation!r} is not one of default, custom, custom score"
                )
            custom = "custom" in words
        flags_raw = self.config.get("validator_flags", "")
        if flags_raw is None:
            flags_raw = ""
        if isinstance(flags_raw, str):
            flags = flags_raw.split()
        elif isinstance(flags_raw, list) and all(isinstance(f, (str, int, float)) for f in flags_raw):
            flags = [str(f) for f in flags_raw]
        else:
            raise self.error("problem.yaml", "validator_flags must be a string")
        program_dir, files = self.validator_files()
        if custom is None:
            custom = self.version != LEGACY and program_dir is not None
        if not custom:
            try:
                return checker_from_flags(flags), None
            except ValueError as exc:
                raise self.error("problem.yaml", f"validator_flags: {exc}") from exc
        if program_dir is None:
            raise self.error(
                "problem.yaml", "validation is custom but there is no output_validator/ (or output_validators/) folder"
            )
        checker = Checker(kind="custom", files=tuple(sorted(files.items())), args=tuple(flags))
        if self.check_validator:
            try:
                build_validator(checker.files)
            except ValidatorError as exc:
                lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
                raise self.error(program_dir, " | ".join(lines[:3])[:500]) from exc
        return checker, program_dir

    def validator_files(self) -> tuple[Path | None, dict[str, bytes]]:
        single = self.path / "output_validator"
        plural = self.path / "output_validators"
        if self.is_dir(single):
            return single, self.program_files(single)
        if not self.is_dir(plural):
            return None, {}
        entries = self.listdir(plural)
        programs = [e for e in entries if os.path.isdir(e)]
        loose = [e for e in entries if os.path.isfile(e)]
        loose_sources = [e for e in loose if languages.language_for(e.name) is not None]
        if len(programs) + len(loose_sources) > 1:
            raise self.error(plural, "more than one output validator (only one is supported)")
        if programs:
            return programs[0], self.program_files(programs[0])
        if loose_sources:
            wanted = [
                e for e in loose if languages.language_for(e.name) is not None or languages.is_support_file(e.name)
            ]
            files = {e.name: self.read(e) for e in wanted}
            return loose_sources[0], files
        return None, {}

    def program_files(self, directory: Path) -> dict[str, bytes]:
        files = {}
        for entry in self.listdir(directory):
            if os.path.isdir(entry):
                continue
            if entry.name in ("build", "run"):
                raise self.error(
                    entry, "build/run scripts are not supported; give the validator as C, C++ or Python sources"
                )
            if not languages.safe_file_name(entry.name):
                raise self.error(entry, "file name not allowed")
            files[entry.name] = self.read(entry)
        if not files:
            raise self.error(directory, "empty program folder")
        return files

    # test data --------------------------------------------------------------------------------
    def test_data(self, scoring: bool, checker: Checker):
        data = self.path / "data"
        if not self.is_dir(data):
            raise self.error("data", "missing (test data goes in data/sample and data/secret)")
        secret = data / "secret"
        if not self.is_dir(secret):
            raise self.error("data/secret", "missing")
        config_names = ("test_group.yaml", "testdata.yaml") if self.version != LEGACY else ("testdata.yaml",)
        root_config = self.group_config(data, config_names, {})
        tests: list[ProgramTest] = []
        groups: list[TestGroup] = []
        sample = data / "sample"
        if self.is_dir(sample):
            sample_config = self.group_config(sample, config_names, root_config)
            for directory, cases, cfg in self.walk(sample, sample_config, config_names):
                for base in cases:
                    tests.append(self.test_case(directory, base, "sample", True, cfg, checker))
            if any(t.group == "sample" for t in tests):
                groups.append(TestGroup("sample", 0.0, "sum"))
        secret_config = self.group_config(secret, config_names, root_config)
        secret_groups: list[tuple[str, list[ProgramTest], dict]] = []
        for directory, cases, cfg in self.walk(secret, secret_config, config_names):
            if not cases:
                continue
            group_name = self.rel(directory).replace(os.sep, "/")[len("data/"):]
            members = [self.test_case(directory, base, group_name, False, cfg, checker) for base in cases]
            secret_groups.append((group_name, members, cfg))
        if not secret_groups:
            raise self.error("data/secret", "no test cases (.in files with .ans files)")
        for group in self.secret_group_rules(secret_groups, secret_config, scoring):
            groups.append(group)
        for _, members, _ in secret_groups:
            tests.extend(members)
        return tuple(tests), tuple(groups)

    def group_config(self, directory: Path, names, parent: dict) -> dict:
        own = {}
        for name in names:
            if self.exists(directory / name):
                own = self.yaml(directory / name)
                own["__file__"] = self.rel(directory / name)
                break
        if self.version == LEGACY:
            merged = {k: v for k, v in parent.items() if k != "__file__"}
            merged.update(own)
            merged["__own__"] = own
            return merged
        inherited = {k: parent[k] for k in ("output_validator_args", "output_validator_flags") if k in parent}
        inherited.update(own)
        inherited["__own__"] = own
        return inherited

    def walk(self, top: Path, config: dict, names):
        """(directory, sorted case bases, config) for top and every folder below it."""
        entries = self.listdir(top)
        dirs = [e for e in entries if os.path.isdir(e)]
        files = {e.name for e in entries if not os.path.isdir(e)}
        cases = sorted(n[:-3] for n in files if n.endswith(".in"))
        for base in cases:
            if f"{base}.ans" not in files:
                raise self.error(top / f"{base}.in", f"has no answer file {base}.ans")
        for n in sorted(files):
            if n.endswith(".ans") and n[:-4] not in cases:
                self.warnings.append(f"{self.rel(top / n)}: answer file without an input file (ignored)")
        out = [(top, cases, config)]
        for sub in dirs:
            if sub.name.endswith(".files"):
                raise self.error(sub, "test case .files folders are not supported")
            if sub.name in (f"{b}" for b in cases):
                raise self.error(sub, "a folder has the name of a test case")
            out.extend(self.walk(sub, self.group_config(sub, names, config), names))
        return out

    def test_case(
        self, directory: Path, base: str, group: str, is_sample: bool, cfg: dict, checker: Checker
    ) -> ProgramTest:
        name = self.rel(directory / base).replace(os.sep, "/")[len("data/"):]
        args = self.validator_args(cfg, cfg.get("__file__", self.rel(directory)))
        case_yaml = directory / f"{base}.yaml"
        if self.version != LEGACY and self.exists(case_yaml):
            own = self.yaml(case_yaml)
            if own.get("args"):
                raise self.error(case_yaml, "command-line args for submissions are not supported")
            if "output_validator_args" in own:
                args = self.validator_args({"output_validator_args": own["output_validator_args"]}, self.rel(case_yaml))
        if args and checker.kind != "custom":
            try:
                checker_from_flags(args, base=checker)
            except ValueError as exc:
                raise self.error(cfg.get("__file__", self.rel(directory)), f"output validator flags: {exc}") from exc
        return ProgramTest(
            name=name, input=self.read(directory / f"{base}.in", data=True),
            answer=self.read(directory / f"{base}.ans", data=True), group=group, is_sample=is_sample,
            checker_args=tuple(args),
        )

    def validator_args(self, cfg: dict, where: str) -> list[str]:
        for key in ("output_validator_args", "output_validator_flags"):
            value = cfg.get(key)
            if value is None or value == "":
                continue
            if isinstance(value, str):
                return value.split()
            if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
                return [str(v) for v in value]
            if isinstance(value, dict):  # early 2023-07 drafts: {name: ..., flags: ...}
                flags = value.get("flags", "")
                return flags.split() if isinstance(flags, str) else [str(v) for v in flags or []]
            raise self.error(where, f"{key} must be a list of strings")
        return []

    def secret_group_rules(self, secret_groups, secret_config: dict, scoring: bool) -> list[TestGroup]:
        if not scoring:
            out = []
            for name, members, cfg in secret_groups:
                on_reject = str(cfg.get("on_reject", "break")) if self.version == LEGACY else "break"
                out.append(TestGroup(name, float(len(members)), "all" if on_reject == "break" else "sum"))
            return out
        if self.version == LEGACY:
            return [self.legacy_scoring_group(name, members, cfg) for name, members, cfg in secret_groups]
        return self.modern_scoring_groups(secret_groups, secret_config)

    def legacy_scoring_group(self, name: str, members, cfg: dict) -> TestGroup:
        where = cfg.get("__file__", f"data/{name}")
        flags = str(cfg.get("grader_flags", "") or "").split()
        on_reject = str(cfg.get("on_reject", "break"))
        if on_reject not in ("break", "continue"):
            raise self.error(where, f"on_reject must be break or continue, not {on_reject!r}")
        if str(cfg.get("grading", "default")) != "default":
            self.warnings.append(f"{where}: custom graders are not supported; scoring group {name} by sum/min")
        if cfg.get("require_pass"):
            self.warnings.append(f"{where}: require_pass is ignored")
        aggregation = "all" if on_reject == "break" or "min" in flags else "sum"
        accept = cfg.get("accept_score", 1)
        try:
            accept = float(accept)
        except (TypeError, ValueError):
            raise self.error(where, f"accept_score must be a number, not {accept!r}") from None
        weight = accept * (len(members) if aggregation == "sum" else 1)
        rng = cfg.get("range")
        if rng is not None:
            parts = str(rng).split()
            try:
                low, high = (float(p) for p in parts)
            except ValueError:
                raise self.error(where, f"range must be two numbers, not {rng!r}") from None
            if math.isfinite(high) and high > 0:
                weight = high
        if not (math.isfinite(weight) and weight >= 0):
            raise self.error(where, "the group's score must be a finite number >= 0")
        return TestGroup(name, weight, aggregation)

    def modern_scoring_groups(self, secret_groups, secret_config: dict) -> list[TestGroup]:
        def rule(cfg: dict) -> tuple[object, str | None, str]:
            own = cfg.get("__own__", {})
            where = own.get("__file__", "data/secret")
            if self.version == V2023 and isinstance(own.get("scoring"), dict):
                sc = own["scoring"]
                return sc.get("score"), sc.get("aggregation"), where
            if own.get("require_pass"):
                self.warnings.append(f"{where}: require_pass is ignored")
            return own.get("max_score"), own.get("score_aggregation"), where

        total, secret_aggregation, secret_where = rule(secret_config)
        total = 100 if total is None else total
        if total == "unbounded":
            self.warnings.append(
                f"{secret_where}: unbounded scores need score.txt from a validator; scoring groups equally"
            )
            total = 100
        if not isinstance(total, (int, float)) or isinstance(total, bool) or total < 0:
            raise self.error(secret_where, f"the maximum score must be a number >= 0 or unbounded, not {total!r}")
        secret_aggregation = secret_aggregation or "sum"
        if secret_aggregation not in ("sum", "min", "pass-fail"):
            raise self.error(secret_where, f"score aggregation {secret_aggregation!r} is not sum, min or pass-fail")
        direct = [g for g in secret_groups if g[0] == "secret"]
        if direct and len(secret_groups) > 1:
            raise self.error("data/secret", "has both test cases and test group folders")
        if direct:
            name, members, _ = direct[0]
            return [TestGroup(name, float(total), "sum" if secret_aggregation == "sum" else "all")]
        given: dict[str, float] = {}
        rules = {}
        for name, members, cfg in secret_groups:
            score_value, aggregation, where = rule(cfg)
            aggregation = aggregation or "pass-fail"
            if aggregation not in ("sum", "min", "pass-fail"):
                raise self.error(where, f"score aggregation {aggregation!r} is not sum, min or pass-fail")
            if score_value is not None and score_value != "unbounded":
                if not isinstance(score_value, (int, float)) or isinstance(score_value, bool) or score_value < 0:
                    raise self.error(where, f"the maximum score must be a number >= 0, not {score_value!r}")
                given[name] = float(score_value)
            rules[name] = "sum" if aggregation == "sum" else "all"
        unspecified = [n for n, _, _ in secret_groups if n not in given]
        leftover = max(0.0, float(total) - sum(given.values()))
        share = leftover / len(unspecified) if unspecified else 0.0
        return [TestGroup(n, given.get(n, share), rules[n]) for n, _, _ in secret_groups]

    # include/, submissions/, statement ----------------------------------------------------------
    def include_files(self) -> dict[str, tuple[tuple[str, bytes], ...]]:
        top = self.path / "include"
        if not self.is_dir(top):
            return {}
        by_code: dict[str, dict[str, bytes]] = {}
        default: dict[str, bytes] = {}
        for sub in self.listdir(top):
            if not os.path.isdir(sub):
                continue
            files = self.program_files(sub)
            if sub.name == "default":
                default = files
                continue
            for lang in languages.LANGUAGES.values():
                if sub.name in lang.kattis_codes:
                    by_code.setdefault(lang.code, {}).update(files)
        out = {}
        for code in languages.LANGUAGES:
            files = by_code.get(code, default)
            if files:
                out[code] = tuple(sorted(files.items()))
        return out

    def submissions(self) -> tuple[dict[str, list[Path]], dict[str, Expectation]]:
        top = self.path / "submissions"
        expectations = dict(DEFAULT_EXPECTATIONS)
        if not self.is_dir(top):
            raise self.error("submissions", "missing (at least one accepted submission is required)")
        custom = self.submissions_yaml(top)
        found: dict[str, list[Path]] = {}
        for folder in self.listdir(top):
            if not os.path.isdir(folder):
                continue
            if folder.name not in expectations and folder.name not in custom:
                raise self.error(folder, f"unknown verdict folder (known: {', '.join(_FOLDER_ORDER)})")
            entries = [e for e in self.listdir(folder) if not e.name.lower().startswith("readme")]
            found[folder.name] = entries
        for key, rule in custom.items():
            expectations[key] = rule
        if not found.get("accepted"):
            raise self.error("submissions/accepted", "missing or empty (at least one accepted submission is required)")
        def order(folder: str) -> tuple[int, str]:
            return (_FOLDER_ORDER.index(folder) if folder in _FOLDER_ORDER else 99, folder)

        ordered = {k: found[k] for k in sorted(found, key=order)}
        return ordered, expectations

    def submissions_yaml(self, top: Path) -> dict[str, Expectation]:
        path = top / "submissions.yaml"
        if not self.exists(path):
            return {}
        raw = self.yaml(path)
        out = {}
        for key, value in raw.items():
            where = self.rel(path)
            if not isinstance(value, dict):
                raise self.error(where, f"{key}: must be a map")
            unknown_keys = [k for k in value if k not in ("permitted", "required", "language", "entrypoint", "authors",
                                                          "model_solution", "score", "message", "use_for_time_limit")]
            if unknown_keys and any("/" in k or k in ("sample", "secret") for k in unknown_keys):
                self.warnings.append(f"{where}: {key}: per-test-group rules are ignored")
            base = DEFAULT_EXPECTATIONS.get(str(key), Expectation())
            permitted, required = base.permitted, base.required
            for field_name in ("permitted", "required"):
                if field_name in value:
                    items = value[field_name]
                    if isinstance(items, str):
                        items = [items]
                    known = ("AC", "WA", "TLE", "RTE", "MLE", "OLE")
                    if not isinstance(items, list) or not all(i in known for i in items):
                        raise self.error(where, f"{key}: {field_name} must be a list of AC, WA, TLE, RTE")
                    if field_name == "permitted":
                        permitted = frozenset(items)
                    else:
                        required = frozenset(items)
            out[str(key)] = Expectation(permitted, required, base.partial, base.compile_error)
        return out

    def statement(self) -> tuple[str, Path | None]:
        for folder in ("statement", "problem_statement"):
            directory = self.path / folder
            if not self.is_dir(directory):
                continue
            names = {e.name: e for e in self.listdir(directory) if os.path.isfile(e)}
            preference = ["problem.en.md", "problem.md", "problem.en.tex", "problem.tex"]
            preference += sorted(n for n in names if re.fullmatch(r"problem\.[A-Za-z-]+\.md", n))
            preference += sorted(n for n in names if re.fullmatch(r"problem\.[A-Za-z-]+\.tex", n))
            for name in preference:
                if name in names:
                    text = self.read(names[name]).decode("utf-8", "replace")
                    return (tex_to_text(text) if name.endswith(".tex") else text.strip()), names[name]
        return "", None


def _tex_problemname(path: Path | None, loader: _Loader) -> str:
    if path is None or not path.name.endswith(".tex"):
        return ""
    text = loader.read(path).decode("utf-8", "replace")
    match = re.search(r"\\problemname\{((?:[^{}]|\{[^{}]*\})*)\}", text)
    return match.group(1).strip() if match else ""


def tex_to_text(tex: str) -> str:
    """A light LaTeX -> Markdown rendering of a Kattis statement (sections, emphasis, lists;
    math stays as $...$)."""
    text = re.sub(r"(?<!\\)%.*", "", tex)
    text = re.sub(r"\\problemname\{(?:[^{}]|\{[^{}]*\})*\}", "", text)
    text = re.sub(r"\\begin\{(Input|Output|Interaction)\}", lambda m: f"\n## {m.group(1)}\n", text)
    text = re.sub(r"\\end\{(Input|Output|Interaction)\}", "\n", text)
    text = re.sub(r"\\(?:sub)*section\*?\{([^{}]*)\}", lambda m: f"\n## {m.group(1)}\n", text)
    text = re.sub(r"\\(?:textbf|bf)\{([^{}]*)\}", r"**\1**", text)
    text = re.sub(r"\\(?:emph|textit|it)\{([^{}]*)\}", r"*\1*", text)
    text = re.sub(r"\\(?:texttt|tt)\{([^{}]*)\}", r"`\1`", text)
    text = re.sub(r"\\begin\{(?:itemize|enumerate)\}|\\end\{(?:itemize|enumerate)\}", "", text)
    text = re.sub(r"\\item\s*", "- ", text)
    text = re.sub(r"\\illustration\{[^{}]*\}\{[^{}]*\}\{([^{}]*)\}", r"(illustration: \1)", text)
    text = text.replace("~", " ").replace("``", '"').replace("''", '"').replace("---", "—").replace("--", "–")
    text = re.sub(r"\\(?:noindent|medskip|bigskip|smallskip|newline)\b", "", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


# -- judging ------------------------------------------------------------------------------------


def submission_files(path) -> dict[str, bytes]:
    """A submission's files: the file itself, or the regular files directly inside a folder
    (hidden ones skipped). Raises FileNotFoundError / ValueError."""
    path = Path(path)
    if path.is_file():
        return {path.name: path.read_bytes()}
    if not path.is_dir():
        raise FileNotFoundError(f"{path}: no such file or folder")
    files = {}
    for entry in sorted(path.iterdir()):
        if entry.name.startswith((".", "-")) or not entry.is_file():
            continue
        if entry.is_symlink() and not os.path.realpath(entry).startswith(os.path.realpath(path) + os.sep):
            raise ValueError(f"{entry}: symbolic link to outside the submission folder")
        files[entry.name] = entry.read_bytes()
    if not files:
        raise ValueError(f"{path}: empty submission folder")
    return files


def read_submission(path, language: str | None = None) -> tuple[dict[str, bytes], str]:
    """A submission's files and language code (from the extensions unless given; a single file
    whose extension does not match the given language is renamed to match). Raises
    FileNotFoundError, ValueError, UnsupportedLanguage."""
    files = submission_files(path)
    if language is None:
        return files, languages.detect_language(files)
    code = languages.normalize(language)
    if len(files) == 1:
        (name, data), = files.items()
        if languages.language_for(name) != code:  # e.g. "solution" with --language python
            stem = name.rsplit(".", 1)[0] if "." in name else name
            files = {stem + languages.LANGUAGES[code].extensions[0]: data}
    return files, code


def judge_package_submission(package: Package, path, language: str | None = None, *,
                             time_limit_s: float | None = None) -> JudgeResult:
    """Judge one submission (a file, or a folder for a multi-file submission) on the package.
    The language comes from the file extensions unless given. When the package has no time
    limit yet it is inferred first (which runs the package's own submissions)."""
    files, code = read_submission(path, language)
    if time_limit_s is None:
        time_limit_s = infer_time_limit(package)
    return judge_program(package.spec_for(tuple(sorted(files.items())), code, time_limit_s))


def _ran(result: JudgeResult) -> list:
    return [t for t in result.tests if not getattr(t, "not_run", False)]


def _max_time_s(result: JudgeResult) -> float:
    return max((t.time_ms for t in _ran(result)), default=0) / 1000.0


def satisfies(expectation: Expectation, result: JudgeResult) -> tuple[bool, str]:
    """Whether a result meets a folder's expectation, and why not."""
    verdict = Verdict(result.verdict)
    if expectation.compile_error:
        if verdict == Verdict.CE:
            return True, ""
        return False, f"expected a compile error, got {verdict.value}"
    if verdict == Verdict.CE:
        first = result.compile_output.splitlines()[0][:200] if result.compile_output.strip() else ""
        return False, f"compile error: {first}" if first else "compile error"
    ran = _ran(result)
    if any(Verdict(t.verdict) == Verdict.IE for t in ran):
        bad = next(t for t in ran if Verdict(t.verdict) == Verdict.IE)
        return False, f"{bad.name}: {bad.message[:200]}"
    if expectation.partial:
        ok = 0.0 < result.score < 1.0
        return ok, "" if ok else f"score {result.score:.3g} is not partial"

    def matches(v: str, allowed: frozenset) -> bool:
        return v in allowed or (v in ("MLE", "OLE") and "RTE" in allowed)

    verdicts = [Verdict(t.verdict).value for t in ran]
    if expectation.permitted is not None:
        for t, v in zip(ran, verdicts):
            if not matches(v, expectation.permitted):
                return False, f"{t.name}: {v}" + (f" ({t.message[:150]})" if t.message else "")
    if expectation.required is not None and not any(matches(v, expectation.required) for v in verdicts):
        return False, f"no test got {'/'.join(sorted(expectation.required))}"
    return True, ""


def expectation_for(package: Package, folder: str, path: Path) -> Expectation:
    rel = package.relative(path).replace(os.sep, "/")
    sub = rel[len("submissions/"):] if rel.startswith("submissions/") else rel
    for key, rule in package.expectations.items():
        if key == sub or fnmatch.fnmatchcase(sub, key):
            return rule
    return package.expectations.get(folder, DEFAULT_EXPECTATIONS.get(folder, Expectation()))


def time_limit_from_runtime(slowest: float, timing: dict) -> tuple[float, float, str]:
    """(time limit, TLE margin limit, the rule as text) from the slowest run time T (seconds)."""
    if timing.get("rule") == "legacy":
        exact = slowest * timing["time_multiplier"]
        limit = float(max(1, int(0.5 + exact)))
        margin = float(max(limit + 1, int(0.5 + exact * timing["time_safety_margin"])))
        return limit, margin, f"max(1, round({slowest:.3f} s x {timing['time_multiplier']:g}))"
    resolution = timing["time_resolution"]
    steps = max(1, math.ceil(slowest * timing["ac_to_time_limit"] / resolution - 1e-9))
    limit = round(steps * resolution, 6)
    return limit, limit * timing["time_limit_to_tle"], (
        f"smallest multiple of {resolution:g} s >= {slowest:.3f} s x {timing['ac_to_time_limit']:g}")


def infer_time_limit(package: Package) -> float:
    """The package's time limit; when none is given, inferred from its submissions (cached).

    legacy (problemtools verifyproblem.py, Submissions.check): the accepted submissions run
    first; with T = the slowest accepted run time over all tests,
        time limit = max(1, int(0.5 + T * time_multiplier))   (time_multiplier 5 by default)
    i.e. T x 5 rounded to the nearest whole second, at least 1 s; problemtools' TLE "safety
    margin" limit is max(time limit + 1, int(0.5 + T * time_multiplier * time_safety_margin)).
    2023-07 / 2025-09 (the spec's "Problem timing"): the smallest multiple of time_resolution (1 s)
    that is >= T * ac_to_time_limit (2 by default), where T is the slowest run time of the
    submissions that may not time out (accepted, wrong_answer, run_time_error).
    Run times are CPU seconds per test, measured with a cap of INFERENCE_CAP_S."""
    if package.time_limit_s is not None:
        return package.time_limit_s
    timing = package.timing
    folders = ["accepted"] if timing.get("rule") == "legacy" else ["accepted", "wrong_answer", "run_time_error"]
    slowest = 0.0
    used = []
    accepted_ok = 0
    for folder in folders:
        for path in package.submissions.get(folder, []):
            try:
                result = judge_package_submission(package, path, time_limit_s=INFERENCE_CAP_S)
            except (UnsupportedLanguage, ValueError, OSError):
                continue
            package._measured[str(path)] = result
            ok, _ = satisfies(expectation_for(package, folder, path), result)
            if folder == "accepted":
                if not ok:
                    continue
                accepted_ok += 1
            elif any(Verdict(t.verdict) == Verdict.TLE for t in _ran(result)) or Verdict(result.verdict) == Verdict.CE:
                continue
            slowest = max(slowest, _max_time_s(result))
            used.append(package.relative(path))
    if not accepted_ok:
        raise PackageError(
            f"problem {package.name}: submissions/accepted: no accepted submission in a supported language "
            f"passes every test within {INFERENCE_CAP_S:g} s, so the time limit cannot be inferred "
            f"(give limits.time_limit in problem.yaml or a .timelimit file)"
        )
    limit, margin, rule = time_limit_from_runtime(slowest, timing)
    limit = min(limit, 60.0)
    package.time_limit_s = limit
    package.time_limit_source = "inferred"
    package.limits = replace(package.limits, cpu_time_s=limit)
    package.inference = {
        "slowest_s": slowest, "time_limit_s": limit, "tle_margin_s": margin, "rule": rule, "from": used,
    }
    return limit


def verify_package(package: Package) -> list[dict]:
    """Judge every submission in submissions/<folder>/ and say whether it got what its folder
    (or submissions.yaml) expects. One dict per submission: path, expected, got, ok, time_ms,
    score, reason; ok is None (with `skipped`) for a language this judge does not run."""
    limit = infer_time_limit(package)
    out = []
    for folder, paths in package.submissions.items():
        for path in paths:
            expectation = expectation_for(package, folder, path)
            entry = {"path": package.relative(path), "expected": folder, "expectation": expectation.describe()}
            measured = package._measured.get(str(path))
            try:
                if measured is not None and _reusable(measured, limit):
                    result = measured
                else:
                    result = judge_package_submission(package, path, time_limit_s=limit)
            except (UnsupportedLanguage, ValueError, OSError) as exc:
                entry.update(got="unsupported", ok=None, time_ms=0, score=0.0, reason="", skipped=str(exc))
                out.append(entry)
                continue
            ok, reason = satisfies(expectation, result)
            entry.update(got=Verdict(result.verdict).value, ok=ok, time_ms=result.time_ms, memory_kb=result.memory_kb,
                         score=result.score, reason=reason)
            out.append(entry)
    return out


def _reusable(result: JudgeResult, limit: float) -> bool:
    """A run at the inference cap says what a run at `limit` would: no test took longer."""
    if Verdict(result.verdict) == Verdict.CE:
        return True
    ran = _ran(result)
    return all(Verdict(t.verdict) != Verdict.TLE and t.time_ms <= limit * 1000 for t in ran)


__all__ = [
    "DEFAULT_EXPECTATIONS", "Expectation", "Package", "PackageError", "infer_time_limit", "time_limit_from_runtime",
    "judge_package_submission", "load_package", "read_submission", "satisfies", "submission_files", "verify_package",
]
