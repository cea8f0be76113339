"""Hostile code submitted through the API is contained: the worker keeps working and leaks nothing.
Runs inside make test's own PID namespace (see tests/judge for the full hostile suite)."""

from pathlib import Path

import pytest
from django.conf import settings

from tests.assessments.factories import assessment_with, code_question, invite
from tests.e2e.helpers import poll_submission, token_client

pytestmark = [pytest.mark.e2e, pytest.mark.hostile, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def submit(celery_worker):
    question = code_question()
    assessment = assessment_with(question)
    candidate = invite(assessment).candidate
    client = token_client(candidate.username, "pw-for-tests")
    attempt = client.post(f"/api/assessments/{assessment.id}/attempts/").json()

    def run(source: str, kind: str = "runs") -> dict:
        response = client.post(
            f"/api/attempts/{attempt['id']}/responses/{question.id}/{kind}/", {"source": source}, format="json"
        )
        assert response.status_code == 202, response.content
        return poll_submission(client, response.json()["id"], timeout=90)

    return run


def tree_rss_kb(pid: int) -> int:
    """Resident memory of a process and all its descendants."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")))
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError, StopIteration):
            continue
    return total


def test_an_infinite_loop_is_a_time_limit_verdict_and_the_worker_goes_on(submit, celery_worker):
    assert submit("def square(x):\n    while True:\n        pass\n")["verdict"] == "TLE"
    assert submit("def square(x):\n    return x * x\n")["verdict"] == "AC"
    assert celery_worker.proc.poll() is None


def test_the_environment_inside_holds_no_django_secret(submit, celery_worker):
    result = submit("import os\ndef square(x):\n    return sorted(os.environ.items())\n")
    actual = result["result"]["tests"][0]["actual"]
    names = {name for name, _ in actual}
    assert names <= {"PATH", "LANG", "HOME", "PWD", "LC_ALL", "PYTHONHASHSEED", "TERM", "TMPDIR"}
    text = repr(actual)
    assert celery_worker.secret not in text and settings.SECRET_KEY not in text
    assert "DATABASE_URL" not in text and "REDIS_URL" not in text


def test_a_connection_to_the_redis_port_fails(submit, redis_proc):
    source = (
        "import socket\n"
        "def square(x):\n"
        f"    socket.create_connection(('127.0.0.1', {redis_proc.port}), timeout=2)\n"
        "    return x * x\n"
    )
    result = submit(source)
    assert result["verdict"] == "RTE"
    assert "Error" in result["result"]["tests"][0]["message"]


def test_a_print_flood_is_an_output_limit_verdict_with_the_worker_memory_flat(submit, celery_worker):
    submit("def square(x):\n    return x * x\n")  # warm up the worker
    before = tree_rss_kb(celery_worker.pid)
    result = submit("def square(x):\n    while True:\n        print('x' * 10**6)\n")
    after = tree_rss_kb(celery_worker.pid)
    assert result["verdict"] == "OLE"
    assert after - before < 30 * 1024, f"worker memory grew by {(after - before) // 1024} MiB"
