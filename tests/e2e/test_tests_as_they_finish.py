"""A program's tests show up one by one while the worker is still judging the rest: a waiting read
(GET ?wait=N) is woken by each batch of finished tests, then by the verdict."""

import time

import pytest

from assessments.models import CodeSpec, ProgramTest, Question
from tests.assessments.factories import QuestionFactory, assessment_with, invite
from tests.e2e.helpers import token_client

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SLOW_ECHO = "import time\ntime.sleep(0.4)\nprint(input())\n"  # wall time, not CPU: well inside the limits


def test_a_submits_tests_appear_as_they_finish_then_the_verdict(celery_worker):
    question = QuestionFactory(kind=Question.Kind.CODE, points=3)
    CodeSpec.objects.create(question=question, style=CodeSpec.Style.PROGRAM, language="python")
    for i in range(6):
        ProgramTest.objects.create(question=question, name=f"t{i}", input=f"{i}\n", answer=f"{i}\n",
                                   is_sample=i == 0, order=i)
    assessment = assessment_with(question)
    client = token_client(invite(assessment).candidate.username, "pw-for-tests")
    attempt_id = client.post(f"/api/assessments/{assessment.id}/attempts/").json()["id"]

    posted = client.post(f"/api/attempts/{attempt_id}/responses/{question.id}/submissions/",
                         {"source": SLOW_ECHO}, format="json")
    assert posted.status_code == 202
    seen = []  # (status, tests shown) of every read
    end = time.monotonic() + 120
    while time.monotonic() < end:
        body = client.get(f"/api/submissions/{posted.json()['id']}/?wait=15").json()
        seen.append((body["status"], len(body["result"]["tests"])))
        if body["status"] == "done":
            break

    assert seen[-1] == ("done", 6) and body["verdict"] == "AC"
    partial = [n for status, n in seen if status == "running" and n]
    assert partial and all(0 < n < 6 for n in partial), seen
    assert partial == sorted(partial)  # tests only ever add up
