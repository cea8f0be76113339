"""The validation loop: every demo question's answer key holds, reference solutions run in the sandbox."""

import pytest
from django.core.management import CommandError, call_command

from assessments.models import CodeSpec
from assessments.services.demo import bank_load
from assessments.services.validation import question_check
from tests.assessments.factories import code_question

pytestmark = pytest.mark.django_db


def test_every_question_of_the_demo_bank_validates():
    bank_load()
    call_command("validate_questions", stdout=open("/dev/null", "w"))


def test_a_wrong_reference_solution_fails_validation_naming_the_tests():
    question = code_question()
    CodeSpec.objects.filter(question=question).update(reference_solution="def square(x):\n    return x + x\n")
    question.refresh_from_db()
    check = question_check(question=question)
    assert not check.ok and "WA" in check.detail and "negative" in check.detail
    with pytest.raises(CommandError, match="1 question"):
        call_command("validate_questions", "--slug", question.slug, stdout=open("/dev/null", "w"))


def test_a_question_is_published_only_if_its_answer_key_holds():
    from assessments.models import Question
    from assessments.services.validation import question_set_status
    from common.exceptions import ApplicationError

    question = code_question(status="draft")
    question = question_set_status(question=question, status="published")
    assert question.status == Question.Status.PUBLISHED
    broken = code_question(status="draft")
    CodeSpec.objects.filter(question=broken).update(reference_solution="def square(x):\n    return 0\n")
    with pytest.raises(ApplicationError, match="cannot be published"):
        question_set_status(question=broken, status="published")


def test_an_assessment_with_an_unpublished_question_cannot_start():
    from assessments.services import attempt_start
    from common.exceptions import Conflict
    from tests.assessments.factories import assessment_with, invite, single_choice_question

    assessment = assessment_with(single_choice_question(status="draft"))
    with pytest.raises(Conflict, match="not ready"):
        attempt_start(candidate=invite(assessment).candidate, assessment=assessment)


def test_each_start_counts_an_exposure_of_each_question_and_resuming_does_not():
    from assessments.selectors import question_exposures
    from assessments.services import attempt_start
    from tests.assessments.factories import assessment_with, invite, single_choice_question

    question, unused = single_choice_question(), single_choice_question()
    assessment = assessment_with(question)
    first = invite(assessment).candidate
    attempt_start(candidate=first, assessment=assessment)
    attempt_start(candidate=first, assessment=assessment)  # resumed
    attempt_start(candidate=invite(assessment).candidate, assessment=assessment)

    assert question_exposures(question_ids=[question.id, unused.id]) == {question.id: 2, unused.id: 0}


def test_every_question_of_the_starter_pack_validates():
    """The starter bank's 60+ questions, each code question's reference judged in the sandbox
    (SQL on every fixture, R, pandas on the data stack, a stdin/stdout program)."""
    from assessments.models import Question
    from assessments.services.demo import starter_load

    assessments = starter_load()
    assert assessments and Question.objects.count() >= 60
    call_command("validate_questions", stdout=open("/dev/null", "w"))


def test_reference_submissions_must_get_the_outcome_they_are_filed_under():
    from assessments.models import Question, ReferenceSubmission

    question = code_question(status="draft")
    ReferenceSubmission.objects.create(question=question, name="adds", expected="wrong_answer",
                                       source="def square(x):\n    return x + x\n")
    ReferenceSubmission.objects.create(question=question, name="spins", expected="time_limit_exceeded",
                                       source="def square(x):\n    while True:\n        pass\n")
    check = question_check(question=Question.objects.get(pk=question.pk))
    assert check.ok, check.detail
    assert "2/2 reference submissions get their expected outcome" in check.detail

    ReferenceSubmission.objects.create(question=question, name="abs-times", expected="wrong_answer",
                                       source="def square(x):\n    return abs(x) * abs(x)\n")
    check = question_check(question=Question.objects.get(pk=question.pk))
    assert not check.ok
    assert "abs-times expected wrong_answer, got AC" in check.detail  # the tests do not catch it


def test_a_parameterized_question_is_published_once_its_generator_serves_20_seeds_or_more():
    from assessments.models import Question
    from assessments.services.validation import question_set_status
    from tests.assessments.factories import data_analysis_question

    question = data_analysis_question(status="draft")
    published = question_set_status(question=question, status="published")

    assert published.status == Question.Status.PUBLISHED
    question.refresh_from_db()
    assert question.check_ok and question.check_detail.startswith("30 variants generated (")
    assert question.variants.count() == 30
    sizes = {v.params["n"] for v in question.variants.all()}
    assert len(sizes) > 5
    first = question.variants.get(index=0)
    assert first.datasets["ab.csv"].startswith("group,value\n")
    assert abs(first.answers["answers"]["mean_diff"]) < 3


def test_a_generator_that_fails_on_one_seed_keeps_the_question_a_draft_and_says_which():
    from assessments.models import Question
    from assessments.services.validation import question_set_status
    from common.exceptions import ApplicationError
    from tests.assessments.factories import AB_GENERATOR, data_analysis_question

    question = data_analysis_question(status="draft")
    question.generator = AB_GENERATOR.replace("    n = int(", "    assert rng.integers(0, 10) != 3, 'unlucky'\n    n = int(")
    question.save()
    with pytest.raises(ApplicationError, match="cannot be published: seed"):
        question_set_status(question=question, status="published")
    question.refresh_from_db()
    assert question.status == Question.Status.DRAFT and question.check_ok is False
    assert "AssertionError: unlucky" in question.check_detail and question.variants.count() == 0
