"""The hiring team's API: a recruiter runs candidates through a role, interviewers see only
their candidates, candidates see none of it — and every step is in the audit trail."""

import pytest
from django.core import mail
from rest_framework.test import APIClient

from assessments.models import Attempt, Invitation, Response
from assessments.services import attempt_start, attempt_submit, response_save
from hiring.models import Application
from hiring.services import attempt_graded_apply_rules
from tests.accounts.factories import InterviewerFactory, StaffFactory, client_for
from tests.assessments.factories import SkillFactory, assessment_with, invite, numeric_question

pytestmark = pytest.mark.django_db


@pytest.fixture
def skills():
    for slug in ("collaboration", "domain-knowledge", "statistical-analysis", "programming", "machine-learning"):
        SkillFactory(slug=slug, name=slug.replace("-", " ").capitalize())


@pytest.fixture
def recruiter():
    return client_for(StaffFactory(username="rita"))


def create_role(recruiter):
    response = recruiter.post("/api/staff/roles/", {"slug": "ds", "title": "Data Scientist"}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_a_recruiter_runs_three_candidates_through_a_role(skills, recruiter, django_capture_on_commit_callbacks):
    role = create_role(recruiter)
    assert [s["slug"] for s in role["stages"]] == [
        "application", "screening-call", "technical-assessment", "on-site-interviews", "final-discussion"]
    assessment = assessment_with(numeric_question(answer=0.05, abs_tol=0.001), pass_mark_percent=50)
    configured = recruiter.patch(f"/api/staff/roles/{role['id']}/stages/technical-assessment/",
                                 {"assessment_id": assessment.id, "invite_on_enter": True, "advance_on_pass": True},
                                 format="json")
    assert configured.status_code == 200 and configured.json()["invite_on_enter"]
    ids = [recruiter.post(f"/api/staff/roles/{role['id']}/applications/", {"email": f"c{i}@example.com", "name": f"Cand {i}"},
                          format="json").json()["id"] for i in range(3)]
    assert recruiter.post(f"/api/staff/roles/{role['id']}/applications/", {"email": "c0@example.com"},
                          format="json").status_code == 409

    with django_capture_on_commit_callbacks(execute=True):
        moved = recruiter.post("/api/staff/applications/move/", {"ids": ids, "stage": "technical-assessment",
                                                                 "note": "CVs fit"}, format="json")
    assert moved.json() == {"moved": 3}
    assert Invitation.objects.filter(assessment=assessment).count() == 3  # the stage's rule invited them
    assert len(mail.outbox) == 3

    # One passes the assessment: the rule moves them on.
    passer = Application.objects.get(pk=ids[0]).candidate
    attempt, _ = attempt_start(candidate=passer, assessment=assessment)
    response_save(attempt_id=attempt.id, question_id=assessment.questions.get().id, answer={"value": 0.05})
    attempt_submit(attempt_id=attempt.id, submitted_by=Attempt.SubmittedBy.CANDIDATE)
    attempt_graded_apply_rules(attempt_id=attempt.id)  # what the hiring.attempt_graded task runs
    assert Application.objects.get(pk=ids[0]).stage.slug == "on-site-interviews"

    page = recruiter.get(f"/api/staff/roles/{role['id']}/applications/?ordering=-score").json()
    assert page["count"] == 3 and page["results"][0]["id"] == ids[0] and page["results"][0]["best_percent"] == 100.0

    scorecard = recruiter.post(f"/api/staff/applications/{ids[0]}/scorecards/", {
        "stage": "on-site-interviews", "recommendation": "yes", "notes": "Clear on power analysis",
        "ratings": {"statistical-analysis": 4, "programming": 3}}, format="json")
    assert scorecard.status_code == 201, scorecard.content
    assert recruiter.post(f"/api/staff/applications/{ids[0]}/comments/", {"body": "Fast and careful."},
                          format="json").status_code == 201
    assert recruiter.post(f"/api/staff/applications/{ids[1]}/move/", {"state": "rejected", "note": "No-show"},
                          format="json").json() == {"stage": "technical-assessment", "state": "rejected"}

    record = recruiter.get(f"/api/staff/applications/{ids[0]}/").json()
    assert [s["status"] for s in record["pipeline"]] == ["done", "done", "done", "current", "next"]
    assert [(t["from_stage"], t["to_stage"], t["note"].split(":")[0]) for t in record["transitions"]] == [
        (None, "Application", "Applied"),
        ("Application", "Technical assessment", "CVs fit"),
        ("Technical assessment", "On-site interviews", "Automatic"),
    ]
    assert record["transitions"][1]["actor"] == "rita"
    assert record["scorecards"][0]["overall"] == 3.5 and record["comments"][0]["body"] == "Fast and careful."
    assert record["attempts"][0]["questions"][0]["answer"] == {"value": 0.05}
    rejected = recruiter.get(f"/api/staff/applications/{ids[1]}/").json()
    assert rejected["state"] == "rejected" and rejected["transitions"][-1]["note"] == "No-show"


def test_a_score_override_needs_a_note_and_updates_the_attempt(skills, recruiter):
    role = create_role(recruiter)
    question = numeric_question(answer=0.05, abs_tol=0.001)
    assessment = assessment_with(question)
    application_id = recruiter.post(f"/api/staff/roles/{role['id']}/applications/", {"email": "x@example.com"},
                                    format="json").json()["id"]
    candidate = Application.objects.get(pk=application_id).candidate
    attempt, _ = attempt_start(candidate=invite(assessment, candidate).candidate, assessment=assessment)
    response_save(attempt_id=attempt.id, question_id=question.id, answer={"value": 0.051})
    attempt_submit(attempt_id=attempt.id, submitted_by=Attempt.SubmittedBy.CANDIDATE)
    response = Response.objects.get(attempt=attempt)
    url = f"/api/staff/applications/{application_id}/responses/{response.id}/override/"

    assert recruiter.post(url, {"score": 2, "note": " "}, format="json").status_code == 400
    overridden = recruiter.post(url, {"score": 2, "note": "Rounding the prompt allowed"}, format="json")

    assert overridden.json() == {"score": 2.0, "attempt_score": 2.0}
    other = assessment_with(numeric_question())
    stranger_attempt, _ = attempt_start(candidate=invite(other).candidate, assessment=other)
    foreign = Response.objects.get(attempt=stranger_attempt)
    assert recruiter.post(f"/api/staff/applications/{application_id}/responses/{foreign.id}/override/",
                          {"score": 1, "note": "x"}, format="json").status_code == 404


def test_each_role_sees_exactly_what_it_should(skills, recruiter):
    role = create_role(recruiter)
    mine, theirs = (recruiter.post(f"/api/staff/roles/{role['id']}/applications/", {"email": e}, format="json").json()["id"]
                    for e in ("mine@example.com", "theirs@example.com"))
    interviewer_user = InterviewerFactory(username="ivan")
    assert recruiter.put(f"/api/staff/applications/{mine}/interviewers/", {"usernames": ["ivan"]},
                         format="json").status_code == 200
    interviewer = client_for(interviewer_user)
    candidate = client_for(Application.objects.get(pk=mine).candidate)
    anonymous = APIClient()

    assert interviewer.get(f"/api/staff/applications/{mine}/").status_code == 200
    assert interviewer.get(f"/api/staff/applications/{theirs}/").status_code == 404
    assert [a["id"] for a in interviewer.get(f"/api/staff/roles/{role['id']}/applications/").json()["results"]] == [mine]
    assert interviewer.post(f"/api/staff/applications/{mine}/comments/", {"body": "Good call"}, format="json").status_code == 201
    assert interviewer.post(f"/api/staff/applications/{mine}/move/", {"state": "rejected"}, format="json").status_code == 403
    assert interviewer.post("/api/staff/roles/", {"slug": "x", "title": "X"}, format="json").status_code == 403

    for outsider, code in ((candidate, 403), (anonymous, 401)):
        assert outsider.get("/api/staff/roles/").status_code == code
        assert outsider.get(f"/api/staff/applications/{mine}/").status_code == code
        assert outsider.post(f"/api/staff/applications/{mine}/comments/", {"body": "hi"}, format="json").status_code == code


def test_the_candidate_list_costs_the_same_few_queries_whatever_the_page_size(skills, recruiter, django_assert_max_num_queries):
    role = create_role(recruiter)
    for i in range(30):
        recruiter.post(f"/api/staff/roles/{role['id']}/applications/", {"email": f"p{i}@example.com"}, format="json")
    url = f"/api/staff/roles/{role['id']}/applications/?limit=200&q=example"
    with django_assert_max_num_queries(8):
        page = recruiter.get(url).json()
    assert page["count"] == 30 and len(page["results"]) == 30


def test_a_bulk_move_naming_an_unknown_application_moves_nobody(skills, recruiter):
    role = create_role(recruiter)
    ids = [recruiter.post(f"/api/staff/roles/{role['id']}/applications/", {"email": f"b{i}@example.com"},
                          format="json").json()["id"] for i in range(2)]
    refused = recruiter.post("/api/staff/applications/move/", {"ids": [*ids, 99999], "stage": "screening-call"},
                             format="json")
    assert refused.status_code == 404
    assert set(Application.objects.values_list("stage__slug", flat=True)) == {"application"}
