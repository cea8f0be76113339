"""The Celery configuration the grading flow relies on (DESIGN.md, CONVENTIONS.md)."""

import uuid

import pytest
import redis
from celery import signals
from django.conf import settings
from django.db import connection

from assessments.models import Submission
from assessments.services import attempt_start, submission_create
from assessments.tasks import submission_grade
from prep.celery import app
from tests.assessments.factories import SQUARE_SOLUTION, assessment_with, code_question, invite


def test_beat_runs_the_reconciler_as_the_deadline_safety_net():
    app.loader.import_default_modules()
    entries = settings.CELERY_BEAT_SCHEDULE.values()
    assert {entry["task"] for entry in entries} == {"assessments.reconcile"}
    assert all(entry["task"] in app.tasks for entry in entries)


def test_grading_goes_to_its_own_queue_acked_late_with_a_soft_limit_under_the_hard_one():
    assert app.amqp.router.route({}, submission_grade.name)["queue"].name == "grading"
    assert submission_grade.acks_late and submission_grade.reject_on_worker_lost
    assert submission_grade.soft_time_limit < submission_grade.time_limit
    assert settings.CELERY_WORKER_PREFETCH_MULTIPLIER == 1
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert visibility > submission_grade.time_limit


def test_a_worker_once_ready_freezes_its_startup_heap_out_of_the_garbage_collectors_walks():
    import gc

    from prep.celery import freeze_startup_heap

    assert freeze_startup_heap in [receiver for _, receiver in signals.worker_ready.receivers]
    gc.unfreeze()
    try:
        freeze_startup_heap(sender=None)
        assert gc.get_freeze_count() > 50_000  # Django, Celery and the judge, imported by now
    finally:
        gc.unfreeze()


def test_every_task_has_a_hard_time_limit_above_its_soft_one():
    """A worker runs one task at a time: a task hung without a limit would hold it for ever."""
    app.loader.import_default_modules()
    ours = {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}
    assert "assessments.reconcile" in ours and "hiring.attempt_graded" in ours
    limits = {name: (task.soft_time_limit, task.time_limit) for name, task in ours.items()}
    assert all(soft and hard and soft < hard for soft, hard in limits.values()), limits


def database_sessions() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_a_worker_keeps_its_database_connection_from_one_grading_to_the_next(celery_worker, wait_for):
    if connection.vendor != "postgresql":
        pytest.skip("opening an SQLite file costs next to nothing; a PostgreSQL session does not")
    question = code_question()
    assessment = assessment_with(question)
    attempts = [attempt_start(candidate=invite(assessment).candidate, assessment=assessment)[0] for _ in range(6)]
    before = database_sessions()

    for attempt in attempts:  # one after the other: each grading is a task of its own
        submission = submission_create(attempt_id=attempt.id, question_id=question.id, kind=Submission.Kind.SUBMIT,
                                       answer={"language": "python", "source": SQUARE_SOLUTION})
        wait_for(lambda: Submission.objects.filter(pk=submission.pk, status=Submission.Status.DONE).exists(),
                 timeout=60, message="the verdict")

    # The worker grades in its own process (prep/celery_pool.py): one connection, not one per grading.
    assert database_sessions() - before <= 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("state", "kept"), [("SUCCESS", True), ("FAILURE", False), ("RETRY", False)])
def test_after_a_task_the_database_connection_is_kept_only_if_the_task_succeeded(state, kept):
    """A task cut short (the soft time limit's signal in the middle of a query, say) may leave a
    connection that looks usable and is not: the next task starts on a new one."""
    connection.ensure_connection()
    opened = connection.connection

    signals.task_postrun.send(sender=submission_grade, task_id="t", task=submission_grade, state=state)

    assert (connection.connection is opened) is kept



def test_publishing_tasks_reuses_the_channels_redis_client_until_its_pool_is_replaced(redis_url, redis_clients_made):
    queue = f"test-{uuid.uuid4().hex}"

    def publish(n):
        app.send_task("assessments.submission_grade", args=[n], queue=queue, connection=broker)

    with app.connection_for_write() as broker:
        publish(0)
        first = len(redis_clients_made)  # the channel's clients
        for n in range(1, 11):
            publish(n)
        assert len(redis_clients_made) == first, "no new client per task"

        broker.default_channel._disconnect_pools()  # as after a fork
        publish(11)
        publish(12)
        assert len(redis_clients_made) == first + 1, "one client on the new pool"

    assert redis.Redis.from_url(redis_url).llen(queue) == 13
