"""The server-rendered pages, with the real demo bank."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from assessments.models import Assessment, Attempt, Question, Response
from assessments.services import attempt_start

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(client):
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    candidate = User.objects.get(username="candidate")
    client.force_login(candidate)
    return candidate, Assessment.objects.get(slug="data-science-fundamentals")


def test_the_login_page_signs_a_candidate_in(client):
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    page = client.get(reverse("login"))
    assert page.status_code == 200 and b"Sign in" in page.content
    response = client.post(reverse("login"), {"username": "candidate", "password": "prep-demo"})
    assert response.status_code == 302 and response.url == reverse("home")


def test_pages_require_sign_in(client):
    assert client.get(reverse("home")).status_code == 302


def test_the_home_page_lists_the_candidates_assessment(client, demo):
    _, assessment = demo
    page = client.get(reverse("home"))
    assert assessment.title.encode() in page.content


def test_starting_from_the_page_opens_the_attempt_with_every_question(client, demo):
    _, assessment = demo
    response = client.post(reverse("attempt-start-page", args=[assessment.id]))
    attempt = Attempt.objects.get()
    assert response.url == reverse("attempt-take", args=[attempt.id])
    page = client.get(response.url)
    content = page.content.decode()
    assert content.count('class="card question"') == assessment.items.count()
    assert 'id="timer"' in content and attempt.deadline.isoformat() in content
    assert "<strong>p = 0.03</strong>" in content  # prompts render Markdown
    assert "reference_solution" not in content


def test_a_start_from_the_page_while_every_paper_slot_is_taken_says_to_try_again(client, demo, settings):
    from common.bulkhead import papers

    _, assessment = demo
    settings.PREP_WEB_START_SLOTS, settings.PREP_WEB_START_WAIT_S = 1, 0.05
    with papers:  # the one slot, held by another request
        started = client.post(reverse("attempt-start-page", args=[assessment.id]), follow=True)
        practice = client.post(reverse("practice"), {"skill": "", "difficulty": ""}, follow=True)

    assert not Attempt.objects.exists()
    assert "try again in a few seconds" in started.content.decode()
    assert "try again in a few seconds" in practice.content.decode()


def test_the_attempt_page_while_every_paper_slot_is_taken_sends_back_to_the_assessment_saying_so(
    client, demo, settings
):
    from common.bulkhead import papers

    candidate, assessment = demo
    attempt, _ = attempt_start(candidate=candidate, assessment=assessment)
    settings.PREP_WEB_START_SLOTS, settings.PREP_WEB_START_WAIT_S = 1, 0.05
    with papers:
        response = client.get(reverse("attempt-take", args=[attempt.id]), follow=True)

    assert response.redirect_chain[0][0] == reverse("assessment-detail", args=[assessment.id])
    assert "try again in a few seconds" in response.content.decode()
    assert client.get(reverse("attempt-take", args=[attempt.id])).status_code == 200  # the slot free again


def test_an_answer_saves_without_javascript(client, demo):
    candidate, assessment = demo
    attempt, _ = attempt_start(candidate=candidate, assessment=assessment)
    question = assessment.questions.filter(kind=Question.Kind.NUMERIC).first()
    response = client.post(
        reverse("response-save-page", args=[attempt.id, question.id]), {"kind": "numeric", "value": "3.92"}
    )
    assert response.status_code == 302
    assert Response.objects.get(attempt=attempt, question=question).answer == {"value": 3.92}


def test_finishing_shows_the_results_page_with_score_and_skills(client, demo):
    candidate, assessment = demo
    attempt, _ = attempt_start(candidate=candidate, assessment=assessment)
    response = client.post(reverse("attempt-submit-page", args=[attempt.id]))
    assert response.url == reverse("attempt-results", args=[attempt.id])
    page = client.get(response.url).content.decode()
    assert "By skill" in page and "By question" in page
    assert "Statistical analysis" in page


def test_another_candidates_attempt_page_is_not_found(client, demo):
    candidate, assessment = demo
    attempt, _ = attempt_start(candidate=candidate, assessment=assessment)
    other = User.objects.create_user("other", password="x-long-password")
    client.force_login(other)
    assert client.get(reverse("attempt-take", args=[attempt.id])).status_code == 404
    assert client.get(reverse("attempt-results", args=[attempt.id])).status_code == 404


def test_question_text_is_escaped_on_the_page(client, demo):
    candidate, assessment = demo
    Question.objects.filter(pk=assessment.items.first().question_id).update(
        prompt="<script>alert(1)</script> **bold** <img src=x onerror=alert(1)>", title="<b>t</b>"
    )
    attempt, _ = attempt_start(candidate=candidate, assessment=assessment)
    content = client.get(reverse("attempt-take", args=[attempt.id])).content.decode()
    assert "<script>alert(1)" not in content and "onerror=alert" not in content.replace("&lt;img src=x onerror=alert(1)&gt;", "")
    assert "<strong>bold</strong>" in content and "&lt;b&gt;t&lt;/b&gt;" in content
