"""The judge's command line (DESIGN.md, "Judge command line"):

    python -m judge run PACKAGE SOURCE [--language python|r|sql|c|cpp] [--json]
    python -m judge verify PACKAGE [--json]
    python -m judge generate FILE --seeds 0-19 [--time-limit S] [--memory-mb MB]

`run` judges one source file (or a folder of files: a multi-file submission) against a Kattis
problem package; `verify` runs the package's own submissions/<verdict>/ and reports whether each
got its expected verdict.

--json prints one object. run: verdict (AC WA TLE MLE OLE RTE CE IE), score (0..1), time_ms,
memory_kb, tests [{name, verdict, time_ms, memory_kb, group, message, not_run}], plus problem,
language, time_limit_s, compile_output. verify: {problem, ok, time_limit_s, time_limit_source,
submissions: [{path, expected, got, ok, time_ms, score, reason}], warnings}; `ok` is true when
every submission got what its folder expects (submissions in unsupported languages are listed
with ok null and skipped).

`generate` runs a question generator (a Python file defining `generate(rng)`) for the seeds
(`0-19`, `7`, `0-4,10`) and prints the GenerateResult as one JSON object: {error, variants:
[{seed, ok, params, answer?, answers?, correct?, datasets?} or {seed, ok: false, error}],
stdout, stderr}.

Exit status: 0 whenever judging completed, whatever the verdicts (verify too: read `ok`;
generate too: read `error` and each variant's `ok`);
2 with one line on stderr for bad input (missing file, malformed package, unsupported
language); 1 with one line on stderr when the host cannot judge (no sandbox, a tool missing).
"""

from __future__ import annotations

import argparse
import json
import sys

from judge import languages
from judge.errors import JudgeError
from judge.generate import MAX_SEED, MAX_SEEDS, generate_variants
from judge.packages import (
    PackageError,
    read_submission,
    infer_time_limit,
    judge_package_submission,
    load_package,
    verify_package,
)
from judge.types import Verdict

EXIT_BAD_INPUT = 2
EXIT_CANNOT_JUDGE = 1
LANGUAGE_CHOICES = ("python", "r", "sql", "c", "cpp")


class _BadInput(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2
        raise _BadInput(message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m judge", description="Judge programs against Kattis problem packages.")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    run = sub.add_parser("run", help="judge one source file or folder against a package")
    run.add_argument("package")
    run.add_argument("source")
    run.add_argument("--language", choices=LANGUAGE_CHOICES)
    run.add_argument("--json", action="store_true")
    verify = sub.add_parser("verify", help="run the package's own submissions and check their verdicts")
    verify.add_argument("package")
    verify.add_argument("--json", action="store_true")
    generate = sub.add_parser("generate", help="run a question generator for some seeds and print the variants")
    generate.add_argument("file")
    generate.add_argument("--seeds", required=True, help="e.g. 0-19, or 0-4,10,12")
    generate.add_argument("--time-limit", type=float, default=20.0, help="CPU seconds for all seeds together")
    generate.add_argument("--memory-mb", type=int, default=512)
    return parser


def _seeds(text: str) -> list[int]:
    """`0-19`, `7`, `0-4,10,12-13` -> the seeds, in that order."""
    seeds: list[int] = []
    for part in text.split(","):
        low, dash, high = part.strip().partition("-")
        if not low.strip().isdigit() or (dash and not high.strip().isdigit()):
            raise _BadInput(f"--seeds: {part.strip()!r} is not a seed or a range like 0-19")
        first, last = int(low), int(high) if dash else int(low)
        if last < first or last > MAX_SEED:
            raise _BadInput(f"--seeds: {part.strip()!r} is not a valid range")
        if len(seeds) + (last - first + 1) > MAX_SEEDS:
            raise _BadInput(f"--seeds: more than {MAX_SEEDS} seeds")
        seeds.extend(range(first, last + 1))
    return seeds


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
        if args.command is None:
            raise _BadInput("a command is required: run PACKAGE SOURCE, verify PACKAGE, or generate FILE --seeds 0-19")
        if args.command == "run":
            return _run(args)
        if args.command == "generate":
            return _generate(args)
        return _verify(args)
    except (_BadInput, PackageError, languages.UnsupportedLanguage, FileNotFoundError, NotADirectoryError,
            IsADirectoryError, PermissionError, ValueError) as exc:
        print(f"judge: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except JudgeError as exc:
        print(f"judge: cannot judge: {_one_line(exc)}", file=sys.stderr)
        return EXIT_CANNOT_JUDGE
    except KeyboardInterrupt:
        return 130


def _run(args) -> int:
    if args.language == "sql":
        raise languages.UnsupportedLanguage("language sql is not supported for stdin/stdout problem packages")
    _files, files_language = read_submission(args.source, args.language)  # bad input fails before any judging
    package = load_package(args.package)
    result = judge_package_submission(package, args.source, files_language)
    if args.json:
        data = {
            "problem": package.name,
            "source": args.source,
            "language": files_language,
            "verdict": Verdict(result.verdict).value,
            "score": result.score,
            "time_ms": result.time_ms,
            "memory_kb": result.memory_kb,
            "time_limit_s": package.time_limit_s,
            "time_limit_source": package.time_limit_source,
            "tests": [
                {
                    "name": t.name, "verdict": Verdict(t.verdict).value, "time_ms": t.time_ms,
                    "memory_kb": getattr(t, "memory_kb", 0), "group": getattr(t, "group", ""),
                    "message": t.message, "not_run": getattr(t, "not_run", False),
                }
                for t in result.tests
            ],
            "compile_output": result.compile_output,
        }
        print(json.dumps(data, ensure_ascii=False, allow_nan=False))
        return 0
    print(f"problem {package.name} ({package.title}): {args.source} [{files_language}], "
          f"time limit {package.time_limit_s:g} s ({package.time_limit_source})")
    if Verdict(result.verdict) == Verdict.CE:
        print("compile error:")
        print(result.compile_output)
    else:
        width = max(len(t.name) for t in result.tests)
        for t in result.tests:
            note = _one_line(t.message)[:100]
            print(f"  {t.name:<{width}}  {Verdict(t.verdict).value:<3}  {t.time_ms:>6} ms  "
                  f"{getattr(t, 'memory_kb', 0) / 1024:>7.1f} MiB  {note}")
    print(f"verdict {Verdict(result.verdict).value}  score {result.score:.3f}  time {result.time_ms} ms  "
          f"memory {result.memory_kb / 1024:.1f} MiB")
    return 0


def _generate(args) -> int:
    seeds = _seeds(args.seeds)
    if not 0 < args.time_limit <= 600:
        raise _BadInput("--time-limit must be in (0, 600]")
    if not 16 <= args.memory_mb <= 8192:
        raise _BadInput("--memory-mb must be in [16, 8192]")
    with open(args.file, encoding="utf-8") as f:  # bad input fails before any sandbox runs
        source = f.read()
    result = generate_variants(source, seeds, time_limit_s=args.time_limit, memory_mb=args.memory_mb)
    print(json.dumps(result.to_dict(), ensure_ascii=False, allow_nan=False))
    return 0


def _verify(args) -> int:
    package = load_package(args.package)
    infer_time_limit(package)
    results = verify_package(package)
    ok = all(r["ok"] is not False for r in results) and any(r["ok"] for r in results)
    if args.json:
        print(json.dumps({
            "problem": package.name,
            "ok": ok,
            "time_limit_s": package.time_limit_s,
            "time_limit_source": package.time_limit_source,
            "inference": package.inference,
            "submissions": results,
            "warnings": package.warnings,
        }, ensure_ascii=False, allow_nan=False))
        return 0
    how = package.time_limit_source
    if package.inference:
        how = f"inferred: {package.inference['rule']}"
    print(f"problem {package.name} ({package.title}): {len(package.tests)} tests, "
          f"time limit {package.time_limit_s:g} s ({how})")
    for warning in package.warnings:
        print(f"  warning: {warning}")
    width = max((len(r["path"]) for r in results), default=10)
    for r in results:
        mark = {True: "ok", False: "FAIL", None: "skip"}[r["ok"]]
        detail = r.get("skipped") or r.get("reason") or ""
        print(f"  {mark:<4}  {r['path']:<{width}}  expected {r['expected']:<20} got {r['got']:<4} "
              f"{r['time_ms']:>6} ms  {_one_line(detail)[:120]}")
    good = sum(1 for r in results if r["ok"])
    counted = sum(1 for r in results if r["ok"] is not None)
    print(f"{'OK' if ok else 'FAILED'}: {good} of {counted} submissions got their expected verdict"
          + (f" ({len(results) - counted} skipped)" if counted != len(results) else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
