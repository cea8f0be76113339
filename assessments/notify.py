"""Waking the web requests that wait for a verdict: the worker publishes on a Redis channel per
submission once its result (or a program's tests done so far) is committed, and `GET /api/submissions/{id}/?wait=N` listens there
instead of the page asking again and again.

Best effort by design: the database stays the source of truth. A waiter subscribes first and
then reads the row, so a verdict committed in between is never missed; a lost message (Redis
restarted, say) only costs the waiter its timeout; without Redis it falls back to reading the
row a few times a second."""

import logging
import threading
import time
from typing import Callable

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

_pools: dict[str, redis.ConnectionPool] = {}
_FALLBACK_POLL_S = 0.25
_waiters: dict[int, threading.BoundedSemaphore] = {}  # by PREP_LONG_POLL_WAITERS (tests change it)
_lock = threading.Lock()  # guards _pools and _waiters


def _client() -> redis.Redis:
    url = settings.REDIS_URL
    with _lock:  # one pool per process (and per URL: tests point it at their own Redis)
        if url not in _pools:
            # health_check_interval: a pooled connection idle for 10 s is checked (PING) before use,
            # so one that Redis closed meanwhile (a restart, an idle timeout) is replaced, not failed.
            _pools[url] = redis.ConnectionPool.from_url(url, socket_connect_timeout=1, socket_timeout=5,
                                                        health_check_interval=10)
        return redis.Redis(connection_pool=_pools[url])


def _channel(submission_id: int) -> str:
    return f"prep:submission:{submission_id}"


def submission_updated(submission_id: int) -> None:
    """Called after a commit that changed what a reader sees: tests done so far, the verdict, an error."""
    try:
        _client().publish(_channel(submission_id), b"1")
    except redis.RedisError as exc:
        logger.warning("could not announce an update of submission %s (waiters fall back to their timeout): %s",
                       submission_id, exc)


def submission_wait(submission_id: int, *, is_finished: Callable[[], bool], timeout_s: float) -> None:
    """Return once `is_finished()` holds (it reads the database), the submission is announced as
    updated (finished, or more tests done), or after `timeout_s`. A web
    process lets only PREP_LONG_POLL_WAITERS requests wait at once, so that waiting never takes
    every thread from the other requests: beyond that it returns at once and the page asks again."""
    size = settings.PREP_LONG_POLL_WAITERS
    if size <= 0:
        return
    with _lock:
        waiters = _waiters.setdefault(size, threading.BoundedSemaphore(size))
    if not waiters.acquire(blocking=False):
        return
    try:
        _wait(submission_id, is_finished, time.monotonic() + timeout_s)
    finally:
        waiters.release()


def _wait(submission_id: int, is_finished: Callable[[], bool], deadline: float) -> None:
    try:
        pubsub = _client().pubsub()
        pubsub.subscribe(_channel(submission_id))
        # Subscribed for sure before the database is read: a verdict committed after that read
        # is announced to us; one committed before it is seen by the read.
        confirmed = pubsub.get_message(timeout=min(1.0, max(deadline - time.monotonic(), 0.01)))
        if not confirmed or confirmed.get("type") != "subscribe":
            raise redis.RedisError("no subscription confirmation from Redis")
    except redis.RedisError as exc:
        logger.warning("waiting for submission %s without Redis: %s", submission_id, exc)
        while not is_finished() and time.monotonic() < deadline:
            time.sleep(_FALLBACK_POLL_S)
        return
    try:
        if is_finished():
            return
        while (left := deadline - time.monotonic()) > 0:
            message = pubsub.get_message(timeout=left)
            if message is not None and message.get("type") == "message":
                return
    except redis.RedisError as exc:
        logger.warning("lost Redis while waiting for submission %s: %s", submission_id, exc)
    finally:
        try:
            pubsub.close()
        except redis.RedisError:
            pass
