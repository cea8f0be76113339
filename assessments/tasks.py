"""Celery tasks: thin, named, take ids, call services. The only bridge to the judge."""

import contextlib
import logging
import time
from pathlib import Path

from celery import shared_task
from celery.signals import worker_process_init, worker_ready
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.utils.text import slugify

import judge
from assessments import selectors, services
from common.exceptions import ApplicationError

logger = logging.getLogger(__name__)


@shared_task(
    name="assessments.submission_grade",
    queue="grading",
    acks_late=True,
    reject_on_worker_lost=True,  # the Task attribute (task_reject_on_worker_lost is only the global setting)
    soft_time_limit=settings.PREP_GRADING_SOFT_TIME_LIMIT,
    time_limit=settings.PREP_GRADING_HARD_TIME_LIMIT,
    ignore_result=True,
)
def submission_grade(submission_id: int) -> None:
    submission = services.submission_claim(submission_id=submission_id)
    if submission is None:
        return  # graded, being graded by another worker, or deleted
    judge_input = selectors.submission_judge_input(submission=submission)
    # A function's tests run in one sandbox: its upkeep (the next sandbox started, this one swept)
    # waits until the verdict is recorded, off the candidate's wait, unless a backlog built up:
    # then the next sandbox is started beside this run, to be ready for it (throughput).
    one_run = judge_input["style"] == "function" and "custom_input" not in judge_input
    with judge.upkeep_deferred() if one_run and _waiting_after_last[0] <= BACKLOG else contextlib.nullcontext():
        _judge_and_record(submission, judge_input)
    _waiting_after_last[0] = grading_waiting()


# Gradings waiting in the queue when this process finished its last one. One waiting is the next
# one any idle worker takes, not a backlog. Counting it as one (bench/load.py, 200 candidates)
# gave Submit p50s of 46-53 ms, those of no deferral at all, against 36-43 ms for deferring always.
BACKLOG = 1
_waiting_after_last = [0]


def grading_waiting(queue: str = "grading") -> int:
    """Messages waiting in the broker's `queue` (one LLEN; 0 if the broker cannot say). A hint:
    messages a worker has already taken (prefetched) are not counted."""
    from assessments.notify import redis_client

    try:  # the broker is REDIS_URL; kombu keeps a queue as a Redis list of that name
        return redis_client().llen(queue)
    except Exception:  # noqa: BLE001 — only a hint: without it the next grading defers its upkeep
        logger.debug("could not read the length of queue %s", queue, exc_info=True)
        return 0


def _judge_and_record(submission, judge_input: dict) -> None:
    submission_id = submission.pk
    try:
        result = judge_call(judge_input, on_test=_progress_reporter(submission_id, judge_input))()
        # A custom input needs code that builds: after a compile error the message says it all.
        custom = custom_run(judge_input) if "custom_input" in judge_input and result.verdict != judge.Verdict.CE else None
    except ValueError as exc:  # the question's own data is out of range: it needs fixing, not the candidate's code
        services.submission_fail(submission_id=submission_id, error=f"The question cannot be judged: {exc}")
        return
    except judge.SandboxUnavailable as exc:
        logger.error("submission %s: sandbox unavailable: %s", submission_id, exc)
        services.submission_fail(submission_id=submission_id, error=f"Grading is unavailable on this worker: {exc}")
        return
    except SoftTimeLimitExceeded:
        logger.error("submission %s: grading stopped at the task's soft time limit", submission_id)
        services.submission_fail(submission_id=submission_id, error=TASK_TIME_LIMIT_ERROR)
        return
    except judge.JudgeError as exc:
        logger.exception("submission %s: judge failure", submission_id)
        services.submission_fail(submission_id=submission_id, error=f"The judge failed: {exc or type(exc).__name__}")
        return
    data = result_with_tests(result.to_dict(), judge_input)
    if custom is not None:
        data["custom"] = custom
    services.submission_complete(submission=submission, result=data)


# The task's own limit (settings.PREP_GRADING_SOFT_TIME_LIMIT), not the candidate's: their code's
# time limit ends in a TLE verdict long before this.
TASK_TIME_LIMIT_ERROR = "Grading did not finish within the grading task's time limit (a fault on our side, not a verdict on the code)."


PROGRESS_EVERY_S = 0.3  # a long program submission shows its tests as they finish, this often at most


def _progress_reporter(submission_id: int, judge_input: dict):
    """Per-test results of a program as they come, written to the running row (and announced)
    at most every PROGRESS_EVERY_S; the final result replaces them."""
    done: list[dict] = []
    last = [time.monotonic()]

    def on_test(result) -> None:
        done.append(result.to_dict())
        if time.monotonic() - last[0] >= PROGRESS_EVERY_S:
            last[0] = time.monotonic()
            services.submission_progress(submission_id=submission_id,
                                         result=result_with_tests({"tests": list(done)}, judge_input))

    return on_test


def judge_call(judge_input: dict, on_test=None):
    """Build the judge spec for a submission (ValueError if the question's data is invalid) and
    return the call that judges it. `on_test` hears each test's result as it finishes, where the
    judge runs tests one by one (stdin/stdout programs)."""
    limits = judge.Limits(
        cpu_time_s=judge_input["cpu_time_s"], memory_mb=judge_input["memory_mb"], output_kb=judge_input["output_kb"]
    )
    style, language = judge_input["style"], judge_input["language"]
    if style == "function":
        spec = judge.FunctionSpec(
            source=judge_input["source"],
            function_name=judge_input["function_name"],
            tests=tuple(
                judge.FunctionTest(name=t["name"], args=t["args"], expected=t["expected"], weight=t["weight"])
                for t in judge_input["tests"]
            ),
            limits=limits,
            **({"data_stack": True} if judge_input["data_stack"] else {}),
        )
        if language == "r":
            return lambda: judge.judge_r_function(spec)
        return lambda: judge.judge_python_function(spec)
    if style == "program":
        checker = judge_input["checker"]
        spec = judge.ProgramSpec(
            files=((judge_input["file_name"], judge_input["source"].encode()),),
            language=language,
            tests=tuple(
                judge.ProgramTest(name=t["name"], input=t["input"].encode(), answer=t["answer"].encode(),
                                  group=t["group"], is_sample=t["sample"], weight=t["weight"],
                                  checker_args=tuple(t["checker_args"]))
                for t in judge_input["tests"]
            ),
            groups=tuple(judge.TestGroup(name=g["name"], weight=g["weight"], aggregation=g["aggregation"])
                         for g in judge_input["groups"]),
            checker=judge.Checker(
                kind=checker["kind"], abs_tol=checker["abs_tol"], rel_tol=checker["rel_tol"],
                case_sensitive=checker["case_sensitive"], space_sensitive=checker["space_sensitive"],
                files=tuple((name, content.encode()) for name, content in judge_input["validator_files"]),
                args=tuple(checker["args"]),
            ),
            limits=limits,
            include_files=tuple((name, content.encode()) for name, content in judge_input["include_files"]),
        )
        return lambda: judge.judge_program(spec, on_test=on_test)
    if style == "sql":
        tests = tuple(
            judge.SqlTest(name=t["name"], fixture_sql=t["input"] or None, weight=t["weight"],
                          expected_rows=t.get("expected_rows"))
            for t in judge_input["tests"]
        ) or (judge.SqlTest(name="main"),)
        spec = judge.SqlSpec(
            query=judge_input["source"], fixture_sql=judge_input["fixture_sql"], tests=tests,
            reference_query=judge_input["reference_solution"], order_matters=judge_input["order_matters"],
            check_column_names=judge_input["check_column_names"], limits=limits,
            **({"fixture_cpu_s": judge_input["fixture_cpu_s"]} if "fixture_cpu_s" in judge_input else {}),
        )
        return lambda: judge.judge_sql(spec)
    raise ValueError(f"no judge for {style} questions in {language}")


def custom_run(judge_input: dict) -> dict:
    """Run the candidate's code once more on their own input (a Run's custom input) and keep
    what it produced, unchecked: a program's output, a function's returned value, a query's
    rows on the sample database after the candidate's own SQL. Only the candidate's code and
    input are in that box, so all of it may be shown to them."""
    try:
        probe = selectors.custom_judge_input(judge_input=judge_input)
        result = judge_call(probe)()
    except (ValueError, RecursionError) as exc:
        return {"status": "error", "message": f"Your input could not be used: {exc}"}
    except judge.SandboxUnavailable:
        raise
    except judge.JudgeError as exc:
        return {"status": "error", "message": f"Your input could not be run: {exc}"}
    test = result.tests[0].to_dict() if result.tests else {"verdict": result.verdict.value, "message": "", "time_ms": 0}
    ran = test["verdict"] in ("AC", "WA")  # it ran to the end; what it gave is not compared with anything
    return {
        "status": "ok" if ran else test["verdict"],
        "time_ms": test["time_ms"],
        "value": test.get("actual") if ran and judge_input["style"] != "program" else None,
        "message": "" if ran else (result.compile_output or test["message"]),
        "stdout": result.stdout,
        "stderr": result.stderr,
    }


def result_with_tests(result: dict, judge_input: dict) -> dict:
    """Keep each test's call or input and its expected value beside its outcome (each test's
    feedback policy decides later what the candidate sees)."""
    by_name = {t["name"]: t for t in judge_input["tests"]}
    for test in result.get("tests", []):
        source = by_name.get(test["name"], {})
        test["sample"] = bool(source.get("sample"))
        for key in ("args", "expected", "input", "answer", "weight", "feedback", "hint"):
            if key in source:
                test[key] = source[key]
    return result


@shared_task(name="assessments.attempt_expire", ignore_result=True)
def attempt_expire(attempt_id: int) -> None:
    """Runs at an attempt's deadline (ETA); the reconciler covers a lost or early message."""
    from assessments.models import Attempt

    if not Attempt.objects.filter(pk=attempt_id).exists():
        return
    services.attempt_submit(attempt_id=attempt_id, submitted_by=Attempt.SubmittedBy.DEADLINE)


@shared_task(name="assessments.reconcile", ignore_result=True)
def reconcile() -> dict:
    return services.grading_reconcile()




@shared_task(name="assessments.question_prepare", queue="grading", soft_time_limit=settings.PREP_GRADING_SOFT_TIME_LIMIT,
             time_limit=settings.PREP_GRADING_HARD_TIME_LIMIT, ignore_result=True)
def question_prepare(question_id: int) -> None:
    """(Re)generate a parameterized question's variants, e.g. after its generator changed."""
    from assessments.services.validation import question_variants_prepare

    question = selectors.question_for_check(question_id=question_id)
    if question is not None:
        question_variants_prepare(question=question)


@shared_task(name="assessments.question_validate", queue="grading", soft_time_limit=settings.PREP_GRADING_SOFT_TIME_LIMIT,
             time_limit=settings.PREP_GRADING_HARD_TIME_LIMIT, ignore_result=True)
def question_validate(question_id: int, status: str) -> None:
    """Check a question's answer key in the sandbox and, if it holds, move it to `status`
    (validated or published). The outcome is recorded on the question either way."""
    from assessments.services.validation import question_set_status

    question = selectors.question_for_check(question_id=question_id)
    if question is None:
        return
    try:
        question_set_status(question=question, status=status)
    except ApplicationError as exc:
        logger.info("question %s not %s: %s", question_id, status, exc.message)


@shared_task(name="assessments.regrade_compute", queue="grading", soft_time_limit=settings.PREP_GRADING_SOFT_TIME_LIMIT * 10,
             time_limit=settings.PREP_GRADING_HARD_TIME_LIMIT * 10, ignore_result=True)
def regrade_compute(regrade_id: int) -> None:
    """Judge every final submission of a regrade again, against the question's new version."""
    from assessments.services.regrades import regrade_compute as compute

    compute(regrade_id=regrade_id, judge_code=_judge_source)


def _judge_source(question, language: str, source: str) -> dict:
    judge_input = selectors.code_judge_input(question=question, language=language, source=source)
    try:
        result = judge_call(judge_input)()
    except ValueError as exc:
        raise ApplicationError(f"The question cannot be judged: {exc}") from exc
    except judge.JudgeError as exc:
        raise ApplicationError(f"The judge failed: {exc}") from exc
    return result_with_tests(result.to_dict(), judge_input)


@shared_task(name="assessments.similarity_check", ignore_result=True, soft_time_limit=600, time_limit=660)
def similarity_check(question_id: int) -> None:
    """Flag code that matches another candidate's (after attempts with this question are graded)."""
    from assessments.services.integrity import similarity_check as check

    check(question_id=question_id)


def variants_generate(question) -> dict:
    """Run a parameterized question's generator in the sandbox for each of its seeds."""
    from assessments.services.variants import variant_seeds

    try:
        return judge.generate_variants(question.generator, variant_seeds(question)).to_dict()
    except judge.JudgeError as exc:  # SandboxUnavailable included: nothing is stored
        return {"error": f"the sandbox failed: {exc}", "variants": []}


REFERENCE_FOLDERS = ("accepted", "wrong_answer", "time_limit_exceeded", "run_time_error", "memory_limit_exceeded",
                     "output_limit_exceeded", "rejected", "brute_force", "compile_error")
REFERENCES_PER_FOLDER = 3


def reference_submissions_check(question) -> list[tuple[str, bool, str]]:
    """Judge each reference submission of a code question: (name, got what it should, detail)."""
    from judge import packages

    outcomes = []
    for ref in question.reference_submissions.all():
        judge_input = selectors.code_judge_input(question=question, language=ref.language, source=ref.source)
        try:
            result = judge_call(judge_input)()
        except (ValueError, judge.JudgeError) as exc:
            outcomes.append((ref.name, False, f"cannot be judged: {exc}"))
            continue
        ok, why = packages.satisfies(packages.DEFAULT_EXPECTATIONS[ref.expected], result)
        outcomes.append((ref.name, ok, f"{result.verdict}" + (f" ({why})" if why else "")))
    return outcomes


def package_read(path) -> dict:
    """A Kattis problem package as a pack question (plain data), its time limit inferred from the
    accepted submissions when the package gives none. Raises ApplicationError naming the file."""
    from judge import packages

    try:
        package = packages.load_package(path)
        if package.time_limit_s is None:
            packages.infer_time_limit(package)
    except packages.PackageError as exc:
        raise ApplicationError(str(exc)) from exc
    except judge.JudgeError as exc:
        raise ApplicationError(f"problem {Path(path).name}: cannot judge its submissions here: {exc}") from exc
    reference, language = "", "python"
    references = []  # single-file submissions, a few per verdict folder, checked when publishing
    for folder, paths in package.submissions.items():
        if folder not in REFERENCE_FOLDERS or package.expectations.get(folder) != packages.DEFAULT_EXPECTATIONS.get(folder):
            continue  # a folder with its own rules (submissions.yaml) is checked by `judge verify`
        for submission in paths:
            try:
                files, code = packages.read_submission(submission)
            except (packages.PackageError, judge.UnsupportedLanguage, ValueError, OSError):
                continue
            if len(files) != 1 or sum(r["expected"] == folder for r in references) >= REFERENCES_PER_FOLDER:
                continue
            text = _text(next(iter(files.values())), f"{package.name}: {submission.name}")
            if folder == "accepted" and not reference:
                reference, language = text, code
                continue
            references.append({"name": f"{folder}/{submission.name}", "language": code, "expected": folder, "source": text})
    checker = package.checker
    supported = ["python", "cpp", "c", "r"]
    return {
        "slug": slugify(package.name) or "problem", "kind": "code", "title": package.title or package.name,
        "prompt": package.statement or f"Solve the problem *{package.title or package.name}*.",
        "points": 10, "difficulty": "medium", "source": f"kattis:{package.name}",
        "style": "program", "language": language, "other_languages": [x for x in supported if x != language],
        "reference_solution": reference, "source_package": package.name, "reference_submissions": references,
        "time_limit_s": package.time_limit_s, "memory_mb": package.limits.memory_mb,
        "output_kb": package.limits.output_kb,
        "checker": checker.kind, "abs_tol": checker.abs_tol, "rel_tol": checker.rel_tol,
        "case_sensitive": checker.case_sensitive, "space_sensitive": checker.space_sensitive,
        "validator_flags": list(checker.args),
        "program_tests": [
            {"name": t.name, "input": _text(t.input, f"{package.name}: test {t.name} input"),
             "answer": _text(t.answer, f"{package.name}: test {t.name} answer"), "group": t.group,
             "sample": t.is_sample, "weight": t.weight, "checker_args": list(t.checker_args)}
            for t in package.tests
        ],
        "test_groups": [{"name": g.name, "weight": g.weight, "aggregation": g.aggregation} for g in package.groups],
        "support_files": [
            *({"role": "validator", "name": name, "content": _text(content, f"{package.name}: validator {name}")}
              for name, content in checker.files),
            *({"role": "include", "language": lang, "name": name, "content": _text(content, f"{package.name}: include {name}")}
              for lang, files in package.include_files.items() for name, content in files),
        ],
    }


def _text(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApplicationError(f"{what} is not UTF-8 text (byte {exc.start}); Prep stores test data as text") from exc


def sandbox_problems() -> list[str]:
    """What this host lacks for grading ([] when it can grade); used by check_sandbox and worker start."""
    return judge.sandbox_problems()


@worker_process_init.connect
def _prewarm_sandboxes(**kwargs):
    """Each grading process keeps its next sandbox started ahead (see judge.set_prewarm), after
    sweeping what a predecessor killed mid-run left in the free slots (Celery starts this
    process in place of one that died)."""
    try:
        swept = judge.sweep_free_slots()
    except Exception:  # noqa: BLE001 — a sweep that fails must not keep the worker from starting
        logger.exception("could not sweep the free sandbox slots")
    else:
        if swept:
            logger.warning("swept %d process(es) a dead grading process left in free sandbox slots: %s",
                           len(swept), sorted(swept))
    judge.set_prewarm(settings.PREP_JUDGE_PREWARM)


@worker_ready.connect
def _report_sandbox_at_start(sender=None, **kwargs):
    problems = sandbox_problems()
    if problems:
        logger.error("This worker cannot grade code (submissions will fail with this error): %s", "; ".join(problems))


def reference_judge(question) -> dict:
    """Judge a code question's reference solution on every test (the validation loop)."""
    judge_input = selectors.code_judge_input(
        question=question, language=question.code.language, source=question.code.reference_solution
    )
    return judge_call(judge_input)().to_dict()
