"""Invitations: a single-use sign-in link per candidate and assessment, sent by e-mail."""

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.services import candidate_for_email
from assessments.models import Assessment, Invitation
from common.exceptions import ApplicationError, Conflict

LINK_VALID_FOR = timedelta(days=14)


@transaction.atomic
def invitation_create(*, assessment: Assessment, candidate: User, extra_time: timedelta = timedelta(0),
                      available_from: datetime | None = None, available_until: datetime | None = None,
                      link_valid_for: timedelta = LINK_VALID_FOR, send: bool = False) -> tuple[Invitation, bool]:
    """Invite a candidate (idempotent: an existing invitation is kept, a revoked one restored)."""
    if candidate.is_staff or candidate.is_superuser:
        # The link signs its holder in: it must never open a staff account.
        raise ApplicationError("Staff accounts cannot be invited; invite candidates only.", {"candidate": candidate.pk})
    invitation, created = Invitation.objects.get_or_create(
        assessment=assessment, candidate=candidate,
        defaults={"extra_time": extra_time, "available_from": available_from, "available_until": available_until,
                  "link_expires_at": timezone.now() + link_valid_for},
    )
    if not created and invitation.revoked_at is not None:
        invitation.revoked_at = None
        invitation.save(update_fields=["revoked_at", "updated_at"])
    if send:
        invitation_send(invitation=invitation)
    return invitation, created


def invitation_url(invitation: Invitation) -> str:
    return settings.PREP_BASE_URL.rstrip("/") + reverse("invitation-open", args=[invitation.token])


def invitation_send(*, invitation: Invitation) -> Invitation:
    """E-mail the link (after the surrounding transaction commits, so a rollback sends nothing)."""
    if invitation.revoked_at is not None:
        raise Conflict("This invitation was revoked; restore it before sending.")
    if not invitation.candidate.email:
        raise ApplicationError(f"{invitation.candidate.username} has no e-mail address.")
    context = {"invitation": invitation, "url": invitation_url(invitation), "candidate": invitation.candidate,
               "assessment": invitation.assessment}
    subject = f"Your invitation: {invitation.assessment.title}"
    body = render_to_string("assessments/email/invitation.txt", context)
    recipient = invitation.candidate.email
    transaction.on_commit(lambda: send_mail(subject, body, None, [recipient]), robust=True)
    Invitation.objects.filter(pk=invitation.pk).update(sent_at=timezone.now(), send_count=invitation.send_count + 1)
    invitation.refresh_from_db()
    return invitation


@transaction.atomic
def invitation_resend(*, invitation_id: int, link_valid_for: timedelta = LINK_VALID_FOR) -> Invitation:
    """A fresh link (the old one stops working) with a new expiry, e-mailed again."""
    invitation = Invitation.objects.select_for_update(of=("self",)).select_related("candidate", "assessment").get(pk=invitation_id)
    invitation.token = Invitation._meta.get_field("token").default()
    invitation.link_expires_at = timezone.now() + link_valid_for
    invitation.link_used_at = None
    invitation.save(update_fields=["token", "link_expires_at", "link_used_at", "updated_at"])
    return invitation_send(invitation=invitation)


@transaction.atomic
def invitation_revoke(*, invitation_id: int) -> Invitation:
    invitation = Invitation.objects.select_for_update().get(pk=invitation_id)
    if invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at", "updated_at"])
    return invitation


class InvitationLinkError(ApplicationError):
    """The link cannot be used; `reason` is one of: unknown, revoked, expired, used."""

    def __init__(self, message: str, reason: str):
        super().__init__(message, {"reason": reason}, status=410 if reason != "unknown" else 404)
        self.reason = reason


def invitation_check(*, token: str, user: User | None, lock: bool = False) -> Invitation:
    """The invitation behind a link, if the link can be used by `user` now; else InvitationLinkError."""
    invitations = Invitation.objects.select_related("candidate", "assessment")
    if lock:
        invitations = invitations.select_for_update()
    invitation = invitations.filter(token=token).first()
    if invitation is None:
        raise InvitationLinkError("This invitation link is not valid. Check that you copied all of it.", "unknown")
    if invitation.revoked_at is not None:
        raise InvitationLinkError("This invitation has been withdrawn by the hiring team.", "revoked")
    if invitation.candidate.is_staff or invitation.candidate.is_superuser:
        raise InvitationLinkError("This link cannot be used: staff accounts sign in with their password.", "revoked")
    now = timezone.now()
    if invitation.link_expires_at and invitation.link_expires_at < now:
        raise InvitationLinkError(
            f"This link expired on {invitation.link_expires_at:%d %B %Y}. Ask the hiring team for a new one.", "expired"
        )
    if invitation.link_used_at is not None and (user is None or user.pk != invitation.candidate_id):
        raise InvitationLinkError("This link has already been used. Sign in with your account to continue.", "used")
    return invitation


@transaction.atomic
def invitation_redeem(*, token: str, user: User | None) -> Invitation:
    """Use a link: the first use signs its candidate in; later only that candidate may reuse it."""
    invitation = invitation_check(token=token, user=user, lock=True)
    if invitation.link_used_at is None:
        invitation.link_used_at = timezone.now()
        invitation.save(update_fields=["link_used_at", "updated_at"])
    return invitation


@dataclass
class CsvInvite:
    line: int
    email: str
    name: str
    extra_minutes: int


@transaction.atomic
def invitations_import_csv(*, assessment: Assessment, text: str, send: bool = True) -> list[Invitation]:
    """Invite every row of a CSV with columns email, name[, extra_minutes]; all rows or none.
    A candidate account is created for an unknown e-mail (it signs in through the link)."""
    rows = _csv_rows(text)
    invitations = []
    for row in rows:
        user = candidate_for_email(email=row.email, name=row.name)
        invitation, _ = invitation_create(assessment=assessment, candidate=user,
                                          extra_time=timedelta(minutes=row.extra_minutes), send=send)
        invitations.append(invitation)
    return invitations


def _csv_rows(text: str) -> list[CsvInvite]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    fields = {(f or "").strip().lower() for f in reader.fieldnames or []}
    if "email" not in fields:
        raise ApplicationError("line 1: the CSV needs a header with at least an `email` column (and `name`).")
    rows, seen = [], set()
    for line, raw in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        email = row.get("email", "")
        if "@" not in email or " " in email or len(email) > 254:
            raise ApplicationError(f"line {line}: {email!r} is not an e-mail address", {"line": line})
        if email.lower() in seen:
            raise ApplicationError(f"line {line}: {email} appears twice", {"line": line})
        seen.add(email.lower())
        try:
            extra = int(row.get("extra_minutes") or 0)
        except ValueError:
            raise ApplicationError(f"line {line}: extra_minutes must be a whole number", {"line": line}) from None
        if not 0 <= extra <= 600:
            raise ApplicationError(f"line {line}: extra_minutes must be between 0 and 600", {"line": line})
        rows.append(CsvInvite(line, email, row.get("name", ""), extra))
    if not rows:
        raise ApplicationError("The CSV has no rows.")
    return rows
