"""import_questions with GIFT and Moodle XML files: the right questions, answers and tolerances,
and a malformed file imports nothing."""

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from assessments import scoring
from assessments.models import Question

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parent.parent / "formats" / "data"


def import_file(name: str, *args):
    call_command("import_questions", str(DATA / name), *args, stdout=open("/dev/null", "w"), stderr=open("/dev/null", "w"))


def test_a_gift_file_imports_every_kind_with_answers_that_score():
    import_file("stats_quiz.gift")
    kinds = set(Question.objects.values_list("kind", flat=True))
    assert {"single_choice", "multiple_choice", "true_false", "numeric", "short_text", "free_text"} <= kinds
    for question in Question.objects.prefetch_related("options", "text_answers").select_related("numeric"):
        if question.kind in ("single_choice", "true_false"):
            best = max(question.options.all(), key=lambda o: o.credit)
            assert scoring.answer_points(question=question, answer={"choice": best.id}) == question.points
        elif question.kind == "numeric":
            assert scoring.answer_points(question=question, answer={"value": question.numeric.answer}) == question.points
        elif question.kind == "short_text":
            best = question.text_answers.order_by("-fraction").first()
            if "*" not in best.text:
                assert scoring.answer_points(question=question, answer={"text": best.text}) == question.points * best.fraction


def test_a_moodle_xml_export_imports_with_categories_and_tolerances():
    import_file("moodle_export.xml")
    numeric = Question.objects.filter(kind="numeric").select_related("numeric").first()
    assert numeric is not None and numeric.numeric.policy == "absolute"
    assert Question.objects.exclude(category="").exists()
    assert Question.objects.filter(kind="free_text").exclude(rubric="").exists()


@pytest.mark.parametrize("name", ["unclosed_brace.gift", "bad_number.gift", "not_well_formed.xml", "billion_laughs.xml",
                                  "single_no_correct.xml", "with_matching.xml"])
def test_a_malformed_file_is_refused_whole_naming_where(name):
    with pytest.raises(CommandError) as error:
        import_file(name)
    assert "Nothing imported" in str(error.value)
    assert "line" in str(error.value) or "question[" in str(error.value)
    assert not Question.objects.exists()


def test_unsupported_questions_can_be_skipped():
    import_file("with_matching.xml", "--skip-unsupported")
    assert Question.objects.exists()
