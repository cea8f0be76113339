"""Staff regrade an assessment against a question's new version: a diff first, scores only on accept."""

import pytest

from assessments.models import Attempt, Regrade, Response
from assessments.services import attempt_start, attempt_submit, response_save
from assessments.services.regrades import regrade_accept, regrade_discard, regrade_start, regrade_summary
from assessments.services.versions import question_snapshot, question_version_commit
from common.exceptions import ApplicationError, Conflict
from tests.accounts.factories import UserFactory
from tests.assessments.factories import assessment_with, invite, numeric_question, single_choice_question

pytestmark = pytest.mark.django_db


def take(assessment, question, answer):
    invitation = invite(assessment)
    attempt, _ = attempt_start(candidate=invitation.candidate, assessment=assessment)
    response_save(attempt_id=attempt.id, question_id=question.id, answer=answer)
    return attempt_submit(attempt_id=attempt.id, submitted_by=Attempt.SubmittedBy.CANDIDATE)


@pytest.fixture
def corrected_key():
    """Two candidates answered 0.05 and 0.5; the key then moves from 0.05 to 0.5."""
    question = numeric_question(answer=0.05, abs_tol=0.001)
    assessment = assessment_with(question)
    first, second = take(assessment, question, {"value": 0.05}), take(assessment, question, {"value": 0.5})
    before = question_snapshot(question)
    question.numeric.answer = 0.5
    question.numeric.save()
    question_version_commit(question=question, before=before)
    return assessment, question, first, second


def test_a_regrade_shows_old_and_new_scores_before_anything_changes(corrected_key):
    assessment, question, first, second = corrected_key

    regrade = regrade_start(assessment=assessment, question=question, user=UserFactory(is_staff=True))

    assert regrade.state == Regrade.State.READY
    scores = {item.response.attempt_id: (item.old_score, item.new_score) for item in regrade.items.all()}
    assert scores == {first.id: (2, 0), second.id: (0, 2)}
    assert regrade_summary(regrade=regrade)["text"] == "2 response(s): 1 up, 1 down, 0 unchanged"
    first.refresh_from_db()
    assert first.score == 2


def test_accepting_applies_the_new_scores_and_moves_the_responses_to_the_new_version(corrected_key):
    assessment, question, first, second = corrected_key
    regrade = regrade_start(assessment=assessment, question=question, user=None)

    regrade_accept(regrade=regrade, user=UserFactory(is_staff=True))

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.score, second.score) == (0, 2)
    assert set(Response.objects.filter(attempt__in=[first, second]).values_list("question", flat=True)) == {question.id}
    with pytest.raises(Conflict):
        regrade_accept(regrade=regrade, user=None)


def test_discarding_leaves_every_score_alone(corrected_key):
    assessment, question, first, second = corrected_key
    regrade = regrade_start(assessment=assessment, question=question, user=None)

    regrade_discard(regrade=regrade, user=None)

    first.refresh_from_db()
    assert first.score == 2 and Response.objects.get(attempt=first).question.version_of == question


def test_only_one_open_regrade_per_question_and_assessment(corrected_key):
    assessment, question, *_ = corrected_key
    regrade_start(assessment=assessment, question=question, user=None)
    with pytest.raises(Conflict):
        regrade_start(assessment=assessment, question=question, user=None)


def test_a_regrade_with_nothing_to_regrade_is_refused():
    question = single_choice_question()
    with pytest.raises(ApplicationError):
        regrade_start(assessment=assessment_with(question), question=question, user=None)


def test_choice_answers_are_regraded_by_option_position():
    question = single_choice_question()
    assessment = assessment_with(question)
    picked_second = take(assessment, question, {"choice": question.options.get(text="Wrong").id})
    before = question_snapshot(question)
    question.options.update(is_correct=True)  # the key now accepts both
    question_version_commit(question=question, before=before)

    regrade = regrade_start(assessment=assessment, question=question, user=None)

    assert [(i.old_score, i.new_score) for i in regrade.items.all()] == [(0, 2)]
    regrade_accept(regrade=regrade, user=None)
    response = Response.objects.get(attempt=picked_second)
    assert question.options.get(id=response.answer["choice"]).text == "Wrong"


def test_computing_and_accepting_a_regrade_costs_the_same_queries_for_one_response_or_five(
        django_assert_max_num_queries):
    def corrected(count):
        question = single_choice_question()
        assessment = assessment_with(question)
        for _ in range(count):
            take(assessment, question, {"choice": question.options.get(text="Wrong").id})
        before = question_snapshot(question)
        question.options.update(is_correct=True)
        question_version_commit(question=question, before=before)
        return assessment, question

    costs = []
    for count in (1, 5):
        assessment, question = corrected(count)
        with django_assert_max_num_queries(200) as queries:
            regrade = regrade_start(assessment=assessment, question=question, user=None)
            regrade_accept(regrade=regrade, user=None)
        costs.append(len(queries.captured_queries))
        assert [i.new_score for i in regrade.items.all()] == [2.0] * count
    # Per response only what cannot be shared: saving its item, its attempt's rescore.
    assert costs[1] - costs[0] <= 4 * 4, costs
