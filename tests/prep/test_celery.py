"""The Celery configuration the grading flow relies on (DESIGN.md, CONVENTIONS.md)."""

from django.conf import settings

from assessments.tasks import submission_grade
from prep.celery import app


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
