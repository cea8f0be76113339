"""Scoring of non-code answers. Pure functions: a question (with its parts loaded) and an answer in,
points out. Code answers are scored from their Submission's judge result instead."""

import math

from assessments.models import Question


def answer_points(*, question: Question, answer: dict) -> float:
    kind = question.kind
    if kind == Question.Kind.SINGLE_CHOICE:
        correct = {o.id for o in question.options.all() if o.is_correct}
        return float(question.points) if answer.get("choice") in correct else 0.0
    if kind == Question.Kind.MULTIPLE_CHOICE:
        correct = {o.id for o in question.options.all() if o.is_correct}
        chosen = set(answer.get("choices") or [])
        return float(question.points) if chosen == correct else 0.0
    if kind == Question.Kind.NUMERIC:
        value = answer.get("value")
        if value is None:
            return 0.0
        return float(question.points) if numeric_matches(value=value, spec=question.numeric) else 0.0
    raise ValueError(f"{kind} answers are not scored here")


def numeric_matches(*, value: float, spec) -> bool:
    if not math.isfinite(value):
        return False
    allowed = max(spec.abs_tol, spec.rel_tol * abs(spec.answer))
    return abs(value - spec.answer) <= allowed
