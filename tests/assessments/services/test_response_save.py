from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from assessments.models import Attempt, Response
from assessments.services import attempt_start, attempt_submit, response_save
from common.exceptions import ApplicationError, Conflict, NotFound
from tests.assessments.factories import (
    assessment_with,
    code_question,
    invite,
    multiple_choice_question,
    numeric_question,
    single_choice_question,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def started():
    questions = {
        "single": single_choice_question(),
        "multiple": multiple_choice_question(),
        "numeric": numeric_question(),
        "code": code_question(),
    }
    assessment = assessment_with(*questions.values(), time_limit=timedelta(minutes=10))
    invitation = invite(assessment)
    attempt, _ = attempt_start(candidate=invitation.candidate, assessment=assessment)
    return attempt, questions


def test_each_kind_of_answer_is_saved_in_canonical_form(started):
    attempt, q = started
    option = q["single"].options.first()
    saved = response_save(attempt_id=attempt.id, question_id=q["single"].id, answer={"choice": str(option.id)})
    assert saved.answer == {"choice": option.id}
    ids = [o.id for o in q["multiple"].options.all()]
    saved = response_save(attempt_id=attempt.id, question_id=q["multiple"].id, answer={"choices": [ids[1], ids[0], ids[1]]})
    assert saved.answer == {"choices": sorted(ids[:2])}
    saved = response_save(attempt_id=attempt.id, question_id=q["numeric"].id, answer={"value": "0.0501"})
    assert saved.answer == {"value": 0.0501}
    saved = response_save(attempt_id=attempt.id, question_id=q["code"].id, answer={"language": "python", "source": "x = 1"})
    assert saved.answer == {"language": "python", "source": "x = 1"}


def test_an_option_of_another_question_is_refused(started):
    attempt, q = started
    foreign = q["multiple"].options.first()
    with pytest.raises(ApplicationError, match="does not belong"):
        response_save(attempt_id=attempt.id, question_id=q["single"].id, answer={"choice": foreign.id})


@pytest.mark.parametrize("value", ["abc", "nan", "inf", True, [1]])
def test_a_numeric_answer_must_be_a_finite_number(started, value):
    attempt, q = started
    with pytest.raises(ApplicationError):
        response_save(attempt_id=attempt.id, question_id=q["numeric"].id, answer={"value": value})


def test_code_in_another_language_is_refused(started):
    attempt, q = started
    with pytest.raises(ApplicationError, match="answered in Python"):
        response_save(attempt_id=attempt.id, question_id=q["code"].id, answer={"language": "r", "source": "1"})


def test_a_question_outside_the_attempt_is_not_found(started):
    attempt, _ = started
    other = single_choice_question()
    with pytest.raises(NotFound):
        response_save(attempt_id=attempt.id, question_id=other.id, answer={"choice": None})


def test_an_answer_after_the_deadline_is_rejected_and_changes_nothing(started):
    attempt, q = started
    response_save(attempt_id=attempt.id, question_id=q["numeric"].id, answer={"value": 1})
    with time_machine.travel(attempt.deadline + timedelta(seconds=1)):
        with pytest.raises(Conflict, match="Time is up"):
            response_save(attempt_id=attempt.id, question_id=q["numeric"].id, answer={"value": 2})
    assert Response.objects.get(attempt=attempt, question=q["numeric"]).answer == {"value": 1.0}


def test_an_answer_at_the_exact_deadline_is_rejected(started):
    attempt, q = started
    with time_machine.travel(attempt.deadline, tick=False):
        with pytest.raises(Conflict):
            response_save(attempt_id=attempt.id, question_id=q["numeric"].id, answer={"value": 2})


def test_an_answer_after_submission_is_rejected(started):
    attempt, q = started
    attempt_submit(attempt_id=attempt.id, submitted_by=Attempt.SubmittedBy.CANDIDATE)
    with pytest.raises(Conflict, match="submitted"):
        response_save(attempt_id=attempt.id, question_id=q["numeric"].id, answer={"value": 2})


def test_changing_an_answer_clears_an_earlier_grade(started):
    attempt, q = started
    response = Response.objects.get(attempt=attempt, question=q["numeric"])
    response.score, response.graded_at = 1.0, timezone.now()
    response.save()
    response_save(attempt_id=attempt.id, question_id=q["numeric"].id, answer={"value": 3})
    response.refresh_from_db()
    assert response.score is None


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("kind", "expected_round_trips"), [("numeric", 2), ("code", 2), ("single", 3), ("multiple", 3)])
def test_an_autosave_is_one_transaction_of_two_round_trips_three_for_a_choice(started, round_trips, kind,
                                                                              expected_round_trips):
    """BEGIN with the lock and the response; a choice question's options; the answer's UPDATE
    with COMMIT: not the four (five) of Django's own transaction."""
    attempt, q = started
    options = list(q[kind].options.values_list("id", flat=True))
    answer = {"numeric": {"value": "0.05"}, "code": {"language": "python", "source": "x = 1"},
              "single": {"choice": options[0] if options else None}, "multiple": {"choices": options[:2]}}[kind]
    with round_trips() as trips:
        saved = response_save(attempt_id=attempt.id, question_id=q[kind].id, answer=answer)
    assert trips.count == expected_round_trips
    assert Response.objects.get(pk=saved.pk).answer == saved.answer


@pytest.mark.django_db(transaction=True)
def test_a_pipelined_autosave_still_refuses_an_option_of_another_question_and_keeps_the_answer(started):
    attempt, q = started
    right = q["single"].options.first()
    response_save(attempt_id=attempt.id, question_id=q["single"].id, answer={"choice": right.id})
    foreign = q["multiple"].options.first()
    with pytest.raises(ApplicationError, match="does not belong"):
        response_save(attempt_id=attempt.id, question_id=q["single"].id, answer={"choice": foreign.id})
    assert Response.objects.get(attempt=attempt, question=q["single"]).answer == {"choice": right.id}
