"""Editing a question candidates have seen makes a new version; past grades stay until a regrade is accepted."""

import pytest

from assessments.models import Attempt, Question, Response
from assessments.services import attempt_start, attempt_submit, response_save
from assessments.services.packs import pack_import, question_export
from assessments.services.versions import question_snapshot, question_version_commit
from tests.assessments.factories import assessment_with, invite, numeric_question, single_choice_question

pytestmark = pytest.mark.django_db


def graded_attempt(question, answer):
    assessment = assessment_with(question)
    invitation = invite(assessment)
    attempt, _ = attempt_start(candidate=invitation.candidate, assessment=assessment)
    response_save(attempt_id=attempt.id, question_id=question.id, answer=answer(question))
    return attempt_submit(attempt_id=attempt.id, submitted_by=Attempt.SubmittedBy.CANDIDATE)


def edit(question, change):
    before = question_snapshot(question)
    change(question)
    return question_version_commit(question=question, before=before)


def test_editing_a_question_someone_answered_archives_the_version_they_were_graded_on():
    question = numeric_question(answer=0.05, abs_tol=0.001)
    attempt = graded_attempt(question, lambda q: {"value": 0.05})
    assert attempt.score == 2

    def move_the_answer(q):
        q.numeric.answer = 0.5
        q.numeric.save()

    archived = edit(question, move_the_answer)

    question.refresh_from_db()
    attempt.refresh_from_db()
    assert question.version == 2 and archived.version == 1 and archived.version_of == question
    assert archived.status == Question.Status.RETIRED and archived.numeric.answer == 0.05
    response = Response.objects.get(attempt=attempt)
    assert response.question == archived and response.score == 2
    assert attempt.score == 2  # no past grade changes until a regrade is accepted


def test_a_new_attempt_gets_the_new_version_and_the_old_answer_is_now_wrong():
    question = numeric_question(answer=0.05, abs_tol=0.001)
    graded_attempt(question, lambda q: {"value": 0.05})
    edit(question, lambda q: (setattr(q.numeric, "answer", 0.5), q.numeric.save()))

    second = graded_attempt(question, lambda q: {"value": 0.05})

    assert Response.objects.get(attempt=second).question == question
    assert second.score == 0


def test_choice_answers_follow_their_options_into_the_archived_version():
    question = single_choice_question()
    right = question.options.get(is_correct=True)
    attempt = graded_attempt(question, lambda q: {"choice": right.id})

    def reword(q):
        q.options.update(text="Reworded")

    archived = edit(question, reword)

    response = Response.objects.get(attempt=attempt)
    assert response.answer["choice"] == archived.options.get(is_correct=True).id
    assert archived.options.get(id=response.answer["choice"]).text == "Right"


def test_an_edit_that_changes_nothing_or_only_the_status_makes_no_version():
    question = numeric_question()
    graded_attempt(question, lambda q: {"value": 0.05})
    assert edit(question, lambda q: None) is None
    assert edit(question, lambda q: Question.objects.filter(pk=q.pk).update(status="retired")) is None
    assert Question.objects.filter(version_of=question).count() == 0


def test_a_draft_nobody_has_seen_is_edited_in_place():
    question = numeric_question(status=Question.Status.DRAFT)
    assert edit(question, lambda q: (setattr(q.numeric, "answer", 7.0), q.numeric.save())) is None
    assert Question.objects.filter(version_of=question).count() == 0


def test_re_importing_a_changed_pack_versions_the_questions_candidates_saw():
    question = numeric_question(answer=0.05, abs_tol=0.001)
    attempt = graded_attempt(question, lambda q: {"value": 0.05})
    data = question_export(question)
    data["answer"] = 0.07

    pack_import(data={"questions": [data]}, source="edited.yaml")

    question.refresh_from_db()
    assert question.numeric.answer == 0.07 and question.version == 2
    assert Response.objects.get(attempt=attempt).question.numeric.answer == 0.05
