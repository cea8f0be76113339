"""The safety net behind the ETA tasks and the broker: the database is the source of truth."""

import logging
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from assessments.models import Attempt, Submission
from assessments.services.attempts import attempt_finalize_if_ready, attempt_submit
from assessments.services.submissions import submission_enqueue, submission_fail, submission_requeue

logger = logging.getLogger(__name__)

MAX_CLAIMS = 3


def grading_reconcile() -> dict:
    """Submit attempts past their deadline, re-enqueue lost tasks, recover dead workers' rows."""
    now = timezone.now()
    counts = {"expired": 0, "requeued": 0, "recovered": 0, "failed": 0, "retried": 0, "finalized": 0}

    # Each item on its own: one bad row must not stop the rest, nor every later run.
    for attempt_id in Attempt.objects.filter(state=Attempt.State.IN_PROGRESS, deadline__lte=now).values_list("id", flat=True):
        with _isolated("submit attempt", attempt_id):
            attempt_submit(attempt_id=attempt_id, submitted_by=Attempt.SubmittedBy.DEADLINE)
            counts["expired"] += 1

    # A row still queued after the threshold lost its message (or waits behind a backlog); it
    # is re-enqueued at most once per threshold (submission_enqueue stamps enqueued_at), and a
    # duplicate message is harmless: only one claim succeeds.
    stale_queued = Submission.objects.filter(
        status=Submission.Status.QUEUED, enqueued_at__lt=now - settings.PREP_RECONCILE_QUEUED_AFTER
    )
    for submission in stale_queued.only("id"):
        with _isolated("re-enqueue submission", submission.id), transaction.atomic():
            submission_enqueue(submission=submission)
            counts["requeued"] += 1

    dead_after = timedelta(seconds=settings.PREP_GRADING_HARD_TIME_LIMIT + 30)
    for submission in Submission.objects.filter(status=Submission.Status.RUNNING, started_at__lt=now - dead_after):
        if submission.claims >= MAX_CLAIMS:
            counts["failed"] += submission_fail(submission_id=submission.pk,
                                                error="Grading did not finish after several tries.")
        elif submission_requeue(submission_id=submission.pk):
            counts["recovered"] += 1

    # A submitted attempt's final code grading that failed on our side is retried a few times.
    failed_finals = Submission.objects.filter(
        status=Submission.Status.ERROR, kind=Submission.Kind.SUBMIT, attempt__state=Attempt.State.SUBMITTED,
        claims__lt=MAX_CLAIMS,
    )
    for submission in failed_finals.only("id"):
        with _isolated("retry submission", submission.id):
            counts["retried"] += submission_requeue(submission_id=submission.id)

    for attempt_id in Attempt.objects.filter(state=Attempt.State.SUBMITTED).values_list("id", flat=True):
        with _isolated("finalize attempt", attempt_id), transaction.atomic():
            attempt = Attempt.objects.select_for_update().get(pk=attempt_id)
            counts["finalized"] += attempt_finalize_if_ready(attempt=attempt)

    if any(counts.values()):
        logger.info("grading_reconcile %s", counts)
    return counts


@contextmanager
def _isolated(what: str, item_id: int):
    try:
        yield
    except Exception:  # noqa: BLE001 — logged with its traceback; the next item goes on
        logger.exception("grading_reconcile: could not %s %s", what, item_id)
