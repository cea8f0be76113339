"""Waking the web requests that wait for a verdict: the worker publishes on a Redis channel per
submission once its result is committed, and `GET /api/submissions/{id}/?wait=N` listens there
instead of the page asking again and again.

Best effort by design: the database stays the source of truth. A waiter subscribes first and
then reads the row, so a verdict committed in between is never missed; a lost message (Redis
restarted, say) only costs the waiter its timeout; without Redis it falls back to reading the
row a few times a second."""

import logging
import time
from typing import Callable

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

_pools: dict[str, redis.ConnectionPool] = {}
_FALLBACK_POLL_S = 0.25


def _client() -> redis.Redis:
    url = settings.REDIS_URL
    if url not in _pools:  # one pool per process (and per URL: tests point it at their own Redis)
        _pools[url] = redis.ConnectionPool.from_url(url, socket_connect_timeout=1, socket_timeout=5)
    return redis.Redis(connection_pool=_pools[url])


def _channel(submission_id: int) -> str:
    return f"prep:submission-finished:{submission_id}"


def submission_finished(submission_id: int) -> None:
    """Called after the commit that finished the submission (done or error)."""
    try:
        _client().publish(_channel(submission_id), b"1")
    except redis.RedisError as exc:
        logger.warning("could not announce submission %s as finished (waiters fall back to their timeout): %s",
                       submission_id, exc)


def submission_wait(submission_id: int, *, is_finished: Callable[[], bool], timeout_s: float) -> None:
    """Return once `is_finished()` holds (it reads the database) or after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    try:
        pubsub = _client().pubsub(ignore_subscribe_messages=True)
        pubsub.subscribe(_channel(submission_id))
    except redis.RedisError as exc:
        logger.warning("waiting for submission %s without Redis: %s", submission_id, exc)
        while not is_finished() and time.monotonic() < deadline:
            time.sleep(_FALLBACK_POLL_S)
        return
    try:
        if is_finished():  # finished before the subscription: its message has gone by
            return
        while (left := deadline - time.monotonic()) > 0:
            if pubsub.get_message(timeout=left) is not None:
                return
    except redis.RedisError as exc:
        logger.warning("lost Redis while waiting for submission %s: %s", submission_id, exc)
    finally:
        try:
            pubsub.close()
        except redis.RedisError:
            pass
