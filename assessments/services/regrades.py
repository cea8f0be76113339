"""Regrading an assessment's attempts against a question's new version: compute, show the
difference, apply only when staff accept.

A response on a past version is scored as if it had been given to the new version: choice
answers keep their positions (the option that was second is still second), a parameterized
question keeps its variant index, code is judged again in the sandbox (by a worker). Scores a
reviewer set by hand, and free-text answers, are kept."""

from __future__ import annotations

from typing import Callable

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from assessments import scoring
from assessments.models import (
    Assessment,
    Attempt,
    Option,
    Question,
    QuestionVariant,
    Regrade,
    RegradeItem,
    Response,
    Submission,
)
from assessments.services.attempts import attempt_finalize_if_ready, attempt_rescore
from assessments.services.versions import CHOICE_KINDS, answer_remap
from common.exceptions import ApplicationError, Conflict

CodeJudge = Callable[[Question, str, str], dict]  # (question, language, source) -> judge result
DONE_STATES = (Attempt.State.SUBMITTED, Attempt.State.GRADED)


def _past_responses(*, assessment: Assessment, question: Question):
    return Response.objects.filter(
        attempt__assessment=assessment, attempt__state__in=DONE_STATES, question__version_of=question
    )


def regrade_candidates(*, question: Question) -> list[Assessment]:
    """Assessments with handed-in attempts that answered an older version of `question`."""
    ids = Response.objects.filter(attempt__state__in=DONE_STATES, question__version_of=question).values("attempt__assessment")
    return list(Assessment.objects.filter(id__in=ids))


@transaction.atomic
def regrade_start(*, assessment: Assessment, question: Question, user: User | None) -> Regrade:
    if question.version_of_id is not None:
        raise ApplicationError("Regrade against the live question, not one of its past versions.")
    if Regrade.objects.filter(assessment=assessment, question=question,
                              state__in=[Regrade.State.COMPUTING, Regrade.State.READY]).exists():
        raise Conflict("A regrade of this question in this assessment is already open: accept or discard it first.")
    responses = list(_past_responses(assessment=assessment, question=question))
    if not responses:
        raise ApplicationError("No handed-in attempt of this assessment answered an older version of this question.")
    regrade = Regrade.objects.create(assessment=assessment, question=question, created_by=user)
    RegradeItem.objects.bulk_create(RegradeItem(regrade=regrade, response=r, old_score=r.score) for r in responses)
    if question.kind == Question.Kind.CODE:
        from assessments.tasks import regrade_compute as regrade_compute_task

        transaction.on_commit(lambda: regrade_compute_task.delay(regrade.id), robust=True)
    else:
        regrade_compute(regrade_id=regrade.id)
        regrade.refresh_from_db()
    return regrade


def regrade_compute(*, regrade_id: int, judge_code: CodeJudge | None = None) -> None:
    """Fill in every item's new score (code: `judge_code` runs the sandbox, in a worker)."""
    regrade = (Regrade.objects.select_related("question__numeric", "question__code")
               .prefetch_related("question__options", "question__text_answers", "question__parts").get(pk=regrade_id))
    if regrade.state != Regrade.State.COMPUTING:
        return
    question = regrade.question
    carry = VersionCarry(question)
    items = RegradeItem.objects.filter(regrade=regrade).select_related("response__question", "response__variant")
    for item in items:
        response = item.response
        try:
            if response.reviewed_by_id is not None or question.kind == Question.Kind.FREE_TEXT:
                item.new_score = item.old_score  # a reviewer's grade stands
            elif question.kind == Question.Kind.CODE:
                _judge_item(item, question, judge_code)
            else:
                answer, variant = carry(response)
                item.new_score = scoring.answer_points(
                    question=question, answer=answer, max_score=response.max_score, variant=variant
                )
        except ApplicationError as exc:
            item.error = exc.message
        item.save(update_fields=["new_score", "result", "submission", "error", "updated_at"])
    Regrade.objects.filter(pk=regrade.pk, state=Regrade.State.COMPUTING).update(state=Regrade.State.READY)


def _judge_item(item: RegradeItem, question: Question, judge_code: CodeJudge | None) -> None:
    response = item.response
    submission = (
        Submission.objects.filter(attempt_id=response.attempt_id, question_id=response.question_id,
                                  kind=Submission.Kind.SUBMIT, status=Submission.Status.DONE)
        .order_by("-created_at", "-id").first()
    )
    if submission is None or not submission.source.strip():
        item.new_score = item.old_score  # nothing was judged: nothing to judge again
        return
    if judge_code is None:
        raise ApplicationError("Code is judged again by a grading worker.")
    language = submission.language if submission.language in question.code.languages else question.code.language
    result = judge_code(question, language, submission.source)
    item.submission = submission
    item.result = result
    item.new_score = round(response.max_score * min(max(float(result.get("score") or 0.0), 0.0), 1.0), 6)


class VersionCarry:
    """Carries responses given on past versions over to `question`: choice answers by option
    position, parameterized ones by variant index. Each version's options are read once."""

    def __init__(self, question: Question):
        self.question = question
        self.variants = {v.index: v for v in question.variants.all()} if question.is_parameterized else {}
        self.new_options = self._options(question.id) if question.kind in CHOICE_KINDS else []
        self.maps: dict[int, dict[int, int]] = {}

    @staticmethod
    def _options(question_id: int) -> list[int]:
        return list(Option.objects.filter(question_id=question_id).order_by("order", "id").values_list("id", flat=True))

    def __call__(self, response: Response) -> tuple[dict, QuestionVariant | None]:
        answer, variant = response.answer, None
        if self.question.kind in CHOICE_KINDS:
            if response.question_id not in self.maps:
                self.maps[response.question_id] = dict(zip(self._options(response.question_id), self.new_options))
            answer = answer_remap(answer, self.maps[response.question_id])
        if self.question.is_parameterized:
            index = response.variant.index if response.variant is not None else None
            variant = self.variants.get(index)
            if variant is None:
                raise ApplicationError(
                    f"The new version has no variant {index}: validate it (its variants are generated) first."
                )
        return answer, variant


@transaction.atomic
def regrade_accept(*, regrade: Regrade, user: User | None) -> Regrade:
    regrade = Regrade.objects.select_for_update(of=("self",)).select_related("question").get(pk=regrade.pk)
    if regrade.state != Regrade.State.READY:
        raise Conflict(f"Only a regrade that is ready can be accepted (this one is {regrade.state}).")
    question = regrade.question
    carry = VersionCarry(question)
    now = timezone.now()
    items = list(RegradeItem.objects.filter(regrade=regrade, error="", new_score__isnull=False)
                 .select_related("response__question", "response__variant"))
    attempts = {a.id: a for a in Attempt.objects.select_for_update().filter(id__in={i.response.attempt_id for i in items})}
    responses = Response.objects.select_for_update(of=("self",)).select_related("question", "variant").in_bulk(
        [i.response_id for i in items])
    moved = []
    for item in items:
        response = responses[item.response_id]
        if response.question.version_of_id != question.id:
            continue  # moved since (another regrade): leave it
        response.answer, response.variant = carry(response)
        response.question = question
        response.score, response.graded_at = item.new_score, now
        moved.append(response)
        if item.submission_id is not None and item.result:
            Submission.objects.filter(pk=item.submission_id).update(
                question=question, verdict=item.result.get("verdict", ""), results=item.result,
                score=min(max(float(item.result.get("score") or 0.0), 0.0), 1.0),
            )
    for response in moved:
        response.updated_at = now
    Response.objects.bulk_update(moved, ["answer", "variant", "question", "score", "graded_at", "updated_at"], batch_size=500)
    for attempt in attempts.values():
        if attempt.state == Attempt.State.GRADED:
            attempt_rescore(attempt=attempt)
        else:
            attempt_finalize_if_ready(attempt=attempt)
    regrade.state, regrade.decided_by, regrade.decided_at = Regrade.State.ACCEPTED, user, now
    regrade.detail = regrade_summary(regrade=regrade)["text"]
    regrade.save(update_fields=["state", "decided_by", "decided_at", "detail", "updated_at"])
    return regrade


@transaction.atomic
def regrade_discard(*, regrade: Regrade, user: User | None) -> Regrade:
    regrade = Regrade.objects.select_for_update().get(pk=regrade.pk)
    if regrade.state not in (Regrade.State.COMPUTING, Regrade.State.READY, Regrade.State.FAILED):
        raise Conflict(f"This regrade is already {regrade.state}.")
    regrade.state, regrade.decided_by, regrade.decided_at = Regrade.State.DISCARDED, user, timezone.now()
    regrade.save(update_fields=["state", "decided_by", "decided_at", "updated_at"])
    return regrade


def regrade_summary(*, regrade: Regrade) -> dict:
    items = list(regrade.items.all())
    done = [i for i in items if i.new_score is not None and not i.error]
    up = sum(1 for i in done if i.old_score is not None and i.new_score > i.old_score + 1e-9)
    down = sum(1 for i in done if i.old_score is not None and i.new_score < i.old_score - 1e-9)
    errors = sum(1 for i in items if i.error)
    pending = len(items) - len(done) - errors
    text = f"{len(items)} response(s): {up} up, {down} down, {len(done) - up - down} unchanged"
    if errors:
        text += f", {errors} failed"
    if pending:
        text += f", {pending} pending"
    return {"responses": len(items), "up": up, "down": down, "unchanged": len(done) - up - down,
            "errors": errors, "pending": pending, "text": text}
