"""The candidate's progress page and API: their stages, upcoming assessments, scores, skills —
and nobody else's."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from assessments.models import Attempt
from assessments.services import attempt_start, attempt_submit, response_save
from hiring.services import application_create, application_move, role_create
from tests.accounts.factories import UserFactory
from tests.assessments.factories import assessment_with, invite, single_choice_question

pytestmark = pytest.mark.django_db


def test_progress_shows_the_candidates_own_stages_scores_and_skills(client):
    role = role_create(slug="ds", title="Data Scientist")
    question = single_choice_question()
    assessment = assessment_with(question, title="Stats screen")
    candidate = invite(assessment).candidate
    application = application_create(role=role, candidate=candidate)
    application_move(application_id=application.id, to_stage=role.stages.get(slug="screening-call"), actor=None)
    upcoming = assessment_with(single_choice_question(), title="Next one")
    invite(upcoming, candidate=candidate)
    attempt, _ = attempt_start(candidate=candidate, assessment=assessment)
    response_save(attempt_id=attempt.id, question_id=question.id, answer={"choice": question.options.get(is_correct=True).id})
    attempt_submit(attempt_id=attempt.id, submitted_by=Attempt.SubmittedBy.CANDIDATE)

    api = APIClient()
    api.force_authenticate(candidate)
    data = api.get("/api/me/progress/").json()
    assert [s["status"] for s in data["pipeline"][0]["stages"]] == ["done", "current", "next", "next", "next"]
    assert [u["title"] for u in data["upcoming"]] == ["Next one"]
    assert data["history"][0]["percent"] == 100.0 and data["history"][0]["passed"] is True
    assert data["skills"] == [{"skill": "statistical-analysis", "name": "Statistical analysis", "percent": 100.0}]

    client.force_login(candidate)
    page = client.get(reverse("progress")).content.decode()
    assert "Data Scientist" in page and "Next one" in page and "Statistical analysis" in page

    other = APIClient()
    other.force_authenticate(UserFactory())
    assert other.get("/api/me/progress/").json() == {"pipeline": [], "upcoming": [], "history": [], "skills": []}


def test_progress_keeps_back_the_score_of_an_assessment_whose_results_the_team_keeps():
    from assessments.models import Assessment, Attempt
    from assessments.services import attempt_start, attempt_submit, response_save
    from hiring.selectors import candidate_progress
    from tests.assessments.factories import assessment_with, invite, numeric_question

    question = numeric_question(answer=0.05, abs_tol=0.001)
    assessment = assessment_with(question, candidate_results=Assessment.CandidateResults.NONE)
    candidate = invite(assessment).candidate
    attempt, _ = attempt_start(candidate=candidate, assessment=assessment)
    response_save(attempt_id=attempt.id, question_id=question.id, answer={"value": 0.05})
    attempt_submit(attempt_id=attempt.id, submitted_by=Attempt.SubmittedBy.CANDIDATE)

    progress = candidate_progress(candidate=candidate)

    assert [(h["percent"], h["passed"]) for h in progress["history"]] == [(None, None)]
    assert progress["skills"] == []
