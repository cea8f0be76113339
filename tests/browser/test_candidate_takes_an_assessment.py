"""A candidate signs in, answers every kind of question through the page (code typed into the
editor), runs and submits code graded by the real worker, reloads, finishes and reads the results."""

import pytest
from playwright.sync_api import expect

from assessments.models import Attempt, CodeSpec, IntegrityEvent, ProgramTest, Question, Response, TextAnswer
from tests.accounts.factories import UserFactory
from tests.assessments.factories import (
    QuestionFactory,
    assessment_with,
    code_question,
    invite,
    multiple_choice_question,
    numeric_question,
    single_choice_question,
)
from tests.browser.helpers import editor, question, sign_in, type_code, wait_saved

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def every_kind():
    single = single_choice_question(title="Which test compares two means?",
                                    prompt="Pick the test that compares the means of two independent samples.")
    multiple = multiple_choice_question(title="Which are measures of spread?", prompt="Select every measure of spread.")
    numeric = numeric_question(answer=0.05, abs_tol=0.001, title="Significance level",
                               prompt="The conventional significance level α, as a decimal.")
    short = QuestionFactory(kind=Question.Kind.SHORT_TEXT, title="Name the distribution",
                            prompt="Which distribution does the sum of squared standard normals follow?")
    TextAnswer.objects.create(question=short, text="chi-squared")
    free = QuestionFactory(kind=Question.Kind.FREE_TEXT, title="Explain a p-value",
                           prompt="Explain a p-value to a product manager in two sentences.",
                           rubric="Probability of data at least this extreme under the null.")
    code = code_question(title="Square it", prompt="Write `square(x)` returning `x` squared.")
    program = QuestionFactory(kind=Question.Kind.CODE, points=3, title="Add two numbers",
                              prompt="Read two integers from standard input and print their sum.")
    CodeSpec.objects.create(question=program, style=CodeSpec.Style.PROGRAM, language="python",
                            other_languages=["cpp", "c", "r"], starter_code="",
                            reference_solution="print(sum(map(int, input().split())))\n")
    ProgramTest.objects.create(question=program, name="small", input="2 3\n", answer="5\n", is_sample=True, order=0)
    ProgramTest.objects.create(question=program, name="negative", input="-4 1\n", answer="-3\n", order=1)
    return single, multiple, numeric, short, free, code, program


def test_a_candidate_answers_every_kind_runs_and_submits_code_reloads_and_finishes(page, celery_worker, shot):
    single, multiple, numeric, short, free, code, program = every_kind()
    assessment = assessment_with(single, multiple, numeric, short, free, code, program, title="Statistics and Python")
    candidate = UserFactory(username="casey", first_name="Casey", last_name="Candidate")
    invite(assessment, candidate)

    page.goto("/")
    sign_in(page, "casey")
    page.get_by_role("link", name="Statistics and Python").first.click()
    page.get_by_role("button", name="Start the assessment").click()
    expect(page.locator("#attempt")).to_be_visible()
    attempt = Attempt.objects.get(candidate=candidate)

    # The code editor replaced the plain textareas; they stay as the (hidden) source of truth.
    code_q, program_q = question(page, "Square it"), question(page, "Add two numbers")
    expect(editor(code_q)).to_be_visible()
    expect(code_q.locator("textarea.code")).to_be_hidden()
    expect(editor(code_q)).to_have_attribute("data-language", "python")

    question(page, "Which test compares two means?").get_by_label("Right").check()
    multiple_q = question(page, "Which are measures of spread?")
    multiple_q.get_by_label("A", exact=True).check()
    multiple_q.get_by_label("B", exact=True).check()
    question(page, "Significance level").get_by_label("Your answer").fill("0.05")
    question(page, "Name the distribution").get_by_label("Your answer").fill("chi-squared")
    free_text = ("It is how surprising the data would be if nothing had changed. "
                 "A small one means chance alone rarely gives this.")
    question(page, "Explain a p-value").get_by_label("Your answer").fill(free_text)

    # "Reset to starter code" (static/prep/attempt.js) puts the starter back into the editor.
    type_code(page, code_q, "oops")
    expect(code_q.locator("textarea.code")).to_have_value("oops")
    code_q.get_by_role("button", name="Reset to starter code").click()
    expect(code_q.locator(".cm-line")).to_have_text(["def square(x):", "    pass", ""])
    expect(code_q.locator("textarea.code")).to_have_value("def square(x):\n    pass\n")

    # Code: the first line typed, the body pasted (a real Ctrl+V, which the integrity record sees).
    type_code(page, code_q, "def square(x):", "")
    page.evaluate("text => navigator.clipboard.writeText(text)", "return x * x")
    page.keyboard.press("ControlOrMeta+v")
    expect(code_q.locator("textarea.code")).to_have_value("def square(x):\n    return x * x")

    # The language select switches the editor's mode; the program is answered in Python.
    language = program_q.get_by_label("Language")
    for value in ("cpp", "r", "python"):
        language.select_option(value)
        expect(editor(program_q)).to_have_attribute("data-language", value)
    type_code(page, program_q, "a, b = map(int, input().split())", "print(a + b)")
    wait_saved(page)
    answers = {r.question_id: r.answer for r in Response.objects.filter(attempt=attempt)}
    assert answers[code.id] == {"language": "python", "source": "def square(x):\n    return x * x"}
    assert answers[program.id]["source"] == "a, b = map(int, input().split())\nprint(a + b)"
    assert answers[short.id] == {"text": "chi-squared"} and answers[free.id] == {"text": free_text}

    # Run with Ctrl+' from the editor: the sample test's verdict appears.
    editor(code_q).click()
    page.keyboard.press("ControlOrMeta+'")
    panel = code_q.locator(".verdict-panel")
    expect(panel).to_contain_text("Sample tests: 100% passed", timeout=60_000)
    expect(panel.locator(".tests li.ok")).to_have_count(1)
    # Submit with the button: every test, hidden ones as passed or failed.
    code_q.get_by_role("button", name="Submit").click()
    expect(panel).to_contain_text("All tests: 100% passed", timeout=60_000)
    expect(panel.locator(".tests li.ok")).to_have_count(3)
    # Ctrl+Enter in the editor submits.
    editor(program_q).click()
    page.keyboard.press("ControlOrMeta+Enter")
    expect(program_q.locator(".verdict-panel")).to_contain_text("All tests: 100% passed", timeout=60_000)
    # Run on custom input: the samples, then the candidate's own input with its output, unchecked.
    program_q.get_by_text("Custom input").click()
    program_q.get_by_label("Standard input").fill("40 2\n")
    program_q.get_by_role("button", name="Run sample tests").click()
    custom = program_q.locator(".verdict-panel .custom-result")
    expect(custom).to_contain_text("Your input ran", timeout=60_000)
    expect(custom.locator("[data-custom-stdout]")).to_have_text("42")
    expect(program_q.locator(".verdict-panel")).to_contain_text("Sample tests: 100% passed")
    code_q.scroll_into_view_if_needed()
    shot(page, "attempt-code", full_page=False)
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "attempt")

    # A reload shows every answer again, and the last verdict.
    page.reload()
    expect(question(page, "Which test compares two means?").get_by_label("Right")).to_be_checked()
    expect(multiple_q.get_by_label("A", exact=True)).to_be_checked()
    expect(multiple_q.get_by_label("B", exact=True)).to_be_checked()
    expect(multiple_q.get_by_label("C", exact=True)).not_to_be_checked()
    expect(question(page, "Significance level").get_by_label("Your answer")).to_have_value("0.05")
    expect(question(page, "Name the distribution").get_by_label("Your answer")).to_have_value("chi-squared")
    expect(question(page, "Explain a p-value").get_by_label("Your answer")).to_have_value(free_text)
    expect(code_q.locator(".cm-line")).to_have_text(["def square(x):", "    return x * x"])
    expect(program_q.locator(".cm-line")).to_have_text(["a, b = map(int, input().split())", "print(a + b)"])
    expect(program_q.get_by_label("Standard input")).to_have_value("40 2\n")  # kept in this browser
    expect(code_q.locator(".verdict-panel")).to_contain_text("All tests: 100% passed", timeout=30_000)

    page.get_by_role("button", name="Finish and submit").click()
    page.wait_for_url(f"**/attempts/{attempt.id}/results/")
    expect(page.get_by_role("heading", name="Statistics and Python: results")).to_be_visible()
    # The free text waits for a reviewer.
    rows = page.locator("table.table tbody tr")
    expect(rows.filter(has_text="Square it")).to_contain_text("correct")
    expect(rows.filter(has_text="Explain a p-value")).to_contain_text("awaiting review")
    expect(page.locator("#recorded")).to_contain_text("1 paste (12 characters)")
    assert IntegrityEvent.objects.filter(attempt=attempt, kind="paste", size=12, question=code).exists()

    expect(rows.filter(has_text="Add two numbers")).to_contain_text("AC")
    for title in ("Which test compares two means?", "Which are measures of spread?", "Significance level",
                  "Name the distribution"):
        expect(rows.filter(has_text=title)).to_contain_text("correct")
    shot(page, "results")
