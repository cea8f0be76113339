"""Stored XSS: markup that arrives through imports (GIFT, a Prep pack), from candidates (a name,
a note, code and what it prints) or from staff (a comment, a role title) is shown as text on
every page, never run.

Each page is parsed: no element may carry an event handler that runs the payload, no link or
source may be a javascript: URL, and no script element may hold the payload. The payload must
still be readable as text, so escaping, not deletion, is what is checked where the text is kept
(the importers drop raw HTML from HTML-formatted text on purpose, which the import test shows)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
import yaml
from django.test import Client
from django.urls import reverse

from assessments.models import Assessment, AssessmentQuestion, Attempt, Option, Question, Response, Submission
from assessments.services import attempt_start, attempt_submit, response_save, submission_claim, submission_complete
from assessments.services import submission_create
from assessments.services.imports import questions_import
from assessments.services.integrity import integrity_note_save, integrity_record
from assessments.services.packs import pack_import, question_export
from assessments.services.practice import practice_start
from hiring.models import Scorecard, Stage
from hiring.services import application_create, comment_add, role_create, scorecard_submit
from tests.accounts.factories import StaffFactory, UserFactory
from tests.assessments.factories import SkillFactory, invite

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
MD_LINK = "[click](javascript:alert(1))"
HTML_LINK = '<a href="javascript:alert(1)">link</a>'
PAYLOAD = f"{SCRIPT} {IMG} {MD_LINK} {HTML_LINK}"

# A GIFT file: plain text (kept, escaped), HTML (raw HTML dropped) and Markdown, with the
# payloads in titles, prompts, options, feedback and general feedback. GIFT escapes = : # with \.
GIFT = r"""
$CATEGORY: $course$/top/<script>alert(1)</script>

::Gift <script>alert(1)</script> plain::[plain]Gift plain <script>alert(1)</script> and <img src\=x onerror\=alert(1)> {
=<script>alert(1)</script> right #<img src\=x onerror\=alert(1)> fb
~<img src\=x onerror\=alert(1)> wrong
####[plain]Because <script>alert(1)</script>
}

::Gift html <img src\=x onerror\=alert(1)>::[html]<p>Gift html <script>alert(1)</script><img src\=x onerror\=alert(1)> <a href\="javascript\:alert(1)">link</a></p> {
=<b onmouseover\="alert(1)">right</b>
~wrong
}

::Gift markdown::[markdown]Gift markdown [click](javascript\:alert(1)) and <script>alert(1)</script> {#0.5:0.1}
"""


def pack() -> dict:
    return {
        "skills": [{"slug": "xss", "name": f"Skill {SCRIPT}"}],
        "questions": [
            {"slug": "xss-choice", "kind": "single_choice", "title": f"Choice {SCRIPT}", "prompt": f"Prompt {PAYLOAD}",
             "explanation": f"Explained {PAYLOAD}", "hints": [f"Hint {PAYLOAD}"], "skills": ["xss"],
             "status": "published", "category": f"Cat/{SCRIPT}",
             "options": [{"text": f"{SCRIPT} right", "correct": True, "feedback": f"Yes {IMG}"},
                         {"text": f"{IMG} wrong", "correct": False, "feedback": f"No {SCRIPT}"}]},
            {"slug": "xss-numeric", "kind": "numeric", "title": f"Numeric {IMG}", "prompt": f"How many? {PAYLOAD}",
             "explanation": f"Counted {PAYLOAD}", "skills": ["xss"], "status": "published",
             "answer": 3, "abs_tol": 0, "unit": IMG},
            {"slug": "xss-code", "kind": "code", "title": f"Code {SCRIPT}", "prompt": f"Write square. {PAYLOAD}",
             "explanation": f"Square {PAYLOAD}", "skills": ["xss"], "status": "published", "points": 4,
             "function_name": "square", "starter_code": f"def square(x):\n    # {PAYLOAD}\n    pass\n",
             "reference_solution": "def square(x):\n    return x * x\n",
             "tests": [{"name": f"sample {SCRIPT}", "args": [2], "expected": IMG, "sample": True, "hint": f"Hint {IMG}"},
                       {"name": f"hidden {SCRIPT}", "args": [3], "expected": 9, "feedback": "hint", "hint": f"Hint {SCRIPT}"}]},
        ],
        "assessment": {"slug": "xss-exam", "title": f"Exam {SCRIPT}", "description": f"About {PAYLOAD}",
                       "time_limit_minutes": 30, "pass_mark_percent": 50, "show_explanations": True,
                       "questions": ["xss-choice", "xss-numeric", "xss-code"]},
    }


OUTPUT = f"Traceback {PAYLOAD}\n</pre><script>alert(1)</script>"
RUN_RESULT = {"verdict": "RTE", "score": 0.0, "compile_output": OUTPUT, "stdout": OUTPUT, "stderr": OUTPUT, "tests": [
    {"name": f"sample {SCRIPT}", "sample": True, "verdict": "RTE", "args": [2], "expected": IMG, "actual": OUTPUT,
     "message": OUTPUT, "hint": f"Hint {IMG}", "time_ms": 1}]}
SUBMIT_RESULT = {"verdict": "WA", "score": 0.5, "compile_output": OUTPUT, "stdout": OUTPUT, "stderr": OUTPUT, "tests": [
    {"name": f"sample {SCRIPT}", "sample": True, "verdict": "AC", "args": [2], "expected": IMG, "actual": IMG,
     "message": OUTPUT, "time_ms": 1},
    {"name": f"hidden {SCRIPT}", "sample": False, "verdict": "WA", "args": [3], "expected": 9, "actual": OUTPUT,
     "message": OUTPUT, "feedback": "hint", "hint": f"Hint {SCRIPT}", "time_ms": 1}]}


# --- what a page may contain ---------------------------------------------------------------------

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background"}


class _Scan(HTMLParser):
    """Collects what a browser would run and what it would show."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.shown: list[str] = []
        self._script = False

    def handle_starttag(self, tag, attrs):
        self._tag(tag, attrs)
        self._script = tag == "script"

    def handle_startendtag(self, tag, attrs):
        self._tag(tag, attrs)

    def _tag(self, tag, attrs):
        for name, value in attrs:
            value = value or ""
            self.shown.append(value)  # what an input, option or title attribute shows
            if name.startswith("on") and "alert" in value:
                self.problems.append(f"<{tag} {name}={value!r}>: an event handler from the payload")
            if name in URL_ATTRIBUTES and re.sub(r"[\s\x00-\x1f]", "", value).lower().startswith(("javascript:", "vbscript:")):
                self.problems.append(f"<{tag} {name}={value!r}>: a script URL")

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = False

    def handle_data(self, data):
        if self._script:
            if "alert(" in data:
                self.problems.append(f"a script element holds {data.strip()[:80]!r}")
        else:
            self.shown.append(data)


def scan(html: str) -> _Scan:
    parser = _Scan()
    parser.feed(html)
    parser.close()
    if re.search(r"<script[^>]*>\s*alert", html, re.I):
        parser.problems.append("a raw <script>alert in the page")
    return parser


def inert(page: str, html: str, *, shows: tuple[str, ...] = ()) -> list[str]:
    """Problems with a page: runnable payloads, and payloads that should read as text but do not."""
    result = scan(html)
    problems = [f"{page}: {p}" for p in result.problems]
    text = " ".join(result.shown)
    problems += [f"{page}: does not show {s!r} as text" for s in shows if s not in text]
    return problems


# --- the world ---------------------------------------------------------------------------------

@pytest.fixture
def world(tmp_path):
    w = type("World", (), {})()
    pack_file = tmp_path / "xss.yaml"
    pack_file.write_text(yaml.safe_dump(pack(), allow_unicode=True))
    gift_file = tmp_path / "xss.gift"
    gift_file.write_text(GIFT)
    w.pack_result = questions_import(path=pack_file)
    SkillFactory(slug="xss-gift", name=f"Gift skill {IMG}")
    w.gift_result = questions_import(path=gift_file, skills=["xss-gift"])
    w.exam = Assessment.objects.get(slug="xss-exam")
    w.gift_questions = w.gift_result.questions
    Question.objects.filter(id__in=[q.id for q in w.gift_questions]).update(status=Question.Status.PUBLISHED)
    for i, question in enumerate(w.gift_questions, start=10):
        AssessmentQuestion.objects.create(assessment=w.exam, question=question, order=i)
    Assessment.objects.filter(pk=w.exam.pk).update(records_integrity=True)
    w.exam.refresh_from_db()
    w.exam_two = Assessment.objects.create(slug="xss-exam-two", title=f"Second {IMG}", is_published=True,
                                           time_limit=w.exam.time_limit, records_integrity=True)
    for item in w.exam.items.all():
        AssessmentQuestion.objects.create(assessment=w.exam_two, question=item.question, order=item.order)
    w.choice = Question.objects.get(slug="xss-choice")
    w.numeric = Question.objects.get(slug="xss-numeric")
    w.code = Question.objects.get(slug="xss-code")
    w.gift_choice = next(q for q in w.gift_questions if q.title.startswith("Gift <script>"))

    w.candidate = UserFactory(username="xss_candidate", first_name=SCRIPT, last_name=IMG, email="xss@example.com")
    w.reviewer = StaffFactory(username="xss_reviewer", first_name=f"Rev {IMG}")
    w.admin = UserFactory(username="xss_admin", is_staff=True, is_superuser=True)
    invite(w.exam, w.candidate)
    invite(w.exam_two, w.candidate)

    # A finished attempt: answers, a Run and a Submit whose output is HTML, integrity signals, a note.
    attempt, _ = attempt_start(candidate=w.candidate, assessment=w.exam)
    response_save(attempt_id=attempt.id, question_id=w.choice.id, answer={"choice": w.choice.options.get(order=1).id})
    response_save(attempt_id=attempt.id, question_id=w.numeric.id, answer={"value": 2})
    integrity_record(attempt_id=attempt.id, events=[
        {"kind": "paste", "size": 10, "question_id": w.code.id}, {"kind": "focus_lost", "duration_ms": 2000},
        {"kind": "snapshot", "content": f"# {PAYLOAD}\n</pre><script>alert(1)</script>", "question_id": w.code.id}])
    w.run = submission_create(attempt_id=attempt.id, question_id=w.code.id, kind="run",
                              answer={"source": f"print('{SCRIPT}')"})
    submission_complete(submission=submission_claim(submission_id=w.run.id), result=RUN_RESULT)
    w.submit = submission_create(attempt_id=attempt.id, question_id=w.code.id, kind="submit",
                                 answer={"source": f"def square(x):\n    # {PAYLOAD}\n    return x\n</textarea>{SCRIPT}"})
    attempt_submit(attempt_id=attempt.id, submitted_by=Attempt.SubmittedBy.CANDIDATE)
    submission_complete(submission=submission_claim(submission_id=w.submit.id), result=SUBMIT_RESULT)
    integrity_note_save(attempt=attempt, note=f"My note {PAYLOAD}")
    attempt.refresh_from_db()
    assert attempt.state == Attempt.State.GRADED
    w.done = attempt

    # An attempt in progress with code in the editor, and a practice session to check answers in.
    w.open, _ = attempt_start(candidate=w.candidate, assessment=w.exam_two)
    response_save(attempt_id=w.open.id, question_id=w.code.id,
                  answer={"source": f"def square(x):\n    # {PAYLOAD}\n</textarea>{SCRIPT}"})
    # Practice leaves out an assessment's fixed questions (it shows keys): practise on a copy.
    copy = {**question_export(w.choice), "slug": "xss-choice-practice", "status": Question.Status.PUBLISHED,
            "skills": ["xss-drill"]}
    pack_import(data={"skills": [{"slug": "xss-drill", "name": f"Drill {SCRIPT}"}], "questions": [copy]}, source="copy")
    w.practice_choice = Question.objects.get(slug="xss-choice-practice")
    w.practice = practice_start(candidate=w.candidate, skill=w.practice_choice.skills.get())
    assert Response.objects.filter(attempt=w.practice, question=w.practice_choice).exists()
    response_save(attempt_id=w.practice.id, question_id=w.practice_choice.id,
                  answer={"choice": w.practice_choice.options.get(order=1).id})

    # The hiring side: a role, an application, a comment and a scorecard, all carrying payloads.
    w.role = role_create(slug="xss-role", title=f"Role {SCRIPT}", description=PAYLOAD)
    Stage.objects.filter(role=w.role, slug="technical-assessment").update(assessment=w.exam, name=f"Tech {IMG}")
    w.application = application_create(role=w.role, candidate=w.candidate)
    w.application.interviewers.add(w.reviewer)
    comment_add(application=w.application, author=w.reviewer, body=f"Comment {PAYLOAD}")
    scorecard_submit(application=w.application, stage=w.role.stages.get(slug="screening-call"), interviewer=w.reviewer,
                     ratings={}, recommendation=Scorecard.Recommendation.YES, notes=f"Notes {PAYLOAD}")
    return w


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def get(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


# --- the tests ---------------------------------------------------------------------------------

def test_imports_keep_plain_text_and_drop_raw_html(world):
    plain = world.gift_choice
    assert SCRIPT in plain.title and "alert(1)" in plain.prompt  # kept, to be shown as text
    html = next(q for q in world.gift_questions if q.title.startswith("Gift html"))
    assert "<script" not in html.prompt and "onerror" not in html.prompt and "javascript:" not in html.prompt
    assert any("script" in w for w in world.gift_result.warnings)  # the author is told what was dropped


def test_candidate_pages_show_the_payloads_as_text(world):
    w, client = world, signed_in(world.candidate)
    problems = []
    problems += inert("home", get(client, "/"), shows=(f"Exam {SCRIPT}",))
    problems += inert("assessment", get(client, reverse("assessment-detail", args=[w.exam_two.id])), shows=(f"Second {IMG}",))
    attempt_page = get(client, reverse("attempt-take", args=[w.open.id]))
    problems += inert("attempt page", attempt_page, shows=(
        f"Choice {SCRIPT}", "Prompt " + SCRIPT, MD_LINK, f"{SCRIPT} right", f"{IMG} wrong",
        f'"{IMG}"',  # a sample test's expected value, as JSON
        f"# {PAYLOAD}\n</textarea>{SCRIPT}", "Gift plain " + SCRIPT, "Gift markdown " + MD_LINK))
    results = get(client, reverse("attempt-results", args=[w.done.id]))
    problems += inert("results", results, shows=(f"Choice {SCRIPT}", f"Explained {SCRIPT}", f"My note {PAYLOAD}",
                                                 f"Hint {SCRIPT}"))
    problems += inert("practice", get(client, "/practice/"), shows=(f"Skill {SCRIPT}",))
    problems += inert("progress", get(client, "/progress/"), shows=(f"Role {SCRIPT}",))
    assert not problems, "\n".join(problems)


def test_the_practice_feedback_partial_shows_the_key_and_explanation_as_text(world):
    w, client = world, signed_in(world.candidate)
    checked = client.post(reverse("practice-check-page", args=[w.practice.id, w.practice_choice.id]))
    assert checked.status_code == 302
    page = get(client, reverse("attempt-take", args=[w.practice.id]))
    assert "Not quite." in page  # the feedback partial is on the page
    problems = inert("practice feedback", page, shows=(f"Answer: {SCRIPT} right", f"Explained {SCRIPT}", MD_LINK))
    assert not problems, "\n".join(problems)


def test_staff_pages_show_the_payloads_as_text(world):
    w, client = world, signed_in(world.reviewer)
    problems = []
    problems += inert("staff home", get(client, "/staff/"), shows=(f"Role {SCRIPT}",))
    problems += inert("role", get(client, reverse("staff-role", args=[w.role.id])),
                      shows=(f"{SCRIPT} {IMG}", f"Role {SCRIPT}", f"Tech {IMG}", f"Exam {SCRIPT}"))
    candidate = get(client, reverse("staff-candidate", args=[w.application.id]))
    problems += inert("candidate", candidate, shows=(
        f"{SCRIPT} {IMG}", f"Comment {PAYLOAD}", f"Notes {PAYLOAD}", f"My note {PAYLOAD}", f"Prompt {SCRIPT}",
        f"# {PAYLOAD}\n    return x\n</textarea>{SCRIPT}", f"# {PAYLOAD}\n</pre><script>alert(1)</script>",
        f"Rev {IMG}"))
    problems += inert("staff results", get(client, reverse("attempt-results", args=[w.done.id])),
                      shows=(f"hidden {SCRIPT}", "Traceback " + SCRIPT))
    problems += inert("reports", get(client, reverse("reports")), shows=(f"Role {SCRIPT}", f"Exam {SCRIPT}"))
    problems += inert("role report", get(client, reverse("report-role", args=[w.role.id])), shows=(f"Tech {IMG}",))
    problems += inert("assessment report", get(client, reverse("report-assessment", args=[w.exam.id])),
                      shows=(f"Choice {SCRIPT}", f"Numeric {IMG}", "Gift " + SCRIPT + " plain"))
    assert not problems, "\n".join(problems)


def test_admin_change_pages_show_the_payloads_as_text(world):
    w, client = world, signed_in(world.admin)
    pages = {
        "question (choice)": (reverse("admin:assessments_question_change", args=[w.choice.id]), f"Choice {SCRIPT}"),
        "question (code)": (reverse("admin:assessments_question_change", args=[w.code.id]), f"sample {SCRIPT}"),
        "question (GIFT)": (reverse("admin:assessments_question_change", args=[w.gift_choice.id]), SCRIPT),
        "question list": (reverse("admin:assessments_question_changelist"), f"Choice {SCRIPT}"),
        "assessment": (reverse("admin:assessments_assessment_change", args=[w.exam.id]), f"Exam {SCRIPT}"),
        "attempt": (reverse("admin:assessments_attempt_change", args=[w.done.id]), f"My note {PAYLOAD}"),
        "attempt list": (reverse("admin:assessments_attempt_changelist"), f"Exam {SCRIPT}"),
        "submission (run)": (reverse("admin:assessments_submission_change", args=[w.run.id]), "alert(1)"),
        "submission (submit)": (reverse("admin:assessments_submission_change", args=[w.submit.id]), f"# {PAYLOAD}"),
        "application": (reverse("admin:hiring_application_change", args=[w.application.id]), f"Comment {PAYLOAD}"),
        "role": (reverse("admin:hiring_role_change", args=[w.role.id]), PAYLOAD),
        "user": (reverse("admin:accounts_user_change", args=[w.candidate.id]), SCRIPT),
        "skill list": (reverse("admin:assessments_skill_changelist"), f"Skill {SCRIPT}"),
    }
    problems = []
    for name, (url, shown) in pages.items():
        problems += inert(f"admin {name}", get(client, url), shows=(shown,))
    assert not problems, "\n".join(problems)


def test_an_imported_option_reads_as_it_was_written(world):
    page = get(signed_in(world.candidate), reverse("attempt-take", args=[world.open.id]))
    assert f"{SCRIPT} right" in " ".join(scan(page).shown)
    option = Option.objects.get(question=world.gift_choice, order=0)
    assert option.text == f"{SCRIPT} right"


def test_the_scanner_catches_what_it_is_for():
    assert scan(f"<p>{SCRIPT}</p>").problems
    assert scan(f"<p>{IMG}</p>").problems
    assert scan('<a href=" javascript:alert(1)">x</a>').problems
    assert not scan("<p>&lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x onerror=alert(1)&gt;</p>").problems
    assert SCRIPT in " ".join(scan("<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>").shown)


def test_submissions_output_reaches_no_page_unescaped(world):
    """Run output and test messages are the candidate's code speaking: a reviewer reads them."""
    assert Submission.objects.get(pk=world.run.id).results["stdout"] == OUTPUT
    page = get(signed_in(world.reviewer), reverse("staff-candidate", args=[world.application.id]))
    assert not scan(page).problems
