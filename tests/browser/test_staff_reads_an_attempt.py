"""A reviewer finds a candidate from /staff/, reads their graded attempt and grades a written answer."""

import pytest
from playwright.sync_api import expect

from assessments.models import Attempt, Question, Submission
from assessments.services import attempt_start, attempt_submit, response_save
from hiring.services import application_add, role_create
from tests.accounts.factories import StaffFactory
from tests.assessments.factories import (
    SQUARE_SOLUTION,
    QuestionFactory,
    assessment_with,
    code_question,
    invite,
    numeric_question,
)
from tests.browser.helpers import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_reviewer_reads_a_candidates_attempt_and_grades_the_written_answer(page, celery_worker, wait_for, shot):
    StaffFactory(username="rita", first_name="Rita", last_name="Recruiter")
    role = role_create(slug="data-scientist", title="Data Scientist")
    ann = application_add(role=role, email="ann@example.com", name="Ann Analyst", actor=None)
    numeric = numeric_question(answer=0.05, abs_tol=0.001, title="Conversion p-value",
                               prompt="The p-value of the conversion test, to three decimals.")
    code = code_question(title="Square it", prompt="Write `square(x)` returning `x` squared.")
    free = QuestionFactory(kind=Question.Kind.FREE_TEXT, title="Explain a p-value", points=2,
                           prompt="Explain a p-value to a product manager.", rubric="Data this extreme under the null.")
    assessment = assessment_with(numeric, code, free, title="Technical screen")
    attempt, _ = attempt_start(candidate=invite(assessment, ann.candidate).candidate, assessment=assessment)
    response_save(attempt_id=attempt.id, question_id=numeric.id, answer={"value": 0.07})
    response_save(attempt_id=attempt.id, question_id=code.id, answer={"language": "python", "source": SQUARE_SOLUTION})
    response_save(attempt_id=attempt.id, question_id=free.id,
                  answer={"text": "How often chance alone would give data at least this extreme."})
    attempt_submit(attempt_id=attempt.id, submitted_by=Attempt.SubmittedBy.CANDIDATE)
    wait_for(lambda: Submission.objects.filter(attempt=attempt, status=Submission.Status.DONE).exists(),
             timeout=60, message="the code to be graded")

    sign_in(page, "rita")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Hiring").click()
    page.get_by_role("link", name="Data Scientist").click()
    page.get_by_role("link", name="Ann Analyst").click()
    expect(page.get_by_role("heading", name="Ann Analyst", level=1)).to_be_visible()
    screen = page.locator("section.card").filter(has=page.get_by_role("heading", name="Technical screen"))

    code_answer = screen.locator("details.answer").filter(has_text="Square it")
    code_answer.locator("summary").click()
    expect(code_answer.locator("pre.output").first).to_contain_text("return x * x")
    expect(code_answer.locator(".tests li.ok")).to_have_count(3)
    numeric_answer = screen.locator("details.answer").filter(has_text="Conversion p-value")
    numeric_answer.locator("summary").click()
    expect(numeric_answer).to_contain_text("0.07")
    expect(numeric_answer.locator("summary")).to_contain_text("incorrect")

    written = screen.locator("details.answer").filter(has_text="Explain a p-value")
    written.locator("summary").click()
    expect(written).to_contain_text("How often chance alone would give data at least this extreme.")
    expect(written.locator("summary")).to_contain_text("awaiting review")
    shot(page, "staff-candidate")
    written.get_by_label("Score").fill("2")
    written.get_by_label("Why (required)").fill("Clear, and right about the null.")
    written.get_by_role("button", name="Grade").click()

    expect(screen.locator(".score")).to_contain_text("6 / 8")
    attempt.refresh_from_db()
    assert (attempt.state, attempt.score) == (Attempt.State.GRADED, 6.0)
