"""Who may call which route: every URL pattern × method × actor, against real objects.

The routes are read from the URL resolver, so a route added without a line in RULES fails
(`test_every_route_has_a_rule`). Each call runs in a savepoint that is rolled back, so every
actor meets the same world. Besides the status class, every body is searched for what that
actor must never see: the other candidate's data, staff notes, and (for candidates and
anonymous callers) the answer keys — correct options, hidden tests, reference solutions,
variants' answers."""

from __future__ import annotations

import copy
import io
import json
import re
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from pypdf import PdfReader

from assessments.models import Attempt, CodeSpec, CodeTest, Invitation, Option, Response, SimilarityFlag
from assessments.services import (
    attempt_start,
    attempt_submit,
    response_save,
    submission_claim,
    submission_complete,
    submission_create,
)
from assessments.services.integrity import integrity_note_save, integrity_record
from assessments.services.practice import practice_start
from hiring.models import Scorecard, Stage
from hiring.services import application_create, comment_add, role_create, scorecard_submit
from tests.accounts.factories import InterviewerFactory, StaffFactory, UserFactory
from tests.assessments.factories import (
    QuestionFactory,
    SkillFactory,
    assessment_with,
    data_analysis_question,
    invite,
    numeric_question,
    variants_of,
)

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests"
ACTORS = ("anonymous", "candidate_a", "candidate_b", "interviewer", "reviewer", "admin")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

# --- outcome classes ------------------------------------------------------------------------
OK = "ok"            # 2xx, or a 3xx that is not a bounce to a sign-in page
LOGIN = "login"      # anonymous: 401 from the API, 302 to a sign-in page from pages
DENY = "deny"        # 403 or 404 (never 200 with someone else's data)
GONE = "gone"        # 410: an invitation link that was used by its candidate
ANYONE = "anyone"    # 2xx/3xx wherever it leads (signing out sends everyone to the sign-in page)
HEALTH = "health"    # 200, or 503 naming what is down (no grading worker runs in these tests)
NOT_OFFERED = "not offered"  # a method the route does not have: 401/403/404/405 or a sign-in bounce


def who(anonymous, a, b, interviewer, reviewer, admin) -> dict:
    return dict(zip(ACTORS, (anonymous, a, b, interviewer, reviewer, admin)))


PUBLIC = who(OK, OK, OK, OK, OK, OK)
SIGNED_IN = who(LOGIN, OK, OK, OK, OK, OK)
# Candidate A's own attempt, submission, dataset, report: A and the people who read every attempt.
OWNER_READS = who(LOGIN, OK, DENY, DENY, OK, OK)
# Only the candidate changes their attempt; staff may read it but not answer for them.
OWNER_WRITES = who(LOGIN, OK, DENY, DENY, DENY, DENY)
# Both candidates are invited to the assessment; staff are not, so it does not exist for them.
INVITED = who(LOGIN, OK, OK, DENY, DENY, DENY)
# The hiring team: interviewers (on the candidates they are assigned to), reviewers, admins.
HIRING_TEAM = who(LOGIN, DENY, DENY, OK, OK, OK)
# People who see every application (reports, invitations) or may manage (moves, overrides).
READERS = who(LOGIN, DENY, DENY, DENY, OK, OK)
MANAGERS = READERS


@dataclass(frozen=True)
class Rule:
    methods: dict                       # method -> {actor: outcome}
    args: dict = field(default_factory=dict)  # URL argument -> world reference (default: by argument name)
    body: dict = field(default_factory=dict)  # method -> callable(world) -> data
    multipart: bool = False             # the body is a multipart form (a file upload)


def R(args=None, body=None, multipart=False, **methods) -> Rule:
    return Rule(methods=methods, args=args or {}, body=body or {}, multipart=multipart)


SOURCE = "def square(x):\n    return x * x\n"

RULES: dict[str, Rule] = {
    # --- prep/urls.py --------------------------------------------------------------------------
    "login": R(GET=PUBLIC, POST=PUBLIC, PUT=PUBLIC),  # an empty form re-renders with errors (FormView: PUT is POST)
    "logout": R(POST=who(ANYONE, ANYONE, ANYONE, ANYONE, ANYONE, ANYONE)),
    "api-token": R(POST=PUBLIC, body={"POST": lambda w: {"username": w.a.username, "password": PASSWORD}}),
    "healthz": R(GET=PUBLIC),
    "readyz": R(GET=PUBLIC),
    "healthz-workers": R(GET=who(HEALTH, HEALTH, HEALTH, HEALTH, HEALTH, HEALTH)),
    "admin:assessments_question_import": R(
        GET=who(LOGIN, LOGIN, LOGIN, DENY, DENY, OK), POST=who(LOGIN, LOGIN, LOGIN, DENY, DENY, OK)),
    # --- assessments/urls_api.py ---------------------------------------------------------------
    "assessment-list": R(GET=SIGNED_IN),
    "attempt-start": R(POST=INVITED),
    "attempt-detail": R(GET=OWNER_READS),
    "response-save": R(PUT=OWNER_WRITES, body={"PUT": lambda w: {"value": 0.5}}),
    "run-create": R(POST=OWNER_WRITES, args={"question_id": "q_code"}, body={"POST": lambda w: {"source": SOURCE}}),
    "submission-create": R(POST=OWNER_WRITES, args={"question_id": "q_code"}, body={"POST": lambda w: {"source": SOURCE}}),
    "time-spent": R(POST=OWNER_WRITES, body={"POST": lambda w: {"seconds": 5}}),
    "response-dataset": R(GET=OWNER_READS, args={"question_id": "q_data"}),
    "practice-check": R(POST=OWNER_WRITES, args={"attempt_id": "attempt_practice", "question_id": "q_practice"}),
    "practice-start": R(POST=SIGNED_IN, body={"POST": lambda w: {"skill": w.practice_skill.slug}}),
    "readiness": R(GET=SIGNED_IN),
    "integrity-events": R(POST=OWNER_WRITES, body={"POST": lambda w: {"events": [{"kind": "focus_lost", "duration_ms": 900}]}}),
    "integrity": R(GET=OWNER_READS, PUT=OWNER_WRITES, args={"attempt_id": "attempt_done"},
                   body={"PUT": lambda w: {"note": "I pasted my own notes."}}),
    "attempt-submit": R(POST=OWNER_WRITES),
    "attempt-report": R(GET=OWNER_READS, args={"attempt_id": "attempt_done"}),
    "submission-detail": R(GET=OWNER_READS),
    "staff-invitation-create": R(POST=READERS, body={"POST": lambda w: {"email": "newcomer@example.com", "send": False}}),
    "staff-invitation-csv": R(POST=READERS, multipart=True, body={"POST": lambda w: {
        "file": SimpleUploadedFile("invite.csv", b"email,name\nrow@example.com,Row Person\n", content_type="text/csv")}}),
    "staff-invitation-resend": R(POST=READERS),
    "staff-invitation-revoke": R(POST=READERS),
    # --- assessments/urls.py (pages) -----------------------------------------------------------
    "home": R(GET=SIGNED_IN),
    "invitation-open": R(GET=who(GONE, OK, GONE, GONE, GONE, GONE), POST=who(GONE, OK, GONE, GONE, GONE, GONE)),
    "assessment-detail": R(GET=INVITED),
    "attempt-start-page": R(POST=INVITED),
    "attempt-take": R(GET=OWNER_READS),  # staff are sent on to the results page
    "response-save-page": R(POST=OWNER_WRITES, body={"POST": lambda w: {"value": "0.5"}}),
    "attempt-submit-page": R(POST=OWNER_WRITES),
    "attempt-results": R(GET=OWNER_READS, args={"attempt_id": "attempt_done"}),
    "integrity-note": R(POST=OWNER_WRITES, args={"attempt_id": "attempt_done"}, body={"POST": lambda w: {"note": "n"}}),
    "practice-check-page": R(POST=OWNER_WRITES, args={"attempt_id": "attempt_practice", "question_id": "q_practice"}),
    "practice": R(GET=SIGNED_IN, POST=SIGNED_IN, body={"POST": lambda w: {"skill": w.practice_skill.slug}}),
    # --- hiring/urls.py ------------------------------------------------------------------------
    "progress": R(GET=SIGNED_IN),
    "api-progress": R(GET=SIGNED_IN),
    # --- hiring/urls_api.py (staff API) --------------------------------------------------------
    "staff-roles": R(GET=HIRING_TEAM, POST=MANAGERS, body={"POST": lambda w: {"slug": "analyst", "title": "Analyst"}}),
    "staff-stage": R(PATCH=MANAGERS, body={"PATCH": lambda w: {"name": "Phone screen"}}),
    "staff-applications": R(GET=HIRING_TEAM, POST=MANAGERS, body={"POST": lambda w: {"email": "applicant@example.com"}}),
    "staff-applications-move": R(POST=MANAGERS, body={"POST": lambda w: {"ids": [w.app_a.id], "stage": "screening-call"}}),
    "staff-application": R(GET=HIRING_TEAM),
    "staff-application-move": R(POST=MANAGERS, body={"POST": lambda w: {"stage": "screening-call", "note": "CV fits"}}),
    "staff-application-interviewers": R(PUT=MANAGERS, body={"PUT": lambda w: {"usernames": [w.interviewer.username]}}),
    "staff-scorecards": R(POST=HIRING_TEAM, body={"POST": lambda w: {
        "stage": "screening-call", "ratings": {"collaboration": 3}, "recommendation": "yes"}}),
    "staff-comments": R(POST=HIRING_TEAM, body={"POST": lambda w: {"body": "Clear answers."}}),
    "staff-score-override": R(POST=MANAGERS, body={"POST": lambda w: {"score": 1, "note": "Rounding allowed"}}),
    # --- hiring/urls_reports.py (report API) ---------------------------------------------------
    "staff-role-funnel": R(GET=READERS),
    "staff-role-candidates-csv": R(GET=READERS),
    "staff-item-statistics": R(GET=READERS, args={"assessment_id": "assessment_done"}),
    "staff-score-distribution": R(GET=READERS, args={"assessment_id": "assessment_done"}),
    "staff-assessment-results-csv": R(GET=READERS, args={"assessment_id": "assessment_done"}),
    # --- hiring/urls_staff.py (staff pages) ----------------------------------------------------
    "staff-home": R(GET=HIRING_TEAM),
    "staff-role": R(GET=HIRING_TEAM),
    "staff-role-new": R(POST=MANAGERS, body={"POST": lambda w: {"title": "Analyst"}}),
    "staff-role-add": R(POST=MANAGERS, body={"POST": lambda w: {"candidates": "New Person <new.person@example.com>"}}),
    "staff-stage-settings": R(POST=MANAGERS, body={"POST": lambda w: {"assessment_id": str(w.assessment_done.id)}}),
    "staff-role-move": R(POST=MANAGERS, body={"POST": lambda w: {"ids": [str(w.app_a.id)], "target": "screening-call"}}),
    "staff-candidate": R(GET=HIRING_TEAM),
    "staff-candidate-move": R(POST=MANAGERS, body={"POST": lambda w: {"target": "screening-call"}}),
    "staff-candidate-scorecard": R(POST=HIRING_TEAM, body={"POST": lambda w: {
        "stage": "screening-call", "rating-collaboration": "3", "recommendation": "yes"}}),
    "staff-candidate-comment": R(POST=HIRING_TEAM, body={"POST": lambda w: {"body": "Clear answers."}}),
    "staff-candidate-override": R(POST=MANAGERS, body={"POST": lambda w: {
        "score": "1", "response_id": str(w.refs["response_id"]), "note": "Rounding allowed"}}),
    "staff-candidate-interviewers": R(POST=MANAGERS, body={"POST": lambda w: {"usernames": w.interviewer.username}}),
    "staff-candidate-pdf": R(GET=HIRING_TEAM),
    # --- hiring/urls_pages_reports.py ----------------------------------------------------------
    "reports": R(GET=READERS),
    "report-role": R(GET=READERS),
    "report-assessment": R(GET=READERS, args={"assessment_id": "assessment_done"}),
}

# Routes left out of the matrix, and why:
# - api-schema, api-docs: the OpenAPI document and its Swagger UI are public by design
#   (SPECTACULAR_SETTINGS SERVE_PERMISSIONS AllowAny) and hold no data; test_api_fuzz reads it.
# - Django admin's own pages (index, login, logout, password change, jsi18n, autocomplete,
#   view_on_site, app lists and each ModelAdmin's changelist/add/change/delete/history, and the
#   catch-all): Django's code, guarded by is_staff and model permissions; a few are spot-checked in
#   test_admin_pages_of_candidate_data_follow_model_permissions. Views a project adds to the admin
#   (get_urls) are NOT skipped: they need a rule like any other route.
# - static files: not routed by the project (whitenoise serves them before the URL resolver).
SKIPPED_NAMES = {"api-schema", "api-docs"}
ADMIN_GENERATED = re.compile(
    r"^(index|login|logout|password_change|password_change_done|autocomplete|jsi18n|view_on_site|app_list"
    r"|[a-z0-9_]+_(changelist|add|history|delete|change))$"
)

# Known holes whose fixes lie outside these tests (strict xfails: the fix turns them red until the
# entry here goes).
KNOWN_BUGS: dict[str, str] = {}


@dataclass(frozen=True)
class Route:
    name: str | None
    route: str
    callback: object

    @property
    def is_api(self) -> bool:
        return self.route.startswith("api/")


def all_routes() -> list[Route]:
    def walk(resolver: URLResolver, prefix: str, namespace: str):
        for p in resolver.url_patterns:
            if isinstance(p, URLResolver):
                yield from walk(p, prefix + str(p.pattern), f"{namespace}{p.namespace}:" if p.namespace else namespace)
            elif isinstance(p, URLPattern):
                yield Route(f"{namespace}{p.name}" if p.name else None, prefix + str(p.pattern), p.callback)

    return list(walk(get_resolver(), "", ""))


def skip_reason(route: Route) -> str | None:
    if route.name in SKIPPED_NAMES:
        return "schema and docs"
    if route.route.startswith("admin/"):
        if route.name is None or ADMIN_GENERATED.match(route.name.removeprefix("admin:")):
            return "Django admin's own pages"
    if route.route.startswith("static/"):
        return "static files"
    return None


ROUTES = [r for r in all_routes() if skip_reason(r) is None]


def declared_methods(route: Route) -> set[str] | None:
    """The methods a class-based view implements (None for function views: the rule decides)."""
    view_class = getattr(route.callback, "view_class", None)
    if view_class is None:
        return None
    return {m.upper() for m in view_class.http_method_names if m.upper() in METHODS and hasattr(view_class, m)}


# --- the world ---------------------------------------------------------------------------------

# Markers: text that must not reach some actors. SECRETS (answer keys) never reach candidates or
# anonymous callers; STAFF_ONLY (comments, scorecard notes, review notes) neither.
HIDDEN_ARG, HIDDEN_EXPECTED, BIG_ARG, BIG_EXPECTED = -31337, 982007569, 4096, 16777216
REFERENCE = "def square(x):\n    # REFSOL_MARKER_5813\n    return x * x\n"
NUMERIC_KEY = 0.0731
VARIANT_KEYS = [777001, 777002, 777003, 777004]
SECRETS = ["is_correct", '"fraction"', "reference_solution", "REFSOL_MARKER_5813", str(HIDDEN_ARG), str(HIDDEN_EXPECTED),
           str(BIG_EXPECTED), str(NUMERIC_KEY), *map(str, VARIANT_KEYS)]
STAFF_ONLY = ["STAFF_COMMENT_ON_A", "STAFF_NOTES_ON_B", "STAFF_COMMENT_ON_B"]

GRADED_RESULT = {
    "verdict": "WA", "score": 0.5, "time_ms": 3, "memory_kb": 0, "compile_output": "", "stdout": "", "stderr": "",
    "tests": [
        {"name": "two", "sample": True, "verdict": "AC", "args": [2], "expected": 4, "actual": 4, "time_ms": 1},
        {"name": "negative", "sample": False, "verdict": "WA", "args": [HIDDEN_ARG], "expected": HIDDEN_EXPECTED,
         "actual": 0, "message": f"expected {HIDDEN_EXPECTED}, got 0", "time_ms": 1},
        {"name": "big", "sample": False, "verdict": "AC", "args": [BIG_ARG], "expected": BIG_EXPECTED,
         "actual": BIG_EXPECTED, "time_ms": 1},
    ],
}


def secret_code_question():
    question = QuestionFactory(kind="code", points=4, title="Square it")
    CodeSpec.objects.create(question=question, function_name="square", starter_code="def square(x):\n    pass\n",
                            reference_solution=REFERENCE, time_limit_s=1.0)
    CodeTest.objects.create(question=question, name="two", args=[2], expected=4, is_sample=True, order=0)
    CodeTest.objects.create(question=question, name="negative", args=[HIDDEN_ARG], expected=HIDDEN_EXPECTED, order=1)
    CodeTest.objects.create(question=question, name="big", args=[BIG_ARG], expected=BIG_EXPECTED, weight=2, order=2)
    question.skills.add(SkillFactory(slug="programming", name="Programming"))
    return question


def secret_choice_question():
    question = QuestionFactory(kind="single_choice", title="Which test?", explanation="Because it is paired.")
    right = Option.objects.create(question=question, text="Paired t-test", is_correct=True, order=0)
    Option.objects.create(question=question, text="Chi-squared", is_correct=False, order=1)
    question.skills.add(SkillFactory())
    return question, right


def finished_attempt(candidate, assessment, w, *, who_: str, numeric: float):
    """A graded attempt with a code submission whose result includes hidden tests."""
    attempt, _ = attempt_start(candidate=candidate, assessment=assessment)
    response_save(attempt_id=attempt.id, question_id=w.q_choice.id, answer={"choice": w.right_option.id})
    response_save(attempt_id=attempt.id, question_id=w.q_numeric.id, answer={"value": numeric})
    response_save(attempt_id=attempt.id, question_id=w.q_data.id, answer={"parts": {"mean_diff": 1.5}})
    integrity_record(attempt_id=attempt.id, events=[
        {"kind": "paste", "size": 40, "question_id": w.q_code.id},
        {"kind": "focus_lost", "duration_ms": 4000},
        {"kind": "snapshot", "content": f"# {who_}_SNAPSHOT_MARKER\n", "question_id": w.q_code.id},
    ])
    submission = submission_create(attempt_id=attempt.id, question_id=w.q_code.id, kind="submit",
                                   answer={"source": f"def square(x):\n    # {who_}_SOURCE_MARKER\n    return 0\n"})
    attempt_submit(attempt_id=attempt.id, submitted_by=Attempt.SubmittedBy.CANDIDATE)
    submission_complete(submission=submission_claim(submission_id=submission.id), result=GRADED_RESULT)
    integrity_note_save(attempt=attempt, note=f"{who_}_NOTE_MARKER")
    attempt.refresh_from_db()
    assert attempt.state == Attempt.State.GRADED
    return attempt, submission


def build_world() -> SimpleNamespace:
    w = SimpleNamespace()
    for slug in ("collaboration", "domain-knowledge", "statistical-analysis", "programming", "machine-learning"):
        SkillFactory(slug=slug, name=slug.replace("-", " ").capitalize())
    w.practice_skill = SkillFactory(slug="drills", name="Drills")

    w.q_choice, w.right_option = secret_choice_question()
    w.q_numeric = numeric_question(answer=NUMERIC_KEY, abs_tol=0.0001, title="A p-value")
    w.q_code = secret_code_question()
    w.q_data = data_analysis_question(title="A/B difference")
    w.variants = variants_of(w.q_data, [
        {"params": {"n": 100}, "answers": {"mean_diff": key},
         "datasets": {"ab.csv": f"group,value\nA,10.5\nB,DATASET_{i}_MARKER\n"}}
        for i, key in enumerate(VARIANT_KEYS)
    ])
    questions = (w.q_choice, w.q_numeric, w.q_code, w.q_data)
    w.assessment_done = assessment_with(*questions, title="Exam one", records_integrity=True, show_explanations=True)
    w.assessment_open = assessment_with(*questions, title="Exam two", records_integrity=True)
    w.q_practice = QuestionFactory(kind="single_choice", title="Drill", slug="drill-1")
    Option.objects.create(question=w.q_practice, text="Yes", is_correct=True, order=0)
    Option.objects.create(question=w.q_practice, text="No", is_correct=False, order=1)
    w.q_practice.skills.add(w.practice_skill)

    w.a = UserFactory(username="alice_priv", email="alice-private@example.com", first_name="Alicia", last_name="Privatova")
    w.b = UserFactory(username="bob_priv", email="bob-private@example.com", first_name="Boris", last_name="Secretov")
    w.interviewer = InterviewerFactory(username="ivan_interviewer")
    w.reviewer = StaffFactory(username="rita_reviewer")
    w.admin = UserFactory(username="root_admin", is_staff=True, is_superuser=True)
    w.invitation_a = invite(w.assessment_done, w.a)
    invite(w.assessment_open, w.a)
    invite(w.assessment_done, w.b)
    invite(w.assessment_open, w.b)

    # Each attempt shows its own variant, so each candidate's datasets are theirs alone.
    w.done_a, w.sub_a = finished_attempt(w.a, w.assessment_done, w, who_="ALICE", numeric=0.5)
    w.done_b, w.sub_b = finished_attempt(w.b, w.assessment_done, w, who_="BOB", numeric=0.25)
    w.open_a, _ = attempt_start(candidate=w.a, assessment=w.assessment_open)
    w.open_b, _ = attempt_start(candidate=w.b, assessment=w.assessment_open)
    for attempt, variant in zip((w.done_a, w.open_a, w.done_b, w.open_b), w.variants):
        Response.objects.filter(attempt=attempt, question=w.q_data).update(variant=variant)
    response_save(attempt_id=w.open_a.id, question_id=w.q_code.id,
                  answer={"source": "def square(x):\n    # ALICE_DRAFT_MARKER\n    return x\n"})
    integrity_record(attempt_id=w.open_a.id, events=[{"kind": "snapshot", "content": "# ALICE_SNAPSHOT_MARKER"}])
    SimilarityFlag.objects.create(question=w.q_code, submission_a=w.sub_a, submission_b=w.sub_b, score=0.93,
                                  regions=[[1, 3, 1, 3]])
    w.practice_a = practice_start(candidate=w.a, skill=w.practice_skill)
    response_save(attempt_id=w.practice_a.id, question_id=w.q_practice.id,
                  answer={"choice": w.q_practice.options.get(text="No").id})

    w.role = role_create(slug="data-scientist", title="Data Scientist")
    Stage.objects.filter(role=w.role, slug="technical-assessment").update(assessment=w.assessment_done)
    w.app_a = application_create(role=w.role, candidate=w.a)
    w.app_b = application_create(role=w.role, candidate=w.b)
    w.app_a.interviewers.add(w.interviewer)
    comment_add(application=w.app_a, author=w.reviewer, body="STAFF_COMMENT_ON_A")
    comment_add(application=w.app_b, author=w.reviewer, body="STAFF_COMMENT_ON_B")
    scorecard_submit(application=w.app_b, stage=w.role.stages.get(slug="screening-call"), interviewer=w.reviewer,
                     ratings={"collaboration": 2}, recommendation=Scorecard.Recommendation.NO, notes="STAFF_NOTES_ON_B")

    def response_of(attempt):
        return Response.objects.get(attempt=attempt, question=w.q_numeric).id

    # What fills each URL argument: candidate A's objects, and candidate B's for the other target.
    w.refs = {
        "assessment_id": w.assessment_open.id, "assessment_done": w.assessment_done.id,
        "attempt_id": w.open_a.id, "attempt_done": w.done_a.id, "attempt_practice": w.practice_a.id,
        "question_id": w.q_numeric.id, "q_code": w.q_code.id, "q_data": w.q_data.id, "q_practice": w.q_practice.id,
        "submission_id": w.sub_a.id, "name": "ab.csv", "token": w.invitation_a.token,
        "invitation_id": Invitation.objects.get(assessment=w.assessment_open, candidate=w.a).id,
        "role_id": w.role.id, "stage_slug": "screening-call",
        "application_id": w.app_a.id, "response_id": response_of(w.done_a),
    }
    w.refs_b = {**w.refs, "application_id": w.app_b.id, "response_id": response_of(w.done_b)}
    Invitation.objects.filter(pk=w.invitation_a.pk).update(link_used_at=w.done_a.started_at)

    # What each actor must never read.
    w.private = {
        "a": ["alice_priv", "alice-private@", "Privatova", "ALICE_SOURCE_MARKER", "ALICE_NOTE_MARKER",
              "ALICE_SNAPSHOT_MARKER", "ALICE_DRAFT_MARKER", "DATASET_0_MARKER", "DATASET_1_MARKER"],
        "b": ["bob_priv", "bob-private@", "Secretov", "BOB_SOURCE_MARKER", "BOB_NOTE_MARKER", "BOB_SNAPSHOT_MARKER",
              "DATASET_2_MARKER", "DATASET_3_MARKER", "STAFF_COMMENT_ON_B", "STAFF_NOTES_ON_B"],
    }
    w.users = {"candidate_a": w.a, "candidate_b": w.b, "interviewer": w.interviewer, "reviewer": w.reviewer,
               "admin": w.admin}
    return w


def forbidden_for(actor: str, w) -> list[str]:
    if actor == "anonymous":
        return SECRETS + STAFF_ONLY + w.private["a"] + w.private["b"]
    if actor == "candidate_a":
        return SECRETS + STAFF_ONLY + w.private["b"]
    if actor == "candidate_b":
        return SECRETS + STAFF_ONLY + w.private["a"]
    if actor == "interviewer":
        return w.private["b"]
    return []


# --- calling -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def shared_world(django_db_setup, django_db_blocker):
    """One world for the module, rolled back at its end. Every call below runs in its own
    savepoint, so no test changes what the next one sees; building it once saves ~70 builds."""
    with django_db_blocker.unblock(), transaction.atomic():
        # Every test here is marked django_db, so pytest-django has switched to the test database.
        assert "test" in str(connection.settings_dict["NAME"]), connection.settings_dict["NAME"]
        w = build_world()
        clients = {"anonymous": Client()}
        for actor, user in w.users.items():
            clients[actor] = Client()
            clients[actor].force_login(user)
        yield w, clients
        transaction.set_rollback(True)


@pytest.fixture
def world(shared_world):
    return shared_world[0]


@pytest.fixture
def clients(shared_world):
    return shared_world[1]


@dataclass
class Outcome:
    status: int
    location: str
    text: str

    @property
    def to_login(self) -> bool:
        return self.status in (301, 302, 303) and self.location.split("?")[0] in ("/accounts/login/", "/admin/login/")


def call(client: Client, method: str, url: str, *, api: bool, data=None, multipart: bool = False) -> Outcome:
    """One request inside a savepoint that is rolled back, the client's cookies restored after it
    (signing out, or in by a link, must not carry over): every actor meets the same world."""
    cookies = copy.deepcopy(client.cookies)
    with transaction.atomic():
        kwargs = {}
        if data is not None:
            if api and not multipart:
                kwargs = {"data": json.dumps(data), "content_type": "application/json"}
            elif method == "POST":
                kwargs = {"data": data}
            else:
                kwargs = {"data": json.dumps(data), "content_type": "application/json"}
        response = getattr(client, method.lower())(url, **kwargs)
        if response.streaming:
            raw = b"".join(response.streaming_content)
        else:
            raw = response.content
        transaction.set_rollback(True)
    client.cookies = cookies
    return Outcome(response.status_code, response.get("Location", ""), readable(raw, response.get("Content-Type", "")))


def readable(raw: bytes, content_type: str) -> str:
    """The text a reader gets out of a body, the PDF report's included."""
    if content_type.startswith("application/pdf"):
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(raw)).pages)
    return raw.decode("utf-8", "replace")


def matches(expected: str, outcome: Outcome, *, api: bool) -> bool:
    status = outcome.status
    if expected == OK:
        return 200 <= status < 400 and not outcome.to_login
    if expected == ANYONE:
        return 200 <= status < 400
    if expected == LOGIN:
        return status == 401 if api else outcome.to_login
    if expected == DENY:
        return status in (403, 404)
    if expected == GONE:
        return status == 410
    if expected == HEALTH:
        return status in (200, 503)
    if expected == NOT_OFFERED:
        return status in (401, 403, 404, 405) or outcome.to_login
    raise AssertionError(expected)


def url_for(route: Route, rule: Rule, refs: dict) -> str:
    names = re.findall(r"<(?:\w+:)?(\w+)>", route.route)
    return reverse(route.name, kwargs={n: refs[rule.args.get(n, n)] for n in names})


def check_route(route: Route, rule: Rule, world, clients, refs: dict, expectations: dict) -> list[str]:
    problems = []
    url = url_for(route, rule, refs)
    methods = dict(expectations)
    offered = declared_methods(route)
    probes = (set(METHODS) - set(methods)) if offered is not None else ({"GET"} - set(methods))
    for method in probes:
        methods[method] = {actor: NOT_OFFERED for actor in ACTORS}
    for method, by_actor in sorted(methods.items()):
        make_body = rule.body.get(method)
        for actor in ACTORS:
            data = make_body(SimpleNamespace(**{**vars(world), "refs": refs})) if make_body else None
            outcome = call(clients[actor], method, url, api=route.is_api, data=data, multipart=rule.multipart)
            expected = by_actor[actor]
            where = f"{method} {url} as {actor}"
            if outcome.status >= 500 and not (expected == HEALTH and outcome.status == 503):
                problems.append(f"{where}: {outcome.status} (a server error)")
            elif not matches(expected, outcome, api=route.is_api):
                problems.append(f"{where}: expected {expected}, got {outcome.status} {outcome.location} "
                                f"{outcome.text[:200]!r}")
            leaked = [m for m in forbidden_for(actor, world) if m in outcome.text]
            if leaked:
                problems.append(f"{where}: the body shows {leaked}")
    return problems


# --- the tests ---------------------------------------------------------------------------------

@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name or r.route)
def test_every_route_has_a_rule(route):
    assert route.name, f"{route.route}: every route needs a name (and a rule in RULES)"
    assert route.name in RULES, f"{route.name} ({route.route}) has no rule: every route must have a rule in RULES"
    offered = declared_methods(route)
    if offered is not None:
        assert set(RULES[route.name].methods) == offered, f"{route.name}: the view offers {sorted(offered)}"


def test_every_rule_names_a_route():
    assert set(RULES) - {r.name for r in ROUTES} == set()


def _params():
    for route in ROUTES:
        marks = [pytest.mark.xfail(reason=KNOWN_BUGS[route.name], strict=True)] if route.name in KNOWN_BUGS else []
        yield pytest.param(route, id=route.name or route.route, marks=marks)


@pytest.mark.parametrize("route", list(_params()))
def test_each_actor_gets_what_the_rule_says(route, world, clients):
    rule = RULES.get(route.name)
    assert rule is not None, f"{route.name} has no rule"
    problems = check_route(route, rule, world, clients, world.refs, rule.methods)
    if "application_id" in route.route:
        # The same route on candidate B's application: the interviewer is not assigned to it.
        on_b = {m: {**by_actor, "interviewer": DENY if by_actor["interviewer"] == OK else by_actor["interviewer"]}
                for m, by_actor in rule.methods.items()}
        problems += check_route(route, rule, world, clients, world.refs_b, on_b)
    assert not problems, "\n".join(problems)


# --- what the matrix implies, said out loud --------------------------------------------------

def test_candidate_b_never_sees_candidate_a_attempt_submission_report_dataset_or_integrity(world, clients):
    w, b = world, clients["candidate_b"]
    urls = [
        f"/api/attempts/{w.open_a.id}/", f"/api/attempts/{w.done_a.id}/report/", f"/api/submissions/{w.sub_a.id}/",
        f"/api/attempts/{w.open_a.id}/responses/{w.q_data.id}/datasets/ab.csv", f"/api/attempts/{w.done_a.id}/integrity/",
        f"/attempts/{w.done_a.id}/results/", f"/attempts/{w.open_a.id}/",
    ]
    for url in urls:
        outcome = call(b, "GET", url, api=url.startswith("/api/"))
        assert outcome.status == 404, (url, outcome.status)
        assert not [m for m in w.private["a"] if m in outcome.text], url
    # B's own pages and reports say nothing of A, even where their code was flagged as similar.
    for url in (f"/api/attempts/{w.done_b.id}/report/", f"/api/attempts/{w.done_b.id}/integrity/",
                f"/attempts/{w.done_b.id}/results/", f"/api/submissions/{w.sub_b.id}/", "/progress/", "/"):
        outcome = call(b, "GET", url, api=url.startswith("/api/"))
        assert outcome.status == 200, (url, outcome.status)
        assert not [m for m in w.private["a"] + SECRETS if m in outcome.text], url


def test_interviewers_see_their_candidates_application_but_not_the_others(world, clients):
    w, ivan = world, clients["interviewer"]
    record = call(ivan, "GET", f"/api/staff/applications/{w.app_a.id}/", api=True)
    assert record.status == 200 and "alice_priv" in record.text
    assert call(ivan, "GET", f"/api/staff/applications/{w.app_b.id}/", api=True).status == 404
    assert call(ivan, "GET", f"/staff/candidates/{w.app_a.id}/", api=False).status == 200
    assert call(ivan, "GET", f"/staff/candidates/{w.app_b.id}/", api=False).status == 404
    listing = call(ivan, "GET", f"/api/staff/roles/{w.role.id}/applications/", api=True)
    assert [r["id"] for r in json.loads(listing.text)["results"]] == [w.app_a.id]
    page = call(ivan, "GET", f"/staff/roles/{w.role.id}/", api=False)
    assert "Alicia Privatova" in page.text
    pdf = call(ivan, "GET", f"/staff/candidates/{w.app_a.id}/report.pdf", api=False)
    assert "Alicia Privatova" in pdf.text
    assert call(ivan, "GET", f"/staff/candidates/{w.app_b.id}/report.pdf", api=False).status == 404
    candidate_page = call(ivan, "GET", f"/staff/candidates/{w.app_a.id}/", api=False)
    assert "ALICE_SOURCE_MARKER" in candidate_page.text and "another candidate" in candidate_page.text  # the match, unnamed
    for outcome in (record, listing, page, pdf, candidate_page):
        assert not [m for m in w.private["b"] if m in outcome.text]
    # Who sees every application sees both sides of the match.
    full = call(clients["reviewer"], "GET", f"/api/staff/applications/{w.app_a.id}/", api=True)
    assert "BOB_SOURCE_MARKER" in full.text and "bob_priv" in full.text


def test_no_response_to_a_candidate_carries_answer_keys_or_hidden_tests(world, clients):
    w, a = world, clients["candidate_a"]
    for url in (f"/api/attempts/{w.open_a.id}/", f"/api/attempts/{w.done_a.id}/report/", f"/api/submissions/{w.sub_a.id}/",
                f"/api/attempts/{w.open_a.id}/responses/{w.q_data.id}/datasets/ab.csv", f"/api/attempts/{w.done_a.id}/",
                f"/attempts/{w.open_a.id}/", f"/attempts/{w.done_a.id}/results/", "/api/assessments/"):
        outcome = call(a, "GET", url, api=url.startswith("/api/"))
        assert outcome.status == 200, (url, outcome.status)
        assert not [m for m in SECRETS + STAFF_ONLY if m in outcome.text], url
    started = call(a, "POST", f"/api/assessments/{w.assessment_open.id}/attempts/", api=True)
    assert started.status == 200 and not [m for m in SECRETS if m in started.text]
    # Staff read the same objects in full: the markers are real, not absent everywhere.
    full = call(clients["reviewer"], "GET", f"/api/submissions/{w.sub_a.id}/", api=True)
    assert str(HIDDEN_EXPECTED) in full.text


@pytest.mark.parametrize(("model", "obj"), [("attempt", "done_a"), ("submission", "sub_a"), ("application", "app_a"),
                                            ("question", "q_code")])
def test_admin_pages_of_candidate_data_follow_model_permissions(world, clients, model, obj):
    app = "hiring" if model == "application" else "assessments"
    url = reverse(f"admin:{app}_{model}_change", args=[getattr(world, obj).pk])
    for actor in ("anonymous", "candidate_a", "candidate_b"):
        outcome = call(clients[actor], "GET", url, api=False)
        assert outcome.to_login, (actor, outcome.status)
    assert call(clients["interviewer"], "GET", url, api=False).status == 403  # staff, without model permissions
    assert call(clients["admin"], "GET", url, api=False).status == 200
    assert call(clients["reviewer"], "GET", url, api=False).status == 200  # Reviewers hold the view permissions
