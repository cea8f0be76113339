"""Recording integrity signals the candidate was told about, and the candidate's note on them."""

from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from assessments.models import Attempt, IntegrityEvent, Question, Response, SimilarityFlag, Submission
from assessments.similarity import similar_pairs
from common.exceptions import ApplicationError, Conflict

MAX_EVENTS_PER_ATTEMPT = 3000
MAX_SNAPSHOTS_PER_ATTEMPT = 600
MAX_SNAPSHOT_CHARS = 256 * 1024
MAX_BATCH = 200
MAX_NOTE_CHARS = 5000


@transaction.atomic
def integrity_record(*, attempt_id: int, events: list[dict]) -> int:
    """Store a batch of what the page saw. Refused after the hand-in; the page's clock is not
    trusted beyond the attempt's own span. Returns how many events were kept."""
    attempt = Attempt.objects.select_for_update(of=("self",)).select_related("assessment").get(pk=attempt_id)
    if not attempt.assessment.records_integrity:
        raise Conflict("This assessment records no integrity signals.")
    if attempt.state != Attempt.State.IN_PROGRESS:
        raise Conflict("This attempt has been submitted.", {"state": attempt.state})
    if not isinstance(events, list) or len(events) > MAX_BATCH:
        raise ApplicationError(f"Send a list of at most {MAX_BATCH} events.")
    questions = set(Response.objects.filter(attempt=attempt).values_list("question_id", flat=True))
    counts = {"all": attempt.integrity_events.count(),
              "snapshot": attempt.integrity_events.filter(kind=IntegrityEvent.Kind.SNAPSHOT).count()}
    now = timezone.now()
    rows = []
    for index, event in enumerate(events):
        row = _event(attempt, event, questions, now, index)
        if counts["all"] + len(rows) >= MAX_EVENTS_PER_ATTEMPT:
            break
        if row.kind == IntegrityEvent.Kind.SNAPSHOT:
            if counts["snapshot"] >= MAX_SNAPSHOTS_PER_ATTEMPT:
                continue
            counts["snapshot"] += 1
        rows.append(row)
    IntegrityEvent.objects.bulk_create(rows)
    return len(rows)


def _event(attempt: Attempt, event: dict, questions: set[int], now: datetime, index: int) -> IntegrityEvent:
    if not isinstance(event, dict) or event.get("kind") not in IntegrityEvent.Kind.values:
        raise ApplicationError(f"event {index}: kind is one of {', '.join(IntegrityEvent.Kind.values)}.")
    question_id = event.get("question_id")
    if question_id is not None and question_id not in questions:
        raise ApplicationError(f"event {index}: that question is not part of the attempt.")
    at = parse_datetime(str(event.get("at") or "")) or now
    if timezone.is_naive(at):
        at = timezone.make_aware(at, timezone.utc)
    at = min(max(at, attempt.started_at), now)
    row = IntegrityEvent(attempt=attempt, question_id=question_id, kind=event["kind"], at=at)
    if row.kind == IntegrityEvent.Kind.PASTE:
        row.size = _whole(event.get("size"), index, "size", 10_000_000)
    elif row.kind == IntegrityEvent.Kind.FOCUS_LOST:
        row.duration_ms = _whole(event.get("duration_ms"), index, "duration_ms", 86_400_000)
    else:
        content = event.get("content")
        if not isinstance(content, str) or len(content) > MAX_SNAPSHOT_CHARS or "\x00" in content:
            raise ApplicationError(f"event {index}: a snapshot's content is text of at most {MAX_SNAPSHOT_CHARS} characters.")
        row.content = content
    return row


def _whole(value, index: int, name: str, limit: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= limit:
        raise ApplicationError(f"event {index}: {name} is a whole number from 0 to {limit}.")
    return value


def integrity_note_save(*, attempt: Attempt, note: str) -> Attempt:
    """The candidate's own word on what was recorded (any time, also after the hand-in)."""
    if not isinstance(note, str) or len(note) > MAX_NOTE_CHARS:
        raise ApplicationError(f"A note is text of at most {MAX_NOTE_CHARS} characters.")
    attempt.integrity_note = note.strip()
    attempt.save(update_fields=["integrity_note", "updated_at"])
    return attempt


SIMILARITY_THRESHOLD = 0.6


def similarity_check(*, question_id: int) -> int:
    """Compare every candidate's final code for a question (all its versions) and flag the pairs
    that match beyond the threshold, with the matching regions. Returns how many pairs are flagged."""
    question = Question.objects.filter(pk=question_id, version_of__isnull=True).select_related("code").first()
    if question is None or question.kind != Question.Kind.CODE:
        return 0
    final = {}  # attempt -> its latest graded Submit for this question family
    for submission in (Submission.objects.filter(Q(question=question) | Q(question__version_of=question),
                                                 kind=Submission.Kind.SUBMIT, status=Submission.Status.DONE,
                                                 attempt__state__in=[Attempt.State.SUBMITTED, Attempt.State.GRADED])
                       .only("id", "attempt_id", "language", "source").order_by("created_at", "id")):
        final[submission.attempt_id] = submission
    by_language: dict[str, list] = {}
    for submission in final.values():
        by_language.setdefault(submission.language, []).append((submission.id, submission.source))
    flagged = 0
    with transaction.atomic():
        for language, sources in by_language.items():
            for pair in similar_pairs(sources, language, threshold=SIMILARITY_THRESHOLD, ignore=question.code.starter_code):
                a, b = sorted((pair.a, pair.b))
                regions = [[r.a_start, r.a_end, r.b_start, r.b_end] if a == pair.a else [r.b_start, r.b_end, r.a_start, r.a_end]
                           for r in pair.comparison.regions]
                SimilarityFlag.objects.update_or_create(
                    submission_a_id=a, submission_b_id=b,
                    defaults={"question": question, "score": pair.comparison.score, "regions": regions},
                )
                flagged += 1
    return flagged
