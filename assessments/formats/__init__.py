"""Question importers for Moodle's GIFT and Moodle XML formats (plain Python, no Django).

``parse_gift(text, *, source, skip_unsupported=False)`` and
``parse_moodle_xml(data, *, source, skip_unsupported=False)`` return a :class:`ParseResult`
(``questions``, ``warnings``) or raise :class:`FormatError`: a file with any invalid or unsupported
question is refused whole, never half-imported. ``skip_unsupported=True`` leaves out questions of
unsupported types (matching, cloze, calculated, drag-and-drop ...) and names them in ``warnings``.
Files over 20 MB are refused.

Each question is a dict in a neutral form that the Django loader turns into rows:

* ``slug`` (kebab-case from the title, unique within one parse), ``title``, ``prompt`` (Markdown),
  ``kind``, ``category`` (``"Statistics/Inference"`` or ``""``), ``points``, ``explanation``
  (general feedback), ``penalty`` (Moodle ``<penalty>`` or None), ``source`` (``"quiz.gift:12"``,
  ``"quiz.xml:question[3]"``);
* ``single_choice`` / ``multiple_choice``: ``options`` [{text, fraction, feedback}] (fraction in
  [-1, 1]; one option at 1.0 for single choice; the positive ones add up to 1 for multiple choice),
  ``shuffle``;
* ``true_false``: ``answer``, ``feedback_true``, ``feedback_false``;
* ``numeric``: ``answers`` [{value, abs_tol, fraction, feedback}];
* ``short_text``: ``answers`` [{text, fraction, feedback}], ``case_sensitive``;
* ``essay``: ``rubric``, ``response_format`` (editor, plain, monospaced, noinline).
"""

from .common import MAX_INPUT_BYTES, ParseResult
from .errors import FormatError
from .gift import parse_gift
from .moodle_xml import parse_moodle_xml

__all__ = ["FormatError", "MAX_INPUT_BYTES", "ParseResult", "parse_gift", "parse_moodle_xml"]
