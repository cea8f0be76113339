"""Turn the rich text found in question files into the Markdown that Prep stores and renders.

Prep renders question text as CommonMark with raw HTML off, then sanitizes it. Imported text must
therefore not carry raw HTML: simple HTML becomes its Markdown equivalent (paragraphs, line breaks,
bold, italics, code, preformatted blocks, lists, block quotes, links, tables) and everything else is
reduced to its text or dropped (scripts, styles, embedded media, forms, attributes of any kind).
Text taken from the file is escaped so that it reads the same once rendered as Markdown.

Images cannot be imported: an image becomes ``(image: ALT TEXT)`` and a note says so. Every
function here returns ``(markdown, notes)``; the importers turn the notes into warnings.

Formats, as named by GIFT (``[html]``, ``[moodle]``, ``[plain]``, ``[markdown]``) and Moodle XML
(``html``, ``moodle_auto_format``, ``plain_text``, ``markdown``, ``wiki_like``):

* ``html``: HTML; newlines are plain whitespace.
* ``moodle``: Moodle's auto-format, HTML in which a newline is a line break.
* ``plain``: literal text; nothing in it is markup.
* ``markdown``: kept as written, less any raw HTML and images.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from urllib.parse import unquote

__all__ = ["to_markdown", "markdown_to_plain", "markdown_to_option_text", "html_to_plain", "escape_text", "BLANK"]

# Stands for the "_____" of a GIFT missing-word question until the text has been converted, so that
# the conversion neither escapes it nor runs it into the words around it.
BLANK = "\ue000"

FORMATS = ("html", "moodle", "plain", "markdown")

# --------------------------------------------------------------------------------------------------
# Escaping text for Markdown

_INLINE_SPECIALS = re.compile(r"([\\`*_\[\]])")
_TAG_LIKE_LT = re.compile(r"<(?=[A-Za-z/!?])")
_ENTITY_LIKE_AMP = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
_ORDERED_MARKER = re.compile(r"(\d{1,9})([.)])(?=\s|$)")


def escape_text(text: str) -> str:
    """Escape text so that CommonMark shows it as it is (inline constructs only)."""
    text = _INLINE_SPECIALS.sub(r"\\\1", text)
    text = _TAG_LIKE_LT.sub(r"\\<", text)
    return _ENTITY_LIKE_AMP.sub(r"\\&", text)


_BLOCK_START = re.compile(
    r"#{1,6}(?:\s|$)"            # heading
    r"|>"                        # block quote
    r"|[-+](?:\s|$)"             # bullet list item
    r"|(?:-[ \t]*){3,}$"          # thematic break
    r"|=+[ \t]*$|-+[ \t]*$"        # setext heading underline
    r"|~{3,}"                    # code fence
    r"|\|"                       # table row
    r"|[-:|][-:| \t]*\|[-:| \t]*$"  # table delimiter row
)


def _escape_line_start(text: str) -> str:
    """Escape what would start a block construct (heading, quote, list, rule, fence, table) at the
    start of a line, so that the line stays a line of text."""
    if _BLOCK_START.match(text):
        return "\\" + text
    m = _ORDERED_MARKER.match(text)
    if m:
        return m.group(1) + "\\" + text[len(m.group(1)):]
    return text


# --------------------------------------------------------------------------------------------------
# A small document model: a frame holds the pieces of one element while it is open.

HARD, LINE, PARA = 1, 2, 3  # breaks: <br>, a new line (list items), a new paragraph
_BREAK_TEXT = {HARD: "  \n", LINE: "\n", PARA: "\n\n"}


class _Markup(str):
    """A piece of finished Markdown (as opposed to escaped text, which still needs line-start checks)."""


class _Emphasis(_Markup):
    """``**core**`` or ``*core*``, kept apart so that a run right after it can be merged into it."""

    marker: str
    core: str

    @classmethod
    def make(cls, marker: str, core: str) -> "_Emphasis":
        piece = cls(f"{marker}{core}{marker}")
        piece.marker, piece.core = marker, core
        return piece


def _join(parts: list, *, escape_starts: bool, tight: bool = False, inline: bool = False) -> str:
    """Render pieces and breaks. ``inline`` keeps leading and trailing spaces (content of <b>, <a>...)."""
    out: list[str] = []
    pending = 0
    hard_breaks = 0
    for part in parts:
        if isinstance(part, int):
            if out:
                pending = max(pending, part)
                if part == HARD:
                    hard_breaks += 1
            continue
        is_markup = isinstance(part, _Markup)
        text = str(part)
        line_start = False
        if inline and not out:
            out.append(text)
            continue
        if not out or pending:
            if not is_markup:
                text = text.lstrip(" ")
            if not text:
                continue
            line_start = True
            if out:
                while out and out[-1].endswith(" ") and not out[-1].endswith("  \n"):
                    out[-1] = out[-1].rstrip(" ")
                    if not out[-1]:
                        out.pop()
                level = PARA if pending == HARD and hard_breaks >= 2 else pending
                if tight and level == PARA:
                    level = LINE
                out.append(_BREAK_TEXT[level])
            pending = 0
            hard_breaks = 0
        elif out[-1].endswith(" ") and text.startswith(" "):
            text = text.lstrip(" ")
            if not text:
                continue
        if line_start and escape_starts and not is_markup:
            text = _escape_line_start(text)
        out.append(text)
    joined = "".join(out)
    return joined if inline else joined.rstrip(" ")


class _Frame:
    __slots__ = ("tag", "kind", "parts", "attrs", "rows", "caption", "counter", "is_header")

    def __init__(self, tag: str, kind: str, attrs: dict | None = None):
        self.tag = tag
        self.kind = kind
        self.parts: list = []
        self.attrs = attrs or {}
        self.rows: list[list[str]] = []
        self.caption = ""
        self.counter = 0
        self.is_header = False


_BLOCK_TAGS = frozenset(
    "p div section article header footer main aside nav figure figcaption address center dl dt dd "
    "form fieldset legend details summary body html".split()
)
_HEADINGS = frozenset("h1 h2 h3 h4 h5 h6".split())
_STRONG = frozenset(("b", "strong"))
_EM = frozenset(("i", "em", "cite", "dfn"))
_CODE = frozenset(("code", "kbd", "samp", "tt", "var"))
# Elements dropped with everything inside them. The noted ones are mentioned in a warning.
_DROP_SILENT = frozenset("style head title template noscript select textarea datalist option".split())
_DROP_NOTED = frozenset("script iframe object applet audio video canvas svg math frameset frame button".split())
_VOID_NOTED = frozenset(("embed",))
_VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())
_SAFE_LINK = re.compile(r"(?i)(https?:|mailto:)")


def _media_name(src: str) -> str:
    src = src.strip()
    if src.lower().startswith("data:"):
        return '"(inline data)"'
    name = src.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    name = unquote(name) or src
    if len(name) > 80:
        name = name[:77] + "..."
    return f'"{name}"'


class _HtmlToMarkdown(HTMLParser):
    def __init__(self, *, newlines_are_breaks: bool):
        super().__init__(convert_charrefs=True)
        self.newlines_are_breaks = newlines_are_breaks
        self.stack = [_Frame("", "root")]
        self.notes: list[str] = []
        self.skip_tag: str | None = None
        self.skip_depth = 0
        self.pre_depth = 0

    # -- helpers -----------------------------------------------------------------------------------
    @property
    def top(self) -> _Frame:
        return self.stack[-1]

    def _note(self, note: str) -> None:
        if note not in self.notes:
            self.notes.append(note)

    def _emit(self, *parts) -> None:
        self.top.parts.extend(parts)

    def _nearest(self, *kinds: str) -> _Frame | None:
        for frame in reversed(self.stack):
            if frame.kind in kinds:
                return frame
        return None

    def _in(self, kind: str) -> bool:
        return any(f.kind == kind for f in self.stack)

    def _push(self, tag: str, kind: str, attrs: dict | None = None) -> None:
        self.stack.append(_Frame(tag, kind, attrs))

    # -- parser callbacks ----------------------------------------------------------------------------
    def parse_html_declaration(self, i):
        # The standard parser asserts on "<![" sections it does not know (Word's <![if !supportLists]>).
        rawdata = self.rawdata
        if rawdata.startswith("<![CDATA[", i):
            end = rawdata.find("]]>", i + 9)
            if end < 0:
                return -1
            self.handle_data(rawdata[i + 9:end])
            return end + 3
        if rawdata.startswith("<![", i):
            end = rawdata.find("]>", i + 3)
            return -1 if end < 0 else end + 2  # conditional sections are dropped
        return super().parse_html_declaration(i)

    def handle_starttag(self, tag, attrs):
        self._start(tag, dict(attrs), self_closing=False)

    def handle_startendtag(self, tag, attrs):
        self._start(tag, dict(attrs), self_closing=True)

    def _start(self, tag: str, attrs: dict, *, self_closing: bool) -> None:
        if self.skip_depth:
            if tag == self.skip_tag and not self_closing:
                self.skip_depth += 1
            return
        if tag in _DROP_SILENT or tag in _DROP_NOTED:
            if tag in _DROP_NOTED:
                self._note(f"<{tag}> content is not supported and was removed")
            if not self_closing and tag not in _VOID:
                self.skip_tag, self.skip_depth = tag, 1
            return
        if tag in _VOID_NOTED:
            self._note(f"<{tag}> content is not supported and was removed")
            return
        if tag == "img":
            self._image(attrs)
            return
        if tag == "br":
            self._emit("\n" if self.pre_depth else HARD)
            return
        if tag == "hr":
            self._emit(PARA, _Markup("---"), PARA)
            return
        if self.pre_depth:  # inside <pre> every other tag only contributes its text
            return
        if tag in _BLOCK_TAGS:
            self._emit(PARA)
        elif tag in _HEADINGS:
            self._emit(PARA)
            self._push(tag, "strong")
        elif tag in _STRONG:
            self._push(tag, "strong")
        elif tag in _EM:
            self._push(tag, "em")
        elif tag in _CODE:
            self._push(tag, "code")
        elif tag == "pre":
            self._push(tag, "pre")
            self.pre_depth += 1
        elif tag == "a":
            self._push(tag, "a", attrs)
        elif tag in ("ul", "ol", "menu"):
            frame = _Frame(tag, "list", attrs)
            start = attrs.get("start") or "1"
            frame.counter = int(start) - 1 if start.strip().isdigit() else 0
            self.stack.append(frame)
        elif tag == "li":
            if self.top.kind == "li":
                self._close_top()
            self._push(tag, "li")
        elif tag == "blockquote":
            self._push(tag, "quote")
        elif tag == "table":
            self._push(tag, "table")
        elif tag == "caption":
            self._push(tag, "caption")
        elif tag == "tr":
            if self.top.kind == "cell":
                self._close_top()
            table = self._nearest("table")
            if table is not None:
                table.rows.append([])
        elif tag in ("td", "th"):
            if self.top.kind == "cell":
                self._close_top()
            self._push(tag, "cell")
        elif tag == "sup":
            self._emit(_Markup("^"))
        if self_closing and tag not in _VOID and self.top.tag == tag and len(self.stack) > 1:
            self._close_top()

    def handle_endtag(self, tag):
        if self.skip_depth:
            if tag == self.skip_tag:
                self.skip_depth -= 1
            return
        if self.pre_depth and tag != "pre":
            return
        if tag in _BLOCK_TAGS:
            self._emit(PARA)
            return
        if tag == "tr":
            if self.top.kind == "cell":
                self._close_top()
            return
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                while len(self.stack) > i:
                    self._close_top()
                if tag in _HEADINGS:
                    self._emit(PARA)
                return
            if self.stack[i].kind in ("table", "list") and tag not in ("table", "ul", "ol", "menu"):
                return  # a stray end tag does not close the structure around it

    def handle_data(self, data):
        if self.skip_depth or not data:
            return
        data = data.replace("\r\n", "\n").replace("\r", "\n")
        top = self.top
        if self.pre_depth:
            self._emit(data)
            return
        if top.kind in ("list", "table"):
            if data.strip():  # stray text between items or rows: keep it as a paragraph of its own
                self.stack[-1].parts.append(PARA)
                self._emit(escape_text(_collapse(data)), PARA)
            return
        if top.kind == "code" or self._in("code"):
            self._emit(_collapse(data))
            return
        if self.newlines_are_breaks and "\n" in data:
            # Moodle's auto-format: a newline is a line break, an empty line a new paragraph.
            for i, paragraph in enumerate(re.split(r"\n[ \t]*\n\s*", data)):
                if i:
                    self._emit(PARA)
                for j, line in enumerate(paragraph.split("\n")):
                    if j:
                        self._emit(LINE)
                    if line:
                        self._emit(escape_text(_collapse(line)))
            return
        self._emit(escape_text(_collapse(data)))

    def _image(self, attrs: dict) -> None:
        alt = _collapse(attrs.get("alt") or "").strip()
        src = attrs.get("src") or ""
        name = _media_name(src) if src else "without a source"
        if alt:
            self._emit(_Markup(f"(image: {escape_text(alt)})"))
            self._note(f'image {name} is not supported; its alt text "{alt}" was kept')
        else:
            self._emit(_Markup("(image)"))
            self._note(f"image {name} is not supported and has no alt text")

    # -- closing frames ------------------------------------------------------------------------------
    def _close_top(self) -> None:
        frame = self.stack.pop()
        getattr(self, f"_close_{frame.kind}")(frame)

    def _splice(self, frame: _Frame) -> None:
        self.top.parts.extend(frame.parts)

    def _wrap(self, frame: _Frame, marker: str) -> None:
        if any(f.kind == frame.kind for f in self.stack):  # <b> inside <b>: already bold
            self._splice(frame)
            return
        inner = _join(frame.parts, escape_starts=False, inline=True)
        if "\n" in inner:
            self._splice(frame)
            return
        core = inner.strip(" ")
        if not core:
            if inner:
                self._emit(" ")
            return
        if inner[:1] == " ":
            self._emit(" ")
        parts = self.top.parts
        previous = parts[-1] if parts else None
        if isinstance(previous, _Emphasis) and previous.marker == marker:
            # <b>a</b><b>b</b> is **ab**, not **a****b** (which CommonMark reads differently)
            parts[-1] = _Emphasis.make(marker, previous.core + core)
        elif isinstance(previous, str) and previous.endswith("*"):
            # right after another * run, use the underscore form so that the runs stay apart
            self._emit(_Emphasis.make(marker.replace("*", "_"), core))
        else:
            self._emit(_Emphasis.make(marker, core))
        if inner[-1:] == " ":
            self._emit(" ")

    def _close_strong(self, frame):
        self._wrap(frame, "**")

    def _close_em(self, frame):
        self._wrap(frame, "*")

    def _close_code(self, frame):
        if self._in("code"):
            self._splice(frame)
            return
        inner = "".join(str(p) for p in frame.parts if not isinstance(p, int))
        core = inner.strip(" ")
        if not core:
            if inner:
                self._emit(" ")
            return
        longest = max((len(run) for run in re.findall(r"`+", core)), default=0)
        fence = "`" * (longest + 1)
        pad = " " if core.startswith("`") or core.endswith("`") else ""
        if inner[:1] == " ":
            self._emit(" ")
        self._emit(_Markup(f"{fence}{pad}{core}{pad}{fence}"))
        if inner[-1:] == " ":
            self._emit(" ")

    def _close_pre(self, frame):
        self.pre_depth -= 1
        code = "".join(str(p) for p in frame.parts if not isinstance(p, int)).strip("\n")
        if not code.strip():
            return
        code = "\n".join(line.rstrip() for line in code.split("\n"))
        longest = max((len(run) for run in re.findall(r"`{3,}", code)), default=0)
        fence = "`" * max(3, longest + 1)
        self._emit(PARA, _Markup(f"{fence}\n{code}\n{fence}"), PARA)

    def _close_a(self, frame):
        href = (frame.attrs.get("href") or "").strip()
        inner = _join(frame.parts, escape_starts=False, inline=True)
        if href.startswith("@@PLUGINFILE@@"):
            self._note(f"linked file {_media_name(href)} is not supported; only the link text was kept")
            self._splice(frame)
            return
        core = inner.strip(" ")
        if not core or "\n" in core or not _SAFE_LINK.match(href):
            self._splice(frame)
            return
        url = re.sub(r"[\s()<>]", lambda m: "%{:02X}".format(ord(m.group(0))), href)
        if inner[:1] == " ":
            self._emit(" ")
        self._emit(_Markup(f"[{core}]({url})"))
        if inner[-1:] == " ":
            self._emit(" ")

    def _close_li(self, frame):
        content = _join(frame.parts, escape_starts=True, tight=True).strip("\n")
        lst = self._nearest("list")
        ordered = lst is not None and lst.tag == "ol"
        if lst is not None:
            lst.counter += 1
        if not content.strip():
            return
        marker = f"{lst.counter}. " if ordered else "- "
        lines = content.split("\n")
        body = [marker + lines[0]] + [(" " * len(marker) + line) if line.strip() else "" for line in lines[1:]]
        self._emit(LINE, _Markup("\n".join(body)), LINE)

    def _close_list(self, frame):
        content = _join(frame.parts, escape_starts=True, tight=True).strip("\n")
        if content:
            self._emit(PARA, _Markup(content), PARA)

    def _close_quote(self, frame):
        content = _join(frame.parts, escape_starts=True).strip("\n")
        if content.strip():
            quoted = "\n".join(f"> {line}" if line else ">" for line in content.split("\n"))
            self._emit(PARA, _Markup(quoted), PARA)

    def _close_cell(self, frame):
        content = _join(frame.parts, escape_starts=False, tight=True)
        content = re.sub(r"\s*\n\s*", " ", content).strip().replace("|", "\\|")
        table = self._nearest("table")
        if table is None:  # a cell outside any table: keep its text
            self._emit(" ", _Markup(content), " ")
            return
        if not table.rows:
            table.rows.append([])
        table.rows[-1].append(content)

    def _close_caption(self, frame):
        table = self._nearest("table")
        text = _join(frame.parts, escape_starts=True, tight=True).strip()
        if table is not None:
            table.caption = text
        elif text:
            self._emit(PARA, text, PARA)

    def _close_table(self, frame):
        rows = [row for row in frame.rows if any(cell.strip() for cell in row)]
        if frame.caption:
            self._emit(PARA, _Markup(frame.caption), PARA)
        if not rows:
            return
        width = max(len(row) for row in rows)
        rows = [row + [""] * (width - len(row)) for row in rows]
        lines = ["| " + " | ".join(cell for cell in rows[0]) + " |", "|" + "|".join([" --- "] * width) + "|"]
        lines += ["| " + " | ".join(cell for cell in row) + " |" for row in rows[1:]]
        self._emit(PARA, _Markup("\n".join(lines)), PARA)

    # -- result --------------------------------------------------------------------------------------
    def result(self) -> str:
        self.close()
        while len(self.stack) > 1:
            self._close_top()
        text = _join(self.stack[0].parts, escape_starts=True)
        return _tidy(text)


def _collapse(text: str) -> str:
    return re.sub(r"[ \t\n\r\f\v\u00a0]+", " ", text)


def _tidy(text: str) -> str:
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip("\n").strip(" ") if text.strip() else ""


# --------------------------------------------------------------------------------------------------
# Markdown written by the author: keep it, less raw HTML and images.

_FENCED = re.compile(r"(?ms)^( {0,3})(`{3,}|~{3,})[^\n]*\n.*?(?:^ {0,3}\2[`~]*[ \t]*$|\Z)")
_CODE_SPAN = re.compile(r"(`+)(?:(?!\1)[\s\S])+?\1")
_MD_DROP_BLOCK = re.compile(
    r"(?is)<(script|style|iframe|object|svg|math|template|textarea|select|audio|video|canvas)\b[^>]*>.*?</\1\s*>"
)
_HTML_COMMENT = re.compile(r"(?s)<!--.*?(?:-->|\Z)")
_MD_IMG_TAG = re.compile(r"(?is)<img\b([^>]*)>")
_MD_BR = re.compile(r"(?i)<br\s*/?>")
_HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]*)?/?>")
_MD_IMAGE = re.compile(r"!\[((?:\\.|[^\]\\])*)\]\(([^)]*)\)")
_ALT_ATTR = re.compile(r"""(?is)\balt\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")
_SRC_ATTR = re.compile(r"""(?is)\bsrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")


def _attr(pattern: re.Pattern, attrs: str) -> str:
    m = pattern.search(attrs)
    return next((g for g in m.groups() if g is not None), "") if m else ""


def _clean_markdown(text: str) -> tuple[str, list[str]]:
    notes: list[str] = []

    def image(alt: str, src: str) -> str:
        alt = _collapse(alt).strip()
        name = _media_name(src) if src.strip() else "without a source"
        if alt:
            note = f'image {name} is not supported; its alt text "{alt}" was kept'
        else:
            note = f"image {name} is not supported and has no alt text"
        if note not in notes:
            notes.append(note)
        return f"(image: {alt})" if alt else "(image)"

    def clean_prose(segment: str) -> str:
        out = []
        pos = 0
        for m in _CODE_SPAN.finditer(segment):
            out.append(clean_plain_run(segment[pos:m.start()]))
            out.append(m.group(0))
            pos = m.end()
        out.append(clean_plain_run(segment[pos:]))
        return "".join(out)

    def clean_plain_run(run: str) -> str:
        run = _HTML_COMMENT.sub("", run)
        run = _MD_DROP_BLOCK.sub(lambda m: drop(m.group(1)), run)
        run = _MD_IMG_TAG.sub(lambda m: image(_attr(_ALT_ATTR, m.group(1)), _attr(_SRC_ATTR, m.group(1))), run)
        run = _MD_IMAGE.sub(lambda m: image(re.sub(r"\\(.)", r"\1", m.group(1)), m.group(2)), run)
        run = _MD_BR.sub("  \n", run)
        return _HTML_TAG.sub("", run)

    def drop(tag: str) -> str:
        note = f"<{tag.lower()}> content is not supported and was removed"
        if note not in notes:
            notes.append(note)
        return ""

    out = []
    pos = 0
    for m in _FENCED.finditer(text):
        out.append(clean_prose(text[pos:m.start()]))
        out.append(m.group(0))
        pos = m.end()
    out.append(clean_prose(text[pos:]))
    return _tidy("".join(out)), notes


def _plain_to_markdown(text: str) -> str:
    lines = [_escape_line_start(escape_text(line.strip())) if line.strip() else "" for line in text.split("\n")]
    return _tidy("\n".join(lines))


# --------------------------------------------------------------------------------------------------
# Entry points


def to_markdown(text: str, fmt: str) -> tuple[str, list[str]]:
    """Convert ``text`` written in ``fmt`` (one of html, moodle, plain, markdown) to Markdown."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown text format {fmt!r}")
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        return "", []
    if fmt == "plain":
        return _plain_to_markdown(text), []
    if fmt == "markdown":
        return _clean_markdown(text)
    converter = _HtmlToMarkdown(newlines_are_breaks=(fmt == "moodle"))
    try:
        converter.feed(text)
        return converter.result(), converter.notes
    except AssertionError:  # pragma: no cover - a corner of html.parser not handled above
        stripped = _HTML_TAG.sub(" ", _MD_DROP_BLOCK.sub(" ", _HTML_COMMENT.sub(" ", text)))
        return _plain_to_markdown(html.unescape(stripped)), ["the HTML could not be read; only its text was kept"]


_MD_LINK = re.compile(r"\[((?:\\.|[^\]\\])*)\]\([^)]*\)")


def markdown_to_plain(text: str) -> str:
    """A rough one-line plain-text version of Markdown produced here (for titles)."""
    text = _MD_LINK.sub(r"\1", text)
    text = re.sub(r"(?<!\\)(\*+|`+)", "", text)
    text = re.sub(r"(?m)^\s*(?:>|[-+]\s|\d+[.)]\s|\|)", " ", text)
    text = re.sub(r"\\(.)", r"\1", text)
    text = text.replace(BLANK, "_____")
    return re.sub(r"\s+", " ", text).strip(" |")


_MD_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.S)


def markdown_to_option_text(text: str) -> str:
    """Plain text of a choice option written in Markdown here (options are shown as plain text):
    escapes undone and emphasis marks dropped, but code spans kept exactly as written."""
    spans: list[str] = []

    def hold(match: re.Match) -> str:
        spans.append(match.group(2).strip() if match.group(2).strip() else match.group(2))
        return f"\x00{len(spans) - 1}\x00"

    plain = markdown_to_plain(_MD_CODE_SPAN.sub(hold, text))
    return re.sub("\x00(\\d+)\x00", lambda m: spans[int(m.group(1))], plain)


def html_to_plain(text: str) -> str:
    """Plain one-line text of a short piece of HTML (e.g. a Moodle question name)."""
    md, _ = to_markdown(text, "html")
    return markdown_to_plain(md)
