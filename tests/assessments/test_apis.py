"""The candidate API without a worker: shapes, permissions, secrecy and the error format."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from assessments.models import Attempt, Response, Submission
from tests.accounts.factories import StaffFactory, UserFactory, client_for
from tests.assessments.factories import (
    assessment_with,
    code_question,
    data_analysis_question,
    invite,
    multiple_choice_question,
    numeric_question,
    single_choice_question,
    variants_of,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    questions = {
        "single": single_choice_question(),
        "multiple": multiple_choice_question(),
        "numeric": numeric_question(),
        "code": code_question(),
    }
    assessment = assessment_with(*questions.values())
    candidate = invite(assessment).candidate
    return assessment, questions, candidate


def start(client, assessment):
    response = client.post(f"/api/assessments/{assessment.id}/attempts/")
    assert response.status_code in (200, 201), response.content
    return response.json()


def test_a_token_is_issued_for_a_correct_password_and_works():
    user = UserFactory(username="casey")
    response = APIClient().post("/api/auth/token/", {"username": "casey", "password": "pw-for-tests"}, format="json")
    assert response.status_code == 200
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + response.json()["token"])
    assert client.get("/api/assessments/").status_code == 200
    assert user.auth_token.key == response.json()["token"]


def test_a_wrong_password_gets_the_error_shape():
    UserFactory(username="casey")
    response = APIClient().post("/api/auth/token/", {"username": "casey", "password": "nope"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"message", "extra"}


def test_a_wrong_token_is_refused_with_the_error_shape():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    response = client.get("/api/assessments/")
    assert response.status_code == 401
    assert response.json() == {"message": "Invalid token.", "extra": {}}


def test_anonymous_requests_are_refused():
    response = APIClient().get("/api/assessments/")
    assert response.status_code in (401, 403)
    assert set(response.json()) == {"message", "extra"}


def test_the_list_shows_invited_assessments_only(setup):
    assessment, _, candidate = setup
    assessment_with(single_choice_question())  # not invited
    data = client_for(candidate).get("/api/assessments/").json()
    assert [a["id"] for a in data] == [assessment.id]
    assert data[0]["question_count"] == 4 and data[0]["attempt"] is None


def test_starting_returns_201_with_questions_but_no_answers(setup):
    assessment, questions, candidate = setup
    client = client_for(candidate)
    response = client.post(f"/api/assessments/{assessment.id}/attempts/")
    assert response.status_code == 201
    body = response.json()
    assert body["deadline"] and body["state"] == "in_progress"
    assert [q["id"] for q in body["questions"]] == [q.id for q in questions.values()]
    text = json.dumps(body)
    assert "is_correct" not in text and "correct" not in text
    assert "reference_solution" not in text and "return x * x" not in text
    code = next(q for q in body["questions"] if q["kind"] == "code")["code"]
    assert [t["name"] for t in code["sample_tests"]] == ["two"]  # hidden tests stay hidden
    assert "negative" not in text and "1000000000000" not in text
    numeric = next(q for q in body["questions"] if q["kind"] == "numeric")
    assert "0.05" not in json.dumps(numeric)
    again = client.post(f"/api/assessments/{assessment.id}/attempts/")
    assert again.status_code == 200 and again.json()["id"] == body["id"]


def test_a_start_that_finds_every_paper_slot_taken_too_long_is_refused_with_503_and_nothing_made(setup, settings):
    """At most PREP_WEB_START_SLOTS starts run at once in a web process (common/bulkhead.py)."""
    from common.bulkhead import papers

    assessment, _, candidate = setup
    settings.PREP_WEB_START_SLOTS, settings.PREP_WEB_START_WAIT_S = 1, 0.05
    client = client_for(candidate)
    with papers:  # the one slot, held by another request
        refused = client.post(f"/api/assessments/{assessment.id}/attempts/")
        practice = client.post("/api/practice/", {"skill": "", "difficulty": ""}, format="json")

    assert refused.status_code == practice.status_code == 503
    assert refused["Retry-After"] == "2" and "try again in a few seconds" in refused.json()["message"]
    assert not Attempt.objects.exists()
    assert start(client, assessment)["questions"]  # the slot given back, the next start goes through


def test_the_paper_a_start_answers_with_is_the_one_reading_the_attempt_shows():
    """The start answers from the responses it has just made; reading the attempt reads them
    back: the same questions, order, shuffled options, variant text, datasets and samples."""
    from assessments.models import AssessmentDraw, CodeSpec, ProgramTest, Question
    from tests.assessments.factories import QuestionFactory, SkillFactory

    parameterized = data_analysis_question(variant_count=3)
    variants_of(parameterized, [{"params": {"n": 100 + i}, "answers": {"mean_diff": float(i)},
                                 "datasets": {"ab.csv": "group,value\nA,1\nB,2\n"}} for i in range(3)])
    program = QuestionFactory(kind=Question.Kind.CODE, title="Add two numbers", prompt="Print the sum.")
    CodeSpec.objects.create(question=program, style=CodeSpec.Style.PROGRAM, language="python",
                            reference_solution="print(sum(map(int, input().split())))\n")
    ProgramTest.objects.create(question=program, name="small", input="2 3\n", answer="5\n", is_sample=True, order=0)
    ProgramTest.objects.create(question=program, name="hidden", input="-4 1\n", answer="-3\n", order=1)
    assessment = assessment_with(single_choice_question(), multiple_choice_question(), numeric_question(),
                                 code_question(), parameterized, program, shuffle_questions=True, shuffle_options=True)
    statistics = SkillFactory(slug="statistics-pool", name="Statistics pool")
    for _ in range(4):  # a pool drawn from: choice, numeric and function-style code questions
        for made in (single_choice_question(), numeric_question(), code_question()):
            made.skills.add(statistics)
    AssessmentDraw.objects.create(assessment=assessment, count=5, skill=statistics)
    client = client_for(invite(assessment).candidate)

    started = start(client, assessment)
    read = client.get(f"/api/attempts/{started['id']}/").json()

    assert len(started["questions"]) == 11
    assert started["questions"] == read["questions"]
    samples = next(q for q in started["questions"] if q["id"] == program.id)["code"]["sample_tests"]
    assert [t["name"] for t in samples] == ["small"]
    assert started["answers"] == read["answers"] == {str(q["id"]): {} for q in read["questions"]}
    shown = next(q for q in started["questions"] if q["id"] == parameterized.id)
    assert "{{n}}" not in shown["prompt"] and shown["datasets"][0]["name"] == "ab.csv"


def test_a_start_that_read_a_question_before_a_new_version_landed_answers_with_the_paper_as_stored(monkeypatch):
    """The start reads its questions before it locks them: a new version committed in between
    (an import it queued behind) must not leave it showing the old text with the new options."""
    from django.db.models import F

    from assessments.models import Question
    from assessments.services import attempts

    question = single_choice_question(title="Old wording")
    assessment = assessment_with(question, numeric_question())
    read = attempts.assessment_questions

    def read_then_new_version_lands(**kwargs):
        questions = read(**kwargs)
        Question.objects.filter(pk=question.pk).update(title="New wording", version=F("version") + 1)
        return questions

    monkeypatch.setattr(attempts, "assessment_questions", read_then_new_version_lands)
    client = client_for(invite(assessment).candidate)

    started = start(client, assessment)

    assert started["questions"][0]["title"] == "New wording"
    assert started["questions"] == client.get(f"/api/attempts/{started['id']}/").json()["questions"]


def test_an_attempt_just_started_shows_its_own_responses_once_then_reads_them_back():
    from assessments.selectors import attempt_responses
    from assessments.services import attempt_start, response_save

    question = numeric_question()
    assessment = assessment_with(question)
    attempt, _ = attempt_start(candidate=invite(assessment).candidate, assessment=assessment)
    assert [r.answer for r in attempt_responses(attempt=attempt)] == [{}]

    response_save(attempt_id=attempt.id, question_id=question.id, answer={"value": 0.05})

    assert [r.answer for r in attempt_responses(attempt=attempt)] == [{"value": 0.05}]


def test_every_kind_of_answer_autosaves_and_reads_back(setup):
    assessment, q, candidate = setup
    client = client_for(candidate)
    attempt = start(client, assessment)
    option = q["single"].options.first().id
    picks = [o.id for o in q["multiple"].options.all()][:2]
    answers = {
        q["single"].id: {"choice": str(option)},
        q["multiple"].id: {"choices": picks},
        q["numeric"].id: {"value": 0.05},
        q["code"].id: {"language": "python", "source": "def square(x):\n    return x*x\n"},
    }
    for question_id, answer in answers.items():
        response = client.put(f"/api/attempts/{attempt['id']}/responses/{question_id}/", answer, format="json")
        assert response.status_code == 200, response.content
    saved = client.get(f"/api/attempts/{attempt['id']}/").json()["answers"]
    assert saved[str(q["single"].id)] == {"choice": option}
    assert saved[str(q["multiple"].id)] == {"choices": sorted(picks)}
    assert saved[str(q["numeric"].id)] == {"value": 0.05}
    assert saved[str(q["code"].id)]["source"].startswith("def square")


def test_an_invalid_answer_is_a_400_with_the_error_shape(setup):
    assessment, q, candidate = setup
    client = client_for(candidate)
    attempt = start(client, assessment)
    response = client.put(f"/api/attempts/{attempt['id']}/responses/{q['numeric'].id}/", {"value": "twelve"}, format="json")
    assert response.status_code == 400
    assert response.json()["message"] == "That is not a number."


def test_an_answer_after_the_deadline_gets_409_and_changes_nothing(setup):
    assessment, q, candidate = setup
    client = client_for(candidate)
    attempt = start(client, assessment)
    url = f"/api/attempts/{attempt['id']}/responses/{q['numeric'].id}/"
    assert client.put(url, {"value": 1}, format="json").status_code == 200
    Attempt.objects.filter(pk=attempt["id"]).update(
        started_at=timezone.now() - timedelta(hours=1), deadline=timezone.now() - timedelta(seconds=1)
    )
    response = client.put(url, {"value": 2}, format="json")
    assert response.status_code == 409
    assert "Time is up" in response.json()["message"]
    assert Response.objects.get(attempt_id=attempt["id"], question=q["numeric"]).answer == {"value": 1.0}
    run = client.post(url + "runs/", {"source": "def square(x): return 1"}, format="json")
    assert run.status_code == 409
    assert not Submission.objects.exists()


def test_the_report_waits_for_submission(setup):
    assessment, _, candidate = setup
    client = client_for(candidate)
    attempt = start(client, assessment)
    assert client.get(f"/api/attempts/{attempt['id']}/report/").status_code == 409


def test_another_candidate_sees_404_for_attempts_answers_submissions_and_reports(setup):
    assessment, q, candidate = setup
    owner = client_for(candidate)
    attempt = start(owner, assessment)
    submission = owner.post(
        f"/api/attempts/{attempt['id']}/responses/{q['code'].id}/runs/", {"source": "def square(x): return 1"}, format="json"
    ).json()
    owner.post(f"/api/attempts/{attempt['id']}/submit/")

    intruder = client_for(UserFactory())
    base = f"/api/attempts/{attempt['id']}/"
    assert intruder.get(base).status_code == 404
    assert intruder.get(base + "report/").status_code == 404
    assert intruder.put(base + f"responses/{q['numeric'].id}/", {"value": 1}, format="json").status_code == 404
    assert intruder.post(base + "submit/").status_code == 404
    assert intruder.get(f"/api/submissions/{submission['id']}/").status_code == 404
    assert intruder.post(f"/api/assessments/{assessment.id}/attempts/").status_code == 404


def test_staff_may_read_but_not_answer_a_candidates_attempt(setup):
    assessment, q, candidate = setup
    attempt = start(client_for(candidate), assessment)
    staff = client_for(StaffFactory())
    assert staff.get(f"/api/attempts/{attempt['id']}/").status_code == 200
    response = staff.put(f"/api/attempts/{attempt['id']}/responses/{q['numeric'].id}/", {"value": 1}, format="json")
    assert response.status_code == 403


def test_hidden_test_details_are_not_shown_to_the_candidate(setup):
    assessment, q, candidate = setup
    client = client_for(candidate)
    attempt = start(client, assessment)
    submission = client.post(
        f"/api/attempts/{attempt['id']}/responses/{q['code'].id}/submissions/", {"source": "def square(x): return 1"}, format="json"
    ).json()
    Submission.objects.filter(pk=submission["id"]).update(
        status="done",
        verdict="WA",
        score=0.0,
        results={
            "verdict": "WA",
            "score": 0.0,
            "stdout": "printed hidden input -3",
            "tests": [
                {"name": "two", "sample": True, "verdict": "WA", "args": [2], "expected": 4, "actual": 1, "message": ""},
                {"name": "negative", "sample": False, "verdict": "WA", "args": [-3], "expected": 9, "actual": 1, "message": "expected 9"},
            ],
        },
    )
    body = client.get(f"/api/submissions/{submission['id']}/").json()
    tests = body["result"]["tests"]
    assert tests[0]["expected"] == 4 and tests[0]["args"] == [2] and "actual" not in tests[0]
    assert tests[1] == {"name": "Hidden test 1", "hidden": True, "passed": False}
    assert "-3" not in json.dumps(body) and "expected 9" not in json.dumps(body)


def test_the_schema_says_a_start_may_be_refused_with_503_and_a_retry_after():
    schema = APIClient().get("/api/schema/?format=json").json()
    for path in ("/api/assessments/{assessment_id}/attempts/", "/api/practice/"):
        refused = schema["paths"][path]["post"]["responses"]["503"]
        assert refused["headers"]["Retry-After"]["schema"]["type"] == "integer"
        assert all(p["name"] != "Retry-After" for p in schema["paths"][path]["post"].get("parameters", []))


def test_the_openapi_schema_is_served():
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in [
        "/api/assessments/",
        "/api/assessments/{assessment_id}/attempts/",
        "/api/attempts/{attempt_id}/",
        "/api/attempts/{attempt_id}/responses/{question_id}/",
        "/api/attempts/{attempt_id}/responses/{question_id}/runs/",
        "/api/attempts/{attempt_id}/responses/{question_id}/submissions/",
        "/api/attempts/{attempt_id}/submit/",
        "/api/attempts/{attempt_id}/report/",
        "/api/submissions/{submission_id}/",
        "/api/auth/token/",
    ]:
        assert path in paths


@pytest.mark.parametrize(
    ("policy", "shown", "hidden"),
    [
        ("none", None, None),
        ("passfail", {"name", "hidden", "passed"}, {"verdict", "hint", "expected"}),
        ("verdict", {"verdict"}, {"hint", "expected", "actual"}),
        ("hint", {"verdict", "hint"}, {"expected", "actual", "args"}),
        ("full", {"verdict", "hint", "expected", "args"}, {"actual", "message"}),  # on Submit: no candidate text
    ],
)
def test_each_hidden_tests_feedback_policy_reveals_only_what_it_allows(setup, policy, shown, hidden):
    assessment, q, candidate = setup
    client = client_for(candidate)
    attempt = start(client, assessment)
    submission = client.post(
        f"/api/attempts/{attempt['id']}/responses/{q['code'].id}/submissions/", {"source": "def square(x): return 1"}, format="json"
    ).json()
    hidden_test = {
        "name": "negative", "sample": False, "verdict": "WA", "args": [-3], "expected": 9, "actual": 1,
        "message": "expected 9, got 1", "feedback": policy, "hint": "Think about negative numbers.", "time_ms": 1,
    }
    Submission.objects.filter(pk=submission["id"]).update(
        status="done", verdict="WA", score=0.0, results={"verdict": "WA", "score": 0.0, "tests": [hidden_test]}
    )
    tests = client.get(f"/api/submissions/{submission['id']}/").json()["result"]["tests"]
    if shown is None:
        assert tests == []
        return
    assert shown <= set(tests[0]) and not (hidden & set(tests[0]))


def test_a_submit_returns_nothing_the_candidates_code_wrote(setup):
    """On Submit hidden inputs share the box with the code, which could write them into its
    own messages or values: none of those come back, even for sample tests."""
    assessment, q, candidate = setup
    client = client_for(candidate)
    attempt = start(client, assessment)
    submission = client.post(
        f"/api/attempts/{attempt['id']}/responses/{q['code'].id}/submissions/", {"source": "def square(x): return 1"}, format="json"
    ).json()
    leak = "RuntimeError: [[-3], [1000000]]"
    Submission.objects.filter(pk=submission["id"]).update(
        status="done", verdict="CE", score=0.0,
        results={"verdict": "CE", "score": 0.0, "compile_output": leak, "stdout": leak, "tests": [
            {"name": "two", "sample": True, "verdict": "RTE", "args": [2], "expected": 4, "actual": [-3], "message": leak},
        ]},
    )
    body = client.get(f"/api/submissions/{submission['id']}/").json()
    text = json.dumps(body)
    assert "-3" not in text and "1000000" not in text
    assert body["result"]["tests"][0]["args"] == [2] and "message" not in body["result"]["tests"][0]
    assert "use Run" in body["result"]["compile_output"]


def test_a_malformed_choice_list_is_a_400_not_a_server_error(setup):
    assessment, q, candidate = setup
    client = client_for(candidate)
    attempt = start(client, assessment)
    option = q["multiple"].options.first().id
    response = client.put(f"/api/attempts/{attempt['id']}/responses/{q['multiple'].id}/",
                          {"choices": [option, "x"]}, format="json")
    assert response.status_code == 400


def test_the_report_uses_a_bounded_number_of_queries(setup, django_assert_max_num_queries):
    assessment, q, candidate = setup
    client = client_for(candidate)
    attempt = start(client, assessment)
    for source in ("def square(x): return 1", "def square(x): return 2", "def square(x): return x*x"):
        client.post(f"/api/attempts/{attempt['id']}/responses/{q['code'].id}/submissions/", {"source": source}, format="json")
        Submission.objects.filter(status="queued").update(status="done", verdict="WA", score=0.0, results={"tests": []})
    client.post(f"/api/attempts/{attempt['id']}/submit/")
    Submission.objects.filter(status="queued").update(status="done", verdict="AC", score=1.0, results={"tests": []})
    with django_assert_max_num_queries(20):
        report = client.get(f"/api/attempts/{attempt['id']}/report/").json()
    code = next(x for x in report["questions"] if x["question_id"] == q["code"].id)
    assert code["submission"]["id"] == Submission.objects.filter(kind="submit").latest("created_at", "id").id
