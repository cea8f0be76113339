"""Waking the web requests that wait for a verdict: the worker publishes on a Redis channel per
submission once its result (or a program's tests done so far) is committed, and `GET /api/submissions/{id}/?wait=N` listens there
instead of the page asking again and again.

Best effort by design: the database stays the source of truth. Each web process keeps one
connection subscribed to every submission's channel (`_Listener`); a waiter registers there
first and then reads the row, so a verdict committed in between is never missed; when the
listener loses Redis it wakes every waiter, which reads the row (and the page asks again);
without Redis a waiter falls back to reading the row a few times a second."""

import logging
import os
import socket
import threading
import time
from typing import Callable

import redis
from django.conf import settings
from redis.backoff import NoBackoff
from redis.retry import Retry

logger = logging.getLogger(__name__)

_clients: dict[str, redis.Redis] = {}
_FALLBACK_POLL_S = 0.25
_waiters: dict[int, threading.BoundedSemaphore] = {}  # by PREP_LONG_POLL_WAITERS (tests change it)
_lock = threading.Lock()  # guards _clients and _waiters


def _client() -> redis.Redis:
    """This process's client (and pool) for REDIS_URL, made once: a redis.Redis builds its table
    of reply parsers each time one is made, which cost more than the PUBLISH it was made for."""
    url = settings.REDIS_URL
    client = _clients.get(url)
    if client is None:
        with _lock:  # one per process (and per URL: tests point it at their own Redis)
            if url not in _clients:
                # health_check_interval: a pooled connection idle for 10 s is checked (PING) before
                # use, so one that Redis closed meanwhile (a restart, an idle timeout) is replaced.
                _clients[url] = redis.Redis(connection_pool=redis.ConnectionPool.from_url(
                    url, socket_connect_timeout=1, socket_timeout=5, health_check_interval=10))
            client = _clients[url]
    return client


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
    listener = _listener(settings.REDIS_URL, deadline)
    woken = listener.add(submission_id) if listener else None
    if woken is None:
        logger.warning("waiting for submission %s without Redis (no subscription to announcements)", submission_id)
        while not is_finished() and time.monotonic() < deadline:
            time.sleep(_FALLBACK_POLL_S)
        return
    try:
        # Registered while the listener is subscribed: a verdict committed after this read is
        # announced to us (or, if the listener loses Redis first, it wakes us); one committed
        # before it is seen by the read. The row is read again every few seconds all the same:
        # an announcement lost on a connection not yet known to be dead costs that, not the wait.
        while not is_finished() and (left := deadline - time.monotonic()) > 0:
            if woken.wait(min(left, _RECHECK_S)):
                return
    finally:
        listener.remove(submission_id, woken)


_PATTERN = _channel(0).removesuffix("0") + "*"
_RECHECK_S = 5.0


def listener_name(pid: int | None = None) -> str:
    """The listener connection of this process (or of `pid`) as Redis's CLIENT LIST names it."""
    return f"prep-verdict-listener-{pid or os.getpid()}"


# TCP keepalive on the listener's connection: a Redis host gone silent (no FIN, no RST) is
# noticed within about 20 s rather than the kernel's retransmission timeout of many minutes.
_KEEPALIVE = {opt: value for name, value in (("TCP_KEEPIDLE", 5), ("TCP_KEEPINTVL", 5), ("TCP_KEEPCNT", 3))
              if (opt := getattr(socket, name, None)) is not None}
_RESTART_AFTER_S = 1.0  # a listener that lost Redis is replaced at most this often
_listeners: dict[str, "_Listener"] = {}


def _listener(url: str, deadline: float) -> "_Listener | None":
    """This process's listener for `url`, started if need be: None when it is not subscribed
    (Redis unreachable) within a second or by the deadline."""
    with _lock:
        listener = _listeners.get(url)
        if listener is None or (listener.ended and time.monotonic() - listener.started > _RESTART_AFTER_S):
            listener = _listeners[url] = _Listener(url)
    listener.settled.wait(timeout=min(1.0, max(deadline - time.monotonic(), 0.01)))
    return listener if listener.ready.is_set() else None


class _Listener:
    """One Redis connection per process (and URL), subscribed to every submission's channel at
    once (a pattern), that wakes the threads waiting on the submission a message names. A wait
    then costs no connection, subscription or round trip to Redis of its own. When the
    connection is lost, every waiter is woken (it reads the database, and the page asks again)
    and the next wait starts a new listener."""

    def __init__(self, url: str):
        self.url = url
        self.started = time.monotonic()
        self.ready = threading.Event()  # subscribed, and no loss noticed since
        self.settled = threading.Event()  # subscribed, or failed to
        self._waiting: dict[int, set[threading.Event]] = {}
        self._lock = threading.Lock()
        threading.Thread(target=self._listen, name="prep-verdict-listener", daemon=True).start()

    @property
    def ended(self) -> bool:
        """Failed to subscribe, or lost the connection since: it hears nothing any more."""
        return self.settled.is_set() and not self.ready.is_set()

    def add(self, submission_id: int) -> threading.Event | None:
        """An event set when the submission is announced, or None if the listener is not subscribed."""
        event = threading.Event()
        with self._lock:
            if not self.ready.is_set():
                return None
            self._waiting.setdefault(submission_id, set()).add(event)
        return event

    def remove(self, submission_id: int, event: threading.Event) -> None:
        with self._lock:
            waiting = self._waiting.get(submission_id)
            if waiting is not None:
                waiting.discard(event)
                if not waiting:
                    del self._waiting[submission_id]

    def _wake(self, submission_id: int) -> None:
        with self._lock:
            for event in self._waiting.get(submission_id, ()):
                event.set()

    def _listen(self) -> None:
        pubsub = None
        try:
            # health_check_interval: the connection is PINGed when quiet for 10 s, so a Redis gone
            # away is noticed; socket_timeout bounds any read once data is announced.
            # retry: none, so a lost connection ends this listener (waking its waiters) instead
            # of being replaced silently with the announcements of the gap lost.
            client = redis.Redis.from_url(self.url, socket_connect_timeout=1, socket_timeout=5, health_check_interval=10,
                                          socket_keepalive=True, socket_keepalive_options=_KEEPALIVE,
                                          retry=Retry(NoBackoff(), 0), client_name=listener_name())
            pubsub = client.pubsub()
            pubsub.psubscribe(_PATTERN)
            confirmed = pubsub.get_message(timeout=1.0)
            if not confirmed or confirmed.get("type") != "psubscribe":
                raise redis.RedisError("no subscription confirmation from Redis")
            self.ready.set()
            self.settled.set()
            while True:
                message = pubsub.get_message(timeout=10.0)
                if message is not None and message.get("type") == "pmessage":
                    try:
                        submission_id = int(message["channel"].rsplit(b":", 1)[1])
                    except (ValueError, IndexError):
                        continue
                    self._wake(submission_id)
        except (redis.RedisError, OSError) as exc:
            logger.warning("stopped listening for verdict announcements on Redis: %s", exc)
        finally:
            with self._lock:  # atomically with add(): nobody is left waiting for a message that cannot come
                self.ready.clear()
                self.settled.set()
                for waiting in self._waiting.values():
                    for event in waiting:
                        event.set()
            if pubsub is not None:
                try:
                    pubsub.close()
                except (redis.RedisError, OSError):
                    pass


def _forget_after_fork() -> None:
    """A forked child (gunicorn --preload, say) has none of its parent's threads: it starts its
    own listener, and its own locks (the parent's may have been held at the fork)."""
    global _lock
    _lock = threading.Lock()
    _listeners.clear()
    _clients.clear()
    _waiters.clear()


os.register_at_fork(after_in_child=_forget_after_fork)
