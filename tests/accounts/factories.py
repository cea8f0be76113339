import factory

from accounts.models import User
from accounts.roles import INTERVIEWERS, REVIEWERS


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "pw-for-tests")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def _join(group_name):
    def join(obj, create, extracted, **kwargs):
        if create:
            from accounts.services import role_groups_ensure

            obj.groups.add(role_groups_ensure()[group_name])

    return join


class StaffFactory(UserFactory):
    """A reviewer (recruiter, hiring manager): sees every candidate and attempt."""

    is_staff = True
    join_group = factory.PostGeneration(_join(REVIEWERS))


class InterviewerFactory(UserFactory):
    """Sees only the applications they are assigned to."""

    is_staff = True
    join_group = factory.PostGeneration(_join(INTERVIEWERS))


def client_for(user):
    """An API client signed in as `user` (force_authenticate: no password round trip)."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user)
    return client
