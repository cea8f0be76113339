"""Reports through the staff API and the report pages: their shapes, the CSV exports a recruiter
opens in a spreadsheet, and who may see them (people who see every application, and no one else)."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import include, path
from django.utils import timezone
from rest_framework.test import APIClient

from assessments.models import Attempt, Response
from hiring.models import Application, Scorecard
from hiring.services import application_close, application_create, application_move, interviewers_assign, role_create
from tests.accounts.factories import InterviewerFactory, StaffFactory, UserFactory, client_for
from tests.assessments.factories import SkillFactory, assessment_with, numeric_question, single_choice_question

pytestmark = pytest.mark.django_db

# The report pages are mounted by prep/urls.py under staff/; here they are mounted for these tests.
urlpatterns = [path("staff/", include("hiring.urls_pages_reports")), path("", include("prep.urls"))]


def rows_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.fixture
def reviewer():
    return StaffFactory(username="rita")


@pytest.fixture
def hiring(reviewer):
    """A role with its technical stage's assessment, three candidates and one graded attempt."""
    for slug in ("collaboration", "statistical-analysis", "machine-learning"):
        SkillFactory(slug=slug, name=slug.replace("-", " ").capitalize())
    role = role_create(slug="ds", title="Data Scientist")
    stats, ml = single_choice_question(title="p-values"), numeric_question(title="AUC", points=3)
    assessment = assessment_with(stats, ml, pass_mark_percent=50, slug="screen")
    role.stages.filter(slug="technical-assessment").update(assessment=assessment)
    people = [UserFactory(first_name=first, last_name=last, email=f"{last.lower()}@example.com")
              for first, last in (("Ada", "Lovelace"), ("=HYPERLINK(1)", "Evil"), ("Grace", "Hopper"))]
    apps = [application_create(role=role, candidate=p, actor=reviewer) for p in people]
    technical = role.stages.get(slug="technical-assessment")
    application_move(application_id=apps[0].id, to_stage=technical, actor=reviewer)
    application_close(application_id=apps[1].id, state="rejected", actor=reviewer)
    interviewer = InterviewerFactory(username="ivan", first_name="Ivan", last_name="Petrov")
    interviewers_assign(application=apps[0], usernames=["ivan"], actor=reviewer)
    Scorecard.objects.create(application=apps[0], stage=role.stages.get(slug="screening-call"), interviewer=interviewer,
                             ratings={"collaboration": 3}, overall=3.0, recommendation="yes")
    now = timezone.now()
    attempt = Attempt.objects.create(candidate=people[0], assessment=assessment, state=Attempt.State.GRADED, seed=1,
                                     started_at=now - timedelta(minutes=40), deadline=now - timedelta(minutes=10),
                                     submitted_at=now - timedelta(minutes=15), score=2.0, max_score=5.0)
    Response.objects.create(attempt=attempt, question=stats, score=2.0, max_score=2.0, graded_at=now)
    Response.objects.create(attempt=attempt, question=ml, score=0.0, max_score=3.0, graded_at=now)
    Attempt.objects.create(candidate=people[2], assessment=assessment, seed=2, started_at=now,
                           deadline=now + timedelta(minutes=30), max_score=5.0)  # in progress: in no report
    return role, assessment, apps, interviewer


def test_the_funnel_answers_every_stage_in_order_with_totals(reviewer, hiring):
    role, *_ = hiring

    funnel = client_for(reviewer).get(f"/api/staff/roles/{role.id}/funnel/").json()

    assert funnel["role"] == {"id": role.id, "slug": "ds", "title": "Data Scientist"}
    assert [(s["slug"], s["reached"], s["current"]) for s in funnel["stages"]] == [
        ("application", 3, 1), ("screening-call", 1, 0), ("technical-assessment", 1, 1),
        ("on-site-interviews", 0, 0), ("final-discussion", 0, 0)]
    assert set(funnel["stages"][0]) == {"slug", "name", "order", "current", "reached", "conversion",
                                        "median_days_in_stage", "mean_days_in_stage", "timed"}
    assert funnel["totals"] == {"applications": 3, "active": 2, "hired": 0, "rejected": 1, "withdrawn": 0}


def test_item_statistics_and_the_score_distribution_describe_graded_attempts(reviewer, hiring):
    _, assessment, *_ = hiring
    client = client_for(reviewer)

    items = client.get(f"/api/staff/assessments/{assessment.id}/item-statistics/").json()
    distribution = client.get(f"/api/staff/assessments/{assessment.id}/score-distribution/?bins=5").json()

    assert items["attempts"] == 1
    assert [(i["title"], i["responses"], i["mean_score"], i["discrimination"]) for i in items["items"]] == [
        ("p-values", 1, 1.0, None), ("AUC", 1, 0.0, None)]
    assert {"exposure", "kind", "difficulty", "question_id"} <= set(items["items"][0])
    assert (distribution["count"], distribution["mean"], distribution["passed"], distribution["pass_rate"]) == (1, 40.0, 0, 0.0)
    assert [b["count"] for b in distribution["bins"]] == [0, 0, 1, 0, 0]
    assert distribution["bins"][2] == {"from": 40.0, "to": 60.0, "count": 1}


def test_a_bin_count_out_of_range_is_refused_in_the_error_shape(reviewer, hiring):
    _, assessment, *_ = hiring

    response = client_for(reviewer).get(f"/api/staff/assessments/{assessment.id}/score-distribution/?bins=0")

    assert response.status_code == 400
    assert response.json()["message"] == "Validation error" and "bins" in response.json()["extra"]["fields"]


def test_the_candidates_csv_has_a_row_per_candidate_safe_to_open_in_a_spreadsheet(reviewer, hiring):
    role, *_ = hiring

    response = client_for(reviewer).get(f"/api/staff/roles/{role.id}/candidates.csv")

    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="ds-candidates.csv"'
    header, *rows = rows_of(response)
    assert header == ["name", "email", "stage", "state", "stage_entered_at", "best_percent", "scorecard_average",
                      "interviewers"]
    by_email = {row[1]: row for row in rows}
    assert len(rows) == 3
    ada = by_email["lovelace@example.com"]
    assert ada[0] == "Ada Lovelace" and ada[2:4] == ["Technical assessment", "active"]
    assert ada[5:] == ["40.0", "3.0", "Ivan Petrov"] and ada[4].endswith("+00:00")
    assert by_email["evil@example.com"][0] == "'=HYPERLINK(1) Evil"  # text, not a formula
    assert by_email["evil@example.com"][2:4] == ["Application", "rejected"]
    assert by_email["hopper@example.com"][5:] == ["", "", ""]


def test_the_results_csv_has_a_row_per_graded_attempt_with_a_percent_per_skill(reviewer, hiring):
    _, assessment, *_ = hiring

    response = client_for(reviewer).get(f"/api/staff/assessments/{assessment.id}/results.csv")

    assert response["Content-Disposition"] == 'attachment; filename="screen-results.csv"'
    header, *rows = rows_of(response)
    assert header == ["candidate", "email", "started_at", "submitted_at", "score", "max_score", "percent", "passed",
                      "Machine learning %", "Statistical analysis %"]
    assert len(rows) == 1
    assert rows[0][:2] == ["Ada Lovelace", "lovelace@example.com"]
    assert rows[0][4:] == ["2.0", "5.0", "40.0", "no", "0.0", "100.0"]


def test_a_client_asking_for_csv_gets_errors_as_csv_too(reviewer):
    response = client_for(reviewer).get("/api/staff/roles/999999/candidates.csv", HTTP_ACCEPT="text/csv")

    assert response.status_code == 404
    assert response.content.decode().splitlines() == ["message", "Role not found."]


def test_reports_are_for_people_who_see_every_application(reviewer, hiring):
    role, assessment, apps, interviewer = hiring
    urls = [f"/api/staff/roles/{role.id}/funnel/", f"/api/staff/roles/{role.id}/candidates.csv",
            f"/api/staff/assessments/{assessment.id}/item-statistics/",
            f"/api/staff/assessments/{assessment.id}/score-distribution/",
            f"/api/staff/assessments/{assessment.id}/results.csv"]
    candidate = Application.objects.get(pk=apps[0].id).candidate

    for url in urls:
        assert client_for(reviewer).get(url).status_code == 200, url
        assert client_for(interviewer).get(url).status_code == 403, url  # even about a candidate assigned to them
        assert client_for(candidate).get(url).status_code == 403, url
        assert APIClient().get(url).status_code == 401, url
    assert client_for(reviewer).get("/api/staff/roles/999999/funnel/").json() == {"message": "Role not found.", "extra": {}}
    assert client_for(reviewer).get("/api/staff/assessments/999999/item-statistics/").status_code == 404


def test_the_report_routes_are_in_the_openapi_schema():
    schema = APIClient().get("/api/schema/?format=json").json()

    paths = schema["paths"]
    assert "/api/staff/roles/{role_id}/funnel/" in paths
    assert "/api/staff/assessments/{assessment_id}/item-statistics/" in paths
    assert "bins" in [p["name"] for p in paths["/api/staff/assessments/{assessment_id}/score-distribution/"]["get"]["parameters"]]
    assert "text/csv" in paths["/api/staff/roles/{role_id}/candidates.csv"]["get"]["responses"]["200"]["content"]
    assert "text/csv" in paths["/api/staff/assessments/{assessment_id}/results.csv"]["get"]["responses"]["200"]["content"]


@pytest.mark.urls(__name__)
def test_the_report_pages_show_their_figures_as_tables_beside_the_charts(client, reviewer, hiring):
    role, assessment, *_ = hiring
    client.force_login(reviewer)

    index = client.get("/staff/reports/")
    role_page = client.get(f"/staff/reports/roles/{role.id}/").content.decode()
    assessment_page = client.get(f"/staff/reports/assessments/{assessment.id}/").content.decode()

    assert index.status_code == 200 and "Data Scientist" in index.content.decode()
    assert f'data-source="/api/staff/roles/{role.id}/funnel/"' in role_page
    assert f'href="/api/staff/roles/{role.id}/candidates.csv"' in role_page
    assert "<th scope=\"row\">Technical assessment</th>" in role_page
    assert 'data-chart="histogram"' in assessment_page and 'data-chart="items"' in assessment_page
    assert "<th scope=\"row\">p-values</th>" in assessment_page
    assert "vendor/chart.js/chart.umd.min.js" in assessment_page and "prep/charts.js" in assessment_page


@pytest.mark.urls(__name__)
def test_the_report_pages_are_refused_to_interviewers_and_candidates(client, hiring):
    role, assessment, apps, interviewer = hiring

    client.force_login(interviewer)
    assert client.get(f"/staff/reports/roles/{role.id}/").status_code == 403
    client.force_login(Application.objects.get(pk=apps[0].id).candidate)
    assert client.get(f"/staff/reports/assessments/{assessment.id}/").status_code == 403
    client.logout()
    assert client.get("/staff/reports/").status_code == 302  # to sign in
