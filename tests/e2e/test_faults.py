"""No lost work, proven by fault tests: real processes, killed and restarted.

Each test runs its own redis-server, its own Celery workers and (for the web) its own gunicorn,
all on the test database, and kills them for real (SIGKILL of the whole process tree, Redis
stopped and started empty). The session's `celery_worker` is never touched. The reconciler
runs in this process with the clock moved ahead by time-machine, so that its thresholds
(minutes in production) pass at once while the workers keep the real clock."""

import http.client
import re
import signal
import threading
import time
import uuid
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone
from rest_framework.authtoken.models import Token

from assessments.models import Attempt, Response, Submission
from assessments.services import attempt_start, grading_reconcile, response_save
from assessments.tasks import TASK_TIME_LIMIT_ERROR, submission_grade
from tests.assessments.factories import (
    SQUARE_SOLUTION,
    assessment_with,
    code_question,
    invite,
    numeric_question,
    single_choice_question,
)
from tests.e2e.helpers import SLEEP_PER_TEST_S, SLOW_SQUARE, slow_code_question, token_client
from tests.e2e.processes import Http, cluster, wait_until  # noqa: F401 -- cluster: the fixture

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-for-tests"  # tests.accounts.factories.UserFactory's
FINISHED = (Submission.Status.DONE, Submission.Status.ERROR)


def reconcile_as_if_after(seconds: float) -> dict:
    """Run the reconciler as it would run `seconds` from now (time-machine, this process only)."""
    with time_machine.travel(timezone.now() + timedelta(seconds=seconds), tick=True):
        return grading_reconcile()


def dead_worker_threshold() -> float:
    """How long a running row must be silent before the reconciler takes it back (reconcile.py)."""
    return settings.PREP_GRADING_HARD_TIME_LIMIT + 30 + 1


def queued_threshold() -> float:
    return settings.PREP_RECONCILE_QUEUED_AFTER.total_seconds() + 1


def back_after_broker_outage(worker) -> str | None:
    """Wait for the worker to answer again after the broker came back. If it died instead, start
    it again as a supervisor (systemd, Kubernetes) would, and say so."""
    end = time.monotonic() + 45
    while time.monotonic() < end:
        crash = [line for line in worker.log_text().splitlines() if "Unrecoverable error" in line]
        if crash or not worker.alive:
            worker.stop()  # let it finish dying (kill -9 if it hangs)
            worker.start().wait_ready()
            return f"the worker exited when Redis went away: {crash[-1] if crash else worker.popen.returncode}"
        if worker.answers_ping():
            return None
    pytest.fail(f"the worker neither came back nor died within 45 s\n{worker.log_tail()}")


def succeeded_in(lines: list[str], task_id: str) -> float | None:
    for line in lines:
        match = re.search(rf"\[{re.escape(task_id)}\] succeeded in ([0-9.]+)s", line)
        if match:
            return float(match.group(1))
    return None


def test_a_submission_whose_worker_is_killed_mid_grading_is_graded_once_by_another_worker(cluster):
    question = slow_code_question()
    assessment = assessment_with(question)
    candidate = invite(assessment).candidate
    first, second = cluster.worker("first"), cluster.worker("second")
    cluster.wait_ready()

    client = token_client(candidate.username, PASSWORD)
    attempt = client.post(f"/api/assessments/{assessment.id}/attempts/").json()
    answer = {"language": "python", "source": SLOW_SQUARE}
    base = f"/api/attempts/{attempt['id']}/responses/{question.id}/"
    assert client.put(base, answer, format="json").status_code == 200
    created = client.post(f"{base}submissions/", answer, format="json")
    assert created.status_code == 202, created.content
    submission_id = created.json()["id"]

    wait_until(lambda: Submission.objects.filter(pk=submission_id, status=Submission.Status.RUNNING).exists(),
               timeout=30, message="a worker to claim the submission", logs=cluster.workers)
    holders = wait_until(lambda: [w for w in (first, second) if w.task_lines("received")], timeout=5,
                         message="the claiming worker's log", logs=cluster.workers)
    assert len(holders) == 1, "one message, one worker"
    victim = holders[0]
    survivor = second if victim is first else first
    victim.kill()

    row = Submission.objects.get(pk=submission_id)
    assert (row.status, row.claims) == (Submission.Status.RUNNING, 1), "killed before it finished, else this proves nothing"
    # The message dies unacked with the worker's connection (Redis would hand it back only after
    # the visibility timeout, hours away): nothing moves until the reconciler sees a silent row.
    time.sleep(1)
    assert Submission.objects.get(pk=submission_id).status == Submission.Status.RUNNING
    assert grading_reconcile()["recovered"] == 0, "a running row is not taken back early"
    assert reconcile_as_if_after(dead_worker_threshold())["recovered"] == 1

    done = wait_until(lambda: Submission.objects.filter(pk=submission_id, status__in=FINISHED).first(), timeout=30,
                      message="the other worker to grade the recovered submission", logs=cluster.workers)
    assert (done.status, done.verdict, done.score, done.error) == (Submission.Status.DONE, "AC", 1.0, ""), (
        done.error, done.results, survivor.log_tail())
    assert done.claims == 2, "claimed by the killed worker, then once more by the survivor"
    assert [t["verdict"] for t in done.results["tests"]] == ["AC", "AC", "AC"]
    wait_until(lambda: survivor.task_lines("succeeded"), timeout=10, message="the survivor's task to return",
               logs=[survivor])  # it logs just after the row is written
    assert not victim.task_lines("succeeded")
    response = Response.objects.get(attempt_id=attempt["id"], question=question)
    assert response.score == question.points and response.graded_at == done.finished_at

    # Graded once: later reconciler runs find nothing to do and nothing writes the row again.
    assert not any(reconcile_as_if_after(2 * dead_worker_threshold()).values())
    time.sleep(1)
    after = Submission.objects.get(pk=submission_id)
    assert (after.status, after.claims, after.finished_at, after.verdict, after.results) == (
        done.status, done.claims, done.finished_at, done.verdict, done.results)
    assert Submission.objects.filter(attempt_id=attempt["id"]).count() == 1


def test_work_handed_in_while_redis_is_down_is_graded_after_it_restarts(cluster):
    codes = [code_question() for _ in range(3)]
    numeric = numeric_question(answer=0.05, abs_tol=0.001)
    assessment = assessment_with(numeric, *codes)
    candidate = invite(assessment).candidate
    worker = cluster.worker("grader")
    cluster.wait_ready()
    client = token_client(candidate.username, PASSWORD)
    client.raise_request_exception = False  # see the status a browser would get, 500s included
    started = client.post(f"/api/assessments/{assessment.id}/attempts/")
    assert started.status_code == 201
    attempt_id = started.json()["id"]
    base = f"/api/attempts/{attempt_id}/responses/"
    answer = {"language": "python", "source": SQUARE_SOLUTION}

    cluster.redis.stop()
    statuses = {}
    # The candidate keeps working: autosaves, Submit on two questions, then hands the attempt in.
    statuses["save numeric"] = client.put(f"{base}{numeric.id}/", {"value": 0.0501}, format="json").status_code
    for i, question in enumerate(codes):
        statuses[f"save code {i}"] = client.put(f"{base}{question.id}/", answer, format="json").status_code
    for i, question in enumerate(codes[:2]):
        statuses[f"submit code {i}"] = client.post(f"{base}{question.id}/submissions/", answer, format="json").status_code
    statuses["hand in"] = client.post(f"/api/attempts/{attempt_id}/submit/").status_code

    # Autosave needs only the database.
    assert all(statuses[f"save {what}"] == 200 for what in ("numeric", "code 0", "code 1", "code 2")), statuses
    # The hand-in is committed whatever the broker did, and every code answer waits for grading.
    attempt = Attempt.objects.get(pk=attempt_id)
    assert attempt.state == Attempt.State.SUBMITTED, statuses
    pending = list(Submission.objects.filter(attempt_id=attempt_id, kind=Submission.Kind.SUBMIT))
    assert {s.question_id for s in pending} == {q.id for q in codes}
    assert all(s.status == Submission.Status.QUEUED and s.source == SQUARE_SOLUTION for s in pending)

    cluster.redis.start()  # the same port, and empty: every message sent before is gone
    defects = [crash] if (crash := back_after_broker_outage(worker)) else []
    counts = reconcile_as_if_after(queued_threshold())
    assert counts["requeued"] == len(pending), counts

    graded = wait_until(lambda: Attempt.objects.filter(pk=attempt_id, state=Attempt.State.GRADED).first(), timeout=40,
                        message="every re-enqueued submission to be graded", logs=[worker, cluster.redis])
    rows = list(Submission.objects.filter(attempt_id=attempt_id))
    assert len(rows) == len(codes)
    assert all((s.status, s.verdict, s.score, s.claims) == (Submission.Status.DONE, "AC", 1.0, 1) for s in rows)
    assert graded.score == graded.max_score == numeric.points + sum(q.points for q in codes)

    # No work was lost (any loss fails above), the worker lived through the outage (prep/celery.py
    # keeps kombu from crashing it) and the web answered normally while Redis was down.
    errors = {what: code for what, code in statuses.items() if code >= 500}
    if errors:
        defects.append(f"requests answered 5xx while Redis was down: {errors}")
    assert not defects, defects
    assert (statuses["submit code 0"], statuses["submit code 1"], statuses["hand in"]) == (202, 202, 200), statuses


def test_a_task_delivered_twice_to_two_workers_is_graded_once(cluster):
    question = slow_code_question()
    first, second = cluster.worker("first"), cluster.worker("second")
    cluster.wait_ready()

    # Services directly: the HTTP layer would enqueue a message of its own.
    submission = queued_submission(question, SLOW_SQUARE)
    attempt = submission.attempt
    task_ids = [f"duplicate-{uuid.uuid4().hex}" for _ in range(2)]
    for task_id in task_ids:
        submission_grade.apply_async((submission.id,), task_id=task_id)

    def both_finished():
        lines = first.task_lines("succeeded") + second.task_lines("succeeded")
        times = [succeeded_in(lines, task_id) for task_id in task_ids]
        return times if None not in times else None

    times = wait_until(both_finished, timeout=40, message="both deliveries to finish", logs=cluster.workers)
    # Each worker took one of the two messages (prefetch 1, acks late: a busy worker takes no more).
    assert len(first.task_lines("received")) == len(second.task_lines("received")) == 1
    row = Submission.objects.get(pk=submission.pk)
    assert (row.status, row.verdict, row.score, row.claims) == (Submission.Status.DONE, "AC", 1.0, 1)
    # The loser returned at once, without judging or writing; the winner judged (3 sleeps).
    assert min(times) < SLEEP_PER_TEST_S <= 3 * SLEEP_PER_TEST_S <= max(times), times
    response = Response.objects.get(attempt=attempt, question=question)
    assert response.score == question.points and response.graded_at == row.finished_at


def queued_submission(question, source: str) -> Submission:
    """A Submit stored as the API stores it, not yet published (the test sends the task itself)."""
    assessment = assessment_with(question)
    attempt, _ = attempt_start(candidate=invite(assessment).candidate, assessment=assessment)
    response_save(attempt_id=attempt.id, question_id=question.id, answer={"language": "python", "source": source})
    return Submission.objects.create(attempt=attempt, question=question, kind=Submission.Kind.SUBMIT,
                                     language="python", source=source, enqueued_at=timezone.now())


def test_a_grading_past_its_soft_time_limit_fails_with_a_clear_error_and_the_worker_grades_the_next(cluster):
    """The task's time limit is ours, not the candidate's: a grading cut short by it is an error to
    retry or look into, never a TLE verdict on the candidate's code."""
    worker = cluster.worker("limited")
    cluster.wait_ready()
    slow = queued_submission(slow_code_question(), SLOW_SQUARE)  # 4.5 s of sleeping in the sandbox
    quick = queued_submission(code_question(), SQUARE_SOLUTION)
    # The limits travel in the message, from the publisher's task (the setting's 300 s here).
    submission_grade.apply_async((slow.id,), soft_time_limit=2)
    submission_grade.delay(quick.id)

    def both_finished():
        rows = list(Submission.objects.filter(pk__in=(slow.id, quick.id)).order_by("pk"))
        return rows if all(row.status in FINISHED for row in rows) else None

    cut, graded = wait_until(both_finished, timeout=40, message="both gradings to finish", logs=[worker])
    assert (cut.status, cut.verdict, cut.error) == (Submission.Status.ERROR, "", TASK_TIME_LIMIT_ERROR)
    # Cut short: the limit runs from the task's start, the claim's timestamp comes a little after.
    assert 1.5 <= (cut.finished_at - cut.started_at).total_seconds() < 3 * SLEEP_PER_TEST_S
    assert (graded.status, graded.verdict, graded.score) == (Submission.Status.DONE, "AC", 1.0)
    assert worker.alive and worker.answers_ping()


def test_a_grading_past_its_hard_time_limit_ends_its_worker_and_is_graded_by_another(cluster):
    question = slow_code_question()
    stuck = queued_submission(question, SLOW_SQUARE)
    first = cluster.worker("first")
    cluster.wait_ready()
    # A hard limit of 2 s and no soft one (the message's own limits): nothing in the task can
    # stop it, as for a task stuck where no Python runs.
    submission_grade.apply_async((stuck.id,), time_limit=2, soft_time_limit=None)

    wait_until(lambda: not first.alive, timeout=30, message="the worker to end at the hard limit", logs=[first])
    assert first.popen.returncode == -signal.SIGALRM, first.log_tail()
    row = Submission.objects.get(pk=stuck.id)
    assert (row.status, row.claims) == (Submission.Status.RUNNING, 1), "the reconciler's to take back"

    second = cluster.worker("second")
    cluster.wait_ready()
    assert reconcile_as_if_after(dead_worker_threshold())["recovered"] == 1
    done = wait_until(lambda: Submission.objects.filter(pk=stuck.id, status__in=FINISHED).first(), timeout=40,
                      message="the other worker to grade it", logs=[second])
    assert (done.status, done.verdict, done.score, done.claims) == (Submission.Status.DONE, "AC", 1.0, 2)


def test_a_web_server_killed_mid_attempt_loses_no_saved_answer(cluster):
    numeric = numeric_question(answer=0.05, abs_tol=0.001)
    choice = single_choice_question()
    code = code_question()
    assessment = assessment_with(numeric, choice, code)
    candidate = invite(assessment).candidate
    worker = cluster.worker("grader")
    web = cluster.web()
    cluster.wait_ready()

    # The token from the database: the suite hashes passwords with a test-only hasher that the
    # web process, on the real settings, does not accept.
    api = Http(web.base_url, token=Token.objects.create(user=candidate).key)
    status, attempt = api.call("POST", f"/api/assessments/{assessment.id}/attempts/")
    assert status == 201, f"{attempt}\n{web.log_tail()}"
    base = f"/api/attempts/{attempt['id']}/responses/"
    right = choice.options.get(is_correct=True).id
    assert api.call("PUT", f"{base}{numeric.id}/", {"value": 0.0501})[0] == 200
    assert api.call("PUT", f"{base}{choice.id}/", {"choice": right})[0] == 200

    def version(n: int) -> str:
        return f"{SQUARE_SOLUTION}# autosave {n}\n"

    # Autosave the code as fast as the server answers, and kill -9 the server in the middle.
    acknowledged, refused = [], []

    def autosave():
        n = 0
        while True:
            try:
                status, _ = api.call("PUT", f"{base}{code.id}/", {"language": "python", "source": version(n)}, timeout=10)
            except (OSError, http.client.HTTPException):
                return  # the server is gone (maybe in the middle of its answer)
            (acknowledged if status == 200 else refused).append((n, status))
            if status != 200:
                return
            n += 1

    saver = threading.Thread(target=autosave, daemon=True)
    saver.start()
    wait_until(lambda: len(acknowledged) >= 10 or refused or not saver.is_alive(), timeout=20,
               message="ten acknowledged autosaves", logs=[web])
    web.kill()
    saver.join(timeout=15)
    assert not saver.is_alive() and not refused, refused
    last = acknowledged[-1][0]

    web.start()  # the same port
    status, state = api.call("GET", f"/api/attempts/{attempt['id']}/")
    assert status == 200 and state["state"] == "in_progress", state
    answers = state["answers"]
    assert answers[str(numeric.id)] == {"value": 0.0501}
    assert answers[str(choice.id)] == {"choice": right}
    saved = int(re.search(r"# autosave (\d+)", answers[str(code.id)]["source"]).group(1))
    # The last save the server acknowledged, or the one in flight when it died (committed, unanswered).
    assert saved in (last, last + 1), (saved, last)

    # The attempt carries on and can be handed in.
    assert api.call("PUT", f"{base}{numeric.id}/", {"value": 0.05})[0] == 200
    assert api.call("PUT", f"{base}{code.id}/", {"language": "python", "source": version(1000)})[0] == 200
    status, submitted = api.call("POST", f"/api/attempts/{attempt['id']}/submit/")
    assert status == 200 and submitted["state"] in ("submitted", "graded"), submitted
    graded = wait_until(lambda: Attempt.objects.filter(pk=attempt["id"], state=Attempt.State.GRADED).first(),
                        timeout=30, message="the final code grading", logs=[worker, web])
    assert graded.score == graded.max_score == numeric.points + choice.points + code.points
    saved_answers = {r.question_id: r.answer for r in Response.objects.filter(attempt_id=attempt["id"])}
    assert saved_answers == {numeric.id: {"value": 0.05}, choice.id: {"choice": right},
                             code.id: {"language": "python", "source": version(1000)}}
