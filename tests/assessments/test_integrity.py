"""Integrity signals: recorded only as the candidate was told, bounded, visible to the candidate
(who may add a note) and to reviewers (with code playback) — never acted on automatically."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from assessments.models import Attempt, IntegrityEvent
from assessments.services import attempt_start, attempt_submit
from tests.accounts.factories import StaffFactory, UserFactory
from tests.assessments.factories import assessment_with, code_question, invite, numeric_question

pytestmark = pytest.mark.django_db


@pytest.fixture
def taking():
    code = code_question()
    assessment = assessment_with(numeric_question(), code)
    attempt, _ = attempt_start(candidate=invite(assessment).candidate, assessment=assessment)
    client = APIClient()
    client.force_authenticate(attempt.candidate)
    return attempt, code, client


def test_the_page_records_pastes_leaving_the_page_and_code_snapshots(taking):
    attempt, code, client = taking
    future = (timezone.now() + timedelta(days=3)).isoformat()
    sent = client.post(f"/api/attempts/{attempt.id}/events/", {"events": [
        {"kind": "paste", "size": 420, "question_id": code.id},
        {"kind": "focus_lost", "duration_ms": 12_000, "at": future},
        {"kind": "snapshot", "question_id": code.id, "content": "def square(x):\n    return x * x\n"},
    ]}, format="json")

    assert sent.json() == {"recorded": 3}
    focus = IntegrityEvent.objects.get(kind="focus_lost")
    assert focus.at <= timezone.now()  # the page's clock is not trusted past now
    mine = client.get(f"/api/attempts/{attempt.id}/integrity/").json()
    assert (mine["pastes"], mine["pasted_chars"], mine["focus_lost"], mine["focus_lost_s"], mine["snapshots"]) == (1, 420, 1, 12, 1)
    assert all("content" not in e for e in mine["events"])


def test_bad_events_are_refused_whole(taking):
    attempt, code, client = taking
    other = numeric_question()
    for events in ([{"kind": "keylog"}], [{"kind": "paste", "size": -1}], [{"kind": "paste", "size": 1, "question_id": other.id}],
                   [{"kind": "snapshot", "content": "x" * (256 * 1024 + 1)}], [{"kind": "focus_lost", "duration_ms": True}]):
        assert client.post(f"/api/attempts/{attempt.id}/events/", {"events": events}, format="json").status_code == 400, events
    assert IntegrityEvent.objects.count() == 0


def test_nothing_is_recorded_after_the_hand_in_or_when_the_assessment_records_nothing(taking):
    attempt, code, client = taking
    attempt_submit(attempt_id=attempt.id, submitted_by=Attempt.SubmittedBy.CANDIDATE)
    assert client.post(f"/api/attempts/{attempt.id}/events/", {"events": [{"kind": "paste", "size": 1}]},
                       format="json").status_code == 409
    quiet = assessment_with(numeric_question(), records_integrity=False)
    other, _ = attempt_start(candidate=invite(quiet).candidate, assessment=quiet)
    other_client = APIClient()
    other_client.force_authenticate(other.candidate)
    assert other_client.post(f"/api/attempts/{other.id}/events/", {"events": [{"kind": "paste", "size": 1}]},
                             format="json").status_code == 409


def test_only_the_candidate_records_and_nobody_else_sees_it(taking):
    attempt, code, client = taking
    stranger = APIClient()
    stranger.force_authenticate(UserFactory())
    assert stranger.post(f"/api/attempts/{attempt.id}/events/", {"events": []}, format="json").status_code == 404
    assert stranger.get(f"/api/attempts/{attempt.id}/integrity/").status_code == 404
    reviewer = APIClient()
    reviewer.force_authenticate(StaffFactory())
    assert reviewer.post(f"/api/attempts/{attempt.id}/events/", {"events": []}, format="json").status_code == 403


def test_the_candidate_sees_what_was_recorded_after_finishing_and_adds_a_note(taking):
    attempt, code, client = taking
    client.post(f"/api/attempts/{attempt.id}/events/", {"events": [{"kind": "paste", "size": 42}]}, format="json")
    attempt_submit(attempt_id=attempt.id, submitted_by=Attempt.SubmittedBy.CANDIDATE)
    page = Client()
    page.force_login(attempt.candidate)

    html = page.get(f"/attempts/{attempt.id}/results/").content.decode()
    assert "What was recorded" in html and "42 characters" in html
    page.post(f"/attempts/{attempt.id}/integrity-note/", {"note": "I pasted my own helper from the sample."})

    attempt.refresh_from_db()
    assert attempt.integrity_note == "I pasted my own helper from the sample."
    assert client.get(f"/api/attempts/{attempt.id}/integrity/").json()["note"] == attempt.integrity_note


def test_the_start_page_says_what_will_be_recorded_before_anything_is(taking):
    attempt, code, client = taking
    fresh = assessment_with(numeric_question())
    page = Client()
    page.force_login(invite(fresh).candidate)
    html = page.get(f"/assessments/{fresh.id}/").content.decode()
    assert "What this assessment records" in html and "paste" in html


COPIED = """def square(x):
    # multiply the number by itself, carefully
    result = x * x
    if result < 0:
        raise ValueError("negative square")
    total = 0
    for _ in range(3):
        total += 1
    return result
"""
RENAMED = COPIED.replace("result", "out").replace("total", "count").replace("# multiply the number by itself, carefully", "")
OWN = "def square(value):\n    return value ** 2\n"


def test_code_copied_between_candidates_is_flagged_with_the_matching_lines():
    from assessments.models import SimilarityFlag, Submission
    from assessments.services.integrity import similarity_check
    from hiring.services import application_add, role_create

    question = code_question()
    assessment = assessment_with(question)
    attempts = []
    for source in (COPIED, RENAMED, OWN):
        attempt, _ = attempt_start(candidate=invite(assessment).candidate, assessment=assessment)
        Submission.objects.create(attempt=attempt, question=question, kind=Submission.Kind.SUBMIT, language="python",
                                  source=source, status=Submission.Status.DONE, verdict="AC", score=1.0)
        Attempt.objects.filter(pk=attempt.id).update(state=Attempt.State.GRADED)
        attempts.append(attempt)

    assert similarity_check(question_id=question.id) == 1
    flag = SimilarityFlag.objects.get()
    assert {flag.submission_a.attempt_id, flag.submission_b.attempt_id} == {attempts[0].id, attempts[1].id}
    assert flag.score >= 0.8 and flag.regions
    assert similarity_check(question_id=question.id) == 1 and SimilarityFlag.objects.count() == 1  # idempotent

    reviewer = StaffFactory()
    role = role_create(slug="ds", title="DS")
    application = application_add(role=role, email="copy@example.com", actor=reviewer)
    Attempt.objects.filter(pk=attempts[1].id).update(candidate=application.candidate)
    page = Client()
    page.force_login(reviewer)
    html = page.get(f"/staff/candidates/{application.id}/").content.decode()
    assert "similar code" in html and 'class="match"' in html
