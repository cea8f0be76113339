"""Moodle XML importer: every supported type, exact values, hostile and malformed files."""

import time
from pathlib import Path

import pytest

from assessments.formats import FormatError, ParseResult, parse_moodle_xml
from assessments.formats.moodle_xml import MAX_DEPTH

DATA = Path(__file__).parent / "data"


def parse_file(name: str, **kwargs) -> ParseResult:
    return parse_moodle_xml((DATA / name).read_bytes(), source=name, **kwargs)


def refused(data, **kwargs) -> FormatError:
    result = None
    with pytest.raises(FormatError) as info:
        result = parse_moodle_xml(data, source="quiz.xml", **kwargs)
    assert result is None
    return info.value


def quiz(*questions: str) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n' + "\n".join(questions) + "\n</quiz>\n").encode()


def question(qtype: str, name: str, body: str = "", text: str = "<p>Question text</p>") -> str:
    return (
        f'<question type="{qtype}"><name><text>{name}</text></name>'
        f'<questiontext format="html"><text><![CDATA[{text}]]></text></questiontext>{body}</question>'
    )


TF_ANSWERS = '<answer fraction="100"><text>true</text></answer><answer fraction="0"><text>false</text></answer>'


@pytest.fixture(scope="module")
def export() -> ParseResult:
    return parse_file("moodle_export.xml")


@pytest.fixture(scope="module")
def by_slug(export) -> dict:
    return {q["slug"]: q for q in export.questions}


# --------------------------------------------------------------------------------------------------
# The realistic export


def test_questions_in_order(export):
    got = [(q["slug"], q["kind"], q["category"], q["source"]) for q in export.questions]
    assert got == [
        ("p-value-meaning", "single_choice", "Statistics/Inference", "moodle_export.xml:question[2]"),
        ("measures-of-spread", "multiple_choice", "Statistics/Inference", "moodle_export.xml:question[3]"),
        ("clt", "true_false", "Statistics/Inference", "moodle_export.xml:question[4]"),
        ("sample-mean", "numeric", "Statistics/Inference", "moodle_export.xml:question[6]"),
        ("metric-name", "short_text", "Machine Learning/Evaluation", "moodle_export.xml:question[8]"),
        ("explain-overfitting", "essay", "Machine Learning/Evaluation", "moodle_export.xml:question[9]"),
        ("confusion-matrix-precision", "single_choice", "Machine Learning/Evaluation",
         "moodle_export.xml:question[10]"),
    ]


def test_warnings(export):
    sample = 'moodle_export.xml, question[6] (type="numerical", name="Sample mean")'
    assert export.warnings == [
        'moodle_export.xml, question[2] (type="multichoice", name="P-value meaning"): '
        "<script> content is not supported and was removed",
        'moodle_export.xml, question[5] (type="description", name="Section B"): '
        "description items are not questions; skipped",
        f'{sample}: embedded file "sample plot.png" is not supported and was not imported',
        f'{sample}: image "sample plot.png" is not supported; its alt text "Dot plot of the sample" was kept',
        f'{sample}: the catch-all answer "*" (feedback for any other number) is not supported; dropped',
        f"{sample}: units (m, cm) are not supported; answers are taken as plain numbers",
    ]


def test_single_choice_from_cdata_html_with_negative_fraction(by_slug):
    assert by_slug["p-value-meaning"] == {
        "slug": "p-value-meaning",
        "title": "P-value meaning",
        "prompt": "A test gives *p* = 0.03. Which statement is **correct**?\n\nAssume H0 is true.",
        "kind": "single_choice",
        "category": "Statistics/Inference",
        "points": 2.0,
        "explanation": "The p-value is computed **assuming** H0.",
        "penalty": 0.3333333,
        "options": [
            {"text": "If H0 were true, data at least this extreme would occur 3% of the time", "fraction": 1.0,
             "feedback": "Right."},
            {"text": "H0 is true with probability 0.03", "fraction": 0.0,
             "feedback": "No: the p-value is *not* P(H0 | data)."},
            {"text": "The effect is large", "fraction": -0.3333333, "feedback": ""},
        ],
        "shuffle": True,
        "source": "moodle_export.xml:question[2]",
    }


def test_multiple_choice_fractions_are_fractions_of_one(by_slug):
    q = by_slug["measures-of-spread"]
    assert q["prompt"] == "Which of these measure **spread**?\n\n- Pick every one that does.\n- Wrong picks cost marks."
    assert q["options"] == [
        {"text": "Variance", "fraction": 0.3333333, "feedback": ""},
        {"text": "Interquartile range (IQR)", "fraction": 0.3333333, "feedback": ""},
        {"text": "Standard deviation", "fraction": 0.3333334, "feedback": ""},
        {"text": "Median", "fraction": -1.0, "feedback": "The median measures *location*."},
    ]
    assert (q["shuffle"], q["points"], q["penalty"]) == (False, 1.0, 0.3333333)


def test_true_false(by_slug):
    q = by_slug["clt"]
    assert q["prompt"] == (
        "The sample mean of n iid draws is approximately normal for large n,\n"
        "whatever the distribution (with finite variance)."
    )
    assert (q["answer"], q["feedback_true"], q["feedback_false"]) == (
        True, "Yes.", "It holds for any distribution with finite variance.")
    assert (q["explanation"], q["penalty"]) == ("This is the central limit theorem.", 1.0)


def test_numerical_with_tolerances_and_partial_credit(by_slug):
    q = by_slug["sample-mean"]
    assert q["answers"] == [
        {"value": 2.5, "abs_tol": 0.005, "fraction": 1.0, "feedback": "Exactly."},
        {"value": 2.5, "abs_tol": 0.1, "fraction": 0.5, "feedback": "Close enough for half marks."},
    ]
    assert q["prompt"] == "The sample is 2.1, 2.5, 2.9 (metres). What is its mean?\n\n(image: Dot plot of the sample)"
    assert q["penalty"] == 0.1


def test_short_answer_from_entity_encoded_html(by_slug):
    q = by_slug["metric-name"]
    assert q["prompt"] == "Which metric is the harmonic mean of precision & recall? Answer in `snake_case`."
    assert q["answers"] == [
        {"text": "f1_score", "fraction": 1.0, "feedback": ""},
        {"text": "F1", "fraction": 0.5, "feedback": "Right metric; not snake\\_case."},
    ]
    assert q["case_sensitive"] is True


def test_essay_with_rubric_and_markdown_text(by_slug):
    assert by_slug["explain-overfitting"] == {
        "slug": "explain-overfitting",
        "title": "Explain overfitting",
        "prompt": "Explain **overfitting** and one way to detect it, using `sklearn` if you like.",
        "kind": "essay",
        "category": "Machine Learning/Evaluation",
        "points": 5.0,
        "explanation": "",
        "penalty": 0.0,
        "rubric": "1. Defines overfitting (2 marks)\n2. Mentions a held-out set or cross-validation (3 marks)",
        "response_format": "monospaced",
        "source": "moodle_export.xml:question[9]",
    }


def test_table_becomes_a_markdown_table(by_slug):
    q = by_slug["confusion-matrix-precision"]
    assert q["title"] == "Confusion matrix & precision"
    assert q["prompt"] == (
        "Given this confusion matrix:\n\n"
        "|  | Predicted + | Predicted − |\n"
        "| --- | --- | --- |\n"
        "| Actual + | 40 | 10 |\n"
        "| Actual − | 20 | 30 |\n\n"
        "What is the precision?"
    )
    assert q["explanation"] == "Precision = TP / (TP + FP) = 40 / 60."
    assert [(o["text"], o["fraction"]) for o in q["options"]] == [("0.667", 1.0), ("0.8", 0.0), ("0.571", 0.0)]
    assert (q["shuffle"], q["penalty"]) == (False, None)


def test_no_raw_html_anywhere(export):
    def texts(q):
        yield q["prompt"]
        yield q["explanation"]
        for option in q.get("options", []):
            yield option["text"]
            yield option["feedback"]
    for q in export.questions:
        for text in texts(q):
            assert "<" not in text and "onclick" not in text and "alert" not in text


# --------------------------------------------------------------------------------------------------
# Smaller constructs


def test_text_input_and_other_declared_encodings():
    body = question("truefalse", "Café", TF_ANSWERS, "<p>Le café est chaud.</p>")
    latin1 = ('<?xml version="1.0" encoding="ISO-8859-1"?>\n<quiz>' + body + "</quiz>").encode("latin-1")
    [q] = parse_moodle_xml(latin1).questions
    assert (q["title"], q["prompt"], q["slug"]) == ("Café", "Le café est chaud.", "cafe")
    [q2] = parse_moodle_xml('<?xml version="1.0" encoding="ISO-8859-1"?>\n<quiz>' + body + "</quiz>").questions
    assert q2 == q


def test_deprecated_category_without_text_and_contexts():
    data = quiz(
        "<question type=\"category\"><category>$system$/top/Shared/Probability</category></question>",
        question("truefalse", "A", TF_ANSWERS),
        "<question type=\"category\"><category><text>Plain/Path</text></category></question>",
        question("truefalse", "B", TF_ANSWERS),
    )
    assert [q["category"] for q in parse_moodle_xml(data).questions] == ["Shared/Probability", "Plain/Path"]


def test_legacy_true_false_labels_are_taken_in_order():
    body = '<answer fraction="0"><text>Wahr</text></answer><answer fraction="100"><text>Falsch</text></answer>'
    result = parse_moodle_xml(quiz(question("truefalse", "Alt", body)), source="quiz.xml")
    assert result.questions[0]["answer"] is False
    assert result.warnings == [
        'quiz.xml, question[1] (type="truefalse", name="Alt"): '
        'answers not labelled "true"/"false": took the first as true and the second as false'
    ]


def test_penalty_rounding_and_grades():
    body = "<defaultgrade>0.5</defaultgrade><penalty>0.33</penalty>" + TF_ANSWERS
    [q] = parse_moodle_xml(quiz(question("truefalse", "P", body))).questions
    assert (q["points"], q["penalty"]) == (0.5, 0.3333333)


def test_essay_file_picker_becomes_editor_with_a_warning():
    body = "<responseformat>editorfilepicker</responseformat><attachments>1</attachments>"
    result = parse_moodle_xml(quiz(question("essay", "E", body)), source="quiz.xml")
    assert result.questions[0]["response_format"] == "editor"
    assert result.questions[0]["rubric"] == ""
    assert result.warnings == [
        'quiz.xml, question[1] (type="essay", name="E"): '
        'response format "editorfilepicker" became "editor": file uploads are not supported'
    ]


def test_question_without_name_takes_its_title_from_the_text():
    data = quiz('<question type="truefalse"><questiontext format="html"><text>&lt;p&gt;Is 1 prime?&lt;/p&gt;'
                "</text></questiontext>" + TF_ANSWERS + "</question>")
    [q] = parse_moodle_xml(data).questions
    assert (q["title"], q["slug"]) == ("Is 1 prime?", "is-1-prime")


# --------------------------------------------------------------------------------------------------
# Unsupported types


def test_matching_fixture_is_refused_by_default():
    with pytest.raises(FormatError) as info:
        parse_file("with_matching.xml")
    error = info.value
    assert error.element == 'question[3] (type="matching", name="Match the tests")'
    assert error.line == 29
    assert str(error) == (
        'with_matching.xml, question[3] (type="matching", name="Match the tests"), line 29: '
        'question type "matching" is not supported'
    )


def test_matching_fixture_with_skip_unsupported():
    result = parse_file("with_matching.xml", skip_unsupported=True)
    assert [(q["slug"], q["kind"], q["category"]) for q in result.questions] == [
        ("paired", "true_false", "Statistics/Tests"),
        ("null", "short_text", "Statistics/Tests"),
    ]
    assert result.questions[1]["prompt"] == "The hypothesis of no effect is the \\_\\_\\_\\_ hypothesis."
    assert result.warnings == [
        'with_matching.xml, question[3] (type="matching", name="Match the tests"): '
        'skipped: question type "matching" is not supported'
    ]


@pytest.mark.parametrize(
    "qtype",
    ["cloze", "multianswer", "calculated", "calculatedsimple", "calculatedmulti", "ddwtos", "gapselect",
     "ddimageortext", "ddmarker", "randomsamatch", "random", "ordering", "match"],
)
def test_other_unsupported_types(qtype):
    data = quiz(question("truefalse", "Ok", TF_ANSWERS), question(qtype, "Other"))
    error = refused(data)
    assert error.element == f'question[2] (type="{qtype}", name="Other")'
    assert error.reason == f'question type "{qtype}" is not supported'
    result = parse_moodle_xml(data, source="quiz.xml", skip_unsupported=True)
    assert [q["title"] for q in result.questions] == ["Ok"]
    assert result.warnings == [
        f'quiz.xml, question[2] (type="{qtype}", name="Other"): skipped: question type "{qtype}" is not supported']


def test_skip_unsupported_does_not_hide_errors():
    bad = question("numerical", "Speed", '<answer fraction="100"><text>abc</text></answer>')
    data = quiz(question("matching", "M"), bad)
    error = refused(data, skip_unsupported=True)
    assert error.element == 'question[2] (type="numerical", name="Speed")'


# --------------------------------------------------------------------------------------------------
# Refused files


def test_single_choice_without_correct_answer_fixture():
    result = None
    with pytest.raises(FormatError) as info:
        result = parse_file("single_no_correct.xml")
    assert result is None
    error = info.value
    assert (error.element, error.line) == ('question[2] (type="multichoice", name="Bias")', 9)
    assert error.reason == "single-choice question has no correct option (none is worth 100%)"


def test_not_well_formed_fixture():
    with pytest.raises(FormatError) as info:
        parse_file("not_well_formed.xml")
    error = info.value
    assert (error.line, error.element) == (11, None)
    assert str(error) == "not_well_formed.xml, line 11: the XML is not well-formed: mismatched tag"


def test_entity_expansion_bomb_is_refused_at_once():
    start = time.monotonic()
    with pytest.raises(FormatError) as info:
        parse_file("billion_laughs.xml")
    assert time.monotonic() - start < 1
    assert info.value.line == 2
    assert info.value.reason.startswith("a DOCTYPE declaration is not allowed")


def test_external_entity_is_refused():
    with pytest.raises(FormatError) as info:
        parse_file("external_entity.xml")
    assert info.value.line == 2
    assert "root:" not in str(info.value)


@pytest.mark.parametrize(
    "data",
    [
        b'<?xml version="1.0"?>\n<!DOCTYPE quiz SYSTEM "http://example.com/quiz.dtd">\n<quiz/>',
        b'<?xml version="1.0"?>\n<!DOCTYPE quiz [<!ENTITY % p SYSTEM "http://example.com/p.dtd"> %p;]>\n<quiz/>',
        b'<?xml version="1.0"?>\n<!DOCTYPE quiz>\n<quiz/>',
    ],
)
def test_any_doctype_is_refused(data):
    error = refused(data)
    assert error.line == 2
    assert error.reason.startswith("a DOCTYPE declaration is not allowed")


def test_html_entity_outside_cdata_is_not_well_formed():
    data = quiz(question("truefalse", "A", TF_ANSWERS),
                '<question type="essay"><name><text>B</text></name>\n<questiontext><text>a&nbsp;b</text>'
                "</questiontext></question>")
    error = refused(data)
    assert (error.line, error.reason) == (5, "the XML is not well-formed: undefined entity")


@pytest.mark.parametrize(
    ("data", "line", "reason"),
    [
        (b"", 1, "the XML is not well-formed: no element found"),
        (b"<quiz><question type='essay'>", 1, "the XML is not well-formed: no element found"),
        (b"just text", 1, "the XML is not well-formed: syntax error"),
        (b'<?xml version="1.0"?>\n<questions><question type="essay"/></questions>', 2,
         "the root element is <questions>, a Moodle XML export has <quiz>"),
    ],
)
def test_malformed_documents(data, line, reason):
    error = refused(data)
    assert (error.line, error.reason) == (line, reason)


def test_deeply_nested_elements_are_refused():
    depth = MAX_DEPTH + 5
    data = b"<quiz>" + b"<a>" * depth + b"</a>" * depth + b"</quiz>"
    error = refused(data)
    assert error.reason == f"elements are nested more than {MAX_DEPTH} deep"


def test_files_over_20_mb_are_refused():
    data = quiz(question("essay", "E")) + b" " * (20 * 1024 * 1024)
    error = refused(data)
    assert error.reason.endswith("files over 20 MB are refused")


@pytest.mark.parametrize(
    ("qtype", "body", "reason"),
    [
        ("numerical", '<answer fraction="100"><text>abc</text><tolerance>0.1</tolerance></answer>',
         'numeric answer "abc" is not a number'),
        ("numerical", '<answer fraction="100"><text>2</text><tolerance>x</tolerance></answer>',
         'tolerance "x" is not a number'),
        ("numerical", '<answer fraction="100"><text>2</text><tolerance>-1</tolerance></answer>',
         'tolerance "-1" of answer 1 is negative'),
        ("numerical", '<answer fraction="100"><text>*</text></answer>',
         'answer 1 "*" gives credit for any number; that is not supported'),
        ("numerical", '<answer fraction="50"><text>2</text></answer>',
         "no answer is worth 100%, so no response could earn full marks"),
        ("numerical", "", "numeric question has no answers"),
        ("multichoice", '<single>false</single><answer fraction="50"><text>a</text></answer>'
                        '<answer fraction="40"><text>b</text></answer>',
         "the correct options of a multiple-choice question must add up to 100%, these add up to 90%"),
        ("multichoice", '<answer fraction="100"><text>a</text></answer><answer fraction="100"><text>b</text></answer>',
         'single-choice question has 2 options worth 100% ("a", "b"); only one may be'),
        ("multichoice", '<answer fraction="100"><text>a</text></answer><answer fraction="-150"><text>b</text></answer>',
         'option "b" is worth -150%, outside -100% to 100%'),
        ("multichoice", '<answer fraction="high"><text>a</text></answer>', 'answer 1 fraction "high" is not a number'),
        ("multichoice", '<answer fraction="100"><text>a</text></answer>',
         "a choice question needs at least 2 options, this one has 1"),
        ("multichoice",
         '<answer fraction="100"><text>a</text></answer><answer><text><![CDATA[<p> </p>]]></text></answer>',
         "option 2 has no text"),
        ("truefalse",
         '<answer fraction="100"><text>true</text></answer><answer fraction="100"><text>false</text></answer>',
         "exactly one of the answers of a true/false question must be worth 100%"),
        ("truefalse", '<answer fraction="100"><text>true</text></answer>',
         "a true/false question needs exactly 2 answers, this one has 1"),
        ("truefalse",
         '<answer fraction="100"><text>true</text></answer><answer fraction="0"><text>true</text></answer>',
         'a true/false question has two "true" answers'),
        ("shortanswer", '<answer fraction="100"><text> </text></answer>', "short answer 1 is empty"),
        ("shortanswer", '<answer fraction="-50"><text>x</text></answer><answer fraction="100"><text>y</text></answer>',
         'answer "x" is worth -50%, outside 0% to 100%'),
        ("essay", "<responseformat>audio</responseformat>",
         'essay response format "audio" is not one of editor, editorfilepicker, plain, monospaced, noinline'),
        ("essay", "<defaultgrade>-1</defaultgrade>", "<defaultgrade> -1 is negative"),
        ("essay", "<defaultgrade>one</defaultgrade>", 'default grade "one" is not a number'),
        ("essay", "<penalty>2</penalty>", "<penalty> 2 is outside 0 to 1"),
    ],
)
def test_invalid_questions(qtype, body, reason):
    data = quiz(question("truefalse", "Fine", TF_ANSWERS), question(qtype, "Bad one", body))
    error = refused(data)
    assert (error.element, error.line, error.reason) == (f'question[2] (type="{qtype}", name="Bad one")', 4, reason)
    assert str(error) == f'quiz.xml, question[2] (type="{qtype}", name="Bad one"), line 4: {reason}'


def test_question_without_type_or_text():
    error = refused(quiz("<question><name><text>X</text></name></question>"))
    assert error.element == 'question[1] (type="", name="X")'
    assert error.reason == '<question> has no type="..." attribute'
    error = refused(quiz('<question type="essay"><name><text>Y</text></name></question>'))
    assert error.reason == "the question has no text"


def test_an_error_at_the_end_refuses_the_whole_file():
    good = [question("truefalse", f"Q{i}", TF_ANSWERS) for i in range(40)]
    error = refused(quiz(*good, question("numerical", "Last", '<answer fraction="100"><text>1,5</text></answer>')))
    assert error.element == 'question[41] (type="numerical", name="Last")'
    assert error.reason == 'numeric answer "1,5" is not a number'
