"""Does a question's own answer key hold? The check behind publishing (issue 4's validation loop)."""

from dataclasses import dataclass

from assessments import scoring
from django.db import transaction

from assessments.models import Question
from common.exceptions import ApplicationError, Conflict


@dataclass
class Check:
    question: Question
    ok: bool
    detail: str


def question_check(*, question: Question) -> Check:
    kind = question.kind
    if kind in (Question.Kind.SINGLE_CHOICE, Question.Kind.TRUE_FALSE, Question.Kind.MULTIPLE_CHOICE):
        options = list(question.options.all())
        if kind == Question.Kind.MULTIPLE_CHOICE:
            best = {"choices": [o.id for o in options if o.credit > 0]}
        else:
            best = {"choice": max(options, key=lambda o: o.credit).id} if options else {}
        credit = scoring.answer_credit(question=question, answer=best) if options else 0.0
        return Check(question, credit >= 1.0, f"the best answer earns {credit:.0%}")
    if kind == Question.Kind.NUMERIC:
        credit = scoring.answer_credit(question=question, answer={"value": question.numeric.answer})
        return Check(question, credit >= 1.0, f"the answer itself earns {credit:.0%}")
    if kind == Question.Kind.SHORT_TEXT:
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
        return Check(question, result["verdict"] == "AC", detail)
    return Check(question, False, f"unknown kind {kind}")


@transaction.atomic
def question_set_status(*, question: Question, status: str) -> Question:
    """Move a question through its statuses; validating and publishing need a passing check."""
    question = Question.objects.select_for_update().get(pk=question.pk)
    if status == question.status:
        return question
    if status not in Question.STATUS_TRANSITIONS[question.status]:
        raise Conflict(f"A {question.status} question cannot become {status}.", {"status": question.status})
    if status in (Question.Status.VALIDATED, Question.Status.PUBLISHED):
        check = question_check(question=question)
        if not check.ok:
            raise ApplicationError(f"{question.slug} cannot be {status}: {check.detail}", {"slug": question.slug})
    question.status = status
    question.save(update_fields=["status", "updated_at"])
    return question
