"""Health endpoints: liveness, readiness (database and Redis), and the grading workers."""

import pytest
from django.test import Client, override_settings

from assessments.models import Submission
from assessments.services import attempt_start, submission_create
from tests.assessments.factories import assessment_with, invite
from tests.e2e.helpers import SLOW_SQUARE, slow_code_question

pytestmark = pytest.mark.django_db


def test_liveness_and_readiness_answer_without_signing_in():
    client = Client()
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert {name: check["status"] for name, check in ready.json()["checks"].items()} == {"database": "ok", "redis": "ok"}


def test_readiness_names_what_is_down():
    with override_settings(REDIS_URL="redis://127.0.0.1:1/0"):
        ready = Client().get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"]["redis"]["status"] == "down" and ready.json()["checks"]["database"]["status"] == "ok"


@pytest.mark.e2e
def test_the_workers_endpoint_lists_the_running_grading_workers_and_the_backlog(celery_worker):
    body = Client().get("/healthz/workers").json()
    assert body["status"] == "ok" and body["workers"]
    assert set(body["grading"]) == {"queued", "running", "oldest_queued_s"}


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_a_worker_busy_grading_is_listed_as_busy_while_it_cannot_answer_a_ping(celery_worker, wait_for):
    """A worker runs its task in its own process (prep/celery_pool.py): a long grading keeps it
    from answering pings, and must not make it look dead to a load balancer or a supervisor."""
    question = slow_code_question()
    assessment = assessment_with(question)
    attempt, _ = attempt_start(candidate=invite(assessment).candidate, assessment=assessment)
    submission = submission_create(attempt_id=attempt.id, question_id=question.id, kind=Submission.Kind.SUBMIT,
                                   answer={"language": "python", "source": SLOW_SQUARE})
    wait_for(lambda: Submission.objects.filter(pk=submission.pk, status=Submission.Status.RUNNING).exists(),
             timeout=30, message="the worker to claim the submission")

    during = Client().get("/healthz/workers")
    assert during.status_code == 200, during.json()
    assert during.json()["status"] == "ok"
    assert celery_worker.nodename in during.json()["busy"] and not during.json()["workers"]

    wait_for(lambda: Submission.objects.filter(pk=submission.pk, status=Submission.Status.DONE).exists(),
             timeout=60, message="the verdict")
    # The task returns just after the verdict is written; then the worker answers again.
    def answering_and_not_busy():
        body = Client().get("/healthz/workers").json()
        return (body["workers"], body["busy"]) == ([celery_worker.nodename], [])

    wait_for(answering_and_not_busy, timeout=10, message="the worker to answer, no longer busy")
