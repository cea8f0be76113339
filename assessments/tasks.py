"""Celery tasks: thin, named, take ids, call services. The only bridge to the judge."""

import logging

from celery import shared_task
from celery.signals import worker_ready
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

import judge
from assessments import selectors, services

logger = logging.getLogger(__name__)


@shared_task(
    name="assessments.submission_grade",
    queue="grading",
    acks_late=True,
    task_reject_on_worker_lost=True,
    soft_time_limit=settings.PREP_GRADING_SOFT_TIME_LIMIT,
    time_limit=settings.PREP_GRADING_HARD_TIME_LIMIT,
    ignore_result=True,
)
def submission_grade(submission_id: int) -> None:
    submission = services.submission_claim(submission_id=submission_id)
    if submission is None:
        return  # graded, being graded by another worker, or deleted
    judge_input = selectors.submission_judge_input(submission=submission)
    try:
        spec = judge_spec(judge_input)
    except ValueError as exc:  # limits out of range: the question needs fixing, not the candidate's code
        services.submission_fail(submission_id=submission_id, error=f"The question's limits are invalid: {exc}")
        return
    try:
        result = judge.judge_python_function(spec)
    except judge.SandboxUnavailable as exc:
        logger.error("submission %s: sandbox unavailable: %s", submission_id, exc)
        services.submission_fail(submission_id=submission_id, error=f"Grading is unavailable on this worker: {exc}")
        return
    except (judge.JudgeError, SoftTimeLimitExceeded) as exc:
        logger.exception("submission %s: judge failure", submission_id)
        services.submission_fail(submission_id=submission_id, error=f"The judge failed: {exc or type(exc).__name__}")
        return
    services.submission_complete(submission_id=submission_id, result=result_with_tests(result.to_dict(), judge_input))


def judge_spec(judge_input: dict) -> "judge.FunctionSpec":
    return judge.FunctionSpec(
        source=judge_input["source"],
        function_name=judge_input["function_name"],
        tests=tuple(
            judge.FunctionTest(name=t["name"], args=t["args"], expected=t["expected"], weight=t["weight"])
            for t in judge_input["tests"]
        ),
        limits=judge.Limits(cpu_time_s=judge_input["cpu_time_s"], memory_mb=judge_input["memory_mb"]),
    )


def result_with_tests(result: dict, judge_input: dict) -> dict:
    """Keep each test's call and expected value beside its outcome (shown for sample tests only)."""
    by_name = {t["name"]: t for t in judge_input["tests"]}
    for test in result.get("tests", []):
        source = by_name.get(test["name"], {})
        test["sample"] = bool(source.get("sample"))
        test["args"] = source.get("args")
        test["expected"] = source.get("expected")
        test["weight"] = source.get("weight")
        test["feedback"] = source.get("feedback", "")
        test["hint"] = source.get("hint", "")
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




def sandbox_problems() -> list[str]:
    """What this host lacks for grading ([] when it can grade); used by check_sandbox and worker start."""
    return judge.sandbox_problems()


@worker_ready.connect
def _report_sandbox_at_start(sender=None, **kwargs):
    problems = sandbox_problems()
    if problems:
        logger.error("This worker cannot grade code (submissions will fail with this error): %s", "; ".join(problems))
