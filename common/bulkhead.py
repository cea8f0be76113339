"""Bulkheads: at most N requests of one heavy kind run at once in a web process.

A web process serves requests in threads that share one GIL. A request that needs a lot of CPU
(an attempt's start: its paper drawn, written and serialized) holds its thread for the whole of
it and takes the GIL in turns with every other running request. When many arrive together, as
when a whole cohort presses Start within a few seconds, they took all the threads and most of
the GIL, and the candidates already answering waited behind them: bench/load.py (200 candidates
started at 20/s) measured autosaves waiting up to 300 ms for a thread before Django saw them.

Behind a bulkhead at most `slots` of them run at once in each process; the others wait for a
slot without holding the GIL (a blocked lock), and the requests of other kinds keep the rest of
the threads and most of the CPU. The waiting ones still take a thread each, so the web tier runs
more threads than it has heavy slots (the Procfile's gunicorn: 16 threads, 2 start slots).

A request that cannot get a slot within `wait_s` is refused with 503 and a Retry-After, not
left to a proxy's time-out."""

import threading

from django.conf import settings

from common.exceptions import ApplicationError


class Busy(ApplicationError):
    """The server is at capacity for this kind of request: try again shortly (503 + Retry-After)."""

    status = 503
    retry_after_s = 2


class Bulkhead:
    """A per-process limit on concurrent requests of one kind, read from settings at first use:
    `slots_setting` (0 turns the limit off) and `wait_s_setting`."""

    def __init__(self, name: str, *, slots_setting: str, wait_s_setting: str, busy_message: str):
        self.name = name
        self.slots_setting = slots_setting
        self.wait_s_setting = wait_s_setting
        self.busy_message = busy_message
        self._semaphore: threading.BoundedSemaphore | None = None
        self._slots: int | None = None
        self._lock = threading.Lock()
        self._held = threading.local()  # the semaphore this thread took (the setting may change meanwhile)

    def _get(self) -> threading.BoundedSemaphore | None:
        slots = getattr(settings, self.slots_setting)
        if slots != self._slots:  # first use, or the setting changed (tests override it)
            with self._lock:
                if slots != self._slots:
                    self._semaphore = threading.BoundedSemaphore(slots) if slots > 0 else None
                    self._slots = slots
        return self._semaphore

    def __enter__(self) -> None:
        semaphore = self._get()
        if semaphore is not None and not semaphore.acquire(timeout=getattr(settings, self.wait_s_setting)):
            raise Busy(self.busy_message, {"retry_after_s": Busy.retry_after_s})
        self._held.semaphore = semaphore

    def __exit__(self, *exc_info) -> None:
        if self._held.semaphore is not None:
            self._held.semaphore.release()


attempt_starts = Bulkhead(
    "attempt starts",
    slots_setting="PREP_WEB_START_SLOTS",
    wait_s_setting="PREP_WEB_START_WAIT_S",
    busy_message="Many candidates are starting at this moment: try again in a few seconds.",
)
