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
