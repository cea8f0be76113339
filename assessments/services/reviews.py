from django.db import transaction
from django.utils import timezone

from accounts.models import User
from assessments.models import Attempt, Response
from assessments.services.attempts import attempt_finalize_if_ready, attempt_rescore
from common.exceptions import ApplicationError, Conflict


@transaction.atomic
def response_review(*, response_id: int, reviewer: User, score: float, note: str) -> Response:
    """A reviewer grades a free-text answer, or overrides any score; the note is required."""
    response = Response.objects.select_related("attempt").get(pk=response_id)
    attempt = Attempt.objects.select_for_update().get(pk=response.attempt_id)
    if attempt.state == Attempt.State.IN_PROGRESS:
        raise Conflict("The attempt is still in progress.", {"state": attempt.state})
    if not note.strip():
        raise ApplicationError("Say why in a note.", {"field": "note"})
    if not 0 <= score <= response.max_score:
        raise ApplicationError(f"The score must be between 0 and {response.max_score:g}.", {"max_score": response.max_score})
    response.score, response.graded_at = score, timezone.now()
    response.reviewed_by, response.review_note = reviewer, note.strip()
    response.save(update_fields=["score", "graded_at", "reviewed_by", "review_note", "updated_at"])
    if attempt.state == Attempt.State.GRADED:
        attempt_rescore(attempt=attempt)
    else:
        attempt_finalize_if_ready(attempt=attempt)
    return response
