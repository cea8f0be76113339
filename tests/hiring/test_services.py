import pytest

from hiring.models import Application, StageTransition
from hiring.services import application_create, role_create
from tests.accounts.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_new_role_has_the_five_default_stages_in_order():
    role = role_create(slug="ds", title="Data Scientist")
    assert list(role.stages.values_list("slug", flat=True)) == [
        "application", "screening-call", "technical-assessment", "on-site-interviews", "final-discussion"
    ]


def test_an_application_starts_at_the_first_stage_with_an_audit_row():
    role = role_create(slug="ds", title="Data Scientist")
    actor = StaffFactory()
    application = application_create(role=role, candidate=UserFactory(), actor=actor)
    assert application.stage.slug == "application"
    assert application.state == Application.State.ACTIVE
    transition = StageTransition.objects.get(application=application)
    assert (transition.actor, transition.from_stage, transition.to_stage) == (actor, None, application.stage)
