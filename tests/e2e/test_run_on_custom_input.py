"""Run takes the candidate's own input and shows what their code made of it, unchecked, for each
code style, through the API and a real worker in the sandbox."""

import pytest

from assessments.models import CodeSpec, CodeTest, ProgramTest, Question, Submission, SupportFile
from tests.assessments.factories import QuestionFactory, assessment_with, invite
from tests.e2e.helpers import poll_submission, token_client

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOP_SQL = """
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT, total REAL);
INSERT INTO orders (customer, total) VALUES ('ana', 10.5), ('bo', 7.0);
"""


@pytest.fixture
def take(celery_worker):
    def start(question):
        assessment = assessment_with(question)
        client = token_client(invite(assessment).candidate.username, "pw-for-tests")
        return client, client.post(f"/api/assessments/{assessment.id}/attempts/").json()["id"]

    return start


def run(client, attempt_id, question_id, source, custom_input, language="python"):
    response = client.post(
        f"/api/attempts/{attempt_id}/responses/{question_id}/runs/",
        {"language": language, "source": source, "custom_input": custom_input}, format="json",
    )
    assert response.status_code == 202, response.content
    assert response.json()["custom_input"] == custom_input
    return poll_submission(client, response.json()["id"], timeout=120)


def program_question(**code):
    question = QuestionFactory(kind=Question.Kind.CODE, points=2)
    CodeSpec.objects.create(question=question, style=CodeSpec.Style.PROGRAM, language="python", **code)
    ProgramTest.objects.create(question=question, name="sample", input="2 3\n", answer="5\n", is_sample=True)
    ProgramTest.objects.create(question=question, name="secret", input="40 2\n", answer="42\n")
    return question


def test_a_program_runs_on_the_candidates_stdin_and_its_output_comes_back_unchecked(take):
    question = program_question()
    client, attempt = take(question)

    body = run(client, attempt, question.id,
               "import sys\na, b = map(int, sys.stdin.read().split())\nprint(a + b)\nprint('dbg', file=sys.stderr)",
               "100 23\n")

    assert body["verdict"] == "AC"  # the sample tests still run and count as before
    custom = body["result"]["custom"]
    assert custom["status"] == "ok"
    assert custom["stdout"] == "123\n" and custom["stderr"] == "dbg\n"
    assert "secret" not in str(body["result"])


def test_a_program_that_fails_on_the_custom_input_shows_why(take):
    question = program_question()
    client, attempt = take(question)

    body = run(client, attempt, question.id, "a, b = map(int, input().split())\nprint(a + b * b // b)", "1 0\n")

    assert body["verdict"] == "AC"  # "2 3" is fine; only the custom input divides by zero
    assert body["result"]["custom"]["status"] == "RTE"
    assert "ZeroDivisionError" in body["result"]["custom"]["stderr"]


def test_a_custom_run_uses_a_plain_run_even_when_the_question_has_a_custom_validator(take):
    question = program_question(checker=CodeSpec.Checker.CUSTOM)
    # A validator that fails (exit 1: an internal error, not a verdict): the custom run must never reach it.
    SupportFile.objects.create(question=question, role=SupportFile.Role.VALIDATOR, name="validate.py",
                               content="import sys\nsys.exit(1)\n")
    client, attempt = take(question)

    body = run(client, attempt, question.id, "print(input())", "echo me")

    assert body["result"]["custom"] == {**body["result"]["custom"], "status": "ok", "stdout": "echo me\n"}


def test_a_function_is_called_with_the_candidates_arguments_and_its_value_shown(take):
    question = QuestionFactory(kind=Question.Kind.CODE, points=2)
    CodeSpec.objects.create(question=question, language="python", function_name="total")
    CodeTest.objects.create(question=question, name="t0", args=[[1, 2]], expected=3, is_sample=True)
    client, attempt = take(question)

    body = run(client, attempt, question.id, "def total(xs, start=0):\n    print('called')\n    return sum(xs, start)",
               "[[1.5, 2, 3], 10]")

    custom = body["result"]["custom"]
    assert custom["status"] == "ok" and custom["value"] == 16.5
    assert "called" in custom["stdout"]


def test_an_r_function_takes_custom_arguments_too(take):
    question = QuestionFactory(kind=Question.Kind.CODE, points=2)
    CodeSpec.objects.create(question=question, language="r", function_name="spread")
    CodeTest.objects.create(question=question, name="t0", args=[[1, 5]], expected=4, is_sample=True)
    client, attempt = take(question)

    body = run(client, attempt, question.id, "spread <- function(x) max(unlist(x)) - min(unlist(x))", "[[3, 10, 4]]",
               language="r")

    assert body["result"]["custom"]["status"] == "ok" and body["result"]["custom"]["value"] == 7


def test_a_query_runs_after_the_candidates_own_sql_on_the_sample_database(take):
    question = QuestionFactory(kind=Question.Kind.CODE, points=2)
    CodeSpec.objects.create(question=question, style="sql", language="sql", fixture_sql=SHOP_SQL,
                            reference_solution="SELECT customer, SUM(total) FROM orders GROUP BY customer")
    ProgramTest.objects.create(question=question, name="main", input="", is_sample=True)
    client, attempt = take(question)

    body = run(client, attempt, question.id, "SELECT customer, SUM(total) AS spent FROM orders GROUP BY customer ORDER BY 1",
               "INSERT INTO orders (customer, total) VALUES ('cy', 1.0), ('cy', 2.0);", language="sql")

    assert body["verdict"] == "AC"
    custom = body["result"]["custom"]
    assert custom["status"] == "ok"
    assert custom["value"]["columns"] == ["customer", "spent"]
    assert custom["value"]["rows"] == [["ana", 10.5], ["bo", 7.0], ["cy", 3.0]]


def test_a_function_argument_list_that_is_not_json_is_refused_before_anything_runs(take):
    question = QuestionFactory(kind=Question.Kind.CODE, points=2)
    CodeSpec.objects.create(question=question, language="python", function_name="total")
    client, attempt = take(question)

    for bad in ("[1, 2", '{"xs": [1]}', "[" * 5000 + "]" * 5000):
        response = client.post(f"/api/attempts/{attempt}/responses/{question.id}/runs/",
                               {"source": "def total(xs): return 0", "custom_input": bad}, format="json")
        assert response.status_code == 400
        assert "JSON list" in response.json()["message"]
    assert not Submission.objects.exists()


def test_custom_input_is_refused_on_submit_which_grades_on_the_questions_tests_only(take):
    question = program_question()
    client, attempt = take(question)

    response = client.post(f"/api/attempts/{attempt}/responses/{question.id}/submissions/",
                           {"source": "print(5)", "custom_input": "1 2"}, format="json")

    assert response.status_code == 400
    assert "Run only" in response.json()["message"]
    assert not Submission.objects.exists()


def test_custom_sql_that_never_ends_is_stopped_within_a_tests_budget_and_the_samples_still_count(take):
    question = QuestionFactory(kind=Question.Kind.CODE, points=2)
    CodeSpec.objects.create(question=question, style="sql", language="sql", fixture_sql=SHOP_SQL, time_limit_s=1,
                            reference_solution="SELECT customer FROM orders")
    ProgramTest.objects.create(question=question, name="main", input="", is_sample=True)
    client, attempt = take(question)

    body = run(client, attempt, question.id, "SELECT customer FROM orders",
               "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) "
               "INSERT INTO orders (customer, total) SELECT 'spam', x FROM n;", language="sql")

    assert body["verdict"] == "AC"
    assert body["result"]["custom"]["status"] != "ok"
    assert body["result"]["custom"]["message"]
