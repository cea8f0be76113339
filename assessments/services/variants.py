"""Parameterized questions: checking and storing the variants a worker generated (choosing and
showing them is in assessments.variants).

The author's generator never runs here: `assessments.tasks.variants_generate` runs it in the
judge's sandbox and hands the plain result to `variants_store`."""

from __future__ import annotations

import math

from django.db import transaction

from assessments.models import Question, QuestionVariant, Response
from assessments.variants import PLACEHOLDER

MIN_VARIANTS = 20  # the validation loop instantiates at least this many seeds


# --- what a variant must hold ----------------------------------------------------------------

def variant_problems(*, question: Question, variant: dict) -> list[str]:
    """Why one generated variant cannot serve this question (empty: it can)."""
    if not variant.get("ok"):
        return [variant.get("error") or "the generator failed"]
    problems = []
    params = variant.get("params") or {}
    for name in sorted(_placeholders(question) - set(params)):
        problems.append(f"{{{{{name}}}}} is used in the text but the generator returns no such parameter")
    kind = question.kind
    if kind == Question.Kind.NUMERIC and ("answer" in variant or question.numeric.answer is None):
        if not _finite(variant.get("answer")):
            problems.append("answer: the generator must return a finite number")
    if kind == Question.Kind.DATA_ANALYSIS:
        answers = variant.get("answers") or {}
        for part in question.parts.all():
            if not _finite(answers.get(part.key)):
                problems.append(f"answers[{part.key!r}]: the generator must return a finite number")
        if not variant.get("datasets"):
            problems.append("a data-analysis item needs at least one dataset")
    if kind in (Question.Kind.SINGLE_CHOICE, Question.Kind.TRUE_FALSE, Question.Kind.MULTIPLE_CHOICE):
        correct = variant.get("correct")
        if correct is not None:
            count = question.options.count()
            if not isinstance(correct, list) or not correct or any(
                not isinstance(i, int) or isinstance(i, bool) or not 0 <= i < count for i in correct
            ):
                problems.append(f"correct: a non-empty list of option positions 0..{count - 1}")
            elif kind != Question.Kind.MULTIPLE_CHOICE and len(correct) != 1:
                problems.append("correct: a single-choice question has exactly one correct option")
    if kind == Question.Kind.SHORT_TEXT and "answer" in variant:
        accepted = variant["answer"]
        accepted = accepted if isinstance(accepted, list) else [accepted]
        if not accepted or not all(isinstance(a, (str, int, float)) and str(a).strip() for a in accepted):
            problems.append("answer: a non-empty text (or list of texts)")
    return problems


def _placeholders(question: Question) -> set[str]:
    texts = [question.prompt, question.explanation, *(str(h) for h in question.hints or [])]
    texts += [o.text for o in question.options.all()]
    return {m.group(1) for text in texts for m in PLACEHOLDER.finditer(text)}


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


# --- storing ---------------------------------------------------------------------------------

@transaction.atomic
def variants_store(*, question: Question, generated: dict) -> tuple[bool, str]:
    """Keep the variants of a generator run if every one of them serves the question.
    Returns (ok, detail). Nothing is replaced when any seed fails."""
    if generated.get("error"):
        return False, f"generator: {generated['error']}"
    variants = generated.get("variants") or []
    if len(variants) < MIN_VARIANTS:
        return False, f"generator: {len(variants)} variants, at least {MIN_VARIANTS} are needed"
    for variant in variants:
        problems = variant_problems(question=question, variant=variant)
        if problems:
            return False, f"seed {variant.get('seed')}: {'; '.join(problems)}"
    rows = [
        QuestionVariant(
            question=question, index=i, seed=v["seed"], params=v.get("params") or {},
            answers={k: v[k] for k in ("answer", "answers", "correct") if k in v},
            datasets=v.get("datasets") or {},
        )
        for i, v in enumerate(variants)
    ]
    distinct = len({repr(sorted(row.params.items())) for row in rows})
    detail = f"{len(rows)} variants generated ({distinct} distinct)"
    if Response.objects.filter(variant__question=question).exists():
        # Candidates were shown these: they stay. The same generator must give the same variants.
        stored = {v.index: v for v in question.variants.all()}
        for row in rows:
            old = stored.get(row.index)
            if old is None or (old.seed, old.params, old.answers, old.datasets) != (row.seed, row.params, row.answers, row.datasets):
                return False, f"seed {row.seed}: the generator gives another variant than the one candidates were shown " \
                              "(is it deterministic? use only the rng it is given)"
        return True, detail
    question.variants.all().delete()
    QuestionVariant.objects.bulk_create(rows)
    return True, detail


def variant_seeds(question: Question) -> list[int]:
    return list(range(question.variant_count))


def question_variants_discard(*, question: Question) -> None:
    """After an edit of a question nobody has been shown: its check no longer holds, and its
    variants (made by the old generator) are dropped until it is validated again."""
    if Response.objects.filter(question=question).exists():
        return
    question.variants.all().delete()
    fields = {"check_ok": None}
    if question.status == Question.Status.VALIDATED:
        fields["status"] = Question.Status.DRAFT
    Question.objects.filter(pk=question.pk).update(**fields)
