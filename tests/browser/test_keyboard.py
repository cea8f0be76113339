"""Keyboard only: Tab reaches every answer field and button of the attempt page, in order, and the
code editor indents on Tab but lets go on Escape then Tab."""

import pytest
from playwright.sync_api import expect

from assessments.models import CodeSpec, Question, Response, TextAnswer
from assessments.services import attempt_start
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
from tests.browser.helpers import editor, sign_in, wait_saved

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FOCUSED = """() => {
  const el = document.activeElement;
  const section = el.closest("section.question");
  return {
    q: section ? Number(section.dataset.questionId) : null,
    what: el.classList.contains("cm-content") ? "editor"
      : el.dataset.action ? "button:" + el.dataset.action
      : el.matches("#finish-form button") ? "finish"
      : el.tagName.toLowerCase() + (el.type ? ":" + el.type : "") + (el.name ? ":" + el.name : ""),
    label: el.getAttribute("aria-label") || (el.labels && el.labels[0] ? el.labels[0].textContent.trim() : ""),
    key: [el.tagName, el.id, el.getAttribute("href"), el.name, el.value, el.dataset.action,
          section && section.id, (el.textContent || "").trim().slice(0, 30)].join("|"),
  };
}"""


def test_tab_reaches_every_answer_field_and_button_and_the_editor_lets_go(page, shot):
    single = single_choice_question(title="Pick one")
    multiple = multiple_choice_question(title="Pick several")
    numeric = numeric_question(title="A number")
    short = QuestionFactory(kind=Question.Kind.SHORT_TEXT, title="A word")
    TextAnswer.objects.create(question=short, text="mean")
    free = QuestionFactory(kind=Question.Kind.FREE_TEXT, title="A paragraph")
    code = code_question(title="A function")
    program = QuestionFactory(kind=Question.Kind.CODE, title="A program")
    CodeSpec.objects.create(question=program, style=CodeSpec.Style.PROGRAM, language="python", other_languages=["cpp"])
    assessment = assessment_with(single, multiple, numeric, short, free, code, program, title="Keyboard check")
    candidate = UserFactory(username="kim")
    invite(assessment, candidate)
    attempt, _ = attempt_start(candidate=candidate, assessment=assessment)

    sign_in(page, "kim")
    page.goto(f"/attempts/{attempt.id}/")
    expect(editor(page.locator(f"#q{code.id}"))).to_be_visible()
    page.locator("body").click(position={"x": 5, "y": 300})  # start from the page, not an element

    reached = []
    for _ in range(120):
        page.keyboard.press("Tab")
        now = page.evaluate(FOCUSED)
        if reached and now["key"] == reached[0]["key"]:
            break
        reached.append(now)
        if now["what"] == "input:radio:choice" and now["q"] == single.id:
            page.keyboard.press("Space")  # answer by keyboard too
        if now["what"] == "editor":
            section = page.locator(f"#q{now['q']}")
            area = section.locator("textarea.code")
            before = area.input_value()
            # Tab indents inside the editor and keeps the focus there...
            page.keyboard.press("Tab")
            assert page.evaluate(FOCUSED)["what"] == "editor"
            expect(area).not_to_have_value(before)
            page.keyboard.press("ControlOrMeta+z")
            expect(area).to_have_value(before)
            # ...and Escape then Tab moves on to the next control.
            page.keyboard.press("Escape")
    else:
        pytest.fail(f"Tab never came back round: {reached}")

    def stops(question_id):
        return [r["what"] for r in reached if r["q"] == question_id]

    assert stops(single.id) == ["input:radio:choice"], reached
    assert stops(multiple.id) == ["input:checkbox:choices"] * 3
    assert stops(numeric.id) == ["input:text:value"]
    assert stops(short.id) == ["input:text:text"]
    assert stops(free.id) == ["textarea:textarea:text"]
    # After the editor: the (closed) custom input disclosure, then the buttons.
    assert stops(code.id)[-5:] == ["editor", "summary", "button:run", "button:submit", "button:reset"]
    assert stops(program.id)[0] == "select:select-one:language"
    assert stops(program.id)[-5:] == ["editor", "summary", "button:run", "button:submit", "button:reset"]
    assert any(r["what"] == "finish" for r in reached)
    # The editor tells screen-reader users how to leave it.
    assert [r["label"] for r in reached if r["what"] == "editor"] == [
        "Your code (Tab indents; press Escape then Tab to leave the editor)"
    ] * 2
    # The radio button chosen with Space was saved; the indent was undone, so nothing else changed.
    expect(page.locator(f"#q{single.id}").get_by_label("Right")).to_be_checked()
    wait_saved(page)
    answer = Response.objects.get(attempt=attempt, question=single).answer
    assert answer == {"choice": single.options.get(text="Right").id}


def test_without_the_editor_bundle_the_plain_textarea_still_takes_code(page):
    code = code_question(title="A function")
    assessment = assessment_with(code, title="No editor")
    candidate = UserFactory(username="noel")
    invite(assessment, candidate)
    attempt, _ = attempt_start(candidate=candidate, assessment=assessment)

    page.route("**/static/build/editor.js", lambda route: route.abort())
    sign_in(page, "noel")
    page.goto(f"/attempts/{attempt.id}/")
    area = page.locator(f"#q{code.id} textarea.code")
    expect(area).to_be_visible()
    expect(page.locator(".cm-editor")).to_have_count(0)
    area.fill("def square(x):\n")
    area.press("End")
    area.press("ControlOrMeta+End")
    area.press("Tab")  # attempt.js indents in the plain textarea too
    area.type("return x * x")
    expect(area).to_be_focused()
    wait_saved(page)
    assert Response.objects.get(attempt=attempt, question=code).answer["source"] == "def square(x):\n    return x * x"
