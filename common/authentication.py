"""API authentication."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from common.db import Compiled, loaded


def _user_fields() -> list[str]:
    return [field.attname for field in get_user_model()._meta.concrete_fields]


# The token's user, every field of it: one statement compiled once per thread (common.db).
_TOKEN_USER = Compiled(lambda key: get_user_model()._default_manager.filter(auth_token__key=key)
                       .values_list(*_user_fields()), "<token key>")


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication (same header, same errors), with the token's user read by one
    statement compiled once instead of an ORM query built on every call.

    Every API call starts here; under bench/load.py DRF's own lookup (the token joined to its
    user, compiled afresh each time) was a fifth of the web tier's CPU."""

    def authenticate_credentials(self, key):
        row = _TOKEN_USER.first(key)
        if row is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        user = loaded(get_user_model(), **dict(zip(_user_fields(), row)))
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return user, Token(key=key, user=user)
