"""Reading a submission with ?wait=N: the answer comes as soon as the worker announces the verdict
(through the real Redis and a real worker), at the timeout when nothing finishes, and without
Redis the wait still ends when the database says the submission is finished."""

import json
import os
import threading
import time
from datetime import UTC, datetime

import pytest
import redis
from django.conf import settings as django_settings
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from assessments import notify, selectors
from assessments.models import Submission
from assessments.services import attempt_start, submission_claim, submission_complete
from tests.assessments.factories import SQUARE_SOLUTION, assessment_with, code_question, invite
from tests.e2e.helpers import token_client

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def queued():
    """A submission row no broker message points at: only the test finishes it."""
    question = code_question()
    assessment = assessment_with(question)
    invitation = invite(assessment)
    attempt, _ = attempt_start(candidate=invitation.candidate, assessment=assessment)
    submission = Submission.objects.create(attempt=attempt, question=question, kind="run", language="python",
                                           source=SQUARE_SOLUTION)
    return submission, token_client(invitation.candidate.username, "pw-for-tests")


def finish_soon(submission_id: int, after_s: float) -> threading.Thread:
    def work():
        time.sleep(after_s)
        claimed = submission_claim(submission_id=submission_id)
        submission_complete(submission=claimed, result={"verdict": "AC", "score": 1.0, "tests": []})

    thread = threading.Thread(target=work)
    thread.start()
    return thread


def test_a_waiting_read_answers_when_the_verdict_is_committed_not_at_its_timeout(queued):
    submission, client = queued
    thread = finish_soon(submission.id, after_s=0.5)

    started = time.monotonic()
    body = client.get(f"/api/submissions/{submission.id}/?wait=15").json()
    thread.join()

    assert body["status"] == "done" and body["verdict"] == "AC"
    assert time.monotonic() - started < 5  # woken by the announcement (0.5 s), well before the 15 s


def test_a_waiting_read_of_a_submission_still_queued_answers_at_its_timeout(queued):
    submission, client = queued

    started = time.monotonic()
    body = client.get(f"/api/submissions/{submission.id}/?wait=0.5").json()

    assert body["status"] == "queued"
    assert time.monotonic() - started >= 0.5


def test_a_submission_deleted_while_a_read_waits_for_it_is_not_found(queued):
    submission, client = queued

    def delete():
        time.sleep(0.3)
        Submission.objects.filter(pk=submission.pk).delete()

    deleter = threading.Thread(target=delete)
    deleter.start()
    response = client.get(f"/api/submissions/{submission.id}/?wait=1")
    deleter.join()

    assert response.status_code == 404


def test_a_finished_submission_is_answered_at_once_whatever_the_wait(queued):
    submission, client = queued
    finish_soon(submission.id, after_s=0).join()

    started = time.monotonic()
    assert client.get(f"/api/submissions/{submission.id}/?wait=20").json()["status"] == "done"
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("wait", ["soon", "-1", "21", "nan"])
def test_a_wait_that_is_not_0_to_20_seconds_is_refused(queued, wait):
    submission, client = queued
    response = client.get(f"/api/submissions/{submission.id}/?wait={wait}")
    assert response.status_code == 400
    assert "wait" in response.json()["extra"]["fields"]


def test_without_redis_the_wait_ends_when_the_database_says_finished(caplog):
    checks = iter([False, False, True])
    with override_settings(REDIS_URL="redis://127.0.0.1:1/0"):  # nothing listens on port 1
        started = time.monotonic()
        notify.submission_wait(1, is_finished=lambda: next(checks), timeout_s=10)
        assert time.monotonic() - started < 5
        notify.submission_updated(1)  # announcing without Redis is logged, never raised
    assert "could not announce an update of submission 1" in caplog.text


def test_when_every_waiting_place_is_taken_a_read_answers_at_once(queued):
    submission, client = queued
    with override_settings(PREP_LONG_POLL_WAITERS=0):
        started = time.monotonic()
        body = client.get(f"/api/submissions/{submission.id}/?wait=15").json()
    assert body["status"] == "queued"
    assert time.monotonic() - started < 5  # the page asks again a second later


@pytest.mark.parametrize("path", ["runs", "submissions"])
def test_a_run_or_submit_with_a_bad_wait_is_refused_before_anything_is_queued(queued, path):
    submission, client = queued
    before = Submission.objects.count()
    response = client.post(f"/api/attempts/{submission.attempt_id}/responses/{submission.question_id}/{path}/?wait=nan",
                           {"language": "python", "source": SQUARE_SOLUTION}, format="json")
    assert response.status_code == 400
    assert "wait" in response.json()["extra"]["fields"]
    assert Submission.objects.count() == before


def test_when_every_waiting_place_is_taken_a_run_that_asks_to_wait_is_accepted_at_once(queued):
    submission, client = queued
    with override_settings(PREP_LONG_POLL_WAITERS=0):
        started = time.monotonic()
        response = client.post(f"/api/attempts/{submission.attempt_id}/responses/{submission.question_id}/runs/?wait=15",
                               {"language": "python", "source": SQUARE_SOLUTION}, format="json")
    assert response.status_code == 202
    assert response.json()["status"] == "queued"
    assert time.monotonic() - started < 5  # the page reads it with GET ?wait=N


def wait_in_thread(submission_id: int, timeout_s: float) -> tuple[threading.Thread, dict]:
    done = {}

    def work():
        started = time.monotonic()
        notify.submission_wait(submission_id, is_finished=lambda: False, timeout_s=timeout_s)
        done["after_s"] = time.monotonic() - started

    thread = threading.Thread(target=work)
    thread.start()
    return thread, done


def listeners(redis_client) -> list[dict]:
    """This Redis's connections from this process's verdict listeners."""
    return [c for c in redis_client.client_list(_type="pubsub") if c["name"] == notify.listener_name()]


def test_waits_in_one_process_share_one_subscribed_connection(settings):
    client = redis.Redis.from_url(settings.REDIS_URL)
    waits = [wait_in_thread(submission_id, timeout_s=3) for submission_id in (101, 102, 103)]
    time.sleep(0.5)  # all three registered
    try:
        assert len(listeners(client)) == 1
    finally:
        for submission_id in (101, 102, 103):
            notify.submission_updated(submission_id)
        for thread, done in waits:
            thread.join()
    assert all(done["after_s"] < 2 for _, done in waits), "each woken by its own announcement"


def test_a_listener_that_loses_redis_wakes_its_waiters_and_the_next_wait_listens_again(settings):
    client = redis.Redis.from_url(settings.REDIS_URL)
    thread, done = wait_in_thread(201, timeout_s=15)
    time.sleep(0.5)
    for subscriber in listeners(client):  # the listener's connection dies under it
        client.client_kill_filter(_id=subscriber["id"])

    thread.join(timeout=10)
    assert done["after_s"] < 5, "woken when the connection was lost, not at its 15 s timeout"

    time.sleep(1.1)  # a lost listener is replaced at most once a second
    thread, done = wait_in_thread(202, timeout_s=15)
    time.sleep(0.5)
    notify.submission_updated(202)
    thread.join(timeout=10)
    assert done["after_s"] < 5, "the new listener hears the announcement"


def test_a_forked_process_listens_for_itself_rather_than_through_its_parents_listener(settings):
    thread, done = wait_in_thread(301, timeout_s=3)  # this process's listener is up
    notify.submission_updated(301)
    thread.join()

    pid = os.fork()
    if pid == 0:  # the child: the parent's listener thread does not exist here
        code = 1
        try:
            started = time.monotonic()
            notify.submission_wait(302, is_finished=lambda: False, timeout_s=8)
            code = 0 if time.monotonic() - started < 5 else 2
        finally:
            os._exit(code)
    client = redis.Redis.from_url(settings.REDIS_URL)
    end = time.monotonic() + 5
    while time.monotonic() < end and not [c for c in client.client_list(_type="pubsub")
                                          if c["name"] == notify.listener_name(pid)]:
        time.sleep(0.05)
    # Announced until the child is done: one announcement could come between its listener's
    # subscription and its waiter's registration, and this waiter reads no row that would show it.
    while True:
        notify.submission_updated(302)
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.1)
    assert os.waitstatus_to_exitcode(status) == 0, "the child was woken by its own listener"


def heard(submission_id: int, timeout_s: float = 5) -> None:
    """Until this process's listener has heard an announcement about the submission."""
    end = time.monotonic() + timeout_s
    while not any(submission_id in listener._heard for listener in notify._listeners.values()):
        assert time.monotonic() < end, "the listener heard nothing"
        time.sleep(0.01)


def listening() -> float:
    """This process's listener is subscribed: the time after which a read may skip re-checking."""
    thread, _ = wait_in_thread(0, timeout_s=0.1)  # starts it
    thread.join()
    listener = notify._listeners[django_settings.REDIS_URL]
    assert listener.ready.wait(timeout=5), "the listener did not subscribe"
    return max(time.monotonic(), listener.ready_at)


def test_a_verdict_reaches_the_waiting_request_with_its_announcement_without_reading_the_row(queued):
    submission, _ = queued
    read_at = listening()
    finisher = finish_soon(submission.id, after_s=0.3)
    with CaptureQueriesContext(connection) as queries:
        waited = selectors.submission_wait(submission=submission, timeout_s=10, read_at=read_at)
    finisher.join()

    assert [q["sql"] for q in queries.captured_queries] == []
    stored = Submission.objects.get(pk=submission.pk)
    assert (waited.status, waited.verdict, waited.score, waited.results, waited.finished_at, waited.error) == (
        stored.status, stored.verdict, stored.score, stored.results, stored.finished_at, stored.error)
    assert waited.finished_at.microsecond == stored.finished_at.microsecond


def test_without_the_time_of_its_read_a_waiting_request_checks_the_row_before_it_waits(queued):
    submission, _ = queued
    listening()

    def finish_once_waiting():
        listener = notify._listeners[django_settings.REDIS_URL]
        while submission.id not in listener._waiting:
            time.sleep(0.01)
        finish_soon(submission.id, after_s=0.2).join()

    finisher = threading.Thread(target=finish_once_waiting)
    finisher.start()
    with CaptureQueriesContext(connection) as queries:
        waited = selectors.submission_wait(submission=submission, timeout_s=10)
    finisher.join()

    assert len(queries.captured_queries) == 1  # is it finished? The verdict itself came with its announcement.
    assert waited.status == "done" and waited.verdict == "AC"


def test_an_announcement_heard_between_the_read_and_the_wait_ends_the_wait_at_once(queued):
    submission, _ = queued
    read_at = listening()
    finish_soon(submission.id, after_s=0).join()  # graded and announced before anyone waits
    heard(submission.id)

    started = time.monotonic()
    fields = notify.submission_wait(submission.id, is_finished=lambda: pytest.fail("no read needed"), timeout_s=10,
                                    read_at=read_at)
    assert time.monotonic() - started < 2
    assert fields is None  # the waiter reads the row: the announcement it missed is not kept


def test_a_read_made_before_the_listener_subscribed_is_checked_again_before_waiting(queued, settings):
    submission, _ = queued
    listening()
    read_at = notify._listeners[settings.REDIS_URL].ready_at - 0.001
    checks = []

    notify.submission_wait(submission.id, is_finished=lambda: checks.append(1) or True, timeout_s=2, read_at=read_at)
    assert checks == [1]  # checked at once, not after the wait timed out


def test_a_listener_that_forgot_announcements_since_the_read_has_the_waiter_check_the_row(queued, monkeypatch):
    submission, _ = queued
    monkeypatch.setattr(notify, "_HEARD", 2)
    read_at = listening()
    for other in (911, 912, 913):  # the first of these drops out of what the listener remembers
        notify.submission_updated(other)
        heard(other)
    checks = []

    notify.submission_wait(submission.id, is_finished=lambda: checks.append(1) or True, timeout_s=2, read_at=read_at)
    assert checks == [1]  # checked at once, not after the wait timed out


@pytest.mark.parametrize("fields", [{"status": "done", "no_such_field": 1}, {"status": "done", "pk": 1},
                                    {"status": "done", "finished_at": 12345}, {"status": "done", "score": "high"}],
                         ids=["not a field", "not a column", "not a datetime", "not a number"])
def test_an_announcement_with_fields_that_are_not_the_rows_has_the_waiter_read_the_row(queued, fields):
    submission, _ = queued
    read_at = listening()

    def announce():
        time.sleep(0.3)
        Submission.objects.filter(pk=submission.pk).update(status="error", error="boom")
        notify.submission_updated(submission.id, fields)

    thread = threading.Thread(target=announce)
    thread.start()
    waited = selectors.submission_wait(submission=submission, timeout_s=10, read_at=read_at)
    thread.join()
    assert (waited.status, waited.error) == ("error", "boom")  # as stored, not as announced


def test_a_big_result_is_announced_without_its_fields(settings):
    client = redis.Redis.from_url(settings.REDIS_URL)
    pubsub = client.pubsub()
    pubsub.subscribe("prep:submission:901", "prep:submission:902")
    for _ in range(2):
        pubsub.get_message(timeout=2)

    notify.submission_updated(901, {"results": {"tests": ["x" * notify.MAX_CARRIED_BYTES]}})
    notify.submission_updated(902, {"verdict": "AC", "finished_at": datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)})
    data = [pubsub.get_message(timeout=2)["data"] for _ in range(2)]
    pubsub.close()
    assert data[0] == b""
    assert json.loads(data[1]) == {"verdict": "AC", "finished_at": "2026-01-02T03:04:05.678901+00:00"}
