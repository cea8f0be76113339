"""Who on the hiring team sees which candidates.

- people with `hiring.view_application` (the Reviewers group: recruiters, hiring managers) and
  admins see every application and every attempt;
- people with `hiring.view_assigned_application` (the Interviewers group) see the applications
  they are assigned to, and those candidates' attempts, and nothing else;
- everyone else (candidates) sees only their own data, through the candidate pages.
Anything not visible answers 404, so ids reveal nothing."""

from django.db.models import QuerySet

from accounts.models import User
from common.exceptions import NotFound
from hiring.models import Application


def sees_every_application(user: User) -> bool:
    return user.is_active and user.has_perm("hiring.view_application")


def is_hiring_staff(user: User) -> bool:
    return sees_every_application(user) or (user.is_active and user.has_perm("hiring.view_assigned_application"))


def applications_visible_to(user: User) -> QuerySet[Application]:
    if sees_every_application(user):
        return Application.objects.all()
    if user.is_active and user.has_perm("hiring.view_assigned_application"):
        return Application.objects.filter(interviewers=user)
    return Application.objects.none()


def application_get_for_staff(*, user: User, application_id: int) -> Application:
    application = (
        applications_visible_to(user).select_related("role", "stage", "candidate").filter(pk=application_id).first()
    )
    if application is None:
        raise NotFound("Application not found.")
    return application


def may_manage(user: User) -> bool:
    """Move candidates, invite them, override scores: recruiters and admins."""
    return user.is_active and user.has_perm("hiring.change_application")


def applications_get_for_staff(*, user: User, application_ids: list[int]) -> list[Application]:
    """Several applications in one query; 404 if any of them is not visible (or does not exist)."""
    wanted = set(application_ids)
    found = list(applications_visible_to(user).select_related("role", "stage", "candidate").filter(pk__in=wanted))
    if len(found) != len(wanted):
        raise NotFound("Application not found.")
    return found
