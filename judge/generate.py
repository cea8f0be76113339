"""Question generators: run an author's `generate(rng)` for a list of seeds in the sandbox.

One sandboxed interpreter on the data-stack runtime serves every seed (importing pandas costs
about a second). The trusted harness (judge/harness/generate.py) normalises and validates each
seed's result and reports it as one authenticated record on the result channel; the author's
prints go to stdout/stderr and cannot forge one. Every record is checked again here: the
harness shares its process with the author's code.
"""

from __future__ import annotations

import json
import math
import re
import signal

from judge import runtimes
from judge.channel import RecordReader
from judge.errors import JudgeError
from judge.python_function import DATA_STACK_LOAD_S, check_sandbox, harness_text
from judge.sandbox import RunMeter, RunOutcome, SandboxLimits, run_in_sandbox
from judge.types import GenerateResult, clean_text

MAX_SEEDS = 1000
MAX_SEED = 2**63 - 1
MAX_SOURCE_BYTES = 256 * 1024
MAX_ENTRIES = 100  # params, answers and correct, each
MAX_STRING_CHARS = 10_000
MAX_DATASETS = 10
MAX_DATASET_BYTES = 2 * 1024 * 1024  # each file's CSV, UTF-8
MAX_RECORD_BYTES = 4 * 1024 * 1024  # one seed's whole record as JSON
MAX_CHANNEL_BYTES = 128 * 1024 * 1024  # every record of a run together
OUTPUT_BYTES = 256 * 1024  # the author's stdout + stderr; more ends the run
KEPT_OUTPUT_CHARS = 64 * 1024  # of each, in the result
MAX_MESSAGE_CHARS = 2000

_STARTUP_WALL_S = 5.0
_GRACE_S = 0.5  # the harness's own timer fires first; the supervisor backs it up

PARAM_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}\Z")
ANSWER_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}\Z")
DATASET_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,80}\.csv\Z")
_MAX_CORRECT_INDEX = 999


def generate_variants(
    source: str, seeds: list[int], *, time_limit_s: float = 20.0, memory_mb: int = 512
) -> GenerateResult:
    """Run `source`'s `generate(rng)` once per seed, `rng = numpy.random.default_rng(seed)`.

    `time_limit_s` is the CPU time of the author's code for the module and all seeds together
    (the runtime's own imports excluded); `memory_mb` its memory. Raises SandboxUnavailable or
    RuntimeUnavailable when the host cannot run it, JudgeError for bad arguments and other
    infrastructure faults; whatever the author's code does is in the result."""
    seeds = _validated(source, seeds, time_limit_s, memory_mb)
    check_sandbox()
    runtimes.require(python_data_stack=True)
    if len(source.encode("utf-8", "surrogatepass")) > MAX_SOURCE_BYTES:
        message = f"the source is too large (more than {MAX_SOURCE_BYTES // 1024} KiB)"
        return _failed(seeds, message, "not generated: the source is too large")

    python, binds = _python()
    program = "\n".join(harness_text(name) for name in ("python_datastack.py", "compile_source.py", "generate.py"))
    collector = _Collector(seeds, float(time_limit_s))
    outcome = run_in_sandbox(
        python + ["-u", "-c", program],
        stdin=lambda fd: _payload(collector, source, seeds, float(time_limit_s), fd),
        limits=_limits(len(seeds), float(time_limit_s), int(memory_mb)),
        channel=collector,
        ro_binds=binds,
    )
    stdout, stderr = _text(outcome.stdout), _text(outcome.stderr)

    if not collector.hello:
        raise JudgeError(
            "the sandboxed generator harness did not start (exit status "
            f"{outcome.exit_code}, killed={outcome.killed}, reason={outcome.timeout_reason or '-'}): "
            + outcome.stderr.decode("utf-8", "replace")[-1000:].strip()
        )
    if collector.runtime_error is not None:
        raise JudgeError(f"the generator's runtime failed to load: {collector.runtime_error}")
    if collector.fatal is not None:
        result = _failed(seeds, collector.fatal, "not generated: the generator did not load")
        result.stdout, result.stderr = stdout, stderr
        return result

    variants, error = [], ""
    missing = [i for i in range(len(seeds)) if i not in collector.variants]
    if missing:
        error, during, later = _death(outcome, collector, seeds, missing[0], float(time_limit_s), int(memory_mb))
    for i, seed in enumerate(seeds):
        if i in collector.variants:
            variants.append(collector.variants[i])
        else:
            variants.append({"seed": seed, "ok": False, "error": during if i == missing[0] else later})
    return GenerateResult(error=error, variants=variants, stdout=stdout, stderr=stderr)


# --------------------------------------------------------------------------------------------


def _validated(source: object, seeds: object, time_limit_s: object, memory_mb: object) -> list[int]:
    if not isinstance(source, str):
        raise JudgeError("the generator's source must be a str")
    if not isinstance(seeds, (list, tuple, range)):
        raise JudgeError("seeds must be a list of ints")
    seeds = list(seeds)
    if not seeds:
        raise JudgeError("no seeds to generate")
    if len(seeds) > MAX_SEEDS:
        raise JudgeError(f"too many seeds ({len(seeds)}; at most {MAX_SEEDS} per run)")
    for seed in seeds:
        if type(seed) is not int or not 0 <= seed <= MAX_SEED:
            raise JudgeError(f"seed {seed!r} is not an int in [0, 2**63)")
    if isinstance(time_limit_s, bool) or not isinstance(time_limit_s, (int, float)) \
            or not (math.isfinite(time_limit_s) and 0 < time_limit_s <= 600):
        raise JudgeError("time_limit_s must be a number in (0, 600]")
    if type(memory_mb) is not int or not 16 <= memory_mb <= 8192:
        raise JudgeError("memory_mb must be an int in [16, 8192]")
    return seeds


def _python() -> tuple[list[str], list[tuple[str, str]]]:
    """The data-stack interpreter, as python_function.py launches it, but with a fixed hash
    seed: `-I` would ignore PYTHONHASHSEED, so it is spelled `-s -P` (its other half, -E,
    guards against PYTHON* variables, and the box's environment is empty but for PATH, LANG
    and HOME). Without this, iterating a set of strings differs from run to run."""
    argv, binds = runtimes.python_argv(data_stack=True)
    if argv[1:] != ["-I"]:
        raise JudgeError(f"unexpected data-stack interpreter flags {argv[1:]!r}")
    return [runtimes.ENV, "PYTHONHASHSEED=0", argv[0], "-s", "-P"], binds


def _payload(collector: "_Collector", source: str, seeds: list[int], time_limit_s: float, fd: int) -> bytes:
    return json.dumps(
        {
            "nonce": collector.nonce,
            "fd": fd,
            "source": source,
            "seeds": seeds,
            "time_limit": time_limit_s,
            "load_limit": DATA_STACK_LOAD_S,
            "caps": {
                "entries": MAX_ENTRIES,
                "string": MAX_STRING_CHARS,
                "datasets": MAX_DATASETS,
                "dataset_bytes": MAX_DATASET_BYTES,
                "record": MAX_RECORD_BYTES,
            },
        },
        ensure_ascii=True,
    ).encode("ascii")


def _limits(n_seeds: int, time_limit_s: float, memory_mb: int) -> SandboxLimits:
    return SandboxLimits(
        cpu_time_s=DATA_STACK_LOAD_S + time_limit_s + 2 * _GRACE_S + 1.0,
        wall_time_s=_STARTUP_WALL_S + _load_wall_s() + _author_wall_s(time_limit_s),
        memory_mb=memory_mb + runtimes.DATA_STACK_EXTRA_MEMORY_MB,
        output_bytes=OUTPUT_BYTES,
        channel_bytes=min(MAX_CHANNEL_BYTES, n_seeds * (MAX_RECORD_BYTES + 1024) + 64 * 1024),
    )


def _load_wall_s() -> float:
    return 2.0 * DATA_STACK_LOAD_S + _GRACE_S


def _author_wall_s(time_limit_s: float) -> float:
    return 2.0 * time_limit_s + 1.0


class _Collector:
    """The supervisor's end of the result channel: authenticates, checks and keeps the first
    record per seed; also the watchdog of the author's CPU and wall-clock budget."""

    def __init__(self, seeds: list[int], time_limit_s: float):
        self.seeds = seeds
        self._records = RecordReader(MAX_RECORD_BYTES + 1024)
        self.nonce = self._records.nonce
        self.hello = False
        self.ready = False
        self.loaded = False
        self.done = False
        self.fatal: str | None = None
        self.runtime_error: str | None = None
        self.timeout_index: int | None = None
        self.variants: dict[int, dict] = {}
        self._time_limit_s = time_limit_s
        self._ready_cpu = 0.0
        self._ready_wall = 0.0

    # -- ChannelSink -----------------------------------------------------------------------
    def feed(self, data: bytes, meter: RunMeter) -> None:
        for record in self._records.feed(data):
            self._record(record, meter)

    def expired(self, meter: RunMeter) -> str | None:
        if not self.hello or self._finished():
            return None
        if not self.ready:
            if meter.cpu_s > DATA_STACK_LOAD_S + _GRACE_S:
                return "cpu"
            return "wall" if meter.wall_s > _STARTUP_WALL_S + _load_wall_s() else None
        if meter.cpu_s - self._ready_cpu > self._time_limit_s + _GRACE_S:
            return "cpu"
        if meter.wall_s - self._ready_wall > _author_wall_s(self._time_limit_s):
            return "wall"
        return None

    def _finished(self) -> bool:
        return (self.done or self.fatal is not None or self.runtime_error is not None
                or self.timeout_index is not None or len(self.variants) == len(self.seeds))

    # -- records ---------------------------------------------------------------------------
    def _record(self, record: dict, meter: RunMeter) -> None:
        kind = record.get("k")
        if kind == "hello":
            self.hello = True
            return
        if not self.hello or self._finished():
            return
        if kind in ("fatal", "runtime") and not self.loaded:
            msg = record.get("msg")
            text = clean_text(msg[:MAX_MESSAGE_CHARS]) if type(msg) is str else "unknown error"
            if kind == "fatal":
                self.fatal = text
            else:
                self.runtime_error = text
        elif kind == "ready" and not self.ready:
            self.ready = True
            self._ready_cpu, self._ready_wall = meter.cpu_s, meter.wall_s
        elif not self.ready:
            return
        elif kind == "loaded":
            self.loaded = True
        elif kind == "timeout":
            index = record.get("i")
            if type(index) is int and -1 <= index < len(self.seeds):
                self.timeout_index = index
        elif kind == "v" and self.loaded:
            index = record.get("i")
            if type(index) is int and 0 <= index < len(self.seeds) and index not in self.variants:
                self.variants[index] = _variant(self.seeds[index], record)
        elif kind == "done" and self.loaded:
            self.done = True


def _variant(seed: int, record: dict) -> dict:
    """The public form of one seed's record, or an error entry when it is malformed."""
    if record.get("seed") != seed or type(record.get("seed")) is not int:
        return {"seed": seed, "ok": False, "error": "malformed result record (wrong seed)"}
    if record.get("ok") is False:
        error = record.get("error")
        if type(error) is not str or not error:
            return {"seed": seed, "ok": False, "error": "malformed result record (no error message)"}
        return {"seed": seed, "ok": False, "error": clean_text(error[:MAX_MESSAGE_CHARS])}
    if record.get("ok") is not True:
        return {"seed": seed, "ok": False, "error": "malformed result record"}
    problem = _check_fields(record)
    if problem:
        return {"seed": seed, "ok": False, "error": f"malformed result record ({problem})"}
    variant = {"seed": seed, "ok": True, "params": record["params"]}
    for key in ("answer", "answers", "correct", "datasets"):
        if key in record:
            variant[key] = record[key]
    return variant


def _check_fields(record: dict) -> str:
    """What is wrong with an ok record's fields ("" when nothing): the harness's rules again."""
    extra = set(record) - {"k", "i", "seed", "ok", "params", "answer", "answers", "correct", "datasets"}
    if extra:
        return "unknown keys"
    if not _is_mapping(record.get("params"), PARAM_NAME):
        return "params"
    if "answer" in record and not _is_scalar(record["answer"]):
        return "answer"
    if "answers" in record and not _is_mapping(record["answers"], ANSWER_KEY):
        return "answers"
    if "correct" in record:
        correct = record["correct"]
        if (type(correct) is not list or len(correct) > MAX_ENTRIES
                or not all(type(x) is int and 0 <= x <= _MAX_CORRECT_INDEX for x in correct)
                or len(set(correct)) != len(correct)):
            return "correct"
    if "datasets" in record:
        datasets = record["datasets"]
        if type(datasets) is not dict or len(datasets) > MAX_DATASETS:
            return "datasets"
        for name, text in datasets.items():
            if not DATASET_NAME.match(name) or type(text) is not str or not _is_clean(text):
                return "datasets"
            if len(text.encode("utf-8")) > MAX_DATASET_BYTES:
                return "datasets"
    return ""


def _is_mapping(value: object, key_pattern: re.Pattern) -> bool:
    return (type(value) is dict and len(value) <= MAX_ENTRIES
            and all(key_pattern.match(k) and _is_scalar(v) for k, v in value.items()))


def _is_scalar(value: object) -> bool:
    t = type(value)
    if t is bool or t is int:
        return True
    if t is float:
        return math.isfinite(value)
    return t is str and len(value) <= MAX_STRING_CHARS and _is_clean(value)


def _is_clean(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _death(outcome: RunOutcome, collector: _Collector, seeds: list[int], first_missing: int,
           time_limit_s: float, memory_mb: int) -> tuple[str, str, str]:
    """Why the run ended early: (the result's error, the unfinished seed's, the later seeds')."""
    stderr_tail = outcome.stderr[-2000:].decode("utf-8", "replace")
    if collector.timeout_index is not None or (outcome.timed_out and outcome.timeout_reason != "wall"):
        what, detail = "ran out of time", f"the limit is {time_limit_s:g} s of CPU time for all seeds together"
    elif outcome.timed_out:
        what, detail = "ran out of time", f"wall clock; the limit is {time_limit_s:g} s of CPU time for all seeds"
    elif outcome.memory_exceeded or "MemoryError" in stderr_tail:
        what, detail = "ran out of memory", f"the limit is {memory_mb} MB"
    elif outcome.output_exceeded:
        what, detail = "printed too much", f"more than {OUTPUT_BYTES // 1024} KiB on stdout and stderr"
    elif outcome.channel_exceeded:
        what, detail = "returned too much data", f"more than {MAX_CHANNEL_BYTES // (1024 * 1024)} MiB for all seeds"
    elif outcome.signal in (signal.SIGXCPU,):
        what, detail = "ran out of time", f"the limit is {time_limit_s:g} s of CPU time for all seeds together"
    elif outcome.signal is not None:
        try:
            name = signal.Signals(outcome.signal).name
        except ValueError:
            name = f"signal {outcome.signal}"
        what, detail = f"was killed by {name}", ""
    elif outcome.exit_code == 0:
        what, detail = "exited", "the process ended before returning"
    else:
        what, detail = f"crashed (exit status {outcome.exit_code})", ""
    suffix = f" ({detail})" if detail else ""
    if not collector.loaded:
        where = "while loading the module"
    elif first_missing == 0:
        where = f"during its first seed ({seeds[0]})"
    else:
        where = f"after seed {seeds[first_missing - 1]}"
    error = f"the generator {what} {where}{suffix}"
    if collector.loaded:
        during = f"the generator {what} while generating this seed"
    else:
        during = f"not generated: the generator {what} while loading"
    later = f"not generated: the run ended early (the generator {what})"
    return error, during, later


def _failed(seeds: list[int], error: str, per_seed: str) -> GenerateResult:
    return GenerateResult(error=error, variants=[{"seed": s, "ok": False, "error": per_seed} for s in seeds])


def _text(data: bytes) -> str:
    return clean_text(bytes(data[:KEPT_OUTPUT_CHARS]).decode("utf-8", errors="replace"))


__all__ = ["generate_variants", "GenerateResult"]
