"""One error shape for the whole API: {"message": str, "extra": {...}}."""

import logging

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from common.exceptions import ApplicationError


class ErrorSerializer(serializers.Serializer):
    message = serializers.CharField()
    extra = serializers.DictField()


def exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        response = Response({"message": exc.message, "extra": exc.extra}, status=exc.status)
        if exc.retry_after_s is not None:
            response["Retry-After"] = str(exc.retry_after_s)
        return response
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_django_validation_detail(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, SuspiciousOperation):
        # A body Django will not read (over 1,000 form fields, too large, ...): Django would answer
        # its HTML 400 page; the API answers 400 in its own shape, logged where Django logs it.
        logging.getLogger(f"django.security.{exc.__class__.__name__}").error(str(exc), exc_info=exc)
        exc = exceptions.ParseError(str(exc))

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # an unexpected error: Django's 500 handling (and logging) takes over

    if isinstance(exc, exceptions.ValidationError):
        response.data = {"message": "Validation error", "extra": {"fields": response.data}}
    else:
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else response.data
        response.data = {"message": str(detail), "extra": {}}
    return response


def _django_validation_detail(exc: DjangoValidationError):
    if hasattr(exc, "message_dict"):
        return exc.message_dict
    return {"non_field_errors": exc.messages}


def requires(*perms: str) -> type:
    """A DRF permission class: signed in, active, and holding every one of `perms`."""
    from rest_framework.permissions import BasePermission

    class HasPerms(BasePermission):
        message = "You do not have permission to do this."

        def has_permission(self, request, view) -> bool:
            user = request.user
            return bool(user and user.is_authenticated and user.is_active and user.has_perms(perms))

    HasPerms.__name__ = "Requires_" + "_".join(p.replace(".", "_") for p in perms)
    return HasPerms


def not_found(request, exception=None):
    """Django's 404 for a path no route matches: the API's error shape under /api/, the page elsewhere."""
    from django.http import JsonResponse
    from django.views.defaults import page_not_found

    if request.path.startswith("/api/"):
        return JsonResponse({"message": "Not found.", "extra": {"path": request.path[:200]}}, status=404)
    return page_not_found(request, exception)
