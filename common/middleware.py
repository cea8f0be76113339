from django.http import Http404
from django.shortcuts import render

from common.exceptions import ApplicationError, NotFound


class ApplicationErrorMiddleware:
    """Pages (not the API, which has its own handler) show a domain refusal as a clear page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if request.path.startswith("/api/"):
            return None
        if isinstance(exception, NotFound):
            raise Http404(exception.message)
        if isinstance(exception, ApplicationError):
            return render(request, "error.html", {"message": exception.message}, status=exception.status)
        return None
