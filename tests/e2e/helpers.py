import time

from rest_framework.test import APIClient

from assessments.models import CodeSpec
from tests.assessments.factories import code_question

TERMINAL = {"done", "error"}

SLEEP_PER_TEST_S = 1.5
# Right, and slow on purpose: three tests of 1.5 s of wall clock each (sleeping costs no CPU).
SLOW_SQUARE = f"import time\n\n\ndef square(x):\n    time.sleep({SLEEP_PER_TEST_S})\n    return x * x\n"


def slow_code_question():
    question = code_question()
    # 2 s of CPU per test gives 6 s of wall clock per test, well above the 1.5 s sleep.
    CodeSpec.objects.filter(question=question).update(time_limit_s=2.0)
    return question


def token_client(username: str, password: str) -> APIClient:
    response = APIClient().post("/api/auth/token/", {"username": username, "password": password}, format="json")
    assert response.status_code == 200, response.content
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + response.json()["token"])
    return client


def poll_submission(client: APIClient, submission_id: int, timeout: float = 60) -> dict:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        body = client.get(f"/api/submissions/{submission_id}/").json()
        if body["status"] in TERMINAL:
            return body
        time.sleep(0.1)
    raise AssertionError(f"submission {submission_id} not graded within {timeout}s: {body}")


def poll_report(client: APIClient, attempt_id: int, timeout: float = 60) -> dict:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        response = client.get(f"/api/attempts/{attempt_id}/report/")
        if response.status_code == 200 and response.json()["state"] == "graded":
            return response.json()
        time.sleep(0.2)
    raise AssertionError(f"attempt {attempt_id} not graded within {timeout}s: {response.json()}")
