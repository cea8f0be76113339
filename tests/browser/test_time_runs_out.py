"""A timed attempt whose time runs out on the page: warnings at 5 and 1 minutes, the countdown
on the server's clock in two tabs, the answer saved in time counts and a later save is refused."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from assessments.models import Attempt, Question, Response, TextAnswer
from assessments.services import attempt_start
from assessments.tasks import attempt_expire
from tests.accounts.factories import UserFactory
from tests.assessments.factories import QuestionFactory, assessment_with, invite, numeric_question
from tests.browser.helpers import csrf_token, question, sign_in, wait_saved

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SECONDS = "el => { const [m, s] = el.textContent.split(':').map(Number); return m * 60 + s; }"


def test_when_time_runs_out_the_page_says_so_and_only_what_was_saved_in_time_counts(page, celery_worker, shot):
    short = QuestionFactory(kind=Question.Kind.SHORT_TEXT, title="Name the distribution",
                            prompt="Which distribution does the sum of squared standard normals follow?")
    TextAnswer.objects.create(question=short, text="chi-squared")
    numeric = numeric_question(answer=0.05, title="Significance level", prompt="The conventional α, as a decimal.")
    assessment = assessment_with(short, numeric, title="Quick check", time_limit=timedelta(minutes=10))
    candidate = UserFactory(username="tim")
    invite(assessment, candidate)
    attempt, _ = attempt_start(candidate=candidate, assessment=assessment)
    # As if the candidate had started nine minutes ago: the deadline, and the server's task that
    # submits the attempt at the deadline (attempt_start schedules it), move close.
    deadline = timezone.now() + timedelta(seconds=68)
    Attempt.objects.filter(pk=attempt.pk).update(deadline=deadline)
    attempt_expire.apply_async((attempt.id,), eta=deadline)

    sign_in(page, "tim")
    page.goto(f"/attempts/{attempt.id}/")
    warning = page.locator("#time-warning")
    expect(warning).to_have_attribute("role", "alert")
    expect(warning).to_contain_text("5 minutes left.")
    expect(page.locator("#timer")).to_have_class("warn")
    # Count what the banner says from now on: each warning appears once.
    warning.evaluate("""el => { window.__said = [];
        new MutationObserver(() => window.__said.push(el.textContent)).observe(el, {childList: true}); }""")

    # A second tab counts down to the same second: both read the server's deadline and clock.
    other = page.context.new_page()
    other.goto(f"/attempts/{attempt.id}/")
    expect(other.locator("#time-warning")).to_contain_text("5 minutes left.")
    here, there = page.locator("#timer").evaluate(SECONDS), other.locator("#timer").evaluate(SECONDS)
    assert abs(here - there) <= 1 and 50 <= here <= 68, (here, there)
    other.close()

    question(page, "Name the distribution").get_by_label("Your answer").fill("chi-squared")
    wait_saved(page)
    expect(warning).to_contain_text("1 minute left.", timeout=20_000)
    expect(page.locator("#timer")).to_have_class("warn danger")
    shot(page, "timer-warning", full_page=False)
    page.wait_for_timeout(1_500)
    assert page.evaluate("window.__said") == [warning.inner_text()]  # once, and not repeated

    expect(page.locator("#time-up")).to_be_visible(timeout=90_000)
    expect(page.locator("#time-up")).to_have_text("Time is up. Your saved answers have been submitted.")
    expect(question(page, "Significance level").get_by_label("Your answer")).to_be_disabled()
    shot(page, "time-up", full_page=False)

    expect(page.get_by_text("Submitted automatically when time ran out")).to_be_visible(timeout=30_000)
    assert f"/attempts/{attempt.id}/results/" in page.url
    expect(page.locator("table.table tbody tr").filter(has_text="Name the distribution")).to_contain_text("correct")

    late = page.request.put(f"/api/attempts/{attempt.id}/responses/{numeric.id}/", data={"value": "0.05"},
                            headers={"X-CSRFToken": csrf_token(page)})
    assert late.status == 409, late.text()
    attempt.refresh_from_db()
    assert (attempt.state, attempt.submitted_by) == (Attempt.State.GRADED, Attempt.SubmittedBy.DEADLINE)
    assert attempt.submitted_at <= deadline
    scores = {r.question_id: (r.answer, r.score) for r in Response.objects.filter(attempt=attempt)}
    assert scores[short.id] == ({"text": "chi-squared"}, short.points)
    assert scores[numeric.id] == ({}, 0.0)
