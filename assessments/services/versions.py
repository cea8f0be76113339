"""Question versions. A question's row is what candidates are graded against, so once it has
been shown (or published) an edit must not change it under them: the previous content is
archived as a retired row (`version_of` -> the live question) and everything candidates were
shown — responses, submissions, variants — moves to that archived row. The live row, with the
same id and slug, carries the new version for attempts started from now on.

    before = question_snapshot(question)
    ... change the question in place (admin form, pack import) ...
    question_version_commit(question=question, before=before)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction

from assessments.models import Question, QuestionVariant, Response, Submission
from assessments.services.packs import question_export, question_upsert

CHOICE_KINDS = {Question.Kind.SINGLE_CHOICE, Question.Kind.MULTIPLE_CHOICE, Question.Kind.TRUE_FALSE}
logger = logging.getLogger(__name__)
NOT_CONTENT = {"status"}  # moving a question through its statuses is not a new version


@dataclass(frozen=True)
class Snapshot:
    data: dict  # the question's content in pack form (lossless)
    option_ids: tuple[int, ...]  # in display order: answers name options by id

    @property
    def content(self) -> dict:
        return {k: v for k, v in self.data.items() if k not in NOT_CONTENT}


def question_snapshot(question: Question) -> Snapshot:
    question = Question.objects.get(pk=question.pk)  # what is stored, not what a form holds
    return Snapshot(
        data=question_export(question),
        option_ids=tuple(question.options.order_by("order", "id").values_list("id", flat=True)),
    )


def question_content_changed(*, before: Snapshot, question: Question) -> bool:
    return question_snapshot(question).content != before.content


@transaction.atomic
def question_version_commit(*, question: Question, before: Snapshot) -> Question | None:
    """After an in-place edit: if the content changed and the old version was frozen, archive
    the old version and move what candidates were shown onto it. Returns the archived row."""
    if question.version_of_id is not None:
        raise ValueError("archived versions are never edited")
    after = question_snapshot(question)
    if after.content == before.content:
        return None
    was_frozen = before.data.get("status") == Question.Status.PUBLISHED or Response.objects.filter(question=question).exists()
    if not was_frozen:
        return None
    question = Question.objects.select_for_update().get(pk=question.pk)
    archived = _archive(question, before)
    _move_shown(question, archived, before)
    generator_same = (before.data.get("generator"), before.data.get("variant_count")) == (
        after.data.get("generator"), after.data.get("variant_count"))
    if generator_same:
        _copy_variants(archived, question)  # same generator, same seeds: the same variants
    question.version += 1
    question.check_ok = None if not generator_same else question.check_ok
    question.save(update_fields=["version", "check_ok", "updated_at"])
    if not generator_same and question.is_parameterized:
        transaction.on_commit(lambda: _prepare_later(question.id))
    return archived


def _prepare_later(question_id: int) -> None:
    """Ask a worker for the new version's variants. Without a broker (an import run before the
    services start) the variants are made when the question is next validated or loaded."""
    from kombu.exceptions import OperationalError

    from assessments.tasks import question_prepare

    try:
        question_prepare.delay(question_id)
    except OperationalError as exc:
        logger.warning("question %s: variants not queued (%s); validate it to generate them", question_id, exc)


def _archive(question: Question, before: Snapshot) -> Question:
    suffix = f"--v{question.version}"
    data = {**before.data, "slug": question.slug[: 100 - len(suffix)] + suffix, "status": Question.Status.RETIRED}
    skills = {slug: None for slug in data.get("skills", [])}
    archived = question_upsert(data=data, skills=skills)
    archived.version_of = question
    archived.version = question.version
    archived.author_id = question.author_id
    archived.check_ok, archived.check_detail, archived.checked_at = question.check_ok, question.check_detail, question.checked_at
    archived.save(update_fields=["version_of", "version", "author", "check_ok", "check_detail", "checked_at", "updated_at"])
    return archived


def _move_shown(question: Question, archived: Question, before: Snapshot) -> None:
    option_map = dict(zip(before.option_ids, archived.options.order_by("order", "id").values_list("id", flat=True)))
    QuestionVariant.objects.filter(question=question).update(question=archived)
    Submission.objects.filter(question=question).update(question=archived)
    responses = list(Response.objects.filter(question=question))
    for response in responses:
        response.question = archived
        if question.kind in CHOICE_KINDS:
            response.answer = answer_remap(response.answer, option_map)
    Response.objects.bulk_update(responses, ["question", "answer"], batch_size=500)


def answer_remap(answer: dict, option_map: dict[int, int]) -> dict:
    """A choice answer with its option ids translated (ids with no counterpart are dropped)."""
    answer = dict(answer)
    if answer.get("choice") is not None:
        answer["choice"] = option_map.get(answer["choice"])
    if answer.get("choices"):
        answer["choices"] = sorted(option_map[c] for c in answer["choices"] if c in option_map)
    return answer


def _copy_variants(source: Question, target: Question) -> None:
    QuestionVariant.objects.bulk_create(
        QuestionVariant(question=target, index=v.index, seed=v.seed, params=v.params, answers=v.answers, datasets=v.datasets)
        for v in source.variants.all()
    )
