"""API authentication."""

from django.contrib.auth import get_user_model
from django.db import connections, router
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

_statements: dict[str, tuple[str, list[str]]] = {}  # by database alias: (SQL, the user's field names)


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication (same header, same errors), with the token's user read by one
    statement compiled once per process instead of an ORM query built on every call.

    Every API call starts here; under bench/load.py DRF's own lookup (the token joined to its
    user, compiled afresh each time) was a fifth of the web tier's CPU."""

    def authenticate_credentials(self, key):
        user_model = get_user_model()
        alias = router.db_for_read(user_model)
        sql, names = _statement(alias)
        with connections[alias].cursor() as cursor:
            cursor.execute(sql, [key])
            row = cursor.fetchone()
        if row is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        user = user_model.from_db(alias, names, row)
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return user, Token(key=key, user=user)


def _statement(alias: str) -> tuple[str, list[str]]:
    if alias not in _statements:
        user_model = get_user_model()
        names = [field.attname for field in user_model._meta.concrete_fields]
        query = user_model._default_manager.filter(auth_token__key="").values_list(*names).query
        sql, params = query.get_compiler(using=alias).as_sql()
        if list(params) != [""]:
            raise RuntimeError(f"unexpected parameters in the token statement: {params!r}")
        _statements[alias] = (sql, names)
    return _statements[alias]
