"""Does a question's own answer key hold? The check behind publishing (issue 4's validation loop).

Checking may run the author's code (reference solutions, generators) and so belongs in a grading
worker (tasks.question_validate) or an operator's command line, never in the web process."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from assessments import scoring
from assessments.models import Question
from assessments.services.variants import variants_store
from common.exceptions import ApplicationError, Conflict


@dataclass
class Check:
    question: Question
    ok: bool
    detail: str


def question_check(*, question: Question) -> Check:
    if question.is_parameterized:
        ok, detail = question_variants_prepare(question=question, record=False)
        if not ok:
            return Check(question, False, detail)
        static = _static_check(question)
        return Check(question, static.ok, f"{detail}; {static.detail}")
    if question.kind == Question.Kind.DATA_ANALYSIS:
        return Check(question, False, "a data-analysis question needs a generator")
    return _static_check(question)


def _static_check(question: Question) -> Check:
    kind = question.kind
    parameterized = question.is_parameterized
    if kind in (Question.Kind.SINGLE_CHOICE, Question.Kind.TRUE_FALSE, Question.Kind.MULTIPLE_CHOICE):
        options = list(question.options.all())
        if parameterized and any("correct" in v.answers for v in question.variants.all()):
            return Check(question, bool(options), "each variant names its correct options")
        if kind == Question.Kind.MULTIPLE_CHOICE:
            best = {"choices": [o.id for o in options if o.credit > 0]}
        else:
            best = {"choice": max(options, key=lambda o: o.credit).id} if options else {}
        credit = scoring.answer_credit(question=question, answer=best) if options else 0.0
        return Check(question, credit >= 1.0, f"the best answer earns {credit:.0%}")
    if kind == Question.Kind.NUMERIC:
        if parameterized:
            return Check(question, True, "each variant has its answer")
        if question.numeric.answer is None:
            return Check(question, False, "no answer")
        credit = scoring.answer_credit(question=question, answer={"value": question.numeric.answer})
        return Check(question, credit >= 1.0, f"the answer itself earns {credit:.0%}")
    if kind == Question.Kind.DATA_ANALYSIS:
        return Check(question, question.parts.exists(), "each variant answers every part")
    if kind == Question.Kind.SHORT_TEXT:
        if parameterized and all("answer" in v.answers for v in question.variants.all()):
            return Check(question, True, "each variant has its accepted answer")
        accepted = question.text_answers.order_by("-fraction").first()
        if accepted is None:
            return Check(question, False, "no accepted answer")
        if "*" in accepted.text:
            return Check(question, True, "the best answer is a pattern")
        credit = scoring.answer_credit(question=question, answer={"text": accepted.text})
        return Check(question, credit > 0, f"the best accepted answer earns {credit:.0%}")
    if kind == Question.Kind.FREE_TEXT:
        return Check(question, bool(question.rubric.strip()), "has a rubric" if question.rubric.strip() else "no rubric")
    if kind == Question.Kind.CODE:
        if not question.code.reference_solution.strip():
            return Check(question, False, "no reference solution")
        from assessments.tasks import reference_judge

        result = reference_judge(question)
        failing = [t["name"] for t in result.get("tests", []) if t.get("verdict") != "AC"]
        detail = f"reference solution: {result['verdict']}"
        if failing:
            detail += f" (failing: {', '.join(failing[:5])})"
        if result.get("compile_output"):
            detail += f": {result['compile_output'][:300]}"
        if result["verdict"] != "AC":
            return Check(question, False, detail)
        from assessments.tasks import reference_submissions_check

        outcomes = reference_submissions_check(question)
        wrong = [f"{name} expected {expected_of(question, name)}, got {got}" for name, ok, got in outcomes if not ok]
        if outcomes:
            detail += f"; {len(outcomes) - len(wrong)}/{len(outcomes)} reference submissions get their expected outcome"
        if wrong:
            detail += ": " + "; ".join(wrong[:5])
        return Check(question, not wrong, detail)
    return Check(question, False, f"unknown kind {kind}")


def expected_of(question: Question, name: str) -> str:
    return next((r.expected for r in question.reference_submissions.all() if r.name == name), "?")


def question_variants_prepare(*, question: Question, record: bool = True) -> tuple[bool, str]:
    """Generate and store a parameterized question's variants (in the sandbox, through the
    worker's judge). A failure keeps the previous variants and, if the question is published,
    is recorded on it so staff see why."""
    from assessments.tasks import variants_generate

    ok, detail = variants_store(question=question, generated=variants_generate(question))
    if record:
        check_record(question=question, ok=ok, detail=detail)
    return ok, detail


def check_record(*, question: Question, ok: bool, detail: str) -> None:
    Question.objects.filter(pk=question.pk).update(check_ok=ok, check_detail=detail[:5000], checked_at=timezone.now())


def question_set_status(*, question: Question, status: str) -> Question:
    """Move a question through its statuses; validating and publishing need a passing check,
    whose outcome is recorded on the question whether it passes or not."""
    question = Question.objects.get(pk=question.pk)
    _transition_check(question, status)
    if status in (Question.Status.VALIDATED, Question.Status.PUBLISHED) and status != question.status:
        check = question_check(question=question)
        check_record(question=question, ok=check.ok, detail=check.detail)
        if not check.ok:
            raise ApplicationError(f"{question.slug} cannot be {status}: {check.detail}", {"slug": question.slug})
    with transaction.atomic():
        question = Question.objects.select_for_update().get(pk=question.pk)
        _transition_check(question, status)
        if status != question.status:
            question.status = status
            question.save(update_fields=["status", "updated_at"])
    return question


def _transition_check(question: Question, status: str) -> None:
    if question.version_of_id is not None:
        raise Conflict("An archived version keeps its status.", {"version": question.version})
    if status != question.status and status not in Question.STATUS_TRANSITIONS[question.status]:
        raise Conflict(f"A {question.status} question cannot become {status}.", {"status": question.status})
