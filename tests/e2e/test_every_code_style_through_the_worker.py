"""Each code style and language the judge offers is graded end to end through the API by a real
worker: Python with the data stack, R, and SQL."""

import pytest

from assessments.models import CodeSpec, CodeTest, ProgramTest, Question, Submission
from tests.assessments.factories import QuestionFactory, assessment_with, invite
from tests.e2e.helpers import poll_submission, token_client

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOP_SQL = """
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT, total REAL);
INSERT INTO orders (customer, total) VALUES ('ana', 10.5), ('ana', 4.5), ('bo', 7.0), ('cy', 1.25);
"""
VARIANT_SQL = """
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT, total REAL);
INSERT INTO orders (customer, total) VALUES ('dee', 3.0), ('dee', 3.0), ('eli', 9.0);
"""


def submit(client, attempt_id, question_id, language, source):
    response = client.post(
        f"/api/attempts/{attempt_id}/responses/{question_id}/submissions/",
        {"language": language, "source": source}, format="json",
    )
    assert response.status_code == 202, response.content
    return poll_submission(client, response.json()["id"], timeout=120)


def function_question(language, function_name, tests, **code):
    question = QuestionFactory(kind=Question.Kind.CODE, points=3)
    CodeSpec.objects.create(question=question, language=language, function_name=function_name, **code)
    for i, (args, expected) in enumerate(tests):
        CodeTest.objects.create(question=question, name=f"t{i}", args=args, expected=expected, is_sample=i == 0, order=i)
    return question


@pytest.fixture
def take(celery_worker):
    def start(*questions):
        assessment = assessment_with(*questions)
        candidate = invite(assessment).candidate
        client = token_client(candidate.username, "pw-for-tests")
        return client, client.post(f"/api/assessments/{assessment.id}/attempts/").json()["id"]

    return start


def test_a_sql_question_compares_result_sets_on_every_fixture(take):
    question = QuestionFactory(kind=Question.Kind.CODE, points=3)
    CodeSpec.objects.create(
        question=question, style="sql", language="sql", fixture_sql=SHOP_SQL,
        reference_solution="SELECT customer, SUM(total) AS spent FROM orders GROUP BY customer",
    )
    ProgramTest.objects.create(question=question, name="main", input="", is_sample=True)
    ProgramTest.objects.create(question=question, name="other-shop", input=VARIANT_SQL)
    client, attempt = take(question)

    right = submit(client, attempt, question.id, "sql",
                   "SELECT customer, SUM(total) FROM orders GROUP BY customer ORDER BY 2 DESC")
    assert right["verdict"] == "AC"
    hard_coded = submit(client, attempt, question.id, "sql",
                        "SELECT 'ana', 15.0 UNION ALL SELECT 'bo', 7.0 UNION ALL SELECT 'cy', 1.25")
    assert hard_coded["verdict"] == "WA" and 0 < hard_coded["score"] < 1
    refused = submit(client, attempt, question.id, "sql", "DELETE FROM orders")
    assert refused["verdict"] == "CE"


def test_an_r_function_question(take):
    question = function_question("r", "mean_by", [([[1, 2, 3, 4]], 2.5), ([[10]], 10)])
    client, attempt = take(question)
    assert submit(client, attempt, question.id, "r", "mean_by <- function(x) mean(unlist(x))")["verdict"] == "AC"
    assert submit(client, attempt, question.id, "r", "mean_by <- function(x) median(unlist(x)) + 1")["verdict"] == "WA"


def test_a_pandas_question_on_the_data_stack(take):
    question = function_question(
        "python", "spend_per_customer",
        [([[["ana", 10.5], ["ana", 4.5], ["bo", 7.0]]], {"ana": 15.0, "bo": 7.0})],
        data_stack=True,
    )
    client, attempt = take(question)
    source = (
        "import pandas as pd\n"
        "def spend_per_customer(rows):\n"
        "    frame = pd.DataFrame(rows, columns=['customer', 'total'])\n"
        "    return {k: float(v) for k, v in frame.groupby('customer')['total'].sum().items()}\n"
    )
    assert submit(client, attempt, question.id, "python", source)["verdict"] == "AC"


def test_a_question_the_judge_cannot_use_fails_the_submission_with_the_reason_instead_of_hanging(take):
    # A custom-validator question whose validator was never uploaded: the author's fault, not the candidate's.
    question = QuestionFactory(kind=Question.Kind.CODE, points=1)
    CodeSpec.objects.create(question=question, style=CodeSpec.Style.PROGRAM, language="python",
                            checker=CodeSpec.Checker.CUSTOM)
    ProgramTest.objects.create(question=question, name="sample", input="1\n", answer="1\n", is_sample=True)
    client, attempt = take(question)

    response = client.post(f"/api/attempts/{attempt}/responses/{question.id}/runs/",
                           {"language": "python", "source": "print(input())"}, format="json")
    body = poll_submission(client, response.json()["id"], timeout=60)

    assert body["status"] == "error"
    submission = Submission.objects.get(pk=body["id"])
    assert submission.error.startswith("The question cannot be judged")
