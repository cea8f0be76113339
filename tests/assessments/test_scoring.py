import pytest

from assessments import scoring
from assessments.models import NumericSpec, Option, Question, TextAnswer
from tests.assessments.factories import QuestionFactory, multiple_choice_question, numeric_question

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("policy", "answer", "given", "kwargs", "matches"),
    [
        ("absolute", 0.05, 0.0509, {"abs_tol": 0.001}, True),
        ("absolute", 0.05, 0.0511, {"abs_tol": 0.001}, False),
        ("relative", 200.0, 203.0, {"rel_tol": 0.02}, True),
        ("relative", 200.0, 205.0, {"rel_tol": 0.02}, False),
        ("either", 200.0, 205.0, {"abs_tol": 5, "rel_tol": 0.01}, True),
        ("sig_figs", 0.012345, 0.0123, {"digits": 3}, True),
        ("sig_figs", 0.012345, 0.0124, {"digits": 3}, False),
        ("sig_figs", 12345.0, 12300.0, {"digits": 3}, True),
        ("decimals", 3.14159, 3.14, {"digits": 2}, True),
        ("decimals", 3.14159, 3.15, {"digits": 2}, False),
    ],
)
def test_numeric_tolerance_policies(policy, answer, given, kwargs, matches):
    assert scoring.numeric_matches(value=given, expected=answer, policy=policy, **kwargs) is matches


def test_a_numeric_alternative_earns_its_partial_credit():
    question = numeric_question(answer=2.0, abs_tol=0.0, points=4)
    NumericSpec.objects.filter(question=question).update(alternatives=[{"value": 1.0, "abs_tol": 0.5, "fraction": 0.5}])
    question.refresh_from_db()
    assert scoring.answer_points(question=question, answer={"value": 2.0}) == 4
    assert scoring.answer_points(question=question, answer={"value": 1.2}) == 2
    assert scoring.answer_points(question=question, answer={"value": 5}) == 0


def test_partial_credit_multiple_choice_sums_fractions_and_never_goes_below_zero():
    question = QuestionFactory(kind=Question.Kind.MULTIPLE_CHOICE, choice_scoring="partial", points=3)
    a = Option.objects.create(question=question, text="a", fraction=0.5)
    b = Option.objects.create(question=question, text="b", fraction=0.5)
    wrong = Option.objects.create(question=question, text="c", fraction=-1.0)
    assert scoring.answer_points(question=question, answer={"choices": [a.id]}) == 1.5
    assert scoring.answer_points(question=question, answer={"choices": [a.id, b.id]}) == 3
    assert scoring.answer_points(question=question, answer={"choices": [a.id, wrong.id]}) == 0


def test_all_or_nothing_multiple_choice_needs_exactly_the_correct_set():
    question = multiple_choice_question()
    correct = [o.id for o in question.options.filter(is_correct=True)]
    assert scoring.answer_points(question=question, answer={"choices": correct}) == question.points
    assert scoring.answer_points(question=question, answer={"choices": correct[:1]}) == 0


def test_short_text_is_matched_after_normalising_with_wildcards():
    question = QuestionFactory(kind=Question.Kind.SHORT_TEXT, points=2)
    TextAnswer.objects.create(question=question, text="Standard deviation")
    TextAnswer.objects.create(question=question, text="st* dev*", fraction=0.5)
    assert scoring.answer_points(question=question, answer={"text": "  standard   DEVIATION. "}) == 2
    assert scoring.answer_points(question=question, answer={"text": "std dev"}) == 1
    assert scoring.answer_points(question=question, answer={"text": "variance"}) == 0


def test_exact_text_match_respects_case():
    question = QuestionFactory(kind=Question.Kind.SHORT_TEXT, text_match="exact")
    TextAnswer.objects.create(question=question, text="NaN")
    assert scoring.answer_credit(question=question, answer={"text": "NaN"}) == 1
    assert scoring.answer_credit(question=question, answer={"text": "nan"}) == 0


def test_a_free_text_answer_waits_for_a_reviewer_unless_empty():
    question = QuestionFactory(kind=Question.Kind.FREE_TEXT)
    assert scoring.answer_points(question=question, answer={"text": "It depends on the prior."}) is None
    assert scoring.answer_points(question=question, answer={"text": "  "}) == 0


@pytest.mark.parametrize(
    ("policy", "expected", "given", "digits"),
    [("decimals", 2.675, 2.68, 2), ("sig_figs", 2.6751, 2.68, 3), ("decimals", 0.125, 0.13, 2)],
)
def test_rounding_policies_round_half_up_on_the_written_number(policy, expected, given, digits):
    assert scoring.numeric_matches(value=given, expected=expected, policy=policy, digits=digits)
