"""Health endpoints: liveness, readiness (database and Redis), and the grading workers."""

import pytest
from django.test import Client, override_settings

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
