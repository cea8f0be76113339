import json

from datetime import datetime, timezone as dt_timezone

from django.db import connection, transaction
from django.db.models import BooleanField, F
from django.db.models.expressions import RawSQL
from django.utils import timezone

from accounts.models import User
from assessments import notify
from assessments.models import Attempt, CodeSpec, Question, Response, Submission
from assessments.selectors import SUBMISSION_FUNCTION_TESTS
from assessments.services.attempts import attempt_finalize_if_ready, attempt_rescore, submission_points
from assessments.services.responses import (
    NotTheirAttempt,
    answer_clean,
    refuse_not_theirs,
    response_answer_set,
    response_lock_open,
)
from common.db import Compiled, CompiledUpdate, TransactionPipeline, loaded, pipelined, pipelined_transaction
from common.exceptions import ApplicationError

# A candidate cannot flood the grading queue: further runs wait until earlier ones finish.
MAX_PENDING_PER_ATTEMPT = 3
MAX_CUSTOM_INPUT_BYTES = 64 * 1024


def custom_input_clean(*, question: Question, kind: str, text: str) -> str:
    """A Run may carry the candidate's own input, run once and shown back unchecked: standard
    input for a program, the call's arguments as a JSON list for a function, SQL run on the
    sample database before the query. Refused with a message saying what is expected."""
    if not text:
        return ""
    if kind != Submission.Kind.RUN:
        raise ApplicationError("Custom input is for Run only: Submit grades on the question's tests.")
    if len(text.encode("utf-8", "surrogatepass")) > MAX_CUSTOM_INPUT_BYTES:
        raise ApplicationError(f"Custom input is limited to {MAX_CUSTOM_INPUT_BYTES // 1024} KiB.")
    if question.code.style == question.code.Style.FUNCTION:
        try:
            args = json.loads(text)
        except (ValueError, RecursionError) as exc:  # RecursionError: nested deeper than Python parses
            raise ApplicationError(
                f"Custom input for a function is its arguments as a JSON list, e.g. [[1, 2, 3], 2]: {exc}."
            ) from None
        if not isinstance(args, list):
            raise ApplicationError("Custom input for a function is its arguments as a JSON list, e.g. [[1, 2, 3], 2].")
    return text


def _announce(submission_id: int, fields: dict | None = None) -> None:
    """Wake the readers waiting on this submission once what changed is committed, handing them
    `fields` (what the commit wrote) if given."""
    transaction.on_commit(lambda: notify.submission_updated(submission_id, fields), robust=True)


def submission_enqueue(*, submission: Submission) -> None:
    """Queue grading once the row is committed (never before it exists). If the broker cannot be
    reached the failure is logged and the request still succeeds: the row is saved as queued and
    the reconciler enqueues it again once Redis is back."""
    Submission.objects.filter(pk=submission.pk).update(enqueued_at=timezone.now())
    _grade_after_commit(submission.pk)


def _grade_after_commit(submission_id: int) -> None:
    transaction.on_commit(lambda: _grade(submission_id), robust=True)


def _grade(submission_id: int) -> None:
    from assessments.tasks import submission_grade

    submission_grade.delay(submission_id)


def submission_create(
    *, attempt_id: int, question_id: int, kind: str, answer: dict, custom_input: str = "", candidate: User | None = None
) -> Submission:
    """Run code on the sample tests (kind=run), and on the candidate's own input if given, or
    submit it for grading on all tests (kind=submit). With `candidate`, only their own attempt.

    One transaction, pipelined (PostgreSQL): the attempt's lock and the response's read in one
    round trip, the answer, the new row and the COMMIT in another. Grading is queued once
    committed."""
    try:
        return _submission_store(attempt_id=attempt_id, question_id=question_id, kind=kind, answer=answer,
                                 custom_input=custom_input, candidate=candidate)
    except NotTheirAttempt:  # rolled back; saying how takes the ORM, which the pipeline did not allow
        refuse_not_theirs(candidate, attempt_id)


def _submission_store(*, attempt_id, question_id, kind, answer, custom_input, candidate) -> Submission:
    with pipelined_transaction() as batch:
        response = response_lock_open(attempt_id=attempt_id, question_id=question_id, candidate=candidate,
                                      count_pending=True, batch=batch)
        question = response.question
        if question.kind != Question.Kind.CODE:
            raise ApplicationError("Only code questions can be run or submitted.")
        cleaned = answer_clean(question=question, answer=answer)
        if not cleaned["source"].strip():
            raise ApplicationError("Write some code first.")
        custom_input = custom_input_clean(question=question, kind=kind, text=custom_input)
        if response.pending >= MAX_PENDING_PER_ATTEMPT:
            raise ApplicationError(
                "Earlier runs are still being graded; try again in a moment.", {"pending": response.pending}, status=429
            )
        if kind == Submission.Kind.SUBMIT:
            response_answer_set(response=response, answer=cleaned, batch=batch)
        submission = Submission(
            attempt_id=attempt_id, question=question, kind=kind, language=cleaned["language"], source=cleaned["source"],
            custom_input=custom_input, enqueued_at=timezone.now(),  # stamped here: no UPDATE as submission_enqueue does
        )
        batch.insert(submission)
        batch.on_commit(lambda: _grade(submission.pk))
    return submission


# What grading reads of a claimed submission: what it runs, and its question's code spec whole
# (selectors.code_judge_input), never the question's texts. A statement compiled once: the
# grading worker's own hot path.
_CLAIMED_SUBMISSION = ("id", "kind", "language", "source", "custom_input", "attempt_id", "question_id")
_CLAIMED_SPEC = tuple(f.attname for f in CodeSpec._meta.concrete_fields)
_CLAIMED = Compiled(lambda submission_id: Submission.objects.filter(pk=submission_id).values_list(
    *_CLAIMED_SUBMISSION, *(f"question__code__{name}" for name in _CLAIMED_SPEC)), -1)
# The points of the response a Submit scores (set when the attempt starts, never changed), so
# that recording its verdict needs no read before the score's write (submission_complete).
_CLAIMED_MAX_SCORE = Compiled(lambda submission_id: Response.objects.filter(
    attempt__submissions__id=submission_id, question__submissions__id=submission_id).values_list("max_score"), -1)


# The writes of every grading, compiled once as the reads are: the claim (queued -> running),
# the verdict (running -> done) and the Submit's score on its response.
def _in_status(submission_id, status):
    return Submission.objects.filter(pk=submission_id, status=status)


_CLAIM = CompiledUpdate(_in_status, -1, "<status>", fields=("status", "started_at"),
                        expressions={"claims": F("claims") + 1})
_VERDICT = CompiledUpdate(_in_status, -1, "<status>",
                          fields=("status", "verdict", "score", "results", "finished_at", "error"))
_RESPONSE_SCORE = CompiledUpdate(lambda response_id: Response.objects.filter(pk=response_id), -1,
                                 fields=("score", "graded_at", "updated_at"))


def submission_claim(*, submission_id: int) -> Submission | None:
    """Take a queued submission for grading. None when another worker has it or it is gone.
    The claim and the reads of what to run (the code, its question's code spec and a function
    question's tests) and of the points its response is worth travel together (one round trip
    on PostgreSQL): reads after a claim that failed are not used."""
    with pipelined() as batch:
        claimed = batch.run(_CLAIM, submission_id, Submission.Status.QUEUED, status=Submission.Status.RUNNING,
                            started_at=timezone.now())
        read = batch.first(_CLAIMED, submission_id)
        max_score = batch.first(_CLAIMED_MAX_SCORE, submission_id)
        function_tests = batch.rows(SUBMISSION_FUNCTION_TESTS, submission_id)
    row = read.value if claimed.value else None
    if row is None:
        return None
    values = dict(zip(_CLAIMED_SUBMISSION, row))
    spec = dict(zip(_CLAIMED_SPEC, row[len(_CLAIMED_SUBMISSION):]))
    question = loaded(Question, id=values["question_id"],
                      related={"code": loaded(CodeSpec, **spec)} if spec["id"] is not None else None)
    submission = loaded(Submission, **values, related={"question": question})
    submission.response_max_score = max_score.value[0] if max_score.value else None
    if spec["style"] == CodeSpec.Style.FUNCTION:
        submission.function_tests = function_tests.value
    return submission


# What recording a Submit's verdict reads, in one statement: the attempt's state (under its lock,
# which a hand-in takes too) and the response the verdict may score. Compiled once, as the claim.
_SCORED_RESPONSE_LOCKED = Compiled(lambda attempt_id, question_id: Attempt.objects.select_for_update(of=("self",))
                                   .filter(pk=attempt_id, responses__question_id=question_id)
                                   .values_list("state", "responses__id", "responses__answer", "responses__max_score",
                                                "responses__reviewed_by_id"), -1, -2)


def submission_complete(*, submission: Submission, result: dict) -> bool:
    """Record the judge's result on the submission `submission_claim` returned. Only the worker
    holding the claim can write it (running → done). A Submit scores its response if the response
    still holds that code and nobody reviewed it.

    A Run's verdict is one UPDATE, committed on its own. A Submit's is one transaction with the
    attempt's lock (which a hand-in takes too) and the score, which on PostgreSQL travels whole
    in one round trip, each write conditioned in SQL on what it would otherwise have read first:
    the attempt still open, the claim still held, the response still holding this code. A Submit
    graded after the hand-in finds the attempt closed there, writes nothing, and is recorded
    again with the ORM, which the attempt's totals need."""
    score = min(max(float(result["score"]), 0.0), 1.0)
    if submission.kind != Submission.Kind.SUBMIT:
        return bool(_verdict_write(submission_id=submission.pk, result=result, score=score, now=timezone.now()).value)
    max_score = submission.response_max_score  # read by the claim
    if max_score is not None:
        with pipelined_transaction() as batch:
            if batch.orm_allowed:  # statements run one by one anyway (SQLite, or inside an atomic block)
                return _submit_record(batch, submission=submission, result=result, score=score)
            state, written = _submit_record_at_once(batch, submission=submission, result=result, score=score,
                                                    max_score=max_score)
        if written.value:
            return True
        if state.value is None or state.value[0] == Attempt.State.IN_PROGRESS:
            return False  # the claim was lost (or the attempt is gone): nothing was written
    with transaction.atomic():  # handed in since the claim (or not claimed here): with the ORM
        return _submit_record(TransactionPipeline(connection), submission=submission, result=result, score=score)


def _submit_record(batch, *, submission: Submission, result: dict, score: float) -> bool:
    """The verdict, then the attempt's lock and the response read under it, then the score:
    what submission_complete does where statements run one by one."""
    now = timezone.now()
    written = _verdict_write(submission_id=submission.pk, result=result, score=score, now=now, batch=batch)
    locked = batch.first(_SCORED_RESPONSE_LOCKED, submission.attempt_id, submission.question_id)
    batch.sync()
    if not written.value:
        return False
    state, response_id, answer, max_score, reviewed_by_id = locked.value
    if answer.get("source") == submission.source and reviewed_by_id is None:
        batch.run(_RESPONSE_SCORE, response_id, score=submission_points(max_score=max_score, score=score),
                  graded_at=now, updated_at=now)
        if state != Attempt.State.IN_PROGRESS:  # a Submit that finished after the hand-in
            attempt = Attempt.objects.get(pk=submission.attempt_id)  # locked above
            if state == Attempt.State.GRADED:
                attempt_rescore(attempt=attempt)
            else:
                attempt_finalize_if_ready(attempt=attempt)
    return True


_SOMETIME = datetime(2000, 1, 1, tzinfo=dt_timezone.utc)  # a placeholder: stands for the verdict's time
# The attempt's lock, taken first: a hand-in waits for it, and sees the verdict once it has it.
_ATTEMPT_LOCKED = Compiled(lambda attempt_id: Attempt.objects.select_for_update().filter(pk=attempt_id)
                           .values_list("state"), -1)
# The verdict, written only while the attempt is open (a closed one's Submit needs the ORM). The
# attempt's state is a subquery, not a join: Django turns an UPDATE with a join into "id IN
# (SELECT ...)", where the claim's status would be checked on the subquery's copy of the row, not
# re-checked on the row itself if a requeue commits meanwhile.
_VERDICT_WHILE_OPEN = CompiledUpdate(
    lambda submission_id, status, attempt_id, open_state: _in_status(submission_id, status).filter(
        attempt_id__in=Attempt.objects.filter(pk=attempt_id, state=open_state).values("pk")),
    -1, "<status>", -2, "<open>", fields=_VERDICT.fields)
# The score, written only if this transaction wrote the verdict (the row is done, at its time)
# and the response still holds the submitted code, unreviewed.
_RESPONSE_SCORE_IF_SUBMITTED = CompiledUpdate(
    lambda attempt_id, question_id, source, submission_id, done, finished_at: Response.objects.filter(
        RawSQL(f'"{Response._meta.db_table}"."answer" -> \'source\' = to_jsonb(%s::text)', (source,),
               output_field=BooleanField()),
        attempt_id=attempt_id, question_id=question_id, reviewed_by__isnull=True,
        attempt_id__in=Submission.objects.filter(pk=submission_id, status=done, finished_at=finished_at)
        .values("attempt_id")),
    -1, -2, "<source>", -3, "<done>", _SOMETIME, fields=_RESPONSE_SCORE.fields)


def _submit_record_at_once(batch, *, submission: Submission, result: dict, score: float, max_score: float):
    """submission_complete's statements for a Submit, sent together (the block's COMMIT with
    them): Results of the attempt's (state,) and of the verdict's rows written."""
    now = timezone.now()
    state = batch.first(_ATTEMPT_LOCKED, submission.attempt_id)
    written = _verdict_write(submission_id=submission.pk, result=result, score=score, now=now, batch=batch,
                             while_open_attempt=submission.attempt_id)
    batch.run(_RESPONSE_SCORE_IF_SUBMITTED, submission.attempt_id, submission.question_id, submission.source,
              submission.pk, Submission.Status.DONE, now,
              score=submission_points(max_score=max_score, score=score), graded_at=now, updated_at=now)
    return state, written


def _verdict_write(*, submission_id: int, result: dict, score: float, now, batch: TransactionPipeline | None = None,
                   while_open_attempt: int | None = None):
    """The verdict on the running row, announced with what it wrote once committed (a waiting
    request answers with it, without reading the row): a Result of the rows written (0 when
    this worker's claim is gone, or, given `while_open_attempt` (its id), when the attempt is
    no longer in progress), in `batch` if given, else at once."""
    verdict = {"status": Submission.Status.DONE, "verdict": result["verdict"], "score": score, "results": result,
               "finished_at": now, "error": ""}
    batch = batch or TransactionPipeline(connection)
    if while_open_attempt is not None:
        written = batch.run(_VERDICT_WHILE_OPEN, submission_id, Submission.Status.RUNNING, while_open_attempt,
                            Attempt.State.IN_PROGRESS, **verdict)
    else:
        written = batch.run(_VERDICT, submission_id, Submission.Status.RUNNING, **verdict)
    batch.on_commit(lambda: written.value and notify.submission_updated(submission_id, verdict))
    return written


def submission_progress(*, submission_id: int, result: dict) -> bool:
    """The tests finished so far, while the claiming worker still runs the rest (partial)."""
    written = Submission.objects.filter(pk=submission_id, status=Submission.Status.RUNNING).update(
        results={**result, "partial": True}
    )
    if written:
        _announce(submission_id)
    return bool(written)


def submission_fail(*, submission_id: int, error: str) -> bool:
    """An infrastructure fault (not the candidate's code): the row says so and staff can requeue it."""
    failed = Submission.objects.filter(pk=submission_id, status=Submission.Status.RUNNING).update(
        status=Submission.Status.ERROR, error=error[:2000], finished_at=timezone.now()
    )
    if failed:
        _announce(submission_id)
    return bool(failed)


def submission_requeue(*, submission_id: int) -> bool:
    """Put a failed or stranded submission back in the queue (staff action and the reconciler)."""
    with transaction.atomic():
        requeued = Submission.objects.filter(
            pk=submission_id, status__in=[Submission.Status.ERROR, Submission.Status.RUNNING]
        ).update(status=Submission.Status.QUEUED, started_at=None, error="", results={})  # no stale partial tests
        if requeued:
            submission_enqueue(submission=Submission(pk=submission_id))
    return bool(requeued)
