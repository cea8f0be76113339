"""The one exception the importers raise for a file they refuse."""

from __future__ import annotations


class FormatError(ValueError):
    """A question file that cannot be imported; the whole file is refused.

    ``source`` names the file, ``line`` is the 1-based line at fault (for GIFT, the first line of the
    question at fault; for Moodle XML, where the element at fault starts, when known) and ``element``
    names the Moodle XML element at fault, e.g. ``question[3] (type="numerical", name="Speed")``.
    ``reason`` is the message without the location; ``str(error)`` has both, e.g.
    ``quiz.gift, line 12: numeric answer "abc" is not a number``.
    """

    def __init__(self, reason: str, *, source: str, line: int | None = None, element: str | None = None):
        self.reason = reason
        self.source = source
        self.line = line
        self.element = element
        super().__init__(self._render())

    def _render(self) -> str:
        where = [self.source]
        if self.element:
            where.append(self.element)
        if self.line is not None:
            where.append(f"line {self.line}")
        return f"{', '.join(where)}: {self.reason}"

    def __reduce__(self):  # keep it picklable (e.g. across a Celery task boundary)
        return (_rebuild, (self.reason, self.source, self.line, self.element))


def _rebuild(reason, source, line, element):
    return FormatError(reason, source=source, line=line, element=element)
