from assessments.services.attempts import attempt_finalize_if_ready, attempt_start, attempt_submit
from assessments.services.reconcile import grading_reconcile
from assessments.services.responses import response_save, time_spent_record
from assessments.services.reviews import response_review
from assessments.services.submissions import (
    submission_claim,
    submission_complete,
    submission_create,
    submission_fail,
    submission_progress,
)

__all__ = [
    "attempt_finalize_if_ready",
    "attempt_start",
    "attempt_submit",
    "grading_reconcile",
    "response_review",
    "response_save",
    "submission_claim",
    "submission_complete",
    "submission_create",
    "submission_fail",
    "submission_progress",
    "time_spent_record",
]
