"""A Kattis problem package becomes a program-style code question, and candidates' code is then
judged against it by a real worker in the sandbox."""

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from assessments.models import Question
from assessments.services.validation import question_set_status
from tests.assessments.factories import assessment_with, invite
from tests.e2e.helpers import poll_submission, token_client

PACKAGES = Path(__file__).resolve().parent.parent / "judge" / "packages"


def import_package(name: str):
    call_command("import_questions", str(PACKAGES / name), stdout=open("/dev/null", "w"))
    return Question.objects.get(source=f"kattis:{name}")


@pytest.mark.django_db
def test_a_package_imports_as_a_program_question_with_its_tests_and_limits():
    question = import_package("addtwo")
    code = question.code
    assert (question.kind, code.style) == ("code", "program")
    assert code.time_limit_s and code.time_limit_s >= 1  # inferred from the accepted submissions
    assert code.reference_solution.strip()
    tests = list(question.program_tests.order_by("order"))
    assert any(t.is_sample for t in tests) and any(not t.is_sample for t in tests)
    assert all(t.answer for t in tests)
    references = dict(question.reference_submissions.values_list("name", "expected"))
    assert references["wrong_answer/off_by_one.py"] == "wrong_answer"
    assert references["time_limit_exceeded/spin_on_big.py"] == "time_limit_exceeded"
    assert references["run_time_error/at_out_of_range.cpp"] == "run_time_error"


@pytest.mark.django_db
def test_publishing_an_imported_package_checks_its_wrong_and_slow_submissions_fail_as_filed():
    question = import_package("addtwo")
    published = question_set_status(question=question, status="published")
    assert published.status == "published"
    question.refresh_from_db()
    count = question.reference_submissions.count()
    assert f"{count}/{count} reference submissions get their expected outcome" in question.check_detail


@pytest.mark.django_db
def test_a_package_with_a_custom_validator_keeps_its_source():
    question = import_package("twoparts")
    assert question.code.checker == "custom"
    assert question.support_files.filter(role="validator").exists()


@pytest.mark.django_db
def test_a_malformed_package_is_refused_naming_the_file():
    with pytest.raises(CommandError) as error:
        call_command("import_questions", str(PACKAGES / "malformed" / "bad_yaml"), stdout=open("/dev/null", "w"))
    assert "problem.yaml" in str(error.value)
    assert not Question.objects.exists()


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_candidates_programs_are_judged_against_an_imported_package(celery_worker):
    question = import_package("addtwo")
    assert question.status == "draft"  # imports start as drafts ...
    question = question_set_status(question=question, status="published")  # ... its reference gets AC
    assessment = assessment_with(question)
    candidate = invite(assessment).candidate
    client = token_client(candidate.username, "pw-for-tests")
    attempt = client.post(f"/api/assessments/{assessment.id}/attempts/").json()
    samples = next(q for q in attempt["questions"] if q["id"] == question.id)["code"]["sample_tests"]
    assert samples and "input" in samples[0] and "expected" in samples[0]
    url = f"/api/attempts/{attempt['id']}/responses/{question.id}/submissions/"

    good = client.post(url, {"language": "cpp", "source": "#include <cstdio>\nint main(){long long a,b;scanf(\"%lld %lld\",&a,&b);printf(\"%lld\\n\",a+b);}\n"}, format="json")
    assert good.status_code == 202, good.content
    assert poll_submission(client, good.json()["id"], timeout=120)["verdict"] == "AC"
    bad = client.post(url, {"language": "python", "source": "print(0)\n"}, format="json")
    assert poll_submission(client, bad.json()["id"], timeout=120)["verdict"] == "WA"
