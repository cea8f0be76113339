from django.contrib.auth.models import Group, Permission
from django.db import transaction

from accounts.models import User
from accounts.roles import ROLE_PERMISSIONS


@transaction.atomic
def role_groups_ensure() -> dict[str, Group]:
    """Create the role groups with their permissions; safe to run again."""
    groups = {}
    for name, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = [Permission.objects.get(content_type__app_label=app, codename=codename) for app, codename in perms]
        group.permissions.set(wanted)
        groups[name] = group
    return groups


@transaction.atomic
def user_ensure(*, username: str, password: str, is_staff: bool = False, is_superuser: bool = False,
                first_name: str = "", last_name: str = "", email: str = "", groups=()) -> User:
    """Create or update a user so that it matches the arguments (used by the demo seed)."""
    user, _ = User.objects.get_or_create(username=username)
    user.is_staff = is_staff or is_superuser
    user.is_superuser = is_superuser
    user.first_name, user.last_name, user.email = first_name, last_name, email
    user.set_password(password)
    user.save()
    user.groups.set(groups)
    return user


def candidate_for_email(*, email: str, name: str = "") -> User:
    """The account with this e-mail, or a new candidate account for it (no password: the
    candidate signs in through an invitation link)."""
    email = email.strip()
    user = User.objects.filter(email__iexact=email).first()
    if user is not None:
        return user
    first, _, last = name.strip().partition(" ")
    base = email.split("@")[0][:120] or "candidate"
    username, n = base, 1
    while User.objects.filter(username=username).exists():
        n += 1
        username = f"{base}{n}"
    user = User.objects.create_user(username=username, email=email, first_name=first[:150], last_name=last[:150])
    user.set_unusable_password()
    user.save(update_fields=["password"])
    return user
