"""What the GIFT and Moodle XML importers share: the result type, numbers, slugs, categories and the
checks every question of a kind must pass, whichever file it came from."""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from .markup import markdown_to_plain

# Files above this size are refused before any parsing.
MAX_INPUT_BYTES = 20 * 1024 * 1024

KINDS = ("single_choice", "multiple_choice", "true_false", "numeric", "short_text", "essay")
RESPONSE_FORMATS = ("editor", "plain", "monospaced", "noinline")


@dataclass
class ParseResult:
    """Questions in the neutral form (see the package docstring) and what the user should know:
    questions skipped (``skip_unsupported=True``), parts of questions that could not be kept."""

    questions: list[dict]
    warnings: list[str] = field(default_factory=list)


class Invalid(Exception):
    """A question is invalid; the importer adds where it is and raises FormatError."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# --------------------------------------------------------------------------------------------------
# Numbers

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def parse_decimal(text: str, what: str) -> Decimal:
    """A decimal number written the plain way (``3.14``, ``-2``, ``1e-3``); anything else is Invalid."""
    raw = text.strip()
    if not _NUMBER.fullmatch(raw):
        raise Invalid(f'{what} "{text.strip()}" is not a number')
    try:
        value = Decimal(raw)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid literals
        raise Invalid(f'{what} "{raw}" is not a number') from None
    if not math.isfinite(float(value)):
        raise Invalid(f'{what} "{raw}" is out of range')
    return value


def to_float(value: Decimal) -> float:
    """The float nearest to the decimal (so 0.3333333 stays 0.3333333, not 0.33333330000000003)."""
    result = float(value)
    return 0.0 if result == 0 else result


def fmt_percent(fraction: float) -> str:
    return f"{fraction * 100:g}%"


# --------------------------------------------------------------------------------------------------
# Slugs, titles, categories


def slugify(text: str, *, max_length: int = 60) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(slug) > max_length:
        cut = slug[:max_length]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else cut
    return slug or "question"


def assign_slugs(questions: list[dict]) -> None:
    """Give each question a slug from its title, unique within this parse (-2, -3 ... on repeats)."""
    taken: set[str] = set()
    for question in questions:
        base = slugify(question["title"])
        slug, n = base, 1
        while slug in taken:
            n += 1
            slug = f"{base}-{n}"
        taken.add(slug)
        question["slug"] = slug


def clean_title(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def title_from_prompt(prompt: str, *, max_length: int = 80) -> str:
    """A title for a question that has none: the start of its text, cut at a word."""
    plain = markdown_to_plain(prompt)
    if len(plain) <= max_length:
        return plain
    cut = plain[: max_length - 1]
    if " " in cut[max_length // 2:]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.-") + "…"


_CONTEXT = re.compile(r"\$[a-z0-9]+\$")


def normalize_category(raw: str) -> str:
    """Moodle category paths: ``$course$/top/Statistics/Inference`` -> ``Statistics/Inference``.

    The leading context (``$course$``, ``$system$``, ``$module$``, ``$cat1$`` ...) and the ``top``
    category every context has are dropped; ``//`` (Moodle's escape for a slash inside a name) is
    kept as it is.
    """
    segments: list[str] = []
    current = ""
    i = 0
    text = raw.strip()
    while i < len(text):
        if text.startswith("//", i):
            current += "//"
            i += 2
        elif text[i] == "/":
            segments.append(current)
            current = ""
            i += 1
        else:
            current += text[i]
            i += 1
    segments.append(current)
    segments = [re.sub(r"\s+", " ", s).strip() for s in segments]
    segments = [s for s in segments if s]
    if segments and _CONTEXT.fullmatch(segments[0]):
        segments = segments[1:]
        if segments and segments[0] == "top":
            segments = segments[1:]
    elif segments and segments[0] == "top":
        segments = segments[1:]
    return "/".join(segments)


# --------------------------------------------------------------------------------------------------
# Checks by kind


def _label(text: str) -> str:
    plain = markdown_to_plain(text)
    return plain if len(plain) <= 40 else plain[:37] + "..."


def check_choices(kind: str, options: list[dict]) -> None:
    """Moodle's rules for choice questions, plus the neutral form's: a single-choice question has
    exactly one option worth 100%; the positive fractions of a multiple-choice one add up to 100%."""
    if len(options) < 2:
        raise Invalid(f"a choice question needs at least 2 options, this one has {len(options)}")
    for i, option in enumerate(options, 1):
        if not option["text"].strip():
            raise Invalid(f"option {i} has no text")
        if not -1.0 <= option["fraction"] <= 1.0:
            raise Invalid(
                f'option "{_label(option["text"])}" is worth {fmt_percent(option["fraction"])}, '
                "outside -100% to 100%"
            )
    if kind == "single_choice":
        full = [o for o in options if abs(o["fraction"] - 1.0) < 1e-7]
        if not full:
            best = max(o["fraction"] for o in options)
            if best <= 0:
                raise Invalid("single-choice question has no correct option (none is worth 100%)")
            raise Invalid(
                f"single-choice question has no option worth 100% (the best is worth {fmt_percent(best)})"
            )
        if len(full) > 1:
            names = ", ".join(f'"{_label(o["text"])}"' for o in full)
            raise Invalid(f"single-choice question has {len(full)} options worth 100% ({names}); only one may be")
        for option in full:
            option["fraction"] = 1.0
    else:
        total = sum(o["fraction"] for o in options if o["fraction"] > 0)
        if total <= 0:
            raise Invalid("multiple-choice question has no correct option (none is worth more than 0%)")
        # Moodle's own tolerance: the sum, rounded to 2 decimals, must be 1 (33.33333% x 3 passes).
        if round(total, 2) != 1.0:
            raise Invalid(
                f"the correct options of a multiple-choice question must add up to 100%, "
                f"these add up to {total * 100:.7g}%"
            )


def check_answers(kind: str, answers: list[dict]) -> None:
    """Numeric and short-text answers: credit between 0% and 100%, at least one worth 100%."""
    if not answers:
        raise Invalid(f"{'numeric' if kind == 'numeric' else 'short-answer'} question has no answers")
    for answer in answers:
        if not 0.0 <= answer["fraction"] <= 1.0:
            what = answer.get("text", answer.get("value"))
            raise Invalid(f'answer "{what}" is worth {fmt_percent(answer["fraction"])}, outside 0% to 100%')
    if not any(abs(a["fraction"] - 1.0) < 1e-7 for a in answers):
        raise Invalid("no answer is worth 100%, so no response could earn full marks")
    for answer in answers:
        if abs(answer["fraction"] - 1.0) < 1e-7:
            answer["fraction"] = 1.0


def base_question(*, title: str, prompt: str, kind: str, category: str, points: float, explanation: str,
                  penalty: float | None, source: str) -> dict:
    if not prompt.strip():
        raise Invalid("the question has no text")
    return {
        "slug": "",
        "title": title or title_from_prompt(prompt),
        "prompt": prompt,
        "kind": kind,
        "category": category,
        "points": points,
        "explanation": explanation,
        "penalty": penalty,
        "source": source,
    }


def check_size(length: int, source: str, error_cls) -> None:
    if length > MAX_INPUT_BYTES:
        raise error_cls(
            f"the file is {length / 1024 / 1024:.1f} MB; files over {MAX_INPUT_BYTES // 1024 // 1024} MB are refused",
            source=source,
        )
