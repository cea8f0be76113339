import random
from datetime import UTC, datetime

from django.db import IntegrityError, connection, transaction
from django.db.models import Sum, prefetch_related_objects
from django.utils import timezone

from accounts.models import User
from assessments import scoring
from assessments.models import Assessment, Attempt, Question, Response, Submission
from assessments.selectors import assessment_access, assessment_questions
from assessments.variants import variant_choose
from assessments.signals import attempt_graded
from common.exceptions import Conflict, NotFound


def attempt_transition(*, attempt: Attempt, to: str, **fields) -> Attempt:
    """The one place an attempt changes state; the caller holds the row lock."""
    if to not in Attempt.TRANSITIONS[attempt.state]:
        raise Conflict(f"An attempt cannot go from {attempt.state} to {to}.", {"state": attempt.state})
    attempt.state = to
    for name, value in fields.items():
        setattr(attempt, name, value)
    attempt.save(update_fields=["state", "updated_at", *fields])
    return attempt


def attempt_start(*, candidate: User, assessment: Assessment) -> tuple[Attempt, bool]:
    """Start (or resume) the candidate's attempt. Returns (attempt, created).

    The deadline is fixed here, on the server, and nothing the client sends moves it. A new
    attempt carries the responses made for it as `started_responses` (see attempt_responses)."""
    try:
        return _attempt_start(candidate=candidate, assessment=assessment)
    except IntegrityError:
        # A concurrent request started it first (one open attempt per candidate): this one's
        # transaction is rolled back whole; resume that one.
        open_attempt = Attempt.objects.filter(
            candidate=candidate, assessment=assessment, state=Attempt.State.IN_PROGRESS
        ).first()
        if open_attempt is None:
            raise
        return open_attempt, False


@transaction.atomic
def _attempt_start(*, candidate: User, assessment: Assessment) -> tuple[Attempt, bool]:
    access = assessment_access(user=candidate, assessment=assessment)
    if not access.allowed:
        raise NotFound("Assessment not found.")
    open_attempt = Attempt.objects.filter(
        candidate=candidate, assessment=assessment, state=Attempt.State.IN_PROGRESS
    ).first()
    if open_attempt is not None:
        return open_attempt, False
    if not access.may_start:
        raise Conflict(access.reason, {"assessment": assessment.id})

    now = timezone.now()
    seed = random.SystemRandom().randrange(2**62)
    questions = assessment_questions(assessment=assessment, seed=seed)
    unpublished = [q.slug for q in questions if q.status != Question.Status.PUBLISHED]
    if unpublished:
        raise Conflict("This assessment is not ready yet: some of its questions are not published.",
                       {"unpublished": len(unpublished)})
    attempt = Attempt.objects.create(  # IntegrityError if a concurrent start made it first (attempt_start)
        candidate=candidate,
        assessment=assessment,
        seed=seed,
        started_at=now,
        deadline=now + assessment.time_limit + access.extra_time,
        max_score=float(sum(q.points for q in questions)),
    )
    unchanged = _share_lock_in_id_order(questions)
    order = list(questions)
    if assessment.shuffle_questions:
        random.Random(attempt.seed).shuffle(order)  # fixed by the seed: a reload shows the same order
    variants = _variants_for(candidate=candidate, questions=order, seed=seed)
    responses = Response.objects.bulk_create(
        Response(attempt=attempt, question=q, answer={}, max_score=float(q.points), position=i, variant=variants.get(q.id))
        for i, q in enumerate(order)
    )
    if unchanged:  # else a new version landed meanwhile: the page reads the attempt back, all of one version
        attempt.started_responses = responses

    from assessments.tasks import attempt_expire

    deadline = attempt.deadline
    transaction.on_commit(lambda: attempt_expire.apply_async((attempt.id,), eta=deadline), robust=True)
    return attempt, True


def _share_lock_in_id_order(questions: list[Question]) -> bool:
    """Key-share the paper's question rows, in id order, before the responses' foreign keys do;
    True if none has changed since `questions` was read.

    Every candidate's start share-locks the same rows, in the order of its (shuffled) paper. Key
    share locks do not wait for one another, nor for an update that leaves the key alone (a
    staff edit of the row), so starts run side by side; but a pack import, a new version or a
    status change takes its questions FOR UPDATE, in id order. Met in paper order, a start and an
    import could each hold a row the other waits for, and PostgreSQL would abort one with a
    deadlock; taken in id order first, they queue instead. A start writes nothing to these rows
    (exposure is counted from responses), so it never waits for another start's commit.

    A start that queued behind a new version read the old one: the version and update time
    returned here tell. SQLite has no row locks, but the attempt's insert already holds its one
    writer's lock, so what this reads there is final too."""
    table = connection.ops.quote_name(Question._meta.db_table)
    lock = " FOR KEY SHARE" if connection.vendor == "postgresql" else ""
    ids = sorted(q.id for q in questions)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, version, updated_at FROM {table} WHERE id IN ({', '.join(['%s'] * len(ids))}) "
                       f"ORDER BY id{lock}", ids)
        now = {question_id: (version, _aware(updated_at)) for question_id, version, updated_at in cursor.fetchall()}
    return all(now.get(q.id) == (q.version, q.updated_at) for q in questions)


def _aware(moment: datetime) -> datetime:
    """SQLite's driver returns its stored UTC times naive (the ORM makes them aware)."""
    return timezone.make_aware(moment, UTC) if timezone.is_naive(moment) else moment


def _variants_for(*, candidate: User, questions: list[Question], seed: int) -> dict:
    """question id -> the variant this attempt shows, for each parameterized question."""
    parameterized = [q for q in questions if q.is_parameterized]
    if not parameterized:
        return {}
    prefetch_related_objects(parameterized, "variants")
    seen: dict[int, set[int]] = {}
    for question_id, index in Response.objects.filter(
        attempt__candidate=candidate, question__in=parameterized, variant__isnull=False
    ).values_list("question_id", "variant__index"):
        seen.setdefault(question_id, set()).add(index)
    return {q.id: variant_choose(question=q, seed=seed, seen=seen.get(q.id, set())) for q in parameterized}


@transaction.atomic
def attempt_submit(*, attempt_id: int, submitted_by: str) -> Attempt:
    """Hand in the attempt: score what can be scored now and queue final grading of code answers.

    Idempotent for the deadline path (the ETA task and the reconciler may both call it)."""
    attempt = Attempt.objects.select_for_update(of=("self",)).select_related("assessment").get(pk=attempt_id)
    if attempt.state != Attempt.State.IN_PROGRESS:
        if submitted_by == Attempt.SubmittedBy.DEADLINE:
            return attempt
        raise Conflict("This attempt has already been submitted.", {"state": attempt.state})
    now = timezone.now()
    if submitted_by == Attempt.SubmittedBy.DEADLINE and now < attempt.deadline:
        return attempt  # an early ETA (clock skew between hosts): the reconciler comes back later
    attempt_transition(
        attempt=attempt, to=Attempt.State.SUBMITTED, submitted_at=min(now, attempt.deadline), submitted_by=submitted_by
    )

    responses = (
        Response.objects.filter(attempt=attempt)
        .select_related("question__numeric", "question__code", "variant")
        .prefetch_related("question__options", "question__text_answers", "question__parts")
    )
    from assessments.services.submissions import submission_enqueue

    latest_submits = {  # the newest Submit per question, in one query
        submission.question_id: submission
        for submission in Submission.objects.filter(attempt=attempt, kind=Submission.Kind.SUBMIT).order_by("created_at", "id")
    }
    for response in responses:
        question = response.question
        if question.kind != Question.Kind.CODE:
            response.score = scoring.answer_points(question=question, answer=response.answer, max_score=response.max_score,
                                                   variant=response.variant)
            response.graded_at = now if response.score is not None else None  # None: waits for a reviewer
            response.save(update_fields=["score", "graded_at", "updated_at"])
            continue
        source = response.answer.get("source", "")
        latest = latest_submits.get(question.id)
        if latest is not None and latest.source == source and latest.status != Submission.Status.ERROR:
            if latest.status == Submission.Status.DONE:
                response_score_from_submission(response=response, submission=latest)
            continue  # already graded, or being graded, for exactly this code
        if not source.strip():
            response.score, response.graded_at = 0.0, now
            response.save(update_fields=["score", "graded_at", "updated_at"])
            continue
        submission = Submission.objects.create(
            attempt=attempt,
            question=question,
            kind=Submission.Kind.SUBMIT,
            language=response.answer.get("language", question.code.language),
            source=source,
        )
        submission_enqueue(submission=submission)

    attempt_finalize_if_ready(attempt=attempt)
    return attempt


def submission_points(*, max_score: float, score: float | None) -> float:
    """What a graded submission is worth on its response: its share (0-1) of the points."""
    return round(max_score * (score or 0.0), 6)


def response_score_from_submission(*, response: Response, submission: Submission) -> None:
    response.score = submission_points(max_score=response.max_score, score=submission.score)
    response.graded_at = submission.finished_at or timezone.now()
    response.save(update_fields=["score", "graded_at", "updated_at"])


def attempt_finalize_if_ready(*, attempt: Attempt) -> bool:
    """Mark a submitted attempt graded once no final code submission is pending. Caller holds the lock."""
    if attempt.state != Attempt.State.SUBMITTED:
        return False
    if Response.objects.filter(attempt=attempt, score__isnull=True).exists():
        return False
    total = Response.objects.filter(attempt=attempt).aggregate(total=Sum("score"))["total"] or 0.0
    attempt_transition(attempt=attempt, to=Attempt.State.GRADED, score=min(total, attempt.max_score), graded_at=timezone.now())
    attempt_id = attempt.id
    transaction.on_commit(lambda: attempt_graded.send(sender=Attempt, attempt_id=attempt_id), robust=True)
    _similarity_enqueue(attempt)
    return True


def _similarity_enqueue(attempt: Attempt) -> None:
    """Compare this attempt's code with everyone else's, once it is graded (a task per question)."""
    families = {
        version_of or qid
        for qid, version_of in Response.objects.filter(attempt=attempt, question__kind=Question.Kind.CODE)
        .values_list("question_id", "question__version_of_id")
    }
    if families:
        from assessments.tasks import similarity_check

        transaction.on_commit(lambda: [similarity_check.delay(f) for f in sorted(families)], robust=True)


def attempt_rescore(*, attempt: Attempt) -> Attempt:
    """Recompute a graded attempt's total after a response changed (review, override). Caller holds the lock."""
    total = Response.objects.filter(attempt=attempt).aggregate(total=Sum("score"))["total"] or 0.0
    attempt.score = min(total, attempt.max_score)
    attempt.save(update_fields=["score", "updated_at"])
    return attempt
