"""Authors add and edit every kind of question in the Django admin, tests inline."""

import pytest
from django.urls import reverse

from assessments.models import CodeTest, Question
from tests.accounts.factories import UserFactory
from tests.assessments.factories import code_question, multiple_choice_question, numeric_question, single_choice_question

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_every_kind_of_question_opens_in_the_admin_with_its_parts(admin_client):
    for question, part in [
        (single_choice_question(), "options"),
        (multiple_choice_question(), "options"),
        (numeric_question(), "numeric"),
        (code_question(), "code_tests"),
    ]:
        page = admin_client.get(reverse("admin:assessments_question_change", args=[question.id]))
        assert page.status_code == 200
        assert part.encode() in page.content


def test_an_author_adds_a_code_question_with_inline_tests(admin_client):
    page = admin_client.get(reverse("admin:assessments_question_add"))
    assert page.status_code == 200
    data = {
        "slug": "double", "kind": "code", "title": "Double it", "prompt": "Return 2x.", "difficulty": "easy",
        "points": "3", "explanation": "",
        "options-TOTAL_FORMS": "0", "options-INITIAL_FORMS": "0",
        "text_answers-TOTAL_FORMS": "0", "text_answers-INITIAL_FORMS": "0", "choice_scoring": "all_or_nothing",
        "text_match": "normalized", "status": "draft", "hints": "[]",
        "numeric-TOTAL_FORMS": "0", "numeric-INITIAL_FORMS": "0", "parts-TOTAL_FORMS": "0", "parts-INITIAL_FORMS": "0",
        "generator": "", "variant_count": "30",
        "code-TOTAL_FORMS": "1", "code-INITIAL_FORMS": "0",
        "program_tests-TOTAL_FORMS": "0", "program_tests-INITIAL_FORMS": "0",
        "test_groups-TOTAL_FORMS": "0", "test_groups-INITIAL_FORMS": "0",
        "support_files-TOTAL_FORMS": "0", "support_files-INITIAL_FORMS": "0",
        "code-0-style": "function", "code-0-other_languages": "[]", "code-0-output_kb": "64", "code-0-checker": "tokens",
        "code-0-language": "python", "code-0-function_name": "double", "code-0-starter_code": "def double(x):\n    pass",
        "code-0-reference_solution": "def double(x):\n    return 2 * x", "code-0-time_limit_s": "1", "code-0-memory_mb": "128",
        "code_tests-TOTAL_FORMS": "2", "code_tests-INITIAL_FORMS": "0",
        "code_tests-0-order": "0", "code_tests-0-name": "one", "code_tests-0-args": "[1]", "code_tests-0-expected": "2",
        "code_tests-0-is_sample": "on", "code_tests-0-weight": "1",
        "code_tests-1-order": "1", "code_tests-1-name": "hidden", "code_tests-1-args": "[21]", "code_tests-1-expected": "42",
        "code_tests-1-weight": "2",
    }
    response = admin_client.post(reverse("admin:assessments_question_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    question = Question.objects.get(slug="double")
    assert question.code.function_name == "double"
    assert question.status == "draft" and question.author is not None
    assert list(CodeTest.objects.filter(question=question).values_list("name", "args", "expected", "is_sample")) == [
        ("one", [1], 2, True), ("hidden", [21], 42, False)
    ]
