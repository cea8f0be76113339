"""The per-attempt report: time per question (capped by the clock), percentile once 20 people
have taken the assessment, and what the candidate sees following the assessment's policy."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from assessments.models import Assessment, Attempt
from assessments.selectors import attempt_report
from assessments.services import attempt_start, attempt_submit, response_save, time_spent_record
from tests.accounts.factories import StaffFactory
from tests.assessments.factories import assessment_with, invite, numeric_question

pytestmark = pytest.mark.django_db


def graded(assessment, value):
    question = assessment.questions.get()
    attempt, _ = attempt_start(candidate=invite(assessment).candidate, assessment=assessment)
    response_save(attempt_id=attempt.id, question_id=question.id, answer={"value": value})
    return attempt_submit(attempt_id=attempt.id, submitted_by=Attempt.SubmittedBy.CANDIDATE)


def test_time_spent_is_what_the_page_reports_but_never_more_than_has_passed():
    question = numeric_question()
    assessment = assessment_with(question)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        attempt, _ = attempt_start(candidate=invite(assessment).candidate, assessment=assessment)
        clock.shift(timedelta(seconds=20))
        assert time_spent_record(attempt_id=attempt.id, question_id=question.id, seconds=15).time_spent_s == 15
        clock.shift(timedelta(seconds=10))
        assert time_spent_record(attempt_id=attempt.id, question_id=question.id, seconds=3600).time_spent_s == 26
        clock.shift(timedelta(minutes=10))
        assert time_spent_record(attempt_id=attempt.id, question_id=question.id, seconds=600).time_spent_s == 146


def test_the_page_reports_time_through_the_api_and_not_after_the_deadline():
    question = numeric_question()
    assessment = assessment_with(question)
    attempt, _ = attempt_start(candidate=invite(assessment).candidate, assessment=assessment)
    client = APIClient()
    client.force_authenticate(attempt.candidate)
    url = f"/api/attempts/{attempt.id}/responses/{question.id}/time/"
    assert client.post(url, {"seconds": -1}, format="json").status_code == 400
    assert client.post(url, {"seconds": 0}, format="json").json() == {"time_spent_s": 0}
    Attempt.objects.filter(pk=attempt.id).update(deadline=timezone.now() - timedelta(seconds=1),
                                                 started_at=timezone.now() - timedelta(hours=1))
    assert client.post(url, {"seconds": 5}, format="json").status_code == 409


def test_a_percentile_appears_once_twenty_people_have_taken_the_assessment():
    assessment = assessment_with(numeric_question(answer=10, abs_tol=0.5, points=1))
    for _ in range(18):
        graded(assessment, 0)
    best = graded(assessment, 10)
    assert attempt_report(attempt=best)["percentile"] is None
    worst = graded(assessment, 0)
    best.refresh_from_db()
    assert attempt_report(attempt=best)["percentile"] == 100.0
    assert attempt_report(attempt=worst)["percentile"] == pytest.approx(100 * 9 / 19, abs=0.1)
    assert attempt_report(attempt=worst)["percentile_of"] == 20


@pytest.mark.parametrize("policy, sees_score, sees_questions", [
    (Assessment.CandidateResults.FULL, True, True),
    (Assessment.CandidateResults.SCORE, True, False),
    (Assessment.CandidateResults.NONE, False, False),
])
def test_what_a_candidate_sees_of_a_graded_attempt_follows_the_assessments_policy(policy, sees_score, sees_questions):
    assessment = assessment_with(numeric_question(answer=0.05, abs_tol=0.001), candidate_results=policy)
    attempt = graded(assessment, 0.05)
    candidate, staff = APIClient(), APIClient()
    candidate.force_authenticate(attempt.candidate)
    staff.force_authenticate(StaffFactory())

    mine = candidate.get(f"/api/attempts/{attempt.id}/report/").json()
    theirs = staff.get(f"/api/attempts/{attempt.id}/report/").json()

    assert (mine["score"] is not None) is sees_score and bool(mine["questions"]) is sees_questions
    assert theirs["score"] == 2 and theirs["questions"]
    page = APIClient()
    page.force_login(attempt.candidate)
    html = page.get(f"/attempts/{attempt.id}/results/").content.decode()
    assert ("100.0%" in html) is sees_score
    assert ("By question" in html) is sees_questions
