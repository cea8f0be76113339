"""The grading task on a host that cannot sandbox: it fails closed, naming what is missing."""

import os
import subprocess
import sys

import pytest

from assessments.models import Submission
from assessments.services import attempt_start
from conftest import BASE_DIR, database_url
from tests.assessments.factories import SQUARE_SOLUTION, assessment_with, code_question, invite

pytestmark = pytest.mark.django_db(transaction=True)


def grade_in_a_process_without_bubblewrap(submission_id: int) -> subprocess.CompletedProcess:
    """Run the task body in a real process whose mount namespace hides /usr/bin/bwrap."""
    code = f"import django; django.setup(); from assessments.tasks import submission_grade; submission_grade({submission_id})"
    return subprocess.run(
        ["unshare", "--mount", "--", "sh", "-c", 'mount --bind /dev/null /usr/bin/bwrap && exec "$0" -c "$1"', sys.executable, code],
        cwd=BASE_DIR, env={**os.environ, "DATABASE_URL": database_url(), "DJANGO_SETTINGS_MODULE": "prep.settings"},
        capture_output=True, text=True, timeout=120,
    )


def test_without_bubblewrap_a_submission_ends_in_error_naming_it():
    question = code_question()
    assessment = assessment_with(question)
    attempt, _ = attempt_start(candidate=invite(assessment).candidate, assessment=assessment)
    # A queued row that no broker message points at: only the process below may grade it
    # (a test worker of the same session must not get there first).
    submission = Submission.objects.create(
        attempt=attempt, question=question, kind="submit", language="python", source=SQUARE_SOLUTION
    )

    process = grade_in_a_process_without_bubblewrap(submission.id)

    assert process.returncode == 0, process.stderr
    submission.refresh_from_db()
    assert submission.status == Submission.Status.ERROR
    assert submission.verdict == ""
    assert "bubblewrap (bwrap) is not installed" in submission.error


def test_a_grading_process_counts_the_gradings_waiting_in_the_queue():
    """What decides whether a grading starts its next sandbox beside its run (work waiting) or
    once its verdict is recorded (none): the broker's own queue, as kombu keeps it in Redis."""
    import uuid

    from assessments.tasks import grading_waiting
    from prep.celery import app

    queue = f"test-queue-{uuid.uuid4().hex}"  # not one a worker of the test session consumes
    assert grading_waiting(queue) == 0
    with app.connection_for_write() as broker:  # a fresh connection to the test's broker
        broker.default_channel.queue_declare(queue)
        with broker.Producer() as producer:
            producer.publish({"a": "message"}, routing_key=queue, serializer="json")
        assert grading_waiting(queue) == 1
        broker.default_channel.queue_purge(queue)
    assert grading_waiting(queue) == 0
