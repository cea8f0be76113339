import json

import nh3
from django import template
from django.utils.safestring import mark_safe
from markdown_it import MarkdownIt

register = template.Library()

# CommonMark with raw HTML disabled; the rendered HTML is sanitised again, so that imported
# question text can never carry script into a page.
_markdown = MarkdownIt("commonmark", {"html": False}).enable("table")


@register.filter
def markdown(text: str) -> str:
    return mark_safe(nh3.clean(_markdown.render(text or "")))


@register.filter
def as_json(value) -> str:
    """A JSON rendering of a value for display; the template's autoescaping still applies."""
    return json.dumps(value, ensure_ascii=False)


@register.filter
def call_args(args) -> str:
    """A test's positional arguments as they would be written in a call: 1, [2, 3], "a"."""
    return ", ".join(json.dumps(a, ensure_ascii=False) for a in (args or []))


@register.filter
def verdict_class(verdict: str) -> str:
    return "ok" if verdict == "AC" else ("pending" if not verdict else "bad")


@register.filter
def duration(seconds) -> str:
    """12 s, 4 min 05 s, 1 h 02 min."""
    try:
        seconds = int(seconds or 0)
    except (TypeError, ValueError):
        return ""
    if seconds < 60:
        return f"{seconds} s"
    minutes, sec = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {sec:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


@register.filter
def minutes(delta) -> str:
    """A time limit in words: 45 minutes, 1 h 30 min."""
    try:
        return duration(int(delta.total_seconds())).replace(" 00 s", "").replace(" 00 min", "")
    except AttributeError:
        return ""
