from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessments import selectors
from assessments.models import Attempt, Response, Submission
from assessments.services import (
    attempt_start,
    attempt_submit,
    grading_reconcile,
    response_save,
    submission_claim,
    submission_complete,
    submission_create,
    submission_fail,
)
from common.exceptions import ApplicationError, Conflict
from tests.assessments.factories import SQUARE_SOLUTION, assessment_with, code_question, invite, single_choice_question

pytestmark = pytest.mark.django_db

RESULT_AC = {"verdict": "AC", "score": 1.0, "tests": [], "time_ms": 5, "memory_kb": 0}
RESULT_HALF = {"verdict": "WA", "score": 0.5, "tests": [], "time_ms": 5, "memory_kb": 0}


@pytest.fixture
def attempt_and_question():
    question = code_question()
    assessment = assessment_with(question, single_choice_question())
    invitation = invite(assessment)
    attempt, _ = attempt_start(candidate=invitation.candidate, assessment=assessment)
    return attempt, question


def test_a_submission_is_queued_and_enqueued_only_after_commit(attempt_and_question, django_capture_on_commit_callbacks):
    attempt, question = attempt_and_question
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        submission = submission_create(attempt_id=attempt.id, question_id=question.id, kind="submit", answer={"source": SQUARE_SOLUTION})
    assert submission.status == Submission.Status.QUEUED
    assert len(callbacks) == 1
    assert Response.objects.get(attempt=attempt, question=question).answer["source"] == SQUARE_SOLUTION


def test_a_run_does_not_change_the_saved_answer(attempt_and_question):
    attempt, question = attempt_and_question
    submission_create(attempt_id=attempt.id, question_id=question.id, kind="run", answer={"source": "def square(x): return 0"})
    assert Response.objects.get(attempt=attempt, question=question).answer == {}


def test_a_run_keeps_its_custom_input_and_the_judge_gets_it_for_runs_only(attempt_and_question):
    attempt, question = attempt_and_question
    run = submission_create(attempt_id=attempt.id, question_id=question.id, kind="run",
                            answer={"source": SQUARE_SOLUTION}, custom_input="[7]")
    assert run.custom_input == "[7]"
    assert selectors.submission_judge_input(submission=run)["custom_input"] == "[7]"


@pytest.mark.parametrize(("kind", "tests"), [("run", ["two"]), ("submit", ["two", "negative", "big"])])
def test_a_claim_reads_the_tests_so_that_the_judge_input_needs_no_further_query(attempt_and_question, kind, tests):
    attempt, question = attempt_and_question
    queued = submission_create(attempt_id=attempt.id, question_id=question.id, kind=kind, answer={"source": SQUARE_SOLUTION})
    claimed = submission_claim(submission_id=queued.id)
    with CaptureQueriesContext(connection) as queries:
        judge_input = selectors.submission_judge_input(submission=claimed)
    assert len(queries) == 0
    assert [test["name"] for test in judge_input["tests"]] == tests  # a Run gets the samples only
    assert judge_input["tests"] == selectors.code_judge_input(question=question, language="python",
                                                               source=SQUARE_SOLUTION, run_only=kind == "run")["tests"]


def test_custom_input_over_64_kib_is_refused_and_nothing_is_queued(attempt_and_question):
    attempt, question = attempt_and_question
    with pytest.raises(ApplicationError, match="64 KiB"):
        submission_create(attempt_id=attempt.id, question_id=question.id, kind="run",
                          answer={"source": SQUARE_SOLUTION}, custom_input="[" + "1," * 40000 + "1]")
    assert not Submission.objects.exists()


def test_only_one_worker_can_claim_a_submission(attempt_and_question):
    attempt, question = attempt_and_question
    submission = submission_create(attempt_id=attempt.id, question_id=question.id, kind="run", answer={"source": "x"})
    assert submission_claim(submission_id=submission.id) is not None
    assert submission_claim(submission_id=submission.id) is None


def test_a_result_is_written_once_and_sets_the_response_score(attempt_and_question):
    attempt, question = attempt_and_question
    submission = submission_create(attempt_id=attempt.id, question_id=question.id, kind="submit", answer={"source": SQUARE_SOLUTION})
    claimed = submission_claim(submission_id=submission.id)
    assert submission_complete(submission=claimed, result=RESULT_HALF)
    assert not submission_complete(submission=claimed, result=RESULT_AC)
    submission.refresh_from_db()
    assert (submission.status, submission.verdict, submission.score) == ("done", "WA", 0.5)
    assert Response.objects.get(attempt=attempt, question=question).score == question.points * 0.5


def test_a_runs_verdict_is_recorded_without_scoring_the_answer(attempt_and_question):
    attempt, question = attempt_and_question
    submission = submission_create(attempt_id=attempt.id, question_id=question.id, kind="run", answer={"source": SQUARE_SOLUTION})
    claimed = submission_claim(submission_id=submission.id)
    assert submission_complete(submission=claimed, result=RESULT_AC)
    assert not submission_complete(submission=claimed, result=RESULT_HALF)
    submission.refresh_from_db()
    assert (submission.status, submission.verdict, submission.score) == ("done", "AC", 1.0)
    assert Response.objects.get(attempt=attempt, question=question).score is None


def test_a_submits_verdict_does_not_score_an_answer_changed_since(attempt_and_question):
    attempt, question = attempt_and_question
    submission = submission_create(attempt_id=attempt.id, question_id=question.id, kind="submit", answer={"source": SQUARE_SOLUTION})
    claimed = submission_claim(submission_id=submission.id)
    response_save(attempt_id=attempt.id, question_id=question.id, answer={"source": "def square(x):\n    return 0\n"})
    assert submission_complete(submission=claimed, result=RESULT_AC)
    submission.refresh_from_db()
    assert (submission.status, submission.verdict) == ("done", "AC")
    assert Response.objects.get(attempt=attempt, question=question).score is None


def test_the_attempt_is_graded_when_its_last_code_answer_is(attempt_and_question):
    attempt, question = attempt_and_question
    submission_create(attempt_id=attempt.id, question_id=question.id, kind="submit", answer={"source": SQUARE_SOLUTION})
    attempt = attempt_submit(attempt_id=attempt.id, submitted_by=Attempt.SubmittedBy.CANDIDATE)
    assert attempt.state == Attempt.State.SUBMITTED
    submission = Submission.objects.get(attempt=attempt)
    submission_complete(submission=submission_claim(submission_id=submission.id), result=RESULT_AC)
    attempt.refresh_from_db()
    assert attempt.state == Attempt.State.GRADED
    assert attempt.score == question.points


def test_an_infrastructure_failure_is_an_error_not_a_verdict(attempt_and_question):
    attempt, question = attempt_and_question
    submission = submission_create(attempt_id=attempt.id, question_id=question.id, kind="run", answer={"source": "x"})
    submission_claim(submission_id=submission.id)
    assert submission_fail(submission_id=submission.id, error="bwrap is missing")
    submission.refresh_from_db()
    assert (submission.status, submission.verdict, submission.error) == ("error", "", "bwrap is missing")


def test_a_candidate_cannot_flood_the_queue(attempt_and_question):
    attempt, question = attempt_and_question
    for _ in range(3):
        submission_create(attempt_id=attempt.id, question_id=question.id, kind="run", answer={"source": "x"})
    with pytest.raises(ApplicationError) as error:
        submission_create(attempt_id=attempt.id, question_id=question.id, kind="run", answer={"source": "x"})
    assert error.value.status == 429


def test_only_runs_not_yet_graded_count_against_the_cap(attempt_and_question):
    attempt, question = attempt_and_question
    runs = [submission_create(attempt_id=attempt.id, question_id=question.id, kind="run", answer={"source": "x"})
            for _ in range(3)]
    submission_complete(submission=submission_claim(submission_id=runs[0].id), result=RESULT_AC)
    submission_claim(submission_id=runs[1].id)  # running: still pending

    fourth = submission_create(attempt_id=attempt.id, question_id=question.id, kind="run", answer={"source": "x"})

    assert fourth.status == Submission.Status.QUEUED
    with pytest.raises(ApplicationError) as error:
        submission_create(attempt_id=attempt.id, question_id=question.id, kind="run", answer={"source": "x"})
    assert error.value.extra["pending"] == 3


def test_another_candidates_pending_runs_do_not_count_against_the_cap(attempt_and_question):
    attempt, question = attempt_and_question
    other, _ = attempt_start(candidate=invite(attempt.assessment).candidate, assessment=attempt.assessment)
    for _ in range(3):
        submission_create(attempt_id=other.id, question_id=question.id, kind="run", answer={"source": "x"})

    mine = submission_create(attempt_id=attempt.id, question_id=question.id, kind="run", answer={"source": "x"})

    assert mine.status == Submission.Status.QUEUED


def test_a_run_reads_the_attempt_and_its_response_with_the_pending_count_in_two_statements(attempt_and_question):
    attempt, question = attempt_and_question
    with CaptureQueriesContext(connection) as queries:
        submission_create(attempt_id=attempt.id, question_id=question.id, kind="run", answer={"source": "x"})
    reads = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]
    assert len(reads) == 2  # the attempt (locked), then the response and the attempt's pending runs


def test_a_choice_question_cannot_be_run(attempt_and_question):
    attempt, _ = attempt_and_question
    choice = attempt.assessment.items.exclude(question__kind="code").get().question
    with pytest.raises(ApplicationError, match="Only code"):
        submission_create(attempt_id=attempt.id, question_id=choice.id, kind="run", answer={"source": "x"})


def test_no_run_after_the_deadline(attempt_and_question):
    attempt, question = attempt_and_question
    Attempt.objects.filter(pk=attempt.pk).update(
        started_at=timezone.now() - timedelta(hours=2), deadline=timezone.now() - timedelta(hours=1)
    )
    with pytest.raises(Conflict):
        submission_create(attempt_id=attempt.id, question_id=question.id, kind="run", answer={"source": "x"})


def test_the_reconciler_submits_attempts_past_their_deadline(attempt_and_question):
    attempt, _ = attempt_and_question
    Attempt.objects.filter(pk=attempt.pk).update(
        started_at=timezone.now() - timedelta(hours=2), deadline=timezone.now() - timedelta(seconds=1)
    )
    counts = grading_reconcile()
    attempt.refresh_from_db()
    assert counts["expired"] == 1
    assert attempt.state == Attempt.State.GRADED
    assert attempt.submitted_by == Attempt.SubmittedBy.DEADLINE


def test_the_reconciler_requeues_lost_and_stranded_submissions(attempt_and_question, settings):
    attempt, question = attempt_and_question
    lost = submission_create(attempt_id=attempt.id, question_id=question.id, kind="run", answer={"source": "x"})
    stranded = submission_create(attempt_id=attempt.id, question_id=question.id, kind="run", answer={"source": "y"})
    submission_claim(submission_id=stranded.id)
    long_ago = timezone.now() - timedelta(hours=1)
    Submission.objects.filter(pk=lost.pk).update(enqueued_at=long_ago)
    Submission.objects.filter(pk=stranded.pk).update(started_at=long_ago)

    counts = grading_reconcile()

    assert (counts["requeued"], counts["recovered"]) == (1, 1)
    stranded.refresh_from_db()
    assert stranded.status == Submission.Status.QUEUED


def test_a_run_is_stamped_as_enqueued_when_created_so_the_reconciler_finds_it_if_its_message_is_lost(
    attempt_and_question, settings
):
    attempt, question = attempt_and_question
    run = submission_create(attempt_id=attempt.id, question_id=question.id, kind="run", answer={"source": "x"})

    assert grading_reconcile()["requeued"] == 0, "enqueued a moment ago: not lost yet"
    settings.PREP_RECONCILE_QUEUED_AFTER = timedelta(0)
    assert grading_reconcile()["requeued"] == 1, "no message came for it in time: enqueued again"
    run.refresh_from_db()
    assert run.status == Submission.Status.QUEUED
