"""Import Moodle's GIFT text format.

Questions are separated by blank lines; a line whose first non-blank characters are ``//`` is a
comment. A question is ``::title::`` (optional), its text, and an answer block in braces::

    // single choice, with feedback                          -> single_choice
    ::Mean:: Which is least robust to outliers? {=mean #Right ~median #No, robust}
    // partial credit and penalties, no "=" answer            -> multiple_choice
    Pick the measures of spread { ~%50%IQR ~%50%variance ~%-100%mode }
    The p-value is {T#wrong-answer feedback#right-answer feedback}   -> true_false ({T} {TRUE} {F} {FALSE})
    Two plus {=two =2} equals four.                           -> short_text, prompt "Two plus _____ equals four."
    Pi to 2 places? {#3.14:0.005}   {#1..5}   {#=2:0 =%50%2:1}  -> numeric
    Explain overfitting. {}                                   -> essay
    Some text with no braces                                  -> a description: skipped, not a question
    $CATEGORY: $course$/top/Statistics/Inference              -> category of the questions that follow

``[html]``, ``[moodle]`` (the default), ``[plain]`` and ``[markdown]`` before a piece of text give
its format; ``####`` at the end of the answers starts the general feedback; ``\\~ \\= \\# \\{ \\} \\:``
and ``\\\\`` escape the special characters and ``\\n`` is a newline. Matching questions
(``{=a -> b}``) are not supported.
"""

from __future__ import annotations

import re

from .common import (
    Invalid,
    ParseResult,
    assign_slugs,
    base_question,
    check_answers,
    check_choices,
    check_size,
    clean_title,
    normalize_category,
    parse_decimal,
    to_float,
)
from .errors import FormatError
from .markup import BLANK, markdown_to_option_text, to_markdown

__all__ = ["parse_gift"]

# Escaped characters become private-use placeholders while the question is taken apart.
_ESCAPES = {"\\": "\ue010", ":": "\ue011", "#": "\ue012", "=": "\ue013", "{": "\ue014", "}": "\ue015", "~": "\ue016"}
_UNESCAPE = {v: k for k, v in _ESCAPES.items()}
_PRIVATE = re.compile("[\ue000-\ue01f]")
_FORMAT_PREFIX = re.compile(r"\[(html|moodle|plain|markdown)\]")
_WEIGHT = re.compile(r"%([^%]*)%")
_TRUE_FALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}


def _protect(text: str) -> str:
    out = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt in _ESCAPES:
                out.append(_ESCAPES[nxt])
                i += 2
                continue
            if nxt == "n":
                out.append("\n")
                i += 2
                continue
        out.append(c)
        i += 1
    return "".join(out)


def _unprotect(text: str) -> str:
    return "".join(_UNESCAPE.get(c, c) for c in text)


def _split_format(text: str, default: str) -> tuple[str, str]:
    text = text.strip()
    m = _FORMAT_PREFIX.match(text)
    if m:
        return m.group(1), text[m.end():].strip()
    return default, text


class _Question:
    """One question block while it is being read."""

    def __init__(self, parser: "_GiftParser", line: int):
        self.parser = parser
        self.line = line
        self.notes: list[str] = []

    def markdown(self, text: str, fmt: str) -> str:
        md, notes = to_markdown(_unprotect(text), fmt)
        self.notes.extend(n for n in notes if n not in self.notes)
        return md

    def rich(self, text: str, default_fmt: str) -> str:
        """Markdown of a piece of text that may start with its own [format]."""
        fmt, text = _split_format(text, default_fmt)
        return self.markdown(text, fmt)


class _GiftParser:
    def __init__(self, source: str, skip_unsupported: bool):
        self.source = source
        self.skip_unsupported = skip_unsupported
        self.category = ""
        self.questions: list[dict] = []
        self.warnings: list[str] = []

    def error(self, reason: str, line: int) -> FormatError:
        return FormatError(reason, source=self.source, line=line)

    def warn(self, line: int, message: str) -> None:
        self.warnings.append(f"{self.source}, line {line}: {message}")

    # -- blocks ----------------------------------------------------------------------------------------
    def run(self, text: str) -> ParseResult:
        lines = text.split("\n")
        block: list[tuple[int, str]] = []
        for number, line in enumerate(lines, 1):
            stripped = line.strip()
            if not stripped:
                self.block(block)
                block = []
            elif stripped.startswith("//"):
                continue
            else:
                block.append((number, line))
        self.block(block)
        assign_slugs(self.questions)
        return ParseResult(questions=self.questions, warnings=self.warnings)

    def block(self, block: list[tuple[int, str]]) -> None:
        if not block:
            return
        first_line, first = block[0]
        if first.lstrip().startswith("$CATEGORY:"):
            self.category = normalize_category(first.lstrip()[len("$CATEGORY:"):])
            block = block[1:]
            if not block:
                return
            first_line = block[0][0]
        text = "\n".join(line for _, line in block).strip()
        try:
            self.question(text, first_line)
        except Invalid as exc:
            raise self.error(exc.reason, first_line) from None

    # -- one question -----------------------------------------------------------------------------------
    def question(self, raw: str, line: int) -> None:
        q = _Question(self, line)
        text = _protect(_PRIVATE.sub("", raw))

        title = ""
        if text.startswith("::"):
            end = text.find("::", 2)
            if end < 0:
                raise Invalid('the "::title::" is not closed (a second "::" is missing)')
            title = clean_title(_unprotect(text[2:end]))
            text = text[end + 2:].strip()

        opens = [i for i, c in enumerate(text) if c == "{"]
        closes = [i for i, c in enumerate(text) if c == "}"]
        if not opens and not closes:
            label = f'"{title}"' if title else "text"
            self.warn(line, f"description {label} has no answers {{...}}; skipped, it is not a question")
            return
        if not closes:
            raise Invalid('"{" is never closed: "}" is missing (or a blank line splits the answers)')
        if not opens or closes[0] < opens[0]:
            raise Invalid('"}" without an opening "{" (write a literal brace as \\})')
        start, end = opens[0], closes[0]
        if len(opens) > 1 and opens[1] < end:
            raise Invalid('"{" inside the answers (write a literal brace as \\{)')
        if len(opens) > 1 or len(closes) > 1:
            raise Invalid(
                "more than one answer block {...} in one question "
                "(separate questions with a blank line; write literal braces as \\{ \\})"
            )
        before, answers, after = text[:start], text[start + 1:end].strip(), text[end + 1:]
        prompt_raw = before if not after.strip() else before + BLANK + after

        general_feedback = ""
        cut = answers.rfind("####")
        if cut >= 0:
            general_feedback = answers[cut + 4:]
            answers = answers[:cut].strip()

        fmt, prompt_raw = _split_format(prompt_raw, "moodle")
        prompt = q.markdown(prompt_raw, fmt).replace(BLANK, "_____")
        explanation = q.rich(general_feedback, fmt)

        if answers == "":
            kind = "essay"
        elif answers.startswith("#"):
            kind = "numeric"
        elif "~" in answers:
            kind = "choice"
        elif "=" in answers and "->" in answers:
            reason = "matching questions ({=item -> match}) are not supported"
            if self.skip_unsupported:
                label = f' "{title}"' if title else ""
                self.warn(line, f"skipped matching question{label}: {reason}")
                return
            raise Invalid(reason)
        elif answers.split("#", 1)[0].strip().upper() in _TRUE_FALSE:
            kind = "true_false"
        else:
            kind = "short_text"

        body: dict = {}
        if kind == "essay":
            body = {"rubric": "", "response_format": "editor"}
        elif kind == "choice":
            kind, body = self.choice(q, answers, fmt)
        elif kind == "true_false":
            body = self.true_false(q, answers, fmt)
        elif kind == "short_text":
            body = self.short_text(q, answers, fmt)
        else:
            body = self.numeric(q, answers[1:], fmt)

        question = base_question(
            title=title, prompt=prompt, kind=kind, category=self.category, points=1.0,
            explanation=explanation, penalty=None, source=f"{self.source}:{line}",
        )
        question.update(body)
        self.questions.append(question)
        for note in q.notes:
            self.warn(line, note)

    @staticmethod
    def weight(body: str) -> tuple[float | None, str]:
        """A leading ``%50%`` / ``%-33.33333%`` answer weight, as a fraction of 1."""
        m = _WEIGHT.match(body)
        if not m:
            return None, body
        percent = parse_decimal(_unprotect(m.group(1)), "answer weight %") if m.group(1).strip() else None
        if percent is None:
            raise Invalid('answer weight "%%" has no number')
        if not -100 <= percent <= 100:
            raise Invalid(f'answer weight "%{m.group(1)}%" is outside -100% to 100%')
        return to_float(percent / 100), body[m.end():]

    @staticmethod
    def split_feedback(body: str) -> tuple[str, str]:
        text, _, feedback = body.partition("#")
        return text, feedback

    def choice(self, q: _Question, answers: str, fmt: str) -> tuple[str, dict]:
        single = "=" in answers
        pieces = re.split(r"([~=])", answers)
        if pieces[0].strip():
            raise Invalid(f'unexpected text "{_unprotect(pieces[0].strip())}" before the first answer '
                          "(each answer starts with = or ~)")
        options = []
        for marker, body in zip(pieces[1::2], pieces[2::2]):
            weight, body = self.weight(body.strip())
            fraction = weight if weight is not None else (1.0 if marker == "=" else 0.0)
            text, feedback = self.split_feedback(body)
            options.append({"text": markdown_to_option_text(q.rich(text, fmt)), "fraction": fraction,
                            "feedback": q.rich(feedback, fmt)})
        kind = "single_choice" if single else "multiple_choice"
        check_choices(kind, options)
        return kind, {"options": options, "shuffle": True}

    def true_false(self, q: _Question, answers: str, fmt: str) -> dict:
        parts = answers.split("#", 2)
        answer = _TRUE_FALSE[parts[0].strip().upper()]
        wrong = q.rich(parts[1], fmt) if len(parts) > 1 else ""
        right = q.rich(parts[2], fmt) if len(parts) > 2 else ""
        # GIFT: {T#shown to those who answer wrongly#shown to those who answer rightly}
        return {
            "answer": answer,
            "feedback_true": right if answer else wrong,
            "feedback_false": wrong if answer else right,
        }

    def short_text(self, q: _Question, answers: str, fmt: str) -> dict:
        pieces = answers.split("=")
        if not pieces[0].strip():
            pieces = pieces[1:]
        result = []
        for body in pieces:
            weight, body = self.weight(body.strip())
            text, feedback = self.split_feedback(body)
            text = re.sub(r"\s+", " ", _unprotect(_split_format(text, fmt)[1])).strip()
            if not text:
                raise Invalid("a short answer is empty")
            result.append({
                "text": text,
                "fraction": 1.0 if weight is None else weight,
                "feedback": q.rich(feedback, fmt),
            })
            if "*" in text:
                q.notes.append(f'short answer "{text}" uses "*", a wildcard in Moodle; Prep matches it literally')
        check_answers("short_text", result)
        return {"answers": result, "case_sensitive": False}

    def numeric(self, q: _Question, answers: str, fmt: str) -> dict:
        body, tilde, rest = answers.partition("~")
        if tilde:
            rest = rest.strip()
            if rest and not rest.startswith("#"):
                raise Invalid(f'unexpected "~{_unprotect(rest)}" in a numeric answer block '
                              '(only "~#feedback for any other answer" may follow "~")')
            if rest[1:].strip():
                q.notes.append("the feedback for any other numeric answer (~#...) is not supported and was dropped")
        pieces = body.split("=")
        if not pieces[0].strip():
            pieces = pieces[1:]
        result = []
        for piece in pieces:
            weight, piece = self.weight(piece.strip())
            spec, feedback = self.split_feedback(piece)
            spec = _unprotect(spec).strip()
            if not spec:
                raise Invalid("a numeric answer is empty")
            if spec.find("..") > 0:
                low_text, high_text = spec.split("..", 1)
                low = parse_decimal(low_text, "numeric answer")
                high = parse_decimal(high_text, "numeric answer")
                if low > high:
                    raise Invalid(f'numeric range "{spec}" runs backwards (low end above high end)')
                value = (low + high) / 2
                tolerance = high - value
            elif ":" in spec:
                value_text, tolerance_text = spec.split(":", 1)
                value = parse_decimal(value_text, "numeric answer")
                tolerance = parse_decimal(tolerance_text, "tolerance")
                if tolerance < 0:
                    raise Invalid(f'tolerance "{tolerance_text.strip()}" is negative')
            else:
                value = parse_decimal(spec, "numeric answer")
                tolerance = 0
            result.append({
                "value": to_float(value),
                "abs_tol": to_float(tolerance) if tolerance else 0.0,
                "fraction": 1.0 if weight is None else weight,
                "feedback": q.rich(feedback, fmt),
            })
        check_answers("numeric", result)
        return {"answers": result}


def parse_gift(text: str | bytes, *, source: str = "<gift>", skip_unsupported: bool = False) -> ParseResult:
    """Parse a GIFT file into neutral question dicts; raise FormatError (and return nothing) if any
    question is invalid. Unsupported questions (matching) are refused too, unless
    ``skip_unsupported`` is true: then they are left out and named in ``warnings``.

    ``text`` may be bytes (UTF-8, with or without a byte-order mark).
    """
    if isinstance(text, (bytes, bytearray)):
        check_size(len(text), source, FormatError)
        try:
            text = bytes(text).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = bytes(text[: exc.start]).count(b"\n") + 1
            raise FormatError("the file is not UTF-8 text", source=source, line=line) from None
    else:
        check_size(len(text), source, FormatError)
        check_size(len(text.encode("utf-8", "surrogatepass")), source, FormatError)
    if text.startswith("\ufeff"):
        text = text[1:]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _GiftParser(source, skip_unsupported).run(text)
