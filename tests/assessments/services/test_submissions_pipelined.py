"""A grading's writes with no transaction around the test, as a worker makes them: on PostgreSQL
the claim and a Submit's verdict are pipelined there (common.db.pipelined_transaction); inside
the transaction of the tests in test_submissions.py they run one by one. The submissions are
rows no broker message points at (the test's worker would take them), so only the test grades."""

import pytest
from django.db import connection
from psycopg import pq

from assessments.models import Attempt, Response, Submission
from assessments.services import attempt_submit, response_save, submission_claim, submission_complete, submission_create
from common.exceptions import ApplicationError, NotFound
from tests.accounts.factories import UserFactory
from tests.assessments.factories import SQUARE_SOLUTION
from tests.assessments.services.test_submissions import RESULT_AC, RESULT_HALF, attempt_and_question  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def queued(attempt, question, kind: str) -> Submission:
    if kind == Submission.Kind.SUBMIT:
        response_save(attempt_id=attempt.id, question_id=question.id, answer={"language": "python", "source": SQUARE_SOLUTION})
    return Submission.objects.create(attempt=attempt, question=question, kind=kind, language="python",
                                     source=SQUARE_SOLUTION)


def test_only_one_worker_claims_a_submission_in_one_round_trip(attempt_and_question, round_trips):
    submission = queued(*attempt_and_question, "run")
    with round_trips() as trips:
        claimed = submission_claim(submission_id=submission.id)
    assert claimed.source == SQUARE_SOLUTION and claimed.question.code.style == "function"
    assert trips.count == 1
    assert submission_claim(submission_id=submission.id) is None


def test_a_submits_verdict_and_its_score_are_written_once_in_one_round_trip(attempt_and_question, round_trips):
    attempt, question = attempt_and_question
    claimed = submission_claim(submission_id=queued(attempt, question, "submit").id)
    with round_trips() as trips:
        assert submission_complete(submission=claimed, result=RESULT_HALF)
    assert trips.count == 1  # BEGIN, the attempt's lock, the verdict, the score and COMMIT together
    assert not submission_complete(submission=claimed, result=RESULT_AC)

    submission = Submission.objects.get(pk=claimed.pk)
    assert (submission.status, submission.verdict, submission.score) == ("done", "WA", 0.5)
    assert Response.objects.get(attempt=attempt, question=question).score == question.points * 0.5


def test_a_runs_verdict_leaves_the_answer_unscored(attempt_and_question):
    attempt, question = attempt_and_question
    claimed = submission_claim(submission_id=queued(attempt, question, "run").id)
    assert submission_complete(submission=claimed, result=RESULT_AC)
    assert Submission.objects.get(pk=claimed.pk).verdict == "AC"
    assert Response.objects.get(attempt=attempt, question=question).score is None


def test_a_submits_verdict_does_not_score_an_answer_changed_since(attempt_and_question):
    attempt, question = attempt_and_question
    claimed = submission_claim(submission_id=queued(attempt, question, "submit").id)
    response_save(attempt_id=attempt.id, question_id=question.id, answer={"source": "def square(x):\n    return 0\n"})
    assert submission_complete(submission=claimed, result=RESULT_AC)
    assert Submission.objects.get(pk=claimed.pk).verdict == "AC"
    assert Response.objects.get(attempt=attempt, question=question).score is None


def test_a_verdict_whose_claim_was_lost_writes_nothing(attempt_and_question, round_trips):
    attempt, question = attempt_and_question
    claimed = submission_claim(submission_id=queued(attempt, question, "submit").id)
    Submission.objects.filter(pk=claimed.pk).update(status=Submission.Status.QUEUED)  # the reconciler took it back
    with round_trips() as trips:
        assert not submission_complete(submission=claimed, result=RESULT_AC)
    assert trips.count == 1
    assert Submission.objects.get(pk=claimed.pk).status == Submission.Status.QUEUED
    assert Response.objects.get(attempt=attempt, question=question).score is None


def test_a_submits_verdict_leaves_a_reviewed_answer_as_the_reviewer_scored_it(attempt_and_question):
    attempt, question = attempt_and_question
    claimed = submission_claim(submission_id=queued(attempt, question, "submit").id)
    Response.objects.filter(attempt=attempt, question=question).update(score=0.25, reviewed_by=UserFactory(is_staff=True))
    assert submission_complete(submission=claimed, result=RESULT_AC)
    assert Submission.objects.get(pk=claimed.pk).verdict == "AC"
    assert Response.objects.get(attempt=attempt, question=question).score == 0.25


def test_a_submits_verdict_scores_code_with_quotes_backslashes_and_unicode_as_it_was_sent(attempt_and_question):
    attempt, question = attempt_and_question
    source = 'def square(x):\n    """x² — \'quoted\' \\ "double"\t"""\n    return x * x\n'
    response_save(attempt_id=attempt.id, question_id=question.id, answer={"language": "python", "source": source})
    submission = Submission.objects.create(attempt=attempt, question=question, kind="submit", language="python",
                                           source=source)
    assert submission_complete(submission=submission_claim(submission_id=submission.id), result=RESULT_HALF)
    assert Response.objects.get(attempt=attempt, question=question).score == question.points * 0.5


def test_a_submits_verdict_on_a_row_read_without_the_claim_is_recorded_and_scored_all_the_same(attempt_and_question):
    attempt, question = attempt_and_question
    claimed = submission_claim(submission_id=queued(attempt, question, "submit").id)
    assert submission_complete(submission=Submission.objects.get(pk=claimed.pk), result=RESULT_HALF)
    assert Submission.objects.get(pk=claimed.pk).verdict == "WA"
    assert Response.objects.get(attempt=attempt, question=question).score == question.points * 0.5


def test_a_verdict_whose_claim_was_lost_before_the_hand_in_writes_nothing(attempt_and_question):
    attempt, question = attempt_and_question
    claimed = submission_claim(submission_id=queued(attempt, question, "submit").id)
    Submission.objects.filter(pk=claimed.pk).update(status=Submission.Status.QUEUED)  # the reconciler took it back
    attempt_submit(attempt_id=attempt.id, submitted_by=Attempt.SubmittedBy.CANDIDATE)
    assert not submission_complete(submission=claimed, result=RESULT_AC)
    assert Submission.objects.get(pk=claimed.pk).status == Submission.Status.QUEUED
    assert Response.objects.get(attempt=attempt, question=question).score is None


def test_a_submit_graded_after_the_hand_in_grades_the_attempt(attempt_and_question):
    attempt, question = attempt_and_question
    submission = queued(attempt, question, "submit")
    assert attempt_submit(attempt_id=attempt.id, submitted_by=Attempt.SubmittedBy.CANDIDATE).state == "submitted"
    assert submission_complete(submission=submission_claim(submission_id=submission.id), result=RESULT_AC)
    attempt.refresh_from_db()
    assert (attempt.state, attempt.score) == (Attempt.State.GRADED, question.points)


def test_a_submit_is_stored_in_two_round_trips_and_graded_once_committed(attempt_and_question, round_trips,
                                                                         celery_worker, wait_for):
    attempt, question = attempt_and_question
    with round_trips() as trips:
        submission = submission_create(attempt_id=attempt.id, question_id=question.id, kind="submit",
                                       answer={"language": "python", "source": SQUARE_SOLUTION})
    assert trips.count == 2  # BEGIN, the lock and the read; the answer, the row and COMMIT
    stored = Submission.objects.get(pk=submission.pk)
    assert (stored.kind, stored.source, stored.enqueued_at is not None) == ("submit", SQUARE_SOLUTION, True)
    assert Response.objects.get(attempt=attempt, question=question).answer["source"] == SQUARE_SOLUTION
    # queued after the commit: the test's real worker grades it
    wait_for(lambda: Submission.objects.filter(pk=submission.pk, status="done").exists(), message="the verdict")
    assert Submission.objects.get(pk=submission.pk).verdict == "AC"


def test_a_refused_run_stores_nothing_and_ends_its_transaction(attempt_and_question):
    attempt, question = attempt_and_question
    with pytest.raises(ApplicationError, match="Write some code first"):
        submission_create(attempt_id=attempt.id, question_id=question.id, kind="run", answer={"source": "  "})
    if connection.vendor == "postgresql":
        assert connection.connection.pgconn.transaction_status == pq.TransactionStatus.IDLE
    assert not Submission.objects.exists()
    assert Response.objects.get(attempt=attempt, question=question).answer in ({}, None)


def test_anyone_but_the_candidate_is_refused_as_the_attempt_page_refuses_them(attempt_and_question):
    attempt, question = attempt_and_question
    code = {"language": "python", "source": SQUARE_SOLUTION}
    with pytest.raises(NotFound):
        submission_create(attempt_id=attempt.id, question_id=question.id, kind="run", answer=code,
                          candidate=UserFactory())
    with pytest.raises(NotFound):
        submission_create(attempt_id=attempt.id + 1000, question_id=question.id, kind="run", answer=code,
                          candidate=attempt.candidate)
    with pytest.raises(ApplicationError) as refused:  # staff may read the attempt, never answer in it
        submission_create(attempt_id=attempt.id, question_id=question.id, kind="run", answer=code,
                          candidate=UserFactory(is_superuser=True))
    assert refused.value.status == 403
    assert not Submission.objects.exists()
