"""The grading workers' execution pool: Celery's solo pool, with the time limits solo lacks.

Celery's default prefork pool hands every task from the worker process to a child process and
its outcome back: on the 2-core VM, bench/load.py measured a grading's CPU at 50-60 ms with
prefork against 46-51 ms with solo, and the two workers' throughput at 58-66% of the bare judge
against 76-77%. Solo runs the task in the worker's own process, but ignores task time limits,
which grading needs to be distinct from the candidate's TLE (a hung judge or database must not
hold a worker for ever). This pool keeps them:

- at the hard limit SIGALRM (an interval timer armed as the task starts) is left to its default
  action: the kernel ends the process wherever it is stuck, a C call holding the GIL included.
  Its supervisor (scripts/run-worker.sh, systemd) starts it again, and the reconciler requeues
  the submission the row says is still running, as after prefork kills a child at the hard limit;
- at the soft limit a watchdog thread sends SIGUSR2 to the main thread, whose handler raises
  SoftTimeLimitExceeded in the task, as prefork's SIGUSR1 does: the task fails the submission
  with a clear error, and the worker goes on. (A task stuck in C code holding the GIL never sees
  it; the hard limit still comes.)

One pool runs one task at a time, so a host runs one worker process per grading slot
(scripts/run-worker.sh starts PREP_WORKERS of them). A worker that is running a task cannot
answer a ping: it marks itself busy in Redis (a sorted set, scored by the task's hard deadline)
for /healthz/workers."""

import logging
import signal
import threading
import time

from celery.concurrency import solo
from celery.concurrency.base import apply_target
from celery.exceptions import SoftTimeLimitExceeded

logger = logging.getLogger(__name__)

BUSY_KEY = "prep:workers:busy"  # hostname -> the time its task's hard limit ends


class TaskPool(solo.TaskPool):
    """Solo, with soft and hard time limits (see the module's docstring)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.hostname = (self.options.get("initargs") or (None, None))[1]
        self.on_apply = self._apply_timed
        self.soft_limit = SoftLimit()

    def _apply_timed(self, target, args=(), kwargs=None, soft_timeout=None, timeout=None, **options):
        def timed(*a, **kw):
            busy_until = _mark_busy(self.hostname, timeout or soft_timeout)
            if timeout:
                signal.signal(signal.SIGALRM, signal.SIG_DFL)
                signal.setitimer(signal.ITIMER_REAL, timeout)
            if soft_timeout and not (timeout and soft_timeout >= timeout):
                self.soft_limit.arm(soft_timeout)
            try:
                return target(*a, **kw)
            finally:
                try:
                    self.soft_limit.disarm()
                except SoftTimeLimitExceeded:  # it fired as the task returned: too late to matter
                    self.soft_limit.disarm()
                signal.setitimer(signal.ITIMER_REAL, 0)
                _mark_idle(self.hostname, busy_until)

        return apply_target(timed, args, kwargs, **options)

    def _get_info(self):
        info = super()._get_info()
        info["timeouts"] = ("soft: SIGUSR2 from a watchdog thread", "hard: SIGALRM, the kernel's default action")
        return info


class SoftLimit(threading.Thread):
    """A watchdog that raises SoftTimeLimitExceeded in the main thread (SIGUSR2) once the deadline
    armed passes; one per process, waiting on a condition between tasks."""

    SIGNAL = signal.SIGUSR2

    def __init__(self):
        super().__init__(name="soft-time-limit", daemon=True)
        self._changed = threading.Condition()
        self._deadline: float | None = None
        self._main = threading.main_thread().ident
        self.armed = False
        signal.signal(self.SIGNAL, self._raise)
        self.start()

    def arm(self, seconds: float) -> None:
        with self._changed:
            self.armed, self._deadline = True, time.monotonic() + seconds
            self._changed.notify()

    def disarm(self) -> None:
        self.armed = False  # first: a signal already on its way is ignored
        with self._changed:
            self._deadline = None
            self._changed.notify()

    def run(self) -> None:
        with self._changed:
            while True:
                if self._deadline is None:
                    self._changed.wait()
                elif (remaining := self._deadline - time.monotonic()) > 0:
                    self._changed.wait(remaining)
                else:
                    self._deadline = None
                    signal.pthread_kill(self._main, self.SIGNAL)

    def _raise(self, signum, frame) -> None:
        if self.armed:
            self.armed = False
            logger.warning("a task passed its soft time limit")
            raise SoftTimeLimitExceeded()


def _mark_busy(hostname: str | None, limit: float | None) -> float | None:
    if not hostname:
        return None
    until = time.time() + (limit or 3600) + 5
    try:
        from assessments.notify import redis_client

        redis_client().zadd(BUSY_KEY, {hostname: until})
    except Exception:  # noqa: BLE001 — a health hint only; the task runs without it
        logger.debug("could not mark %s busy", hostname, exc_info=True)
    return until


def _mark_idle(hostname: str | None, until: float | None) -> None:
    if until is None:
        return
    try:
        from assessments.notify import redis_client

        redis_client().zrem(BUSY_KEY, hostname)
    except Exception:  # noqa: BLE001 — the mark expires at the task's hard limit anyway
        logger.debug("could not mark %s idle", hostname, exc_info=True)


def busy_workers(now: float | None = None) -> list[str]:
    """Workers running a task now (they cannot answer a ping meanwhile); a mark left by a worker
    that died mid-task lasts until that task's hard limit, then is dropped."""
    from assessments.notify import redis_client

    client = redis_client()
    now = time.time() if now is None else now
    client.zremrangebyscore(BUSY_KEY, "-inf", now)
    return sorted(name.decode() for name in client.zrangebyscore(BUSY_KEY, now, "+inf"))
