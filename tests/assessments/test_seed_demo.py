import pytest
from django.core.management import call_command

from accounts.models import User
from assessments.models import Assessment, CodeTest, Invitation, Question
from hiring.models import Application, Role

pytestmark = pytest.mark.django_db


def seed():
    call_command("seed_demo", stdout=open("/dev/null", "w"))


def test_seed_demo_creates_accounts_role_and_a_real_assessment():
    seed()
    assert set(User.objects.values_list("username", flat=True)) >= {"admin", "reviewer", "candidate"}
    assert User.objects.get(username="admin").is_superuser
    assert User.objects.get(username="reviewer").is_staff
    assert User.objects.get(username="candidate").check_password("prep-demo")
    assessment = Assessment.objects.get(slug="data-science-fundamentals")
    questions = assessment.questions.all()
    assert questions.count() >= 8
    assert questions.filter(kind=Question.Kind.CODE).count() >= 3
    assert {"single_choice", "multiple_choice", "numeric", "code"} <= set(questions.values_list("kind", flat=True))
    for question in questions.filter(kind=Question.Kind.CODE):
        assert CodeTest.objects.filter(question=question, is_sample=True).exists()
        assert CodeTest.objects.filter(question=question, is_sample=False).exists()
    assert Invitation.objects.filter(assessment=assessment, candidate__username="candidate").exists()
    role = Role.objects.get(slug="data-scientist")
    assert list(role.stages.values_list("name", flat=True)) == [
        "Application", "Screening call", "Technical assessment", "On-site interviews", "Final discussion"
    ]
    assert Application.objects.get(role=role).transitions.count() == 1


def test_seed_demo_is_idempotent():
    seed()
    counts = (User.objects.count(), Question.objects.count(), CodeTest.objects.count(), Role.objects.count())
    seed()
    assert (User.objects.count(), Question.objects.count(), CodeTest.objects.count(), Role.objects.count()) == counts


def test_the_demo_password_comes_from_the_environment(settings):
    settings.PREP_DEMO_PASSWORD = "another-local-password"
    seed()
    assert User.objects.get(username="candidate").check_password("another-local-password")
