"""Invitation links: single use, expiry, revocation, availability window, e-mail, CSV — and a
clear page (never a server error) for every link that cannot be used."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from assessments.models import Invitation
from assessments.services import attempt_start
from assessments.services.invitations import (
    invitation_create,
    invitation_resend,
    invitation_revoke,
    invitations_import_csv,
)
from common.exceptions import ApplicationError, Conflict
from tests.accounts.factories import StaffFactory, UserFactory
from tests.assessments.factories import assessment_with, single_choice_question

pytestmark = pytest.mark.django_db(transaction=True)  # e-mails go out on commit


@pytest.fixture
def assessment():
    return assessment_with(single_choice_question(), title="Stats screen")


def test_a_sent_invitation_emails_a_personal_link_that_signs_the_candidate_in(client, assessment):
    candidate = UserFactory(email="casey@example.com")
    invitation, _ = invitation_create(assessment=assessment, candidate=candidate, send=True)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["casey@example.com"]
    link = reverse("invitation-open", args=[invitation.token])
    assert link in mail.outbox[0].body and "Stats screen" in mail.outbox[0].subject

    page = client.get(link)  # a mail scanner's prefetch uses nothing up
    assert page.status_code == 200 and b"Continue to the assessment" in page.content
    assert Invitation.objects.get(pk=invitation.pk).link_used_at is None
    response = client.post(link)
    assert response.status_code == 302 and response.url == reverse("assessment-detail", args=[assessment.id])
    assert client.get(reverse("home")).context["user"] == candidate
    assert client.post(link).status_code == 302  # the same candidate may use it again


def test_a_used_link_does_not_sign_in_anyone_else(client, assessment):
    invitation, _ = invitation_create(assessment=assessment, candidate=UserFactory())
    client.post(reverse("invitation-open", args=[invitation.token]))
    other = APIClient()
    for method in (other.get, other.post):
        page = method(reverse("invitation-open", args=[invitation.token]))
        assert page.status_code == 410 and b"already been used" in page.content


@pytest.mark.parametrize(
    ("change", "status", "text"),
    [
        ({"link_expires_at": timezone.now() - timedelta(days=1)}, 410, b"expired"),
        ({"revoked_at": timezone.now()}, 410, b"withdrawn"),
    ],
)
def test_an_expired_or_revoked_link_gets_a_clear_page(client, assessment, change, status, text):
    invitation, _ = invitation_create(assessment=assessment, candidate=UserFactory())
    Invitation.objects.filter(pk=invitation.pk).update(**change)
    page = client.get(reverse("invitation-open", args=[invitation.token]))
    assert page.status_code == status and text in page.content


def test_an_unknown_link_is_a_404_page(client):
    page = client.get(reverse("invitation-open", args=["not-a-token"]))
    assert page.status_code == 404 and b"not valid" in page.content


def test_resending_replaces_the_link(client, assessment):
    candidate = UserFactory(email="a@example.com")
    invitation, _ = invitation_create(assessment=assessment, candidate=candidate)
    old = invitation.token
    invitation = invitation_resend(invitation_id=invitation.id)
    assert invitation.token != old and invitation.send_count == 1 and len(mail.outbox) == 1
    assert client.get(reverse("invitation-open", args=[old])).status_code == 404


def test_a_revoked_invitation_cannot_be_sent_or_started(assessment):
    candidate = UserFactory(email="a@example.com")
    invitation, _ = invitation_create(assessment=assessment, candidate=candidate)
    invitation_revoke(invitation_id=invitation.id)
    with pytest.raises(Conflict):
        invitation_resend(invitation_id=invitation.id)


def test_the_availability_window_and_extra_time_apply_to_starting(assessment):
    candidate = UserFactory()
    invitation, _ = invitation_create(assessment=assessment, candidate=candidate, extra_time=timedelta(minutes=15),
                                      available_from=timezone.now() + timedelta(hours=1))
    with pytest.raises(Conflict, match="You can start from"):
        attempt_start(candidate=candidate, assessment=assessment)
    Invitation.objects.filter(pk=invitation.pk).update(available_from=None)
    attempt, _ = attempt_start(candidate=candidate, assessment=assessment)
    assert attempt.deadline - attempt.started_at == assessment.time_limit + timedelta(minutes=15)


def test_a_csv_invites_every_row_or_none(assessment):
    text = "email,name,extra_minutes\nana@example.com,Ana Lima,0\nbo@example.com,Bo Chen,30\n"
    invitations = invitations_import_csv(assessment=assessment, text=text)
    assert {i.candidate.email for i in invitations} == {"ana@example.com", "bo@example.com"}
    assert len(mail.outbox) == 2
    assert Invitation.objects.get(candidate__email="bo@example.com").extra_time == timedelta(minutes=30)

    with pytest.raises(ApplicationError, match="line 3: 'not-an-email'"):
        invitations_import_csv(assessment=assessment, text="email,name\ncy@example.com,Cy\nnot-an-email,X\n")
    assert not Invitation.objects.filter(candidate__email="cy@example.com").exists()


def test_staff_invite_through_the_api_and_candidates_cannot():
    assessment = assessment_with(single_choice_question())
    candidate = UserFactory(email="dee@example.com")
    staff = APIClient()
    staff.force_authenticate(StaffFactory())
    response = staff.post(f"/api/staff/assessments/{assessment.id}/invitations/", {"email": "dee@example.com"}, format="json")
    assert response.status_code == 201 and response.json()["url"].endswith(f"/invite/{Invitation.objects.get().token}/")
    assert len(mail.outbox) == 1
    revoked = staff.post(f"/api/staff/invitations/{response.json()['id']}/revoke/")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]

    as_candidate = APIClient()
    as_candidate.force_authenticate(candidate)
    assert as_candidate.post(f"/api/staff/assessments/{assessment.id}/invitations/", {"email": "x@example.com"},
                             format="json").status_code == 403


def test_staff_accounts_can_never_be_invited_so_no_link_signs_staff_in(assessment):
    with pytest.raises(ApplicationError, match="Staff accounts cannot be invited"):
        invitation_create(assessment=assessment, candidate=StaffFactory(is_superuser=True))
