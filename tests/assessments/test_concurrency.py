"""Concurrency-sensitive services under real concurrent connections (threads, each with its own
database connection): on SQLite here and on PostgreSQL in the suite's second run."""

import threading
from contextlib import contextmanager

import pytest
from django.db import connection, connections, transaction

from assessments.models import Attempt, Question, Response, Submission
from assessments.selectors import question_exposures
from assessments.services import (
    attempt_start,
    attempt_submit,
    response_save,
    submission_claim,
    submission_complete,
    submission_create,
)
from assessments.services.packs import pack_import, question_export
from assessments.services.responses import attempt_lock_open
from common.exceptions import ApplicationError
from tests.assessments.factories import assessment_with, code_question, invite, numeric_question

pytestmark = pytest.mark.django_db(transaction=True)
THREADS = 8


def together(work, count=THREADS):
    """Run work(i) in `count` threads released at the same moment; results and exceptions by i."""
    barrier = threading.Barrier(count)
    results, errors = {}, {}

    def run(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 — collected and asserted on
            errors[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results, errors


def test_starting_the_same_attempt_eight_times_at_once_makes_one_attempt():
    assessment = assessment_with(numeric_question(), numeric_question())
    candidate = invite(assessment).candidate

    results, errors = together(lambda i: attempt_start(candidate=candidate, assessment=assessment)[0].id)

    assert errors == {}
    assert len(set(results.values())) == 1
    assert Attempt.objects.filter(candidate=candidate).count() == 1
    assert Response.objects.filter(attempt_id=results[0]).count() == 2


def test_concurrent_saves_keep_one_whole_answer_and_fail_none():
    question = numeric_question()
    assessment = assessment_with(question)
    attempt, _ = attempt_start(candidate=invite(assessment).candidate, assessment=assessment)

    results, errors = together(lambda i: response_save(attempt_id=attempt.id, question_id=question.id,
                                                       answer={"value": i}).answer)

    assert errors == {}
    saved = Response.objects.get(attempt=attempt).answer
    assert saved in [{"value": float(i)} for i in range(THREADS)]


def test_a_hand_in_racing_the_deadline_and_saves_submits_once():
    question = numeric_question(answer=0.05, abs_tol=0.001)
    assessment = assessment_with(question)
    attempt, _ = attempt_start(candidate=invite(assessment).candidate, assessment=assessment)
    response_save(attempt_id=attempt.id, question_id=question.id, answer={"value": 0.05})

    def act(i):
        if i % 2:
            return attempt_submit(attempt_id=attempt.id, submitted_by=Attempt.SubmittedBy.CANDIDATE).state
        return response_save(attempt_id=attempt.id, question_id=question.id, answer={"value": 0.05}).answer

    results, errors = together(act)

    assert all(isinstance(e, ApplicationError) and e.status == 409 for e in errors.values()), errors
    attempt.refresh_from_db()
    assert attempt.state == Attempt.State.GRADED and attempt.score == question.points
    assert sum(1 for r in results.values() if r == Attempt.State.GRADED) == 1  # one hand-in; the others got 409


def test_only_one_worker_claims_a_submission():
    question = code_question()
    assessment = assessment_with(question)
    attempt, _ = attempt_start(candidate=invite(assessment).candidate, assessment=assessment)
    submission = Submission.objects.create(attempt=attempt, question=question, kind=Submission.Kind.SUBMIT,
                                           language="python", source="def square(x):\n    return x * x\n")

    results, errors = together(lambda i: submission_claim(submission_id=submission.id) is not None)

    assert errors == {}
    assert sorted(results.values()) == [False] * (THREADS - 1) + [True]
    submission.refresh_from_db()
    assert (submission.status, submission.claims) == (Submission.Status.RUNNING, 1)



def test_a_submits_verdict_waits_for_a_hand_in_holding_the_attempt_then_grades_the_handed_in_attempt():
    question = code_question()
    assessment = assessment_with(question)
    attempt, _ = attempt_start(candidate=invite(assessment).candidate, assessment=assessment)
    source = "def square(x):\n    return x * x\n"
    response_save(attempt_id=attempt.id, question_id=question.id, answer={"language": "python", "source": source})
    submission = Submission.objects.create(attempt=attempt, question=question, kind=Submission.Kind.SUBMIT,
                                           language="python", source=source)
    claimed = submission_claim(submission_id=submission.id)
    recorded = {}

    def record():
        try:
            recorded["ok"] = submission_complete(submission=claimed, result={"verdict": "AC", "score": 1.0, "tests": []})
        finally:
            connections.close_all()

    grader = threading.Thread(target=record)
    with held_open(lambda: attempt_submit(attempt_id=attempt.id, submitted_by=Attempt.SubmittedBy.CANDIDATE)):
        grader.start()
        grader.join(1.0)
        assert grader.is_alive()  # the hand-in holds the attempt: the verdict waits for it
    grader.join(30)

    assert recorded == {"ok": True}
    attempt.refresh_from_db()
    assert (attempt.state, attempt.score) == (Attempt.State.GRADED, question.points)
    assert Submission.objects.get(pk=submission.pk).verdict == "AC"


CONTENDERS = {
    "an autosave": lambda attempt, question: response_save(attempt_id=attempt.id, question_id=question.id,
                                                            answer={"language": "python", "source": "x = 1"}),
    "a Run": lambda attempt, question: submission_create(attempt_id=attempt.id, question_id=question.id,
                                                         kind=Submission.Kind.RUN,
                                                         answer={"language": "python", "source": "x = 1"}),
    "a hand-in": lambda attempt, question: attempt_submit(attempt_id=attempt.id,
                                                          submitted_by=Attempt.SubmittedBy.CANDIDATE),
}


@pytest.mark.parametrize("contender", CONTENDERS)
def test_a_candidate_holding_their_attempt_does_not_hold_up_another_candidate_of_the_same_assessment(contender):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite has one writer at a time; row locks are PostgreSQL's")
    question = code_question()
    assessment = assessment_with(question)
    mine, _ = attempt_start(candidate=invite(assessment).candidate, assessment=assessment)
    theirs, _ = attempt_start(candidate=invite(assessment).candidate, assessment=assessment)

    with held_open(lambda: attempt_lock_open(attempt_id=mine.id)):  # one candidate's save, stopped holding its lock
        without_waiting(lambda: CONTENDERS[contender](theirs, question))


@contextmanager
def held_open(work):
    """Runs work() in another thread, in a transaction left open (its locks held) for the block."""
    held, release = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                work()
                held.set()
                release.wait(30)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(30)
        yield
    finally:
        release.set()
        holder.join(30)


def without_waiting(work):
    """work()'s result; a wait of more than 2 s on another transaction's lock fails it, not hangs it."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '2s'")
        return work()


def starts_while(staff_action, assessment, candidates, *, threads):
    """Every candidate starts the assessment, from `threads` threads at once, while staff_action(i)
    runs again and again (i = 0, 1, ...) in another thread until the starts are done. Returns the
    starts' results and errors (as `together`) and the staff action's errors."""
    done, staff_errors = threading.Event(), []

    def staff():
        try:
            i = 0
            while not done.is_set():
                staff_action(i)
                i += 1
        except Exception as exc:  # noqa: BLE001 — returned, asserted on
            staff_errors.append(exc)
        finally:
            connections.close_all()

    worker = threading.Thread(target=staff)
    worker.start()
    try:
        results, errors = together(lambda i: [attempt_start(candidate=c, assessment=assessment)[1]
                                              for c in candidates[i::threads]], count=threads)
    finally:
        done.set()
        worker.join(60)
    return results, errors, staff_errors


def test_a_start_never_waits_for_another_candidates_start_to_commit():
    """Every candidate's paper is the same question rows: a start not yet committed (a slow one,
    or one on another web host) holds up no other start."""
    if connection.vendor == "sqlite":
        pytest.skip("SQLite has one writer at a time; row locks are PostgreSQL's")
    assessment = assessment_with(*(numeric_question() for _ in range(3)))
    first, second = invite(assessment).candidate, invite(assessment).candidate

    with held_open(lambda: attempt_start(candidate=first, assessment=assessment)):
        attempt, created = without_waiting(lambda: attempt_start(candidate=second, assessment=assessment))

    assert created and attempt.candidate == second
    assert Attempt.objects.filter(assessment=assessment).count() == 2


def test_a_burst_of_starts_on_the_same_questions_while_staff_edit_them_never_deadlocks():
    """Every start share-locks the questions of its paper (its responses' foreign keys): the same
    rows, for every candidate. Rows an edit moved meanwhile must not make two starts lock them in
    different orders, and each start counts one exposure of each question."""
    if connection.vendor == "sqlite":
        pytest.skip("SQLite has one writer at a time; row locks are PostgreSQL's")
    questions = [numeric_question() for _ in range(6)]
    assessment = assessment_with(*questions)
    candidates = [invite(assessment).candidate for _ in range(12 * 12)]

    def edit_questions(i):  # a staff member touching the same rows all along
        Question.objects.filter(pk=questions[i % len(questions)].pk).update(estimated_minutes=i % 50 + 1)

    results, errors, staff_errors = starts_while(edit_questions, assessment, candidates, threads=12)

    assert errors == {} and staff_errors == []
    assert sum(map(len, results.values())) == len(candidates)
    assert question_exposures(question_ids=[q.pk for q in questions]) == {q.pk: len(candidates) for q in questions}


def test_importing_a_pack_of_live_questions_while_candidates_start_deadlocks_neither():
    """A re-import holds its questions' rows to its end while starts lock and share-lock them:
    both lock them in id order, whatever the pack's order."""
    if connection.vendor == "sqlite":
        pytest.skip("SQLite has one writer at a time; row locks are PostgreSQL's")
    questions = [numeric_question(status=Question.Status.PUBLISHED) for _ in range(6)]
    assessment = assessment_with(*questions)
    candidates = [invite(assessment).candidate for _ in range(8 * 8)]
    pack = [question_export(q) for q in reversed(questions)]  # the pack lists them last id first

    def reimport(i):  # staff re-importing the live pack, a new prompt each time
        pack_import(data={"questions": [{**q, "prompt": f"{q['prompt']} ({i})"} for q in pack]})

    results, errors, import_errors = starts_while(reimport, assessment, candidates, threads=8)

    assert errors == {} and import_errors == []
    assert Attempt.objects.filter(assessment=assessment).count() == len(candidates)
