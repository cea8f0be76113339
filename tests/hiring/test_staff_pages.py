"""The hiring team's pages: roles, a role's candidates, the candidate record with its forms, and
the printable report — each person seeing exactly what their role allows."""

import io

import pytest
from django.test import Client
from pypdf import PdfReader

from assessments.models import Attempt, Response
from assessments.services import attempt_start, attempt_submit, response_save
from hiring.models import Application, Comment, Scorecard
from hiring.services import application_add, interviewers_assign, role_create
from tests.accounts.factories import InterviewerFactory, StaffFactory
from tests.assessments.factories import SkillFactory, assessment_with, code_question, invite, numeric_question

pytestmark = pytest.mark.django_db


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def pipeline():
    for slug in ("collaboration", "domain-knowledge", "statistical-analysis", "programming", "machine-learning",
                 "data-visualization", "data-ethics"):
        SkillFactory(slug=slug, name=slug.replace("-", " ").capitalize())
    recruiter = StaffFactory(username="rita", first_name="Rita", last_name="Recruiter")
    role = role_create(slug="ds", title="Data Scientist")
    ann = application_add(role=role, email="ann@example.com", name="Ann Analyst", actor=recruiter)
    bob = application_add(role=role, email="bob@example.com", name="Bob Builder", actor=recruiter)
    numeric = numeric_question(answer=0.05, abs_tol=0.001, title="Conversion p-value")
    code = code_question(title="Square it")
    assessment = assessment_with(numeric, code)
    attempt, _ = attempt_start(candidate=invite(assessment, ann.candidate).candidate, assessment=assessment)
    response_save(attempt_id=attempt.id, question_id=numeric.id, answer={"value": 0.07})
    attempt_submit(attempt_id=attempt.id, submitted_by=Attempt.SubmittedBy.CANDIDATE)
    return recruiter, role, ann, bob, attempt, numeric


def test_a_reviewer_reads_the_role_and_the_whole_candidate_record(pipeline):
    recruiter, role, ann, bob, attempt, numeric = pipeline
    client = browser(recruiter)

    home = client.get("/staff/").content.decode()
    assert "Data Scientist" in home
    listing = client.get(f"/staff/roles/{role.id}/?q=ann").content.decode()
    assert "Ann Analyst" in listing and "Bob Builder" not in listing

    page = client.get(f"/staff/candidates/{ann.id}/").content.decode()
    assert "Conversion p-value" in page and "0.07" in page  # the answer itself
    assert "Square it" in page and "not answered" in page
    assert "Audit trail" in page and "Applied" in page
    assert "Printable report (PDF)" in page


def test_forms_on_the_candidate_page_comment_score_override_and_move(pipeline):
    recruiter, role, ann, bob, attempt, numeric = pipeline
    client = browser(recruiter)
    base = f"/staff/candidates/{ann.id}/"

    client.post(base + "comment/", {"body": "Strong on stats"})
    client.post(base + "scorecard/", {"stage": "screening-call", "rating-collaboration": "3",
                                      "rating-domain-knowledge": "4", "recommendation": "yes", "notes": "Clear"})
    response = Response.objects.get(attempt=attempt, question=numeric)
    refused = client.post(base + "override/", {"response_id": response.id, "score": "2", "note": ""}, follow=True)
    assert "Say why in a note." in refused.content.decode()
    client.post(base + "override/", {"response_id": response.id, "score": "2", "note": "Rounding allowed"})
    client.post(base + "move/", {"target": "on-site-interviews", "note": "Go"})
    client.post(base + "move/", {"target": "rejected", "note": "Chose another"})

    assert Comment.objects.get(application=ann).body == "Strong on stats"
    assert Scorecard.objects.get(application=ann).overall == 3.5
    response.refresh_from_db()
    assert (response.score, response.review_note) == (2, "Rounding allowed")
    ann.refresh_from_db()
    assert (ann.stage.slug, ann.state) == ("on-site-interviews", "rejected")
    page = client.get(base).content.decode()
    assert "Chose another" in page and "Rounding allowed" in page


def test_bulk_moves_from_the_role_page_move_all_or_none(pipeline):
    recruiter, role, ann, bob, *_ = pipeline
    client = browser(recruiter)
    client.post(f"/staff/roles/{role.id}/move/", {"ids": [ann.id, bob.id], "target": "screening-call", "note": "Batch"})
    assert set(Application.objects.values_list("stage__slug", flat=True)) == {"screening-call"}
    Application.objects.filter(pk=bob.id).update(state="withdrawn")
    answer = client.post(f"/staff/roles/{role.id}/move/", {"ids": [ann.id, bob.id], "target": "technical-assessment"},
                         follow=True).content.decode()
    assert "Nobody was moved" in answer
    assert Application.objects.get(pk=ann.id).stage.slug == "screening-call"


def test_an_interviewer_sees_only_assigned_candidates_and_cannot_move_them(pipeline):
    recruiter, role, ann, bob, *_ = pipeline
    ivan = InterviewerFactory(username="ivan")
    interviewers_assign(application=ann, usernames=["ivan"], actor=recruiter)
    client = browser(ivan)

    assert "Ann Analyst" in client.get(f"/staff/roles/{role.id}/").content.decode()
    assert "Bob Builder" not in client.get(f"/staff/roles/{role.id}/").content.decode()
    page = client.get(f"/staff/candidates/{ann.id}/").content.decode()
    assert "Fill my scorecard" in page and 'name="target"' not in page and "Override" not in page
    assert client.get(f"/staff/candidates/{bob.id}/").status_code == 404
    assert client.post(f"/staff/candidates/{ann.id}/move/", {"target": "rejected"}).status_code == 403
    assert client.get(f"/staff/candidates/{bob.id}/report.pdf").status_code == 404


def test_candidates_and_strangers_get_no_staff_page(pipeline):
    recruiter, role, ann, *_ = pipeline
    assert browser(ann.candidate).get("/staff/").status_code == 403
    assert browser(ann.candidate).get(f"/staff/candidates/{ann.id}/").status_code == 403
    assert Client().get("/staff/").status_code == 302  # to sign in


def test_the_printable_report_is_a_pdf_with_the_candidates_results(pipeline):
    recruiter, role, ann, *_ = pipeline
    response = browser(recruiter).get(f"/staff/candidates/{ann.id}/report.pdf")
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Ann Analyst" in text and "Conversion p-value" in text and "Audit trail" in text


def test_a_recruiter_creates_a_role_adds_candidates_and_sets_the_stage_rules_from_the_pages(pipeline, django_capture_on_commit_callbacks):
    from django.core import mail

    from hiring.models import Role

    recruiter, *_ = pipeline
    client = browser(recruiter)
    created = client.post("/staff/roles/new/", {"title": "ML Engineer"})
    role = Role.objects.get(slug="ml-engineer")
    assert created.url == f"/staff/roles/{role.id}/" and role.stages.count() == 5

    added = client.post(f"/staff/roles/{role.id}/candidates/", {"candidates": "Ada Lovelace <ada@example.com>\nbo@example.com, Bo Diddley\ncy@example.com"},
                        follow=True).content.decode()
    assert "3 candidate(s) added" in added and "Ada Lovelace" in added
    refused = client.post(f"/staff/roles/{role.id}/candidates/", {"candidates": "dee@example.com\nnot an address"}, follow=True)
    assert "Line 2" in refused.content.decode() and not Application.objects.filter(candidate__email="dee@example.com").exists()

    assessment = assessment_with(numeric_question())
    client.post(f"/staff/roles/{role.id}/stages/technical-assessment/",
                {"assessment_id": assessment.id, "invite_on_enter": "on", "advance_on_pass": "on"})
    technical = role.stages.get(slug="technical-assessment")
    assert technical.assessment == assessment and technical.invite_on_enter and technical.advance_on_pass
    ids = list(Application.objects.filter(role=role).values_list("id", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/staff/roles/{role.id}/move/", {"ids": ids, "target": "technical-assessment", "note": "Go"})
    assert len(mail.outbox) == 3 and "ada@example.com" in [m.to[0] for m in mail.outbox]
