"""Practice from /practice/: start a session by skill, check an answer, read the feedback."""

import pytest
from playwright.sync_api import expect

from assessments.models import Attempt, Response
from tests.accounts.factories import UserFactory
from tests.assessments.factories import SkillFactory, numeric_question
from tests.browser.helpers import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_practice_session_checks_answers_and_explains_them(page, shot):
    stats = SkillFactory(slug="statistical-analysis", name="Statistical analysis")
    for i in range(1, 7):
        q = numeric_question(answer=float(i * 2), abs_tol=0.01, difficulty="easy", title=f"Mean of three numbers ({i})",
                             prompt=f"What is the mean of {i * 2 - 1}, {i * 2} and {i * 2 + 1}?",
                             explanation=f"({i * 2 - 1} + {i * 2} + {i * 2 + 1}) / 3 = {i * 2}.")
        q.skills.set([stats])
    learner = UserFactory(username="pat", first_name="Pat")

    sign_in(page, "pat")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Practice").click()
    expect(page.get_by_role("heading", name="Readiness by skill")).to_be_visible()
    shot(page, "practice")
    page.get_by_label("Skill area").select_option("statistical-analysis")
    page.get_by_role("button", name="Start practising").click()
    expect(page.locator("#attempt[data-mode=practice]")).to_be_visible()

    attempt = Attempt.objects.get(candidate=learner)
    responses = Response.objects.filter(attempt=attempt).select_related("question__numeric").order_by("position")
    first, second = responses[:2]
    right = page.locator(f"#q{first.question_id}")
    right.get_by_label("Your answer").fill(f"{first.question.numeric.answer:g}")
    right.get_by_role("button", name="Check my answer").click()
    expect(right.locator("[data-feedback]")).to_contain_text("Correct.")

    wrong = page.locator(f"#q{second.question_id}")
    wrong.get_by_label("Your answer").fill("100")
    wrong.get_by_role("button", name="Check my answer").click()
    feedback = wrong.locator("[data-feedback]")
    expect(feedback).to_contain_text("Not quite.")
    expect(feedback).to_contain_text(f"Answer: {second.question.numeric.answer:g}")
    expect(feedback).to_contain_text(second.question.explanation)
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "practice-attempt", full_page=False)
