"""Rich text to Markdown: simple HTML kept as Markdown, nothing raw carried, text escaped; and the
package's own contract (no Django, picklable errors)."""

import pickle
import re
import subprocess
import sys
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from assessments.formats import FormatError
from assessments.formats.common import normalize_category, slugify
from assessments.formats.markup import html_to_plain, markdown_to_option_text, markdown_to_plain, to_markdown

REPO = Path(__file__).resolve().parents[3]
# What Prep renders question text with (assessments/templatetags/prep_tags.py).
RENDER = MarkdownIt("commonmark", {"html": False}).enable("table")


@pytest.mark.parametrize(
    ("html", "markdown"),
    [
        ("<p>Hello <b>world </b>and <i>you</i>.</p><p>Second&nbsp;para<br>line two</p>",
         "Hello **world** and *you*.\n\nSecond para  \nline two"),
        ("<p>Use <code>df.groupby(\"a\")</code> for x*y_z [1]</p>", 'Use `df.groupby("a")` for x\\*y\\_z \\[1\\]'),
        ("<p>Use <code>a `tick` b</code> and <code>`x`</code></p>", "Use ``a `tick` b`` and `` `x` ``"),
        ("<ul><li>one</li><li>two<ul><li>inner</li></ul></li></ul><ol start=\"3\"><li>a<li>b</ol>",
         "- one\n- two\n  - inner\n\n3. a\n4. b"),
        ("<ul><li><p>para one</p><p>para two</p></li></ul>", "- para one\n  para two"),
        ("<pre><code>for i in range(3):\n    print(i)</code></pre>", "```\nfor i in range(3):\n    print(i)\n```"),
        ("<pre>```\ncode &lt;b&gt;\n```</pre>", "````\n```\ncode <b>\n```\n````"),
        ("<blockquote><p>quoted</p><p>two</p></blockquote><h3>Title</h3><hr>text",
         "> quoted\n>\n> two\n\n**Title**\n\n---\n\ntext"),
        ("a<br><br>b", "a\n\nb"),
        ("<div>a<div>b</div>c</div>", "a\n\nb\n\nc"),
        ("<b>bold <i>both</i></b><b><b>nested</b></b>", "**bold *both*nested**"),
        ("<i>a</i><b>b</b> and <b>x</b> <b>y</b>", "*a*__b__ and **x** **y**"),
        ("<p>x<sup>2</sup> + H<sub>2</sub>O</p>", "x^2 + H2O"),
        ("<p>\u00a0</p><p>  </p><i> </i>", ""),
        ('<a href="javascript:alert(1)">click</a> <a href="mailto:a@b.c">mail</a> <a href="https://x.org/(a)">p</a>',
         "click [mail](mailto:a@b.c) [p](https://x.org/%28a%29)"),
        ("&lt;script&gt;alert(1)&lt;/script&gt; &amp;amp; [link](http://x)",
         "\\<script>alert(1)\\</script> \\&amp; \\[link\\](http://x)"),
        ("<p># not a heading</p><p>1. not a list</p><p>- nor this</p><p>&gt; nor a quote</p>",
         "\\# not a heading\n\n1\\. not a list\n\n\\- nor this\n\n\\> nor a quote"),
        ("<table><caption>Counts</caption><tr><th>a|b</th></tr><tr><td>1</td><td>2</td></tr></table><p>after</p>",
         "Counts\n\n| a\\|b |  |\n| --- | --- |\n| 1 | 2 |\n\nafter"),
        ('<p onclick="x()" style="color:red" class="c">Styled</p>', "Styled"),
    ],
)
def test_html(html, markdown):
    assert to_markdown(html, "html") == (markdown, [])


def test_dropped_content_is_noted():
    html = (
        "<style>p{color:red}</style><script>steal()</script><iframe src='https://evil'></iframe>"
        "<video><source src='a.mp4'>fallback</video><embed src='a.swf'><object data='a'>inner</object>text"
    )
    assert to_markdown(html, "html") == (
        "text",
        [
            "<script> content is not supported and was removed",
            "<iframe> content is not supported and was removed",
            "<video> content is not supported and was removed",
            "<embed> content is not supported and was removed",
            "<object> content is not supported and was removed",
        ],
    )


def test_images_keep_their_alt_text():
    html = ('<p><img src="@@PLUGINFILE@@/scatter%20plot.png" alt="Scatter plot" onerror="x()">'
            '<img src="data:image/png;base64,AAAA"></p>')
    assert to_markdown(html, "html") == (
        "(image: Scatter plot)(image)",
        ['image "scatter plot.png" is not supported; its alt text "Scatter plot" was kept',
         'image "(inline data)" is not supported and has no alt text'],
    )


def test_linked_plugin_file_keeps_its_text():
    assert to_markdown('<a href="@@PLUGINFILE@@/bonjour.mp3">Listen</a>', "html") == (
        "Listen", ['linked file "bonjour.mp3" is not supported; only the link text was kept'])


def test_word_conditional_sections_and_cdata_are_read():
    html = "<p><![if !supportLists]>1.<![endif]> Item <![CDATA[x<y]]></p>"
    assert to_markdown(html, "html") == ("1\\. Item x\\<y", [])


def test_moodle_auto_format_newlines():
    assert to_markdown("line1\n\nline2\nline3 <b>x</b>", "moodle") == ("line1\n\nline2\nline3 **x**", [])


def test_plain_text_is_escaped():
    assert to_markdown("2*3 = 6\n# hi <b>\n  indented", "plain") == ("2\\*3 = 6\n\\# hi \\<b>\nindented", [])


def test_markdown_is_kept_without_raw_html_or_images():
    text = ("**bold** <b>raw</b> `<code>` <!-- hidden -->![plot](x.png)<script>bad()</script>\n"
            "```\n<b>kept in code</b>\n```")
    assert to_markdown(text, "markdown") == (
        "**bold** raw `<code>` (image: plot)\n```\n<b>kept in code</b>\n```",
        ["<script> content is not supported and was removed",
         'image "x.png" is not supported; its alt text "plot" was kept'],
    )


@pytest.mark.parametrize("fmt", ["html", "moodle", "plain", "markdown"])
def test_nothing_renders_as_raw_html(fmt):
    hostile = '<img src=x onerror=alert(1)><script>alert(2)</script><a href="javascript:alert(3)">x</a> &lt;b&gt;'
    markdown, _ = to_markdown(hostile, fmt)
    rendered = RENDER.render(markdown)
    # Only the tags Markdown itself makes (<p>, <a href="http...">...) may appear; text shows as text.
    assert re.findall(r"<(\w+)", rendered) == ["p"]
    assert 'href="javascript' not in rendered


def test_plain_versions_for_titles():
    assert html_to_plain("Question with <strong>invalid grades</strong> : x > 1 & x < 2") == (
        "Question with invalid grades : x > 1 & x < 2")
    assert markdown_to_plain("A **Series** of `df` \\*x\\* [link](http://x)") == "A Series of df *x* link"


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        ("$course$/top/Statistics/Inference", "Statistics/Inference"),
        ("$course$/Statistics/Inference", "Statistics/Inference"),
        ("$system$/top", ""),
        ("top/Default for DS 101", "Default for DS 101"),
        ("  Machine Learning / Evaluation  ", "Machine Learning/Evaluation"),
        ("$cat1$/top/Ratios a//b/Odds", "Ratios a//b/Odds"),
        ("", ""),
    ],
)
def test_category_paths(raw, path):
    assert normalize_category(raw) == path


@pytest.mark.parametrize(
    ("title", "slug"),
    [("P-value meaning", "p-value-meaning"), ("Naïve Bayes", "naive-bayes"), ("χ²", "2"), ("统计", "question"),
     ("a" * 70, "a" * 60), ("word " * 20, "word-word-word-word-word-word-word-word-word-word-word-word")],
)
def test_slugify(title, slug):
    assert slugify(title) == slug


def test_format_error_attributes_and_pickling():
    error = FormatError('numeric answer "abc" is not a number', source="quiz.xml", line=40,
                        element='question[3] (type="numerical", name="Speed")')
    assert isinstance(error, ValueError)
    assert str(error) == (
        'quiz.xml, question[3] (type="numerical", name="Speed"), line 40: numeric answer "abc" is not a number')
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.source, copy.line, copy.element, copy.reason, str(copy)) == (
        error.source, error.line, error.element, error.reason, str(error))


def test_package_imports_no_django():
    code = (
        "import sys; sys.path.insert(0, '.');"
        "import assessments.formats as f;"
        "f.parse_gift('Q{T}'); f.parse_moodle_xml(b'<quiz/>');"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'rest_framework'));"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-I", "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(("written", "fmt", "shown"), [
    ("<script>alert(1)</script> right", "plain", "<script>alert(1)</script> right"),
    ("a * b < c", "html", "a * b < c"),
    ("<code>a*b_c</code> or <i>d</i>", "html", "a*b_c or d"),
    ("*bold* x_y", "markdown", "bold x_y"),
    ("50% \\\\ 3", "plain", "50% \\\\ 3"),
])
def test_an_option_becomes_the_plain_text_its_author_wrote(written, fmt, shown):
    md, _ = to_markdown(written, fmt)
    assert markdown_to_option_text(md) == shown
