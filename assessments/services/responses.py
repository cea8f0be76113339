import math

from django.db import connection, transaction
from django.db.models import Count, F, OuterRef, Subquery
from django.utils import timezone

from accounts.models import User
from assessments.models import AnswerPart, Attempt, CodeSpec, Option, Question, Response, Submission
from common.db import Compiled, CompiledUpdate, Pipeline, loaded, pipelined, pipelined_transaction
from common.exceptions import ApplicationError, Conflict, NotFound

MAX_SOURCE_BYTES = 64 * 1024
MAX_SHORT_TEXT = 1000
MAX_FREE_TEXT = 20000


def attempt_lock_open(*, attempt_id: int) -> Attempt:
    """Lock the attempt row and make sure it still takes answers (409 otherwise).

    Only the attempt's row is locked, never its assessment's: every candidate of an assessment
    saves answers at once, and they must not wait for each other."""
    attempt = Attempt.objects.select_for_update(of=("self",)).filter(pk=attempt_id).first()
    _refuse_unless_open(attempt_id, attempt and (attempt.candidate_id, attempt.state, attempt.deadline,
                                                 attempt.submitted_at), None)
    return attempt


# attempt_lock_open's lock and checks, on a statement compiled once (see response_lock_open).
_OPEN_ATTEMPT = Compiled(lambda attempt_id: Attempt.objects.select_for_update(of=("self",)).filter(pk=attempt_id)
                         .values_list("candidate_id", "state", "deadline", "submitted_at"), -1)


class NotTheirAttempt(Exception):
    """Raised inside a pipeline, where the ORM cannot run, for a caller to whom the attempt is
    not theirs (or who asked for none): refuse_not_theirs(), once out of it, says how."""


def refuse_not_theirs(candidate: User, attempt_id: int) -> None:
    """Refuse `candidate` an attempt that is not theirs as attempt_get_for_user does: 404, or
    403 for staff who may read it (raises in every case)."""
    from assessments.selectors import attempt_get_for_user

    attempt_get_for_user(user=candidate, attempt_id=attempt_id, to_change=True)
    raise NotFound("Attempt not found.")  # theirs after all: it was not a moment ago


def _refuse_unless_open(attempt_id: int, row: tuple | None, candidate: User | None, *, orm: bool = True) -> None:
    """row: the attempt's (candidate_id, state, deadline, submitted_at), None if there is none.
    With `candidate`, the attempt must be theirs: anyone else is refused as attempt_get_for_user
    refuses them (404, or 403 for staff), so a hot path needs no separate ownership read.
    Without the ORM (`orm=False`, in a pipeline) that refusal is NotTheirAttempt."""
    if candidate is not None and (row is None or row[0] != candidate.id):
        if not orm:
            raise NotTheirAttempt(attempt_id)
        refuse_not_theirs(candidate, attempt_id)
    if row is None:
        raise NotFound("Attempt not found.")
    _, state, deadline, submitted_at = row
    if state != Attempt.State.IN_PROGRESS:
        raise Conflict(
            "This attempt has been submitted; answers can no longer be changed.",
            {"state": state, "submitted_at": submitted_at.isoformat() if submitted_at else None},
        )
    if timezone.now() >= deadline:
        raise Conflict(
            "Time is up for this attempt; answers can no longer be changed.",
            {"state": state, "deadline": deadline.isoformat()},
        )


def answer_clean(*, question: Question, answer: dict, option_ids: list[int] | None = None,
                 part_keys: list[str] | None = None) -> dict:
    """Validate an answer's shape for the question's kind and return its canonical form.
    A choice question's `option_ids` and a data-analysis question's `part_keys` (in order) are
    read here unless given (read beforehand where the ORM cannot run: response_save)."""
    if not isinstance(answer, dict):
        raise ApplicationError("An answer is a JSON object.")
    kind = question.kind
    if kind in (Question.Kind.SHORT_TEXT, Question.Kind.FREE_TEXT):
        text = answer.get("text")
        if text is None:
            return {"text": ""}
        if not isinstance(text, str):
            raise ApplicationError('A text answer is {"text": "..."}.')
        limit = MAX_SHORT_TEXT if kind == Question.Kind.SHORT_TEXT else MAX_FREE_TEXT
        if len(text) > limit or "\x00" in text:
            raise ApplicationError("The answer is too long." if len(text) > limit else "The answer contains a NUL character.",
                                   {"max_length": limit})
        return {"text": text}
    if kind in (Question.Kind.SINGLE_CHOICE, Question.Kind.TRUE_FALSE):
        choice = answer.get("choice")
        if choice in (None, ""):
            return {"choice": None}
        choice = _as_int(choice)
        if choice not in _option_ids(question, option_ids):
            raise ApplicationError("That option does not belong to this question.", {"choice": answer.get("choice")})
        return {"choice": choice}
    if kind == Question.Kind.MULTIPLE_CHOICE:
        choices = answer.get("choices")
        if choices is None:
            choices = []
        if not isinstance(choices, list):
            raise ApplicationError('A multiple-choice answer is {"choices": [option ids]}.')
        option_ids = _option_ids(question, option_ids)
        parsed = {_as_int(c) for c in choices}
        if None in parsed:
            raise ApplicationError("Options are given by their ids.", {"choices": [str(c)[:50] for c in choices]})
        cleaned = sorted(parsed)
        unknown = [c for c in cleaned if c not in option_ids]
        if unknown:
            raise ApplicationError("Some options do not belong to this question.", {"choices": unknown})
        return {"choices": cleaned}
    if kind == Question.Kind.NUMERIC:
        return {"value": _number(answer.get("value"), what="value")}
    if kind == Question.Kind.DATA_ANALYSIS:
        given = answer.get("parts")
        if given is None:
            given = {}
        if not isinstance(given, dict):
            raise ApplicationError('A data-analysis answer is {"parts": {"<part>": number}}.')
        keys = list(question.parts.values_list("key", flat=True)) if part_keys is None else part_keys
        unknown = sorted(set(given) - set(keys))
        if unknown:
            raise ApplicationError("Some answers do not belong to this question.", {"parts": unknown[:20]})
        return {"parts": {key: _number(given.get(key), what=key) for key in keys}}
    if kind == Question.Kind.CODE:
        source = answer.get("source", "")
        language = answer.get("language") or question.code.language
        if not isinstance(source, str):
            raise ApplicationError('A code answer is {"language": "python", "source": "..."}.')
        if language not in question.code.languages:
            raise ApplicationError(
                f"This question is answered in {question.code.get_language_display()}"
                + (f" (or {', '.join(question.code.other_languages)})." if question.code.other_languages else "."),
                {"language": language, "allowed": question.code.languages},
            )
        if len(source.encode()) > MAX_SOURCE_BYTES:
            raise ApplicationError("The code is too long.", {"max_bytes": MAX_SOURCE_BYTES})
        if "\x00" in source:
            raise ApplicationError("The code contains a NUL character.")
        return {"language": language, "source": source}
    raise ApplicationError(f"Unknown question kind {kind}.")


def _option_ids(question: Question, given: list[int] | None) -> set[int]:
    return set(question.options.values_list("id", flat=True) if given is None else given)


def _number(value, *, what: str) -> float | None:
    """A numeric answer in the wrong format is refused (it costs nothing), never scored as wrong."""
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        raise ApplicationError('A numeric answer is a number, e.g. {"value": 0.05}.', {"field": what})
    if isinstance(value, str):
        value = value.strip().replace("\u2212", "-")  # a typographic minus sign
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ApplicationError("That is not a number.", {"field": what, "value": str(value)[:100]}) from None
    if not math.isfinite(number):
        raise ApplicationError("The answer must be a finite number.", {"field": what, "value": str(value)[:100]})
    return number


def _as_int(value) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


# What a save reads of the response and of its question (answer_clean reads options and parts
# itself, only for the kinds that have them; a Run also needs the code's style).
_OPEN_RESPONSE_FIELDS = ("id", "answer", "updated_at", "question__kind", "question__code__id", "question__code__style",
                         "question__code__language", "question__code__other_languages")


def _open_response(attempt_id, question_id):
    return Response.objects.filter(attempt_id=attempt_id, question_id=question_id)


_OPEN_RESPONSE = Compiled(lambda *key: _open_response(*key).values_list(*_OPEN_RESPONSE_FIELDS), -1, -2)
# The same, with the attempt's runs and submissions not graded yet (a Run or Submit is refused
# beyond a few): one statement, not two, on every Run's and Submit's path.
_OPEN_RESPONSE_PENDING = Compiled(
    lambda attempt_id, question_id, queued, running: _open_response(attempt_id, question_id)
    .annotate(pending=Subquery(Submission.objects.filter(attempt_id=OuterRef("attempt_id"), status__in=[queued, running])
                               .order_by().values("attempt_id").annotate(n=Count("id")).values("n")))
    .values_list(*_OPEN_RESPONSE_FIELDS, "pending"), -1, -2, "<queued>", "<running>",
)


def response_lock_open(*, attempt_id: int, question_id: int, candidate: User | None = None,
                       count_pending: bool = False, batch: Pipeline | None = None) -> Response:
    """attempt_lock_open for the hottest writes (autosave, Run, Submit): the same lock and
    checks, then the response, read once the lock is held (so the latest), with its question as
    answer_clean sees it. Two statements compiled once per thread; fields not read stay deferred.

    With `count_pending`, the response's `pending` is the attempt's runs and submissions not
    graded yet, counted by the same read.

    The lock and the read travel together (one round trip on PostgreSQL; the server runs the
    read once the lock is held), in `batch` if given (synced here), else in a pipeline of their
    own: the read of an attempt that turns out closed goes unused."""
    def lock_and_read(batch: Pipeline):
        attempt = batch.first(_OPEN_ATTEMPT, attempt_id)
        if count_pending:
            return attempt, batch.first(_OPEN_RESPONSE_PENDING, attempt_id, question_id, Submission.Status.QUEUED,
                                        Submission.Status.RUNNING)
        return attempt, batch.first(_OPEN_RESPONSE, attempt_id, question_id)

    if batch is None:
        with pipelined() as own:  # answered at its end
            attempt, read = lock_and_read(own)
    else:
        attempt, read = lock_and_read(batch)
        batch.sync()
    _refuse_unless_open(attempt_id, attempt.value, candidate, orm=batch is None or batch.orm_allowed)
    row = read.value
    if row is None:
        raise NotFound("This question is not part of the attempt.")
    response_id, answer, updated_at, kind, code_id, style, language, other_languages = row[:len(_OPEN_RESPONSE_FIELDS)]
    spec = code_id and loaded(CodeSpec, id=code_id, question_id=question_id, style=style, language=language,
                              other_languages=other_languages)
    question = loaded(Question, id=question_id, kind=kind, related={"code": spec} if spec else None)
    response = loaded(Response, id=response_id, attempt_id=attempt_id, question_id=question_id, answer=answer,
                      updated_at=updated_at, related={"question": question})
    if count_pending:
        response.pending = row[-1] or 0  # no group when there are none
    return response


_ANSWER = CompiledUpdate(lambda response_id: Response.objects.filter(pk=response_id), -1,
                         fields=("answer", "score", "graded_at", "updated_at"))


def response_answer_set(*, response: Response, answer: dict, batch: Pipeline | None = None) -> None:
    """Store a changed answer (graded afresh), in `batch` if given; an unchanged one is left as
    it is, score and all."""
    if answer != response.answer:
        response.answer, response.updated_at = answer, timezone.now()
        (batch or Pipeline(connection)).run(_ANSWER, response.pk, answer=answer, score=None, graded_at=None,
                                            updated_at=response.updated_at)


# What answer_clean checks a choice or a data-analysis answer against, read in a pipelined save.
_OPTION_IDS = Compiled(lambda question_id: Option.objects.filter(question_id=question_id).values_list("id"), -1)
_PART_KEYS = Compiled(lambda question_id: AnswerPart.objects.filter(question_id=question_id).values_list("key"), -1)
# answer_clean's argument each kind needs, and the statement that reads it.
_CHECKED_AGAINST = {
    **dict.fromkeys((Question.Kind.SINGLE_CHOICE, Question.Kind.TRUE_FALSE, Question.Kind.MULTIPLE_CHOICE),
                    ("option_ids", _OPTION_IDS)),
    Question.Kind.DATA_ANALYSIS: ("part_keys", _PART_KEYS),
}


def response_save(*, attempt_id: int, question_id: int, answer: dict, candidate: User | None = None) -> Response:
    """Autosave one answer. Refused with 409 once the attempt is submitted or past its deadline.

    One transaction, pipelined (PostgreSQL), as a Run's: the attempt's lock with the response in
    one round trip (a choice question's options in one more), the answer with the COMMIT in
    another. The autosave is most of what candidates send; in Django's own transaction it took
    four round trips (five for a choice)."""
    try:
        with pipelined_transaction() as batch:
            response = response_lock_open(attempt_id=attempt_id, question_id=question_id, candidate=candidate,
                                          batch=batch)
            checked_against = {} if batch.orm_allowed else _answer_keys(batch, response.question)
            cleaned = answer_clean(question=response.question, answer=answer, **checked_against)
            response_answer_set(response=response, answer=cleaned, batch=batch)
        return response
    except NotTheirAttempt:  # rolled back; saying how takes the ORM, which the pipeline did not allow
        refuse_not_theirs(candidate, attempt_id)


def _answer_keys(batch: Pipeline, question: Question) -> dict:
    """answer_clean's option_ids or part_keys for the question's kind, read through `batch`
    (where answer_clean cannot query): nothing for the kinds that need neither."""
    if question.kind not in _CHECKED_AGAINST:
        return {}
    name, statement = _CHECKED_AGAINST[question.kind]
    rows = batch.rows(statement, question.id)
    batch.sync()
    return {name: [value for value, in rows.value]}


MAX_REPORT_S = 120  # the page reports every 15 s; a longer gap was not spent answering


@transaction.atomic
def time_spent_record(*, attempt_id: int, question_id: int, seconds: int) -> Response:
    """Add time the page saw the candidate spend on a question. What the page claims is capped
    by the clock: never more than has passed since the previous report (or the start)."""
    attempt = attempt_lock_open(attempt_id=attempt_id)
    if not isinstance(seconds, int) or isinstance(seconds, bool) or seconds < 0:
        raise ApplicationError("seconds is a whole number of seconds, 0 or more.")
    response = Response.objects.filter(attempt=attempt, question_id=question_id).first()
    if response is None:
        raise NotFound("This question is not part of the attempt.")
    now = timezone.now()
    elapsed = (now - (attempt.activity_at or attempt.started_at)).total_seconds()
    credited = int(min(seconds, elapsed + 1, MAX_REPORT_S))
    if credited > 0:
        Response.objects.filter(pk=response.pk).update(time_spent_s=F("time_spent_s") + credited)
    attempt.activity_at = now
    attempt.save(update_fields=["activity_at", "updated_at"])
    response.refresh_from_db(fields=["time_spent_s"])
    return response
