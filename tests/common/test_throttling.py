"""Rate limits: counted in Redis, exact under concurrency, open when the cache is down."""

import logging
import threading
import time
import uuid

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from common.throttling import window_take
from tests.assessments.factories import assessment_with, code_question, invite

pytestmark = pytest.mark.django_db


def test_of_many_simultaneous_requests_exactly_the_limit_get_through():
    key, start, results = f"together-{uuid.uuid4().hex}", threading.Barrier(20), []

    def take():
        start.wait()
        results.append(window_take(key, 5, 60)[0])

    threads = [threading.Thread(target=take) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 15 + [True] * 5


def test_a_refused_request_is_not_counted_and_says_how_long_to_wait():
    key = f"refused-{uuid.uuid4().hex}"
    assert window_take(key, 2, 0.5) == (True, 0)
    assert window_take(key, 2, 0.5) == (True, 0)
    for _ in range(3):
        allowed, wait_s = window_take(key, 2, 0.5)
        assert not allowed and 0 < wait_s <= 0.5
    time.sleep(0.55)
    assert window_take(key, 2, 0.5)[0]  # the refusals did not keep the window full


def test_the_window_slides_a_request_frees_its_place_when_it_is_older_than_the_window():
    key = f"sliding-{uuid.uuid4().hex}"
    assert window_take(key, 2, 0.6)[0]
    time.sleep(0.35)
    assert window_take(key, 2, 0.6)[0]
    assert not window_take(key, 2, 0.6)[0]
    time.sleep(0.3)  # the first is out of the window, the second is not
    assert window_take(key, 2, 0.6)[0]
    assert not window_take(key, 2, 0.6)[0]


def test_a_thread_counts_every_request_on_one_client(redis_clients_made):
    def count():
        for _ in range(5):
            assert window_take(f"client-{uuid.uuid4().hex}", 10, 60)[0]

    thread = threading.Thread(target=count)
    thread.start()
    thread.join()
    count()
    assert len(redis_clients_made) <= 2  # one per thread (none if this one had one already)


def test_runs_go_on_without_a_limit_while_the_cache_is_unreachable(caplog):
    question = code_question()
    assessment = assessment_with(question)
    client = APIClient()
    client.force_authenticate(invite(assessment).candidate)
    attempt = client.post(f"/api/assessments/{assessment.id}/attempts/").json()["id"]
    from django.conf import settings

    down = {**settings.CACHES, "default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/1"}}
    with override_settings(CACHES=down), caplog.at_level(logging.WARNING, logger="common.throttling"):
        answer = client.post(f"/api/attempts/{attempt}/responses/{question.id}/runs/", {"source": "x = 1"}, format="json")
    assert answer.status_code == 202
    assert "rate limit code_run not applied: the cache is unreachable" in caplog.text

