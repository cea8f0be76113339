"""Rate limits counted in Redis: exact under concurrency, one round trip, and failing open.

DRF's own throttle reads a request history from the cache and writes it back: two round trips,
and two requests arriving together both read the same history, so a burst of parallel runs gets
past the limit. Here each limit is a sliding window kept as a Redis sorted set and checked and
counted by one Lua script, atomically: of N simultaneous requests exactly as many as the limit
allows get through. A refused request is not counted. Redis's own clock is the window's, so web
processes on several hosts agree.

A cache outage must not turn every run, submission or sign-in into a server error: the limit is
then not applied (and a warning says so). The database-side limits (a candidate's pending runs)
still hold meanwhile."""

import logging
import secrets

import redis
from django.core.cache import cache
from rest_framework.throttling import ScopedRateThrottle

logger = logging.getLogger(__name__)

# KEYS[1]: the window; ARGV: limit, window length (µs), a unique member for this request.
# Returns {1, 0} when counted, {0, µs until the oldest request counted leaves the window}.
_TAKE = """
local now = redis.call('TIME')
local now_us = tonumber(now[1]) * 1000000 + tonumber(now[2])
local limit, window = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_us - window)
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now_us, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000))
  return {1, 0}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, math.max(tonumber(oldest[2]) + window - now_us, 0)}
"""

_TAKE_BYTES = _TAKE.encode()


def window_take(key: str, limit: int, window_s: float) -> tuple[bool, float]:
    """Count one request in the window `key` if fewer than `limit` were counted in the last
    `window_s` seconds: (True, 0). Otherwise (False, seconds until one leaves the window).

    It runs on the cache's own Redis client (common.cache.RedisCache: its server, pool and
    OPTIONS), on the server Django writes to."""
    counted, wait_us = cache._cache.get_client(key, write=True).register_script(_TAKE_BYTES)(
        keys=[cache.make_key(f"rate:{key}")], args=[limit, int(window_s * 1_000_000), secrets.token_hex(8)])
    return bool(counted), int(wait_us) / 1_000_000


class ScopedRateThrottleFailOpen(ScopedRateThrottle):
    """DRF's scoped throttle (the view's `throttle_scope`, its rate in DEFAULT_THROTTLE_RATES,
    per user or per address when anonymous), counted by `window_take`."""

    def allow_request(self, request, view) -> bool:
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        key = self.get_cache_key(request, view) if self.rate is not None else None
        if key is None:
            return True
        try:
            allowed, self.wait_s = window_take(key, self.num_requests, self.duration)
        except (redis.RedisError, OSError) as exc:
            logger.warning("rate limit %s not applied: the cache is unreachable (%s)", self.scope, type(exc).__name__)
            return True
        return allowed

    def wait(self) -> float:
        return self.wait_s
