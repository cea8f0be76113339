class ApplicationError(Exception):
    """A domain rule refused the operation. `status` is the HTTP status the API answers with."""

    status = 400
    retry_after_s: int | None = None  # sent as Retry-After when set

    def __init__(self, message: str, extra: dict | None = None, *, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.extra = extra or {}
        if status is not None:
            self.status = status


class Conflict(ApplicationError):
    """The resource is in a state that forbids the operation (e.g. an attempt past its deadline)."""

    status = 409


class NotFound(ApplicationError):
    status = 404
