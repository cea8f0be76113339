"""Run or Submit with ?wait=N: the POST itself answers with the verdict once a real worker has
graded the code in the sandbox (201), so a candidate's verdict costs one request, not two."""

import pytest

from assessments.models import Submission
from tests.assessments.factories import SQUARE_SOLUTION, assessment_with, code_question, invite
from tests.e2e.helpers import token_client

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def responses_url(celery_worker):
    question = code_question()
    assessment = assessment_with(question)
    client = token_client(invite(assessment).candidate.username, "pw-for-tests")
    attempt_id = client.post(f"/api/assessments/{assessment.id}/attempts/").json()["id"]
    return client, f"/api/attempts/{attempt_id}/responses/{question.id}"


@pytest.mark.parametrize("path, kind", [("runs", "run"), ("submissions", "submit")])
def test_a_post_that_waits_answers_with_the_verdict_of_the_real_worker(responses_url, path, kind):
    client, base = responses_url

    response = client.post(f"{base}/{path}/?wait=20", {"language": "python", "source": SQUARE_SOLUTION}, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["status"], body["verdict"]) == (kind, "done", "AC")
    assert body["result"]["tests"], "the tests it was graded on come with it"
    assert Submission.objects.get(pk=body["id"]).verdict == "AC"


def test_a_post_without_wait_answers_at_once_and_the_verdict_comes_to_a_read(responses_url):
    client, base = responses_url

    response = client.post(f"{base}/runs/", {"language": "python", "source": "def square(x):\n    return x\n"},
                           format="json")

    assert response.status_code == 202
    assert response.json()["status"] == "queued"
    body = client.get(f"/api/submissions/{response.json()['id']}/?wait=20").json()
    assert (body["status"], body["verdict"]) == ("done", "WA")
