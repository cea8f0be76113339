"""Scoring of answers that need no judge. Pure functions: a question (with its parts loaded) and
an answer in, points out (None: a reviewer grades it). Code answers are scored from their
Submission's judge result instead."""

import math
from decimal import ROUND_HALF_UP, Decimal
import re
import unicodedata

from assessments.models import NumericSpec, Question, QuestionVariant

AUTO_GRADED = {
    Question.Kind.SINGLE_CHOICE,
    Question.Kind.MULTIPLE_CHOICE,
    Question.Kind.TRUE_FALSE,
    Question.Kind.NUMERIC,
    Question.Kind.SHORT_TEXT,
    Question.Kind.DATA_ANALYSIS,
}


def answer_points(*, question: Question, answer: dict, max_score: float | None = None,
                  variant: QuestionVariant | None = None) -> float | None:
    """Points for an answer, out of `max_score` (the points fixed when the attempt started;
    the question's current points when not given). A parameterized question is scored
    against the variant the candidate was shown."""
    kind = question.kind
    if kind == Question.Kind.FREE_TEXT:
        return None if (answer.get("text") or "").strip() else 0.0
    out_of = question.points if max_score is None else max_score
    return round(out_of * answer_credit(question=question, answer=answer, variant=variant), 6)


def answer_credit(*, question: Question, answer: dict, variant: QuestionVariant | None = None) -> float:
    """The fraction of the question's points an answer earns, 0..1."""
    kind = question.kind
    key = variant.answers if variant is not None else {}
    if kind in (Question.Kind.SINGLE_CHOICE, Question.Kind.TRUE_FALSE, Question.Kind.MULTIPLE_CHOICE):
        return _choice_credit(question, answer, key.get("correct"))
    if kind == Question.Kind.NUMERIC:
        value = answer.get("value")
        if value is None:
            return 0.0
        return numeric_credit(value=value, spec=question.numeric, expected=key.get("answer"))
    if kind == Question.Kind.SHORT_TEXT:
        accepted = key.get("answer")
        if accepted is not None:
            accepted = [(str(a), 1.0) for a in (accepted if isinstance(accepted, list) else [accepted])]
        return text_credit(text=answer.get("text") or "", question=question, accepted=accepted)
    if kind == Question.Kind.DATA_ANALYSIS:
        return parts_credit(values=answer.get("parts") or {}, parts=list(question.parts.all()),
                            expected=key.get("answers") or {})
    raise ValueError(f"{kind} answers are not scored here")


def _choice_credit(question: Question, answer: dict, correct: list[int] | None) -> float:
    options = list(question.options.all())
    if correct is None:
        credit = {o.id: o.credit for o in options}
    else:  # a variant names its correct options by position
        positions = {o.id: i for i, o in enumerate(sorted(options, key=lambda o: (o.order, o.id)))}
        share = 1.0 / max(1, len(correct)) if question.kind == Question.Kind.MULTIPLE_CHOICE else 1.0
        credit = {oid: (share if i in correct else (-share if question.kind == Question.Kind.MULTIPLE_CHOICE else 0.0))
                  for oid, i in positions.items()}
    if question.kind != Question.Kind.MULTIPLE_CHOICE:
        return max(0.0, credit.get(answer.get("choice"), 0.0))
    chosen = set(answer.get("choices") or [])
    if question.choice_scoring == Question.ChoiceScoring.PARTIAL:
        return min(1.0, max(0.0, sum(c for oid, c in credit.items() if oid in chosen)))
    return 1.0 if chosen == {oid for oid, c in credit.items() if c > 0} else 0.0


def numeric_credit(*, value: float, spec: NumericSpec, expected: float | None = None) -> float:
    expected = spec.answer if expected is None else expected
    if expected is None or not math.isfinite(value):
        return 0.0
    if numeric_matches(value=value, expected=expected, policy=spec.policy, abs_tol=spec.abs_tol,
                       rel_tol=spec.rel_tol, digits=spec.digits):
        return 1.0
    for alternative in spec.alternatives or []:
        if abs(value - float(alternative["value"])) <= float(alternative.get("abs_tol", 0.0)):
            return max(0.0, min(1.0, float(alternative.get("fraction", 1.0))))
    return 0.0


def parts_credit(*, values: dict, parts: list, expected: dict) -> float:
    """A data-analysis answer: each part within its own tolerance, weighted."""
    total = sum(p.weight for p in parts)
    if not total:
        return 0.0
    earned = 0.0
    for part in parts:
        value, target = values.get(part.key), expected.get(part.key)
        if value is None or target is None or not math.isfinite(value):
            continue
        if numeric_matches(value=value, expected=float(target), policy=part.policy, abs_tol=part.abs_tol,
                           rel_tol=part.rel_tol, digits=part.digits):
            earned += part.weight
    return earned / total


def numeric_matches(*, value: float, expected: float, policy: str, abs_tol: float = 0.0, rel_tol: float = 0.0,
                    digits: int | None = None) -> bool:
    difference = abs(value - expected)
    if policy == NumericSpec.Policy.ABSOLUTE:
        return difference <= abs_tol
    if policy == NumericSpec.Policy.RELATIVE:
        return difference <= rel_tol * abs(expected)
    if policy == NumericSpec.Policy.SIG_FIGS:
        return _round_sig(value, digits or 3) == _round_sig(expected, digits or 3)
    if policy == NumericSpec.Policy.DECIMALS:
        return _round_places(value, digits or 0) == _round_places(expected, digits or 0)
    return difference <= max(abs_tol, rel_tol * abs(expected))


def _round_places(x: float, places: int) -> Decimal:
    """Round half up on the number as written (2.675 -> 2.68), not on its binary float."""
    return Decimal(repr(x)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _round_sig(x: float, digits: int) -> Decimal:
    if x == 0:
        return Decimal(0)
    return _round_places(x, digits - 1 - math.floor(math.log10(abs(x))))


def normalize_text(text: str) -> str:
    """Case, accents, surrounding punctuation and runs of spaces do not matter."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.casefold().strip(" \t\n.!?;:,'\"").split())


def text_credit(*, text: str, question: Question, accepted: list[tuple[str, float]] | None = None) -> float:
    exact = question.text_match == Question.TextMatch.EXACT
    given = text.strip() if exact else normalize_text(text)
    if not given:
        return 0.0
    if accepted is None:
        accepted = [(a.text, a.fraction) for a in question.text_answers.all()]
    for accepted_text, fraction in accepted:
        pattern = accepted_text.strip() if exact else normalize_text(accepted_text)
        regex = ".*".join(re.escape(part) for part in pattern.split("*"))
        if re.fullmatch(regex, given, flags=re.DOTALL):
            return fraction
    return 0.0
