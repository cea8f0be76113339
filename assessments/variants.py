"""Parameterized questions as candidates meet them: which variant an attempt gets, and the
question's text, options and datasets as that variant shows them."""

from __future__ import annotations

import csv
import io
import random
import re

from assessments.models import Question, QuestionVariant
from common.exceptions import Conflict

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
PREVIEW_ROWS = 20


def variant_choose(*, question: Question, seed: int, seen: set[int] = frozenset()) -> QuestionVariant:
    """The variant an attempt with this seed gets: a seeded walk over the question's variants,
    skipping those the candidate has already been shown (so practice brings a new variant each
    time) until every one has been seen. Same seed and history: same variant."""
    variants = list(question.variants.all())
    if not variants:
        raise Conflict(
            "This assessment is not ready yet: a parameterized question has no variants generated.",
            {"question": question.slug},
        )
    order = list(range(len(variants)))
    random.Random(f"{seed}:variant:{question.family_id}").shuffle(order)
    for index in order:
        if variants[index].index not in seen:
            return variants[index]
    return variants[order[0]]


def render(text: str, params: dict) -> str:
    return PLACEHOLDER.sub(lambda m: _display(params[m.group(1)]) if m.group(1) in params else m.group(0), text)


def _display(value) -> str:
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:.10g}"
    return str(value)


def variant_apply(*, question: Question, variant: QuestionVariant | None) -> Question:
    """Show a question as its variant: the text, options, hints and explanation with the
    parameters filled in. Only for display: the instance refuses to be saved afterwards."""
    if variant is None:
        return question
    params = variant.params
    question.prompt = render(question.prompt, params)
    question.explanation = render(question.explanation, params)
    question.hints = [render(str(h), params) for h in question.hints or []]
    for option in getattr(question, "display_options", None) or question.options.all():
        option.text = render(option.text, params)
    question.rendered_variant = variant
    return question


def dataset_preview(csv_text: str, *, rows: int = PREVIEW_ROWS) -> dict:
    """The header and first rows of a CSV dataset, for showing as a table."""
    reader = csv.reader(io.StringIO(csv_text))
    header = next(reader, [])
    body = []
    total = 0
    for row in reader:
        total += 1
        if len(body) < rows:
            body.append(row)
    return {"columns": header, "rows": body, "row_count": total}
