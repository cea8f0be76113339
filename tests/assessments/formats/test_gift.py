"""GIFT importer: every construct of the format, exact values, and whole-file refusal."""

from pathlib import Path

import pytest

from assessments.formats import FormatError, ParseResult, parse_gift

DATA = Path(__file__).parent / "data"


def parse_file(name: str, **kwargs) -> ParseResult:
    return parse_gift((DATA / name).read_bytes(), source=name, **kwargs)


def refused(text, **kwargs) -> FormatError:
    """Parse text that must be refused: nothing is returned, the error says where."""
    result = None
    with pytest.raises(FormatError) as info:
        result = parse_gift(text, source="quiz.gift", **kwargs)
    assert result is None
    return info.value


@pytest.fixture(scope="module")
def quiz() -> ParseResult:
    return parse_file("stats_quiz.gift")


@pytest.fixture(scope="module")
def by_slug(quiz) -> dict:
    return {q["slug"]: q for q in quiz.questions}


def common(**fields) -> dict:
    base = {"points": 1.0, "penalty": None, "explanation": ""}
    base.update(fields)
    return base


# --------------------------------------------------------------------------------------------------
# The realistic fixture: UTF-8 BOM, Windows line endings, comments, categories, every question kind


def test_fixture_really_has_a_bom_and_windows_line_endings():
    raw = (DATA / "stats_quiz.gift").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.count(b"\r\n") == raw.count(b"\n") > 80


def test_questions_in_order_with_slugs_sources_and_categories(quiz):
    got = [(q["slug"], q["kind"], q["category"], q["source"]) for q in quiz.questions]
    inference, descriptive, evaluation = "Statistics/Inference", "Statistics/Descriptive", "Machine Learning/Evaluation"
    assert got == [
        ("p-value", "single_choice", inference, "stats_quiz.gift:7"),
        ("spread", "multiple_choice", inference, "stats_quiz.gift:15"),
        ("thirds", "multiple_choice", inference, "stats_quiz.gift:22"),
        ("the-central-limit-theorem-needs-a-finite-variance", "true_false", inference, "stats_quiz.gift:30"),
        ("a-95-confidence-interval-contains-the-true-mean-with", "true_false", inference, "stats_quiz.gift:32"),
        ("power", "true_false", inference, "stats_quiz.gift:34"),
        ("type-i", "true_false", inference, "stats_quiz.gift:36"),
        ("centre", "short_text", descriptive, "stats_quiz.gift:41"),
        ("median-name", "short_text", descriptive, "stats_quiz.gift:43"),
        ("the-american-holiday-of-thanksgiving-is-celebrated-on-the", "single_choice", descriptive,
         "stats_quiz.gift:46"),
        ("pi", "numeric", descriptive, "stats_quiz.gift:53"),
        ("range", "numeric", descriptive, "stats_quiz.gift:55"),
        ("partial", "numeric", descriptive, "stats_quiz.gift:57"),
        ("tiny", "numeric", descriptive, "stats_quiz.gift:63"),
        ("negative", "numeric", descriptive, "stats_quiz.gift:65"),
        ("overfitting", "essay", descriptive, "stats_quiz.gift:68"),
        ("code", "single_choice", evaluation, "stats_quiz.gift:78"),
        ("plain", "single_choice", evaluation, "stats_quiz.gift:84"),
        ("escapes", "single_choice", evaluation, "stats_quiz.gift:86"),
        ("spread-2", "single_choice", evaluation, "stats_quiz.gift:88"),
        ("naive-bayes-2", "true_false", evaluation, "stats_quiz.gift:90"),
    ]


def test_warnings_name_the_dropped_catch_all_feedback_and_the_skipped_description(quiz):
    assert quiz.warnings == [
        "stats_quiz.gift, line 57: the feedback for any other numeric answer (~#...) is not supported and was dropped",
        'stats_quiz.gift, line 73: description "Section" has no answers {...}; skipped, it is not a question',
    ]


def test_single_choice_with_html_escapes_feedback_and_general_feedback(by_slug):
    assert by_slug["p-value"] == common(
        slug="p-value",
        title="P-value",
        prompt="A test gives *p* = 0.03 at level **α = 0.05**. What do you conclude?",
        kind="single_choice",
        category="Statistics/Inference",
        explanation="The p-value is compared with α, chosen *before* seeing the data.",
        options=[
            {"text": "Reject H0", "fraction": 1.0, "feedback": "Right: p < α."},
            {"text": "Accept H0", "fraction": 0.0, "feedback": 'No: we never "accept" H0.'},
            {"text": "Nothing: the sample is too small", "fraction": 0.0,
             "feedback": "Sample size is already in the p-value."},
        ],
        shuffle=True,
        source="stats_quiz.gift:7",
    )


def test_multiple_choice_with_percentage_weights_and_penalties(by_slug):
    q = by_slug["spread"]
    assert q["title"] == "Spread"
    assert q["prompt"] == "Which of these measure spread?"
    assert q["options"] == [
        {"text": "Variance", "fraction": 0.5, "feedback": "yes"},
        {"text": "Interquartile range", "fraction": 0.5, "feedback": "yes"},
        {"text": "Median", "fraction": -1.0, "feedback": "no, that is location"},
        {"text": "Mode", "fraction": 0.0, "feedback": ""},
    ]


def test_decimal_weights_stay_exact(by_slug):
    assert [(o["text"], o["fraction"]) for o in by_slug["thirds"]["options"]] == [
        ("Sample mean", 0.3333333),
        ("Sample variance with n − 1", 0.3333333),
        ("Sample proportion", 0.3333334),
        ("Sample variance with n", -0.5),
    ]


def test_true_false_in_every_spelling_with_feedback(by_slug):
    clt = by_slug["the-central-limit-theorem-needs-a-finite-variance"]
    assert clt["title"] == "The central limit theorem needs a finite variance."
    assert (clt["answer"], clt["feedback_true"], clt["feedback_false"]) == (True, "", "")

    ci = by_slug["a-95-confidence-interval-contains-the-true-mean-with"]
    assert ci["title"] == "A 95% confidence interval contains the true mean with probability 0.95 after…"
    # {FALSE#shown to those who answer wrongly (true)#shown to those who answer rightly (false)}
    assert ci["answer"] is False
    assert ci["feedback_true"] == "Once computed, it either contains it or not."
    assert ci["feedback_false"] == "Right: the 95% is about the procedure."

    power = by_slug["power"]
    assert (power["answer"], power["explanation"]) == (True, "Power = 1 − β.")
    assert by_slug["type-i"]["answer"] is False
    assert by_slug["naive-bayes-2"]["title"] == "Naïve Bayes χ²"


def test_short_answer_as_missing_word_with_weights(by_slug):
    q = by_slug["centre"]
    assert q["prompt"] == "The arithmetic _____ is pulled by outliers."
    assert q["answers"] == [
        {"text": "mean", "fraction": 1.0, "feedback": ""},
        {"text": "average", "fraction": 1.0, "feedback": "Also right"},
        {"text": "expectation", "fraction": 0.5, "feedback": "Close: that is for a distribution."},
    ]
    assert q["case_sensitive"] is False
    assert "options" not in q and "answer" not in q
    assert by_slug["median-name"]["answers"] == [{"text": "median", "fraction": 1.0, "feedback": ""}]


def test_multi_line_missing_word_multiple_choice(by_slug):
    q = by_slug["the-american-holiday-of-thanksgiving-is-celebrated-on-the"]
    assert q["prompt"] == "The American holiday of Thanksgiving is celebrated on the _____ Thursday of November."
    assert q["title"] == "The American holiday of Thanksgiving is celebrated on the _____ Thursday of…"
    assert [(o["text"], o["fraction"]) for o in q["options"]] == [("second", 0.0), ("third", 0.0), ("fourth", 1.0)]


def test_numeric_value_with_tolerance(by_slug):
    assert by_slug["pi"]["answers"] == [{"value": 3.14, "abs_tol": 0.005, "fraction": 1.0, "feedback": ""}]
    assert by_slug["pi"]["prompt"] == "What is π to two decimal places?"


def test_numeric_range_is_midpoint_and_half_width(by_slug):
    assert by_slug["range"]["answers"] == [{"value": 3.0, "abs_tol": 2.0, "fraction": 1.0, "feedback": ""}]


def test_numeric_with_several_answers_and_partial_credit(by_slug):
    assert by_slug["partial"]["answers"] == [
        {"value": 2.0, "abs_tol": 0.0, "fraction": 1.0, "feedback": "Exactly."},
        {"value": 2.0, "abs_tol": 1.0, "fraction": 0.5, "feedback": "Within 1 of it."},
    ]


def test_numeric_scientific_and_negative(by_slug):
    assert by_slug["tiny"]["answers"] == [{"value": 0.001, "abs_tol": 1e-05, "fraction": 1.0, "feedback": ""}]
    negative = by_slug["negative"]
    assert negative["answers"] == [{"value": -2.0, "abs_tol": 0.0, "fraction": 1.0, "feedback": ""}]
    assert negative["prompt"] == "A z-score two standard deviations below the mean is _____ ."


def test_essay_with_newline_escape_and_general_feedback(by_slug):
    assert by_slug["overfitting"] == common(
        slug="overfitting",
        title="Overfitting",
        prompt="Explain overfitting in your own words.\nGive one way to detect it.",
        kind="essay",
        category="Statistics/Descriptive",
        explanation="Look for: training vs. validation error, cross-validation.",
        rubric="",
        response_format="editor",
        source="stats_quiz.gift:68",
    )


def test_markdown_format_is_kept_and_comments_inside_answers_are_ignored(by_slug):
    q = by_slug["code"]
    assert q["prompt"] == 'What does `df.groupby("team").size()` return?'
    assert q["options"] == [  # options are shown as plain text: their emphasis marks go
        {"text": "A Series of group sizes", "fraction": 1.0, "feedback": ""},
        {"text": "A DataFrame", "fraction": 0.0, "feedback": "no"},
    ]


def test_plain_format_is_escaped_for_markdown(by_slug):
    q = by_slug["plain"]
    assert q["prompt"] == "Which formula gives 2\\*3\\*4 = 24 \\<exactly>?"
    assert [o["text"] for o in q["options"]] == ["4! = 24", "2^3 = 8"]


def test_escaped_special_characters_are_literal(by_slug):
    assert by_slug["escapes"]["prompt"] == (
        "Escaped {braces}, a ~tilde, a #hash, a :colon and a backslash \\\\ stay in the text."
    )


def test_repeated_titles_get_numbered_slugs(by_slug):
    assert by_slug["spread"]["title"] == by_slug["spread-2"]["title"] == "Spread"
    assert by_slug["spread-2"]["prompt"] == "Which is NOT a measure of spread?"


def test_text_input_gives_the_same_result_as_bytes(quiz):
    text = (DATA / "stats_quiz.gift").read_text(encoding="utf-8")
    assert text.startswith("\ufeff")
    assert parse_gift(text, source="stats_quiz.gift") == quiz


def test_unix_line_endings_give_the_same_questions(quiz):
    raw = (DATA / "stats_quiz.gift").read_bytes().replace(b"\r\n", b"\n")
    assert parse_gift(raw, source="stats_quiz.gift") == quiz


# --------------------------------------------------------------------------------------------------
# Smaller constructs


def test_answers_on_their_own_lines_and_gift_docs_examples():
    text = (
        "Who's buried in Grant's tomb?{~Grant ~Jefferson =no one}\n\n"
        "Grant is {~buried =entombed ~living} in Grant's tomb.\n\n"
        "Grant is buried in Grant's tomb.{F}\n\n"
        "Who's buried in Grant's tomb?{=no one =nobody}\n\n"
        "When was Ulysses S. Grant born?{#1822:5}\n"
    )
    result = parse_gift(text)
    assert [q["kind"] for q in result.questions] == [
        "single_choice", "single_choice", "true_false", "short_text", "numeric"]
    assert [q["slug"] for q in result.questions] == [
        "who-s-buried-in-grant-s-tomb", "grant-is-in-grant-s-tomb", "grant-is-buried-in-grant-s-tomb",
        "who-s-buried-in-grant-s-tomb-2", "when-was-ulysses-s-grant-born"]
    assert result.questions[1]["prompt"] == "Grant is _____ in Grant's tomb."
    assert result.questions[1]["title"] == "Grant is _____ in Grant's tomb."
    assert result.questions[4]["answers"] == [{"value": 1822.0, "abs_tol": 5.0, "fraction": 1.0, "feedback": ""}]
    assert result.questions[0]["source"] == "<gift>:1"
    assert result.warnings == []


def test_decimal_range_is_exact():
    [q] = parse_gift("What is pi (3 places)? {#3.141..3.142}").questions
    assert q["answers"] == [{"value": 3.1415, "abs_tol": 0.0005, "fraction": 1.0, "feedback": ""}]
    [q] = parse_gift("A number from -5 to -1 {#-5..-1}").questions
    assert (q["answers"][0]["value"], q["answers"][0]["abs_tol"]) == (-3.0, 2.0)


def test_true_false_feedback_for_a_true_answer():
    [q] = parse_gift("The median is robust.{TRUE#No, it is robust.#Yes.}").questions
    assert (q["answer"], q["feedback_true"], q["feedback_false"]) == (True, "Yes.", "No, it is robust.")


def test_single_choice_with_partial_credit_option():
    [q] = parse_gift("Difficult question.{~wrong answer ~%50%half credit answer =full credit answer}").questions
    assert q["kind"] == "single_choice"
    assert [o["fraction"] for o in q["options"]] == [0.0, 0.5, 1.0]


def test_category_line_directly_followed_by_a_question():
    text = "$CATEGORY: $course$/top/Default for DS 101/Probability\n::Q::Fair coin, P(heads)?{#0.5}\n"
    [q] = parse_gift(text).questions
    assert q["category"] == "Default for DS 101/Probability"
    assert q["source"] == "<gift>:2"


def test_questions_before_any_category_have_none():
    [q] = parse_gift("::A::One?{T}").questions
    assert q["category"] == ""


def test_html_is_converted_and_never_carried():
    text = (
        '::H::[html]<p onclick="evil()">Look at <code>np.mean(x)</code>:</p>'
        "<ul><li>first</li><li><strong>second</strong></li></ul>"
        '<script>alert(1)</script><img src="@@PLUGINFILE@@/hist.png" alt="Histogram">'
        "{=ok ~no}"
    )
    result = parse_gift(text)
    [q] = result.questions
    assert q["prompt"] == "Look at `np.mean(x)`:\n\n- first\n- **second**\n\n(image: Histogram)"
    assert "<" not in q["prompt"]
    assert result.warnings == [
        "<gift>, line 1: <script> content is not supported and was removed",
        '<gift>, line 1: image "hist.png" is not supported; its alt text "Histogram" was kept',
    ]


def test_moodle_format_text_keeps_line_breaks_and_escapes_markdown():
    [q] = parse_gift("::M::Compute 2*3 and\n# of samples\n1. first{=6 ~5}").questions
    assert q["prompt"] == "Compute 2\\*3 and\n\\# of samples\n1\\. first"


def test_explicit_moodle_format_and_per_answer_formats():
    text = "[moodle]Is <b>this</b>\nbold?{=[html]<i>yes</i>#[markdown]**right** ~[plain]<no>#[plain]*wrong*}"
    [q] = parse_gift(text).questions
    assert q["prompt"] == "Is **this**\nbold?"
    assert q["options"] == [  # option text is plain (it is shown as typed); feedback stays Markdown
        {"text": "yes", "fraction": 1.0, "feedback": "**right**"},
        {"text": "<no>", "fraction": 0.0, "feedback": "\\*wrong\\*"},
    ]


def test_shortanswer_wildcard_is_kept_literally_with_a_warning():
    result = parse_gift("::Animal::Which is the best animal?{=Frog#Good! =%0%*#Completely wrong}")
    [q] = result.questions
    assert q["answers"][1] == {"text": "*", "fraction": 0.0, "feedback": "Completely wrong"}
    assert result.warnings == [
        '<gift>, line 1: short answer "*" uses "*", a wildcard in Moodle; Prep matches it literally']


def test_empty_title_falls_back_to_the_text():
    [q] = parse_gift("::::Is 0 even?{T}").questions
    assert (q["title"], q["slug"]) == ("Is 0 even?", "is-0-even")


def test_file_of_comments_and_blank_lines_has_no_questions():
    assert parse_gift("// nothing here\n\n   \n// still nothing\n") == ParseResult(questions=[], warnings=[])


# --------------------------------------------------------------------------------------------------
# Unsupported questions


MATCHING = (
    "::Good::Is the mean robust?{F}\n"
    "\n"
    "// a matching question\n"
    "::Tests::Match each situation with its test. {\n"
    "    =Two means -> t-test\n"
    "    =Counts in a table -> chi-squared test\n"
    "}\n"
    "\n"
    "::Also good::Is the median robust?{T}\n"
)


def test_matching_is_refused_by_default():
    error = refused(MATCHING)
    assert (error.line, error.source) == (4, "quiz.gift")
    assert str(error) == "quiz.gift, line 4: matching questions ({=item -> match}) are not supported"


def test_matching_is_skipped_on_request_with_a_warning():
    result = parse_gift(MATCHING, source="quiz.gift", skip_unsupported=True)
    assert [q["slug"] for q in result.questions] == ["good", "also-good"]
    assert result.warnings == [
        'quiz.gift, line 4: skipped matching question "Tests": matching questions ({=item -> match}) are not supported'
    ]


def test_skip_unsupported_does_not_hide_errors():
    error = refused(MATCHING + "\n::Bad::x{#abc}\n", skip_unsupported=True)
    assert error.line == 11


# --------------------------------------------------------------------------------------------------
# Refused files: the whole file, with the line of the question at fault


def test_unclosed_brace_fixture():
    result = None
    with pytest.raises(FormatError) as info:
        result = parse_file("unclosed_brace.gift")
    assert result is None
    error = info.value
    assert (error.source, error.line, error.element) == ("unclosed_brace.gift", 7, None)
    assert str(error) == (
        'unclosed_brace.gift, line 7: "{" is never closed: "}" is missing (or a blank line splits the answers)')


def test_bad_number_fixture():
    with pytest.raises(FormatError) as info:
        parse_file("bad_number.gift")
    assert info.value.line == 6
    assert str(info.value) == 'bad_number.gift, line 6: numeric answer "abc" is not a number'
    assert info.value.reason == 'numeric answer "abc" is not a number'


def test_no_correct_answer_fixture():
    with pytest.raises(FormatError) as info:
        parse_file("no_correct.gift")
    assert info.value.line == 4
    assert info.value.reason == "multiple-choice question has no correct option (none is worth more than 0%)"


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("::Q::Text{T}\n\n::Open title text{T}", 3, 'the "::title::" is not closed (a second "::" is missing)'),
        ("A}b{T}", 1, '"}" without an opening "{" (write a literal brace as \\})'),
        ("Just a close}", 1, '"}" without an opening "{" (write a literal brace as \\})'),
        ("A {=a {=b} }", 1, '"{" inside the answers (write a literal brace as \\{)'),
        ("One {T} two {F}", 1,
         "more than one answer block {...} in one question (separate questions with a blank line; "
         "write literal braces as \\{ \\})"),
        ("Q1{T}\n// no blank line between questions\nQ2{F}", 1,
         "more than one answer block {...} in one question (separate questions with a blank line; "
         "write literal braces as \\{ \\})"),
        ("Pick one {=a =b ~c}", 1,
         'single-choice question has 2 options worth 100% ("a", "b"); only one may be'),
        ("Pick {=a ~}", 1, "option 2 has no text"),
        ("Pick {~a}", 1, "a choice question needs at least 2 options, this one has 1"),
        ("Pick {stray ~a =b}", 1, 'unexpected text "stray" before the first answer (each answer starts with = or ~)'),
        ("Pick {~%150%a =b}", 1, 'answer weight "%150%" is outside -100% to 100%'),
        ("Pick {~%abc%a =b}", 1, 'answer weight % "abc" is not a number'),
        ("Pick {~%50%a ~%30%b ~c}", 1,
         "the correct options of a multiple-choice question must add up to 100%, these add up to 80%"),
        ("Pick {=%50%a ~b}", 1,
         "single-choice question has no option worth 100% (the best is worth 50%)"),
        ("Say {=%50%a =%20%b}", 1, "no answer is worth 100%, so no response could earn full marks"),
        ("Say {=%-50%a =b}", 1, 'answer "a" is worth -50%, outside 0% to 100%'),
        ("Say {=a =   =b}", 1, "a short answer is empty"),
        ("N {#}", 1, "numeric question has no answers"),
        ("N {#1.5:abc}", 1, 'tolerance "abc" is not a number'),
        ("N {#1.5:-1}", 1, 'tolerance "-1" is negative'),
        ("N {#5..1}", 1, 'numeric range "5..1" runs backwards (low end above high end)'),
        ("N {#1..x}", 1, 'numeric answer "x" is not a number'),
        ("N {#3,14}", 1, 'numeric answer "3,14" is not a number'),
        ("N {#nan}", 1, 'numeric answer "nan" is not a number'),
        ("N {#1e999}", 1, 'numeric answer "1e999" is out of range'),
        ("N {#=%50%2:1}", 1, "no answer is worth 100%, so no response could earn full marks"),
        ("N {#2 ~oops}", 1,
         'unexpected "~oops" in a numeric answer block (only "~#feedback for any other answer" may follow "~")'),
        ("{T}", 1, "the question has no text"),
    ],
)
def test_refused_questions(text, line, reason):
    error = refused(text)
    assert (error.line, error.reason) == (line, reason)
    assert str(error) == f"quiz.gift, line {line}: {reason}"


def test_an_error_in_the_last_question_refuses_the_whole_file():
    good = "\n\n".join(f"::Q{i}::Question {i}?{{T}}" for i in range(50))
    error = refused(good + "\n\n::Last::Value?{#1..oops}")
    assert error.line == 101


def test_invalid_utf8_is_refused_with_its_line():
    error = refused(b"::A::Fine{T}\n\n::B::Caf\xe9{T}\n")
    assert (error.line, error.reason) == (3, "the file is not UTF-8 text")


def test_files_over_20_mb_are_refused_before_parsing():
    big = "::Q::x{T}\n\n" + "x" * (20 * 1024 * 1024)
    error = refused(big)
    assert error.line is None
    assert error.reason.endswith("files over 20 MB are refused")
    assert refused(big.encode()).reason.endswith("files over 20 MB are refused")
    # Counted in bytes: 11 million two-byte characters are 22 MB.
    assert refused("é" * (11 * 1024 * 1024)).reason.endswith("files over 20 MB are refused")
