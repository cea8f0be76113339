"""Import Moodle XML question exports (``<quiz><question type="...">...</question>...</quiz>``).

Supported: ``multichoice`` (single or multiple answer), ``truefalse``, ``numerical``,
``shortanswer`` and ``essay``; ``category`` pseudo-questions set the category of the questions after
them and ``description`` items are skipped. Every other type (``matching``, ``cloze``/``multianswer``,
``calculated*``, ``ddwtos``, ``gapselect``, ``ordering``, ...) is refused, or skipped with a warning
when ``skip_unsupported`` is true.

The XML is read with the standard library's expat parser and any document type declaration is
refused: without a DTD there are no entity definitions, so no entity-expansion bomb and no external
entity can get in. Elements nested deeper than ``MAX_DEPTH`` are refused as well.
"""

from __future__ import annotations

from decimal import Decimal
from xml.parsers import expat

from .common import (
    Invalid,
    ParseResult,
    assign_slugs,
    base_question,
    check_answers,
    check_choices,
    check_size,
    normalize_category,
    parse_decimal,
    to_float,
)
from .errors import FormatError
from .markup import html_to_plain, markdown_to_option_text, to_markdown

__all__ = ["parse_moodle_xml", "MAX_DEPTH"]

MAX_DEPTH = 100

SUPPORTED = ("multichoice", "truefalse", "shortanswer", "numerical", "essay")
_TEXT_FORMATS = {
    "html": "html",
    "moodle_auto_format": "moodle",
    "plain_text": "plain",
    "markdown": "markdown",
    "wiki_like": "moodle",
}
_RESPONSE_FORMATS = {"editor": "editor", "editorfilepicker": "editor", "plain": "plain",
                     "monospaced": "monospaced", "noinline": "noinline"}


# --------------------------------------------------------------------------------------------------
# A minimal element tree with line numbers, built straight from expat.


class _Node:
    __slots__ = ("tag", "attrs", "children", "chunks", "line")

    def __init__(self, tag: str, attrs: dict, line: int):
        self.tag = tag
        self.attrs = attrs
        self.children: list[_Node] = []
        self.chunks: list[str] = []
        self.line = line

    @property
    def text(self) -> str:
        return "".join(self.chunks)

    def find(self, tag: str) -> "_Node | None":
        return next((c for c in self.children if c.tag == tag), None)

    def findall(self, tag: str) -> list["_Node"]:
        return [c for c in self.children if c.tag == tag]

    def child_text(self, tag: str, default: str | None = None) -> str | None:
        node = self.find(tag)
        return node.text.strip() if node is not None else default


class _Refused(Exception):
    def __init__(self, reason: str, line: int):
        super().__init__(reason)
        self.reason = reason
        self.line = line


def _read_tree(data: bytes, source: str, encoding: str | None) -> _Node:
    parser = expat.ParserCreate(encoding)
    parser.buffer_text = True
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    stack: list[_Node] = []
    roots: list[_Node] = []

    def refuse(reason: str):
        def handler(*_args):
            raise _Refused(reason, parser.CurrentLineNumber)
        return handler

    parser.StartDoctypeDeclHandler = refuse(
        "a DOCTYPE declaration is not allowed (entity definitions could expand into an XML bomb "
        "or read external files)"
    )
    parser.EntityDeclHandler = refuse("entity declarations are not allowed")
    parser.UnparsedEntityDeclHandler = refuse("entity declarations are not allowed")
    parser.NotationDeclHandler = refuse("notation declarations are not allowed")
    parser.ExternalEntityRefHandler = refuse("external entities are not allowed")

    def start(tag, attrs):
        node = _Node(tag, attrs, parser.CurrentLineNumber)
        if stack:
            stack[-1].children.append(node)
        else:
            roots.append(node)
        stack.append(node)
        if len(stack) > MAX_DEPTH:
            raise _Refused(f"elements are nested more than {MAX_DEPTH} deep", parser.CurrentLineNumber)

    def end(_tag):
        stack.pop()

    def chars(data):
        if stack:
            stack[-1].chunks.append(data)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise FormatError(f"the XML is not well-formed: {expat.ErrorString(exc.code)}",
                          source=source, line=exc.lineno) from None
    except _Refused as exc:
        raise FormatError(exc.reason, source=source, line=exc.line) from None
    return roots[0]


# --------------------------------------------------------------------------------------------------


class _MoodleParser:
    def __init__(self, source: str, skip_unsupported: bool):
        self.source = source
        self.skip_unsupported = skip_unsupported
        self.category = ""
        self.questions: list[dict] = []
        self.warnings: list[str] = []
        self.notes: list[str] = []

    def run(self, root: _Node) -> ParseResult:
        if root.tag != "quiz":
            raise FormatError(f"the root element is <{root.tag}>, a Moodle XML export has <quiz>",
                              source=self.source, line=root.line)
        for index, node in enumerate(root.findall("question"), 1):
            qtype = (node.attrs.get("type") or "").strip()
            name_node = node.find("name")
            name = html_to_plain(name_node.child_text("text", "") or "") if name_node is not None else ""
            element = f'question[{index}] (type="{qtype}"' + (f', name="{name}")' if name else ")")
            self.notes = []
            try:
                self.question(node, qtype, name, index)
            except Invalid as exc:
                raise FormatError(exc.reason, source=self.source, element=element, line=node.line) from None
            for note in self.notes:
                self.warnings.append(f"{self.source}, {element}: {note}")
        assign_slugs(self.questions)
        return ParseResult(questions=self.questions, warnings=self.warnings)

    # -- text --------------------------------------------------------------------------------------------
    def rich(self, node: _Node | None, default_format: str = "html") -> str:
        """Markdown of a ``<x format="..."><text>...</text><file/></x>`` element."""
        if node is None:
            return ""
        fmt = _TEXT_FORMATS.get((node.attrs.get("format") or default_format).strip(), "html")
        for file in node.findall("file"):
            self.note(f'embedded file "{file.attrs.get("name", "?")}" is not supported and was not imported')
        text_node = node.find("text")
        md, notes = to_markdown(text_node.text if text_node is not None else "", fmt)
        for note in notes:
            self.note(note)
        return md

    def note(self, note: str) -> None:
        if note not in self.notes:
            self.notes.append(note)

    @staticmethod
    def text_format(node: _Node) -> str:
        qt = node.find("questiontext")
        return (qt.attrs.get("format") or "html").strip() if qt is not None else "html"

    # -- questions ---------------------------------------------------------------------------------------
    def question(self, node: _Node, qtype: str, name: str, index: int) -> None:
        if not qtype:
            raise Invalid('<question> has no type="..." attribute')
        if qtype == "category":
            category = node.find("category")
            if category is None:
                raise Invalid("a category has no <category> path")
            path = category.child_text("text")
            self.category = normalize_category(path if path is not None else category.text)
            return
        if qtype == "description":
            self.note("description items are not questions; skipped")
            return
        if qtype not in SUPPORTED:
            reason = f'question type "{qtype}" is not supported'
            if self.skip_unsupported:
                self.note(f"skipped: {reason}")
                return
            raise Invalid(reason)

        qformat = self.text_format(node)
        prompt = self.rich(node.find("questiontext"))
        if node.find("image") is not None or node.find("image_base64") is not None:
            self.note("the question's <image> is not supported and was not imported")
        explanation = self.rich(node.find("generalfeedback"), qformat)
        points = self.number(node, "defaultgrade", "default grade", Decimal(1))
        if points < 0:
            raise Invalid(f"<defaultgrade> {points} is negative")
        penalty = self.number(node, "penalty", "penalty", None)
        if penalty is not None:
            if not 0 <= penalty <= 1:
                raise Invalid(f"<penalty> {penalty} is outside 0 to 1")
            penalty = to_float(penalty)
            if abs(penalty - 0.3333333) < 0.005:  # as Moodle does for old files' roundings
                penalty = 0.3333333

        kind, body = getattr(self, f"q_{qtype}")(node, qformat)
        question = base_question(
            title=name, prompt=prompt, kind=kind, category=self.category, points=to_float(points),
            explanation=explanation, penalty=penalty, source=f"{self.source}:question[{index}]",
        )
        question.update(body)
        self.questions.append(question)

    @staticmethod
    def number(node: _Node, tag: str, what: str, default):
        raw = node.child_text(tag)
        if raw is None or raw == "":
            return default
        return parse_decimal(raw, what)

    @staticmethod
    def fraction(answer: _Node, position: int) -> float:
        raw = answer.attrs.get("fraction")
        if raw is None:  # the deprecated <fraction> child, already a fraction of 1
            child = answer.child_text("fraction")
            return to_float(parse_decimal(child, f"answer {position} fraction")) if child else 0.0
        return to_float(parse_decimal(raw, f"answer {position} fraction") / 100)

    @staticmethod
    def flag(node: _Node, tag: str, default: bool) -> bool:
        raw = node.child_text(tag)
        if raw is None:
            return default
        return raw.strip().lower() not in ("", "0", "false", "no")

    def q_multichoice(self, node: _Node, qformat: str):
        single = self.flag(node, "single", True)
        options = []
        for position, answer in enumerate(node.findall("answer"), 1):
            options.append({
                "text": markdown_to_option_text(self.rich(answer, qformat)),  # options show as plain text
                "fraction": self.fraction(answer, position),
                "feedback": self.rich(answer.find("feedback"), qformat),
            })
        kind = "single_choice" if single else "multiple_choice"
        check_choices(kind, options)
        return kind, {"options": options, "shuffle": self.flag(node, "shuffleanswers", False)}

    def q_truefalse(self, node: _Node, qformat: str):
        answers = node.findall("answer")
        if len(answers) != 2:
            raise Invalid(f"a true/false question needs exactly 2 answers, this one has {len(answers)}")
        by_label: dict[str, tuple[float, str]] = {}
        legacy = False
        for position, answer in enumerate(answers, 1):
            label = (answer.child_text("text", "") or "").lower()
            if label not in ("true", "false"):
                legacy = True  # very old exports: localized labels, true first
                label = "true" if position == 1 else "false"
            if label in by_label:
                raise Invalid(f'a true/false question has two "{label}" answers')
            by_label[label] = (self.fraction(answer, position), self.rich(answer.find("feedback"), qformat))
        if legacy:
            self.note('answers not labelled "true"/"false": took the first as true and the second as false')
        true_fraction, feedback_true = by_label["true"]
        false_fraction, feedback_false = by_label["false"]
        if (true_fraction == 1.0) == (false_fraction == 1.0):
            raise Invalid("exactly one of the answers of a true/false question must be worth 100%")
        return "true_false", {"answer": true_fraction == 1.0, "feedback_true": feedback_true,
                              "feedback_false": feedback_false}

    def q_shortanswer(self, node: _Node, qformat: str):
        answers = []
        for position, answer in enumerate(node.findall("answer"), 1):
            text = " ".join((answer.child_text("text", "") or "").split())
            if not text:
                raise Invalid(f"short answer {position} is empty")
            if "*" in text:
                self.note(f'short answer "{text}" uses "*", a wildcard in Moodle; Prep matches it literally')
            answers.append({
                "text": text,
                "fraction": self.fraction(answer, position),
                "feedback": self.rich(answer.find("feedback"), qformat),
            })
        check_answers("short_text", answers)
        return "short_text", {"answers": answers, "case_sensitive": self.flag(node, "usecase", False)}

    def q_numerical(self, node: _Node, qformat: str):
        answers = []
        for position, answer in enumerate(node.findall("answer"), 1):
            raw = answer.child_text("text")
            if raw is None:  # deprecated: the number straight inside <answer>
                raw = answer.text.strip()
            fraction = self.fraction(answer, position)
            if raw in ("*", ""):
                if fraction > 0:
                    raise Invalid(f'answer {position} "*" gives credit for any number; that is not supported')
                self.note('the catch-all answer "*" (feedback for any other number) is not supported; dropped')
                continue
            value = parse_decimal(raw, "numeric answer")
            tolerance_raw = answer.child_text("tolerance")
            tolerance = parse_decimal(tolerance_raw, "tolerance") if tolerance_raw else Decimal(0)
            if tolerance < 0:
                raise Invalid(f'tolerance "{tolerance_raw}" of answer {position} is negative')
            answers.append({
                "value": to_float(value),
                "abs_tol": to_float(tolerance),
                "fraction": fraction,
                "feedback": self.rich(answer.find("feedback"), qformat),
            })
        units = node.find("units")
        names = [u.child_text("unit_name", "") for u in units.findall("unit")] if units is not None else []
        names = [n for n in names if n]
        if names:
            self.note(f"units ({', '.join(names)}) are not supported; answers are taken as plain numbers")
        check_answers("numeric", answers)
        return "numeric", {"answers": answers}

    def q_essay(self, node: _Node, qformat: str):
        raw = (node.child_text("responseformat") or "editor").strip()
        if raw not in _RESPONSE_FORMATS:
            raise Invalid(f'essay response format "{raw}" is not one of {", ".join(_RESPONSE_FORMATS)}')
        if raw == "editorfilepicker":
            self.note('response format "editorfilepicker" became "editor": file uploads are not supported')
        attachments = (node.child_text("attachments") or "0").strip()
        if attachments not in ("", "0") and raw != "editorfilepicker":
            self.note("essay attachments are not supported")
        template = node.find("responsetemplate")
        if template is not None and (template.child_text("text") or "").strip():
            self.note("the essay response template is not supported and was dropped")
        rubric = self.rich(node.find("graderinfo"), qformat)
        return "essay", {"rubric": rubric, "response_format": _RESPONSE_FORMATS[raw]}


def parse_moodle_xml(data: bytes | str, *, source: str = "<xml>", skip_unsupported: bool = False) -> ParseResult:
    """Parse a Moodle XML export into neutral question dicts; raise FormatError (and return nothing)
    if the file is malformed or any question is invalid or unsupported. With ``skip_unsupported``,
    questions of unsupported types are left out and named in ``warnings`` instead."""
    encoding = None
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
        encoding = "UTF-8"  # overrides whatever the XML declaration says: the text is already decoded
    data = bytes(data)
    check_size(len(data), source, FormatError)
    root = _read_tree(data, source, encoding)
    return _MoodleParser(source, skip_unsupported).run(root)
