"""Rate limits that fail open: they live in the shared cache (Redis), and a cache outage must
not turn every run, submission or sign-in into a server error. The database-side limits (a
candidate's pending runs) still hold meanwhile."""

import logging

from rest_framework.throttling import ScopedRateThrottle

logger = logging.getLogger(__name__)


class ScopedRateThrottleFailOpen(ScopedRateThrottle):
    def allow_request(self, request, view) -> bool:
        try:
            return super().allow_request(request, view)
        except Exception as exc:  # noqa: BLE001 — any cache error: let the request through, say so
            logger.warning("rate limit %s not applied: the cache is unreachable (%s)", getattr(view, "throttle_scope", "?"),
                           type(exc).__name__)
            return True
