from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.views import ObtainAuthToken
from common.throttling import ScopedRateThrottleFailOpen

from common.apis import ErrorSerializer
from common.exceptions import ApplicationError


@extend_schema(
    summary="Exchange a username and password for an API token",
    responses={200: inline_serializer("Token", {"token": serializers.CharField()}),
               400: OpenApiResponse(ErrorSerializer, description="Wrong username or password"),
               429: OpenApiResponse(ErrorSerializer, description="Too many attempts: throttled or locked out")},
)
class TokenApi(ObtainAuthToken):
    """Throttled per address; wrong passwords lock the username out for that address, as on the
    sign-in page (django-axes)."""

    throttle_classes = [ScopedRateThrottleFailOpen]
    throttle_scope = "auth"

    def post(self, request, *args, **kwargs):
        try:
            return super().post(request, *args, **kwargs)
        except serializers.ValidationError:
            # django-axes marks the request it was handed (DRF's), not Django's: answer for it.
            if getattr(request, "axes_locked_out", False):
                minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
                raise ApplicationError(f"Too many failed sign-ins: try again in {minutes} minutes.", status=429) from None
            raise
