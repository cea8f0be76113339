from datetime import timedelta

import pytest
import time_machine

from assessments.models import Attempt, Question, Response, Submission
from assessments.services import attempt_start, attempt_submit, response_save
from common.exceptions import Conflict
from tests.assessments.factories import (
    SQUARE_SOLUTION,
    assessment_with,
    code_question,
    invite,
    multiple_choice_question,
    numeric_question,
    single_choice_question,
)

pytestmark = pytest.mark.django_db


def start(*questions, **kwargs):
    assessment = assessment_with(*questions, **kwargs)
    invitation = invite(assessment)
    attempt, _ = attempt_start(candidate=invitation.candidate, assessment=assessment)
    return attempt


def test_submitting_scores_choice_and_numeric_answers_and_grades_the_attempt():
    single, multiple, numeric = single_choice_question(), multiple_choice_question(), numeric_question(answer=0.05, abs_tol=0.001)
    attempt = start(single, multiple, numeric)
    right = single.options.get(is_correct=True)
    response_save(attempt_id=attempt.id, question_id=single.id, answer={"choice": right.id})
    half = [multiple.options.filter(is_correct=True).first().id]  # one of two correct options: no credit
    response_save(attempt_id=attempt.id, question_id=multiple.id, answer={"choices": half})
    response_save(attempt_id=attempt.id, question_id=numeric.id, answer={"value": 0.0509})

    attempt = attempt_submit(attempt_id=attempt.id, submitted_by=Attempt.SubmittedBy.CANDIDATE)

    assert attempt.state == Attempt.State.GRADED
    assert attempt.score == single.points + numeric.points
    assert attempt.submitted_by == Attempt.SubmittedBy.CANDIDATE
    scores = dict(Response.objects.filter(attempt=attempt).values_list("question_id", "score"))
    assert scores == {single.id: 2.0, multiple.id: 0.0, numeric.id: 2.0}


def test_unanswered_questions_score_zero():
    attempt = attempt_submit(attempt_id=start(single_choice_question(), code_question()).id, submitted_by="candidate")
    assert attempt.state == Attempt.State.GRADED
    assert attempt.score == 0


def test_saved_code_is_queued_for_final_grading_and_the_attempt_waits(django_capture_on_commit_callbacks):
    question = code_question()
    attempt = start(question)
    response_save(attempt_id=attempt.id, question_id=question.id, answer={"source": SQUARE_SOLUTION})
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        attempt = attempt_submit(attempt_id=attempt.id, submitted_by=Attempt.SubmittedBy.CANDIDATE)
    submission = Submission.objects.get(attempt=attempt)
    assert (submission.kind, submission.status, submission.source) == ("submit", "queued", SQUARE_SOLUTION)
    assert attempt.state == Attempt.State.SUBMITTED
    assert len(callbacks) == 1


def test_submitting_twice_is_refused_for_the_candidate_but_harmless_for_the_deadline():
    attempt = start(single_choice_question())
    attempt_submit(attempt_id=attempt.id, submitted_by=Attempt.SubmittedBy.CANDIDATE)
    with pytest.raises(Conflict):
        attempt_submit(attempt_id=attempt.id, submitted_by=Attempt.SubmittedBy.CANDIDATE)
    with time_machine.travel(attempt.deadline + timedelta(seconds=1)):
        again = attempt_submit(attempt_id=attempt.id, submitted_by=Attempt.SubmittedBy.DEADLINE)
    assert again.submitted_by == Attempt.SubmittedBy.CANDIDATE


def test_an_early_deadline_task_does_not_submit():
    attempt = start(single_choice_question())
    attempt = attempt_submit(attempt_id=attempt.id, submitted_by=Attempt.SubmittedBy.DEADLINE)
    assert attempt.state == Attempt.State.IN_PROGRESS


def test_the_deadline_submission_records_the_deadline_as_the_time():
    attempt = start(single_choice_question())
    with time_machine.travel(attempt.deadline + timedelta(minutes=3)):
        attempt = attempt_submit(attempt_id=attempt.id, submitted_by=Attempt.SubmittedBy.DEADLINE)
    assert attempt.submitted_at == attempt.deadline
    assert attempt.submitted_by == Attempt.SubmittedBy.DEADLINE


def test_editing_a_questions_points_mid_attempt_scores_against_the_points_shown():
    question = numeric_question(answer=0.05, abs_tol=0.001, points=2)
    attempt = start(question)
    response_save(attempt_id=attempt.id, question_id=question.id, answer={"value": 0.05})
    Question.objects.filter(pk=question.pk).update(points=5)
    attempt = attempt_submit(attempt_id=attempt.id, submitted_by=Attempt.SubmittedBy.CANDIDATE)
    assert attempt.state == Attempt.State.GRADED and attempt.score == 2
