from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """Prep's user. Candidates are plain users; staff (reviewers, authors, admins) have is_staff.

    Finer roles are Django groups (see accounts.roles), so permissions stay in the database.
    """

    @property
    def is_candidate(self) -> bool:
        return not self.is_staff
