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
