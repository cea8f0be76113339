"""Authors add and edit every kind of question in the Django admin, tests inline."""

import pytest
from django.urls import reverse

from assessments.models import CodeTest, Question, Response
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
        "reference_submissions-TOTAL_FORMS": "0", "reference_submissions-INITIAL_FORMS": "0",
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


def numeric_change_form(question, **changes):
    spec = question.numeric
    data = {
        "slug": question.slug, "kind": question.kind, "title": question.title, "prompt": question.prompt,
        "difficulty": question.difficulty, "points": str(question.points), "explanation": question.explanation,
        "choice_scoring": question.choice_scoring, "text_match": question.text_match, "status": question.status,
        "hints": "[]", "generator": "", "variant_count": "30", "skills": [s.id for s in question.skills.all()],
        "numeric-TOTAL_FORMS": "1", "numeric-INITIAL_FORMS": "1", "numeric-0-id": str(spec.id),
        "numeric-0-question": str(question.id), "numeric-0-answer": str(spec.answer), "numeric-0-policy": spec.policy,
        "numeric-0-abs_tol": str(spec.abs_tol), "numeric-0-rel_tol": str(spec.rel_tol), "numeric-0-alternatives": "[]",
        "numeric-0-unit": spec.unit, "numeric-0-digits": "",
    }
    data.update(changes)
    return data


def test_editing_a_published_question_in_the_admin_saves_a_new_version(admin_client):
    question = numeric_question(answer=0.05)
    url = reverse("admin:assessments_question_change", args=[question.id])

    response = admin_client.post(url, numeric_change_form(question, **{"numeric-0-answer": "0.5"}), follow=True)

    assert response.status_code == 200
    assert b"Saved as version 2" in response.content
    question.refresh_from_db()
    archived = Question.objects.get(version_of=question)
    assert (question.version, question.numeric.answer, archived.numeric.answer) == (2, 0.5, 0.05)
    assert admin_client.post(reverse("admin:assessments_question_change", args=[archived.id]),
                             numeric_change_form(archived)).status_code == 403  # a past version is view-only
    link = reverse("admin:assessments_question_change", args=[archived.id])
    listed = admin_client.get(reverse("admin:assessments_question_changelist")).content.decode()
    assert link not in listed  # past versions are listed only on request
    assert link in admin_client.get(reverse("admin:assessments_question_changelist") + "?versions=past").content.decode()


def test_saving_a_published_question_unchanged_makes_no_version(admin_client):
    question = numeric_question()
    admin_client.post(reverse("admin:assessments_question_change", args=[question.id]), numeric_change_form(question))
    assert not Question.objects.filter(version_of=question).exists()


def test_staff_export_questions_as_a_pack_zip_and_import_it_back(admin_client):
    import io
    import zipfile

    question = numeric_question(answer=0.25)
    exported = admin_client.post(reverse("admin:assessments_question_changelist"),
                                 {"action": "export_pack", "_selected_action": [question.id]})
    assert exported["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(exported.content))
    assert "pack.yaml" in archive.namelist()

    Question.objects.filter(pk=question.pk).update(status="draft")
    question.numeric.answer = 99
    question.numeric.save()
    upload = io.BytesIO(exported.content)
    upload.name = "questions.zip"
    response = admin_client.post(reverse("admin:assessments_question_import"), {"file": upload}, follow=True)

    assert b"Imported 1 question(s)" in response.content
    question.refresh_from_db()
    assert question.numeric.answer == 0.25


def test_an_uploaded_file_with_an_error_is_refused_whole_with_the_line(admin_client):
    import io

    gift = io.BytesIO(b"::ok:: 2 + 2 = {=4 ~5}\n\n::broken:: What? {=yes ~no\n")
    gift.name = "quiz.gift"
    response = admin_client.post(reverse("admin:assessments_question_import"), {"file": gift})

    assert response.status_code == 200
    page = response.content.decode()
    assert "Nothing was imported." in page and "line" in page
    assert not Question.objects.filter(title__in=["ok", "broken"]).exists()


def test_a_zip_that_reaches_outside_its_folder_is_refused(admin_client):
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("../../etc/evil.yaml", "questions: []")
    buffer.seek(0)
    buffer.name = "evil.zip"
    response = admin_client.post(reverse("admin:assessments_question_import"), {"file": buffer})
    assert "lies outside the archive" in response.content.decode()


def test_the_regrade_list_costs_the_same_queries_for_one_regrade_or_five(admin_client, django_assert_max_num_queries):
    from assessments.models import Attempt
    from assessments.services import attempt_start, attempt_submit, response_save
    from assessments.services.regrades import regrade_start
    from assessments.services.versions import question_snapshot, question_version_commit
    from tests.assessments.factories import assessment_with, invite

    def corrected_regrade():
        question = numeric_question(answer=0.05, abs_tol=0.001)
        assessment = assessment_with(question)
        attempt, _ = attempt_start(candidate=invite(assessment).candidate, assessment=assessment)
        response_save(attempt_id=attempt.id, question_id=question.id, answer={"value": 0.5})
        attempt_submit(attempt_id=attempt.id, submitted_by=Attempt.SubmittedBy.CANDIDATE)
        before = question_snapshot(question)
        question.numeric.answer = 0.5
        question.numeric.save()
        question_version_commit(question=question, before=before)
        return regrade_start(assessment=assessment, question=question, user=None)

    url = reverse("admin:assessments_regrade_changelist")
    corrected_regrade()
    with django_assert_max_num_queries(12) as one:
        assert b"1 response(s): 1 up" in admin_client.get(url).content
    for _ in range(4):
        corrected_regrade()
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert admin_client.get(url).content.count(b"1 response(s): 1 up") == 5


def test_the_question_list_shows_how_many_attempts_have_shown_each_question_and_sorts_by_it(admin_client):
    from assessments.services import attempt_start
    from tests.assessments.factories import assessment_with, invite

    shown, unseen = numeric_question(title="Shown thrice"), numeric_question(title="Never shown")
    assessment = assessment_with(shown)
    attempts = [attempt_start(candidate=invite(assessment).candidate, assessment=assessment)[0] for _ in range(2)]
    past = numeric_question(title="Past version", version_of=shown, status=Question.Status.RETIRED)
    Response.objects.create(attempt=attempts[0], question=past, max_score=1)  # shown before the new version
    url = reverse("admin:assessments_question_changelist")

    live = admin_client.get(url, {"o": "-9"}).content.decode()  # column 9, exposure, descending
    past = admin_client.get(url, {"o": "-9", "versions": "past"}).content.decode()

    def exposure(page, title):
        return page[page.index(title):].split("</tr>")[0].split('<td class="field-exposure">')[1].split("<")[0]

    assert live.index("Shown thrice") < live.index("Never shown")
    assert (exposure(live, "Shown thrice"), exposure(live, "Never shown"), exposure(past, "Past version")) == ("3", "0", "1")
    assert "Exposure" in admin_client.get(reverse("admin:assessments_question_change", args=[shown.id])).content.decode()
    assert admin_client.get(reverse("admin:assessments_question_add")).status_code == 200
