import pytest

from assessments.models import Attempt, Question, Response
from assessments.services import attempt_start, attempt_submit, response_review, response_save
from common.exceptions import ApplicationError, Conflict
from tests.accounts.factories import StaffFactory
from tests.assessments.factories import QuestionFactory, assessment_with, invite, single_choice_question

pytestmark = pytest.mark.django_db


@pytest.fixture
def essay_attempt():
    essay = QuestionFactory(kind=Question.Kind.FREE_TEXT, points=5, rubric="Names both error types.")
    choice = single_choice_question()
    assessment = assessment_with(essay, choice)
    attempt, _ = attempt_start(candidate=invite(assessment).candidate, assessment=assessment)
    response_save(attempt_id=attempt.id, question_id=essay.id, answer={"text": "Type I rejects a true null..."})
    return attempt, essay


def test_an_attempt_with_a_free_text_answer_waits_for_review_then_is_graded(essay_attempt):
    attempt, essay = essay_attempt
    attempt = attempt_submit(attempt_id=attempt.id, submitted_by=Attempt.SubmittedBy.CANDIDATE)
    assert attempt.state == Attempt.State.SUBMITTED
    response = Response.objects.get(attempt=attempt, question=essay)
    reviewer = StaffFactory()
    response_review(response_id=response.id, reviewer=reviewer, score=4, note="Clear, misses power.")
    attempt.refresh_from_db()
    assert attempt.state == Attempt.State.GRADED and attempt.score == 4
    response.refresh_from_db()
    assert (response.reviewed_by, response.review_note) == (reviewer, "Clear, misses power.")


def test_a_review_needs_a_note_and_a_score_in_range(essay_attempt):
    attempt, essay = essay_attempt
    attempt_submit(attempt_id=attempt.id, submitted_by=Attempt.SubmittedBy.CANDIDATE)
    response = Response.objects.get(attempt=attempt, question=essay)
    with pytest.raises(ApplicationError, match="note"):
        response_review(response_id=response.id, reviewer=StaffFactory(), score=4, note=" ")
    with pytest.raises(ApplicationError, match="between 0 and 5"):
        response_review(response_id=response.id, reviewer=StaffFactory(), score=6, note="too generous")


def test_an_open_attempt_cannot_be_reviewed(essay_attempt):
    attempt, essay = essay_attempt
    response = Response.objects.get(attempt=attempt, question=essay)
    with pytest.raises(Conflict):
        response_review(response_id=response.id, reviewer=StaffFactory(), score=1, note="early")


def test_an_override_of_a_graded_attempt_rescores_it(essay_attempt):
    attempt, essay = essay_attempt
    attempt_submit(attempt_id=attempt.id, submitted_by=Attempt.SubmittedBy.CANDIDATE)
    response = Response.objects.get(attempt=attempt, question=essay)
    response_review(response_id=response.id, reviewer=StaffFactory(), score=2, note="first pass")
    response_review(response_id=response.id, reviewer=StaffFactory(), score=5, note="second reader agreed it is complete")
    attempt.refresh_from_db()
    assert attempt.score == 5
