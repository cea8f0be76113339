from datetime import datetime, timedelta

from django.db import transaction

from accounts.models import User
from assessments.models import Assessment, Invitation


@transaction.atomic
def invitation_create(*, assessment: Assessment, candidate: User, extra_time: timedelta = timedelta(0),
                      available_until: datetime | None = None) -> tuple[Invitation, bool]:
    """Invite a candidate (idempotent: an existing invitation is kept, a revoked one restored)."""
    invitation, created = Invitation.objects.get_or_create(
        assessment=assessment, candidate=candidate,
        defaults={"extra_time": extra_time, "available_until": available_until},
    )
    if not created and invitation.revoked_at is not None:
        invitation.revoked_at = None
        invitation.save(update_fields=["revoked_at", "updated_at"])
    return invitation, created
