"""Bulkheads: at most N requests of one heavy kind run at once in a web process.

A web process serves requests in threads that share one GIL. A request that needs a lot of CPU
(an attempt's start: its paper drawn, written and serialized) holds its thread for the whole of
it and takes the GIL in turns with every other running request. When many arrive together, as
when a whole cohort presses Start within a few seconds, they took all the threads and most of
the GIL, and the candidates already answering waited behind them: bench/load.py (200 candidates
started at 20/s) measured autosaves waiting up to 300 ms for a thread before Django saw them.

Behind a bulkhead at most `slots` of them run at once in each process, and up to `queue` more
wait for a slot without holding the GIL (a blocked lock); the requests of other kinds keep the
rest of the threads and most of the CPU. A request that finds the queue full, or that cannot
get a slot within `wait_s`, is refused at once with 503 and a Retry-After, rather than taking
another thread or being left to a proxy's time-out.

The threads a process may spend on heavy and waiting requests: slots + queue here, plus the
requests waiting for a verdict (PREP_LONG_POLL_WAITERS). gunicorn runs more threads than that
(the Procfile: 32, against 2 + 16 + 4), so that autosaves always find one."""

import threading

from django.conf import settings

from common.exceptions import ApplicationError


class Busy(ApplicationError):
    """The server is at capacity for this kind of request: try again shortly (503 + Retry-After)."""

    status = 503
    retry_after_s = 2


class Bulkhead:
    """A per-process limit on concurrent requests of one kind, read from settings at first use
    (and again when they change): `slots` (0 turns the limit off), `queue` and `wait_s`.
    Used as a context manager; a thread may nest it (it then holds one slot per level)."""

    def __init__(self, *, slots: str, queue: str, wait_s: str, busy_message: str):
        self.settings = (slots, queue, wait_s)
        self.busy_message = busy_message
        self._lock = threading.Lock()
        self._configured: tuple | None = None
        self._semaphore: threading.BoundedSemaphore | None = None
        self._waiting = 0
        self._held = threading.local()  # per thread: the semaphores taken, innermost last

    def _read(self) -> tuple[threading.BoundedSemaphore | None, int, float]:
        slots, queue, wait_s = (getattr(settings, name) for name in self.settings)
        with self._lock:
            if slots != self._configured:  # first use, or the setting changed (tests override it)
                self._semaphore = threading.BoundedSemaphore(slots) if slots > 0 else None
                self._configured = slots
            return self._semaphore, queue, wait_s

    def _refuse(self):
        return Busy(self.busy_message, {"retry_after_s": Busy.retry_after_s})

    def __enter__(self) -> None:
        semaphore, queue, wait_s = self._read()
        if semaphore is not None and not semaphore.acquire(blocking=False):
            with self._lock:
                if self._waiting >= queue:
                    raise self._refuse()
                self._waiting += 1
            try:
                acquired = semaphore.acquire(timeout=wait_s)
            finally:
                with self._lock:
                    self._waiting -= 1
            if not acquired:
                raise self._refuse()
        self._held.__dict__.setdefault("stack", []).append(semaphore)

    def __exit__(self, *exc_info) -> None:
        semaphore = self._held.stack.pop()
        if semaphore is not None:
            semaphore.release()


papers = Bulkhead(  # attempt papers: starts and the attempt page
    slots="PREP_WEB_START_SLOTS",
    queue="PREP_WEB_START_QUEUE",
    wait_s="PREP_WEB_START_WAIT_S",
    busy_message="Many candidates are starting at this moment: try again in a few seconds.",
)
