"""Waking the web requests that wait for a verdict: the worker publishes on a Redis channel per
submission once its result (or a program's tests done so far) is committed, and `GET /api/submissions/{id}/?wait=N` listens there
instead of the page asking again and again.

Best effort by design: the database stays the source of truth. Each web process keeps one
connection subscribed to every submission's channel (`_Listener`); a waiter registers there
and then reads the row, so a verdict committed in between is never missed; when the listener
loses Redis it wakes every waiter, which reads the row (and the page asks again); without Redis
a waiter falls back to reading the row a few times a second.

Two reads are spared on the path of every Run and Submit that waits (each a round trip that,
under load, also waits for a core): an announcement may carry the fields the commit wrote (a
verdict does), which the waiter takes instead of reading the row again; and a waiter whose own
read of the row came after the listener subscribed does not read it again before waiting: the
listener remembers which submissions it heard about lately, and wakes it at once if one was
announced since that read."""

import json
import logging
import os
import socket
import threading
import time
from collections import OrderedDict
from datetime import datetime
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


def redis_client() -> redis.Redis:
    """This process's client (and pool) for REDIS_URL (announcements, and the broker's queues as
    tasks.grading_waiting reads them), made once: a redis.Redis builds its table
    of reply parsers each time one is made: as much CPU as a whole PING on a kept client
    (bench/web.py, "Redis calls")."""
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


# An announcement carries the fields it is about only up to this size: every web process's
# listener receives every announcement, whoever waits for it (and Redis disconnects a subscriber
# that falls 8 MB behind). A bigger one says "changed" only. A verdict carries each test's
# arguments and expected value: bench/load.py's six tests (one of 200 numbers) take ~2.3 KB.
MAX_CARRIED_BYTES = 8 * 1024


def _encoded(fields: dict | None) -> bytes:
    if not fields:
        return b""

    def default(value):
        if isinstance(value, datetime):
            return value.isoformat()  # to the microsecond, as the database keeps it
        raise TypeError(f"{type(value).__name__} is not carried in an announcement")

    data = json.dumps(fields, default=default, separators=(",", ":")).encode()
    return data if len(data) <= MAX_CARRIED_BYTES else b""


def submission_updated(submission_id: int, fields: dict | None = None) -> None:
    """Called after a commit that changed what a reader sees: tests done so far, the verdict, an
    error. `fields`: what the commit wrote on the row ({field name: value}), carried to the
    waiters when small enough; datetimes travel as ISO 8601."""
    try:
        data = _encoded(fields)
    except (TypeError, ValueError) as exc:  # announcing still wakes the waiters, who read the row
        logger.warning("announcing submission %s without its fields: %s", submission_id, exc)
        data = b""
    try:
        redis_client().publish(_channel(submission_id), data)
    except redis.RedisError as exc:
        logger.warning("could not announce an update of submission %s (waiters fall back to their timeout): %s",
                       submission_id, exc)


NOT_WAITED = object()  # what submission_wait returns when no waiting place was free


def submission_wait(submission_id: int, *, is_finished: Callable[[], bool], timeout_s: float,
                    read_at: float | None = None) -> dict | None | object:
    """Return once `is_finished()` holds (it reads the database), the submission is announced as
    updated (finished, or more tests done), or after `timeout_s`: the fields the announcement
    that woke it carried ({name: JSON value}), or None when the caller must read the row.

    `read_at`: time.monotonic() taken before the caller read the row and found it unfinished. If
    the listener was subscribed by then and has not forgotten an announcement since, nothing
    was missed, and `is_finished()` is not called before waiting.

    A web process lets only PREP_LONG_POLL_WAITERS requests wait at once, so that waiting never
    takes every thread from the other requests: beyond that it returns NOT_WAITED at once, with
    nothing read, and the page asks again."""
    size = settings.PREP_LONG_POLL_WAITERS
    if size <= 0:
        return NOT_WAITED
    with _lock:
        waiters = _waiters.setdefault(size, threading.BoundedSemaphore(size))
    if not waiters.acquire(blocking=False):
        return NOT_WAITED
    try:
        return _wait(submission_id, is_finished, time.monotonic() + timeout_s, read_at)
    finally:
        waiters.release()


def _wait(submission_id: int, is_finished: Callable[[], bool], deadline: float, read_at: float | None) -> dict | None:
    listener = _listener(settings.REDIS_URL, deadline)
    waiter = listener.add(submission_id, read_at) if listener else None
    if waiter is None:
        logger.warning("waiting for submission %s without Redis (no subscription to announcements)", submission_id)
        while not is_finished() and time.monotonic() < deadline:
            time.sleep(_FALLBACK_POLL_S)
        return None
    try:
        # Registered while the listener is subscribed: a verdict committed after this read is
        # announced to us (or, if the listener loses Redis first, it wakes us); one committed
        # before it is seen by the read, or was heard since `read_at` (add() then wakes us at
        # once). The row is read again every few seconds all the same: an announcement lost on
        # a connection not yet known to be dead (or a PUBLISH that failed) costs that, not the
        # wait; after a second the first time when the read before waiting was skipped, as a
        # verdict committed between the caller's read and add() has only its announcement.
        unmissed = waiter.unmissed
        while (left := deadline - time.monotonic()) > 0 and (unmissed or not is_finished()):
            recheck = _UNMISSED_RECHECK_S if unmissed else _RECHECK_S
            unmissed = False
            if waiter.event.wait(min(left, recheck)):
                return waiter.fields()
        return None
    finally:
        listener.remove(submission_id, waiter)


_PATTERN = _channel(0).removesuffix("0") + "*"
_RECHECK_S = 5.0
_UNMISSED_RECHECK_S = 1.0
_HEARD = 4096  # submissions a listener remembers hearing about (at ~10 gradings/s: the last 7 minutes)


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


class _Waiter:
    """One waiting request: its event, and the data of the announcement that set it."""

    __slots__ = ("event", "data", "unmissed")

    def __init__(self, unmissed: bool):
        self.event = threading.Event()
        self.data = b""
        self.unmissed = unmissed  # no announcement since the caller's read can have been missed

    def fields(self) -> dict | None:
        try:
            fields = json.loads(self.data) if self.data else None
        except ValueError:
            return None
        return fields if isinstance(fields, dict) else None


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
        self.ready_at = float("inf")  # time.monotonic() once subscribed
        self._waiting: dict[int, set[_Waiter]] = {}
        self._heard: OrderedDict[int, float] = OrderedDict()  # submission -> when last announced
        self._forgotten_at = float("-inf")  # when the latest announcement dropped from _heard came
        self._lock = threading.Lock()
        threading.Thread(target=self._listen, name="prep-verdict-listener", daemon=True).start()

    @property
    def ended(self) -> bool:
        """Failed to subscribe, or lost the connection since: it hears nothing any more."""
        return self.settled.is_set() and not self.ready.is_set()

    def add(self, submission_id: int, read_at: float | None = None) -> _Waiter | None:
        """A waiter woken when the submission is announced, or None if the listener is not
        subscribed. If it was subscribed at `read_at` and remembers every announcement since,
        the waiter is `unmissed`, and is woken at once if one came meanwhile."""
        with self._lock:
            if not self.ready.is_set():
                return None
            waiter = _Waiter(unmissed=read_at is not None and self.ready_at <= read_at
                             and self._forgotten_at < read_at)
            if waiter.unmissed and self._heard.get(submission_id, float("-inf")) >= read_at:
                waiter.event.set()  # announced after the caller's read: it reads the row again
            self._waiting.setdefault(submission_id, set()).add(waiter)
        return waiter

    def remove(self, submission_id: int, waiter: _Waiter) -> None:
        with self._lock:
            waiting = self._waiting.get(submission_id)
            if waiting is not None:
                waiting.discard(waiter)
                if not waiting:
                    del self._waiting[submission_id]

    def _wake(self, submission_id: int, data: bytes) -> None:
        with self._lock:
            self._heard[submission_id] = time.monotonic()
            self._heard.move_to_end(submission_id)
            while len(self._heard) > _HEARD:
                self._forgotten_at = self._heard.popitem(last=False)[1]
            for waiter in self._waiting.get(submission_id, ()):
                waiter.data = data
                waiter.event.set()

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
            self.ready_at = time.monotonic()
            self.ready.set()
            self.settled.set()
            while True:
                message = pubsub.get_message(timeout=10.0)
                if message is not None and message.get("type") == "pmessage":
                    try:
                        submission_id = int(message["channel"].rsplit(b":", 1)[1])
                    except (ValueError, IndexError):
                        continue
                    self._wake(submission_id, message["data"])
        except (redis.RedisError, OSError) as exc:
            logger.warning("stopped listening for verdict announcements on Redis: %s", exc)
        finally:
            with self._lock:  # atomically with add(): nobody is left waiting for a message that cannot come
                self.ready.clear()
                self.settled.set()
                for waiting in self._waiting.values():
                    for waiter in waiting:
                        waiter.data = b""
                        waiter.event.set()
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
