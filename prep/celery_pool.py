"""The grading workers' execution pool: Celery's solo pool, with the time limits solo lacks.

Celery's default prefork pool hands every task from the worker process to a child process and
its outcome back: bench/pool.py measures the worker's own CPU per task (beyond the task's body)
at 2.7-2.9 ms with prefork against 1.5-1.6 ms for this pool, which runs the task in the worker's
own process. That is ~2% of a grading's CPU (bench/load.py), and one process per grading slot
instead of two.
But solo ignores task time limits, which grading needs, distinct from the candidate's TLE (a hung
judge or database must not hold a worker for ever). This pool keeps them:

- at the hard limit SIGALRM (an interval timer armed as the task starts) is left to its default
  action: the kernel ends the process wherever it is stuck, a C call holding the GIL included.
  Its supervisor (scripts/run-worker.sh, systemd) starts it again, and the reconciler requeues
  the submission the row says is still running, as after prefork kills a child at the hard limit;
- at the soft limit a watchdog thread sends SIGUSR2 to the main thread, whose handler raises
  SoftTimeLimitExceeded in the task, as prefork's SIGUSR1 does: the task fails the submission
  with a clear error, and the worker goes on. (A task stuck in C code holding the GIL never sees
  it; the hard limit still comes.)

Per task this costs two setitimer calls and two writes of a dict entry: bench/pool.py measures
this pool at plain solo's CPU per task. The watchdog checks the deadline every TICK_S, and beats
the worker's heartbeat into Redis every HEARTBEAT_S: a worker answers a ping only between
tasks, so /healthz/workers counts one that beats but does not answer as busy, not dead.

One pool runs one task at a time, so a host runs one worker process per grading slot
(scripts/run-worker.sh starts PREP_WORKERS of them)."""

import logging
import signal
import threading
import time

from celery.concurrency import solo
from celery.concurrency.base import apply_target
from celery.exceptions import SoftTimeLimitExceeded

logger = logging.getLogger(__name__)

HEARTBEATS_KEY = "prep:workers:heartbeat"  # hostname -> the time of its last beat
TICK_S = 0.1
HEARTBEAT_S = 5.0
ALIVE_WITHIN_S = 3 * HEARTBEAT_S


class TaskPool(solo.TaskPool):
    """Solo, with soft and hard time limits and a heartbeat (see the module's docstring)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)  # the hard limit: the kernel ends the process
        signal.signal(SOFT_LIMIT_SIGNAL, _raise_soft_limit)
        self.watchdog = Watchdog((self.options.get("initargs") or (None, None))[1])
        self.on_apply = self._apply_timed

    def _apply_timed(self, target, args=(), kwargs=None, soft_timeout=None, timeout=None, **options):
        soft = soft_timeout if soft_timeout and not (timeout and soft_timeout >= timeout) else None

        def timed(*a, **kw):
            if timeout:
                signal.setitimer(signal.ITIMER_REAL, timeout)
            _soft_limit["deadline"] = time.monotonic() + soft if soft else None
            try:
                return target(*a, **kw)
            finally:
                _soft_limit["deadline"] = None
                if timeout:
                    signal.setitimer(signal.ITIMER_REAL, 0)

        return apply_target(timed, args, kwargs, **options)

    def on_stop(self):
        self.watchdog.stop()
        super().on_stop()

    def _get_info(self):
        info = super()._get_info()
        info["timeouts"] = ("soft: SIGUSR2 from a watchdog thread", "hard: SIGALRM, the kernel's default action")
        return info


SOFT_LIMIT_SIGNAL = signal.SIGUSR2
# The running task's soft deadline (time.monotonic()), or None: signals are the process's, and a
# process runs one task at a time.
_soft_limit: dict[str, float | None] = {"deadline": None}


def _raise_soft_limit(signum, frame) -> None:
    deadline = _soft_limit["deadline"]
    if deadline is not None and time.monotonic() >= deadline:  # not a late signal for a task now gone
        _soft_limit["deadline"] = None
        logger.warning("a task passed its soft time limit")
        raise SoftTimeLimitExceeded()


class Watchdog(threading.Thread):
    """Signals the main thread (SOFT_LIMIT_SIGNAL) once the running task's soft deadline passes,
    and beats the worker's heartbeat into Redis until stopped."""

    def __init__(self, hostname: str | None):
        super().__init__(name="prep-watchdog", daemon=True)
        self.hostname = hostname
        self._main = threading.main_thread().ident
        self._stopped = threading.Event()
        self.start()

    def run(self) -> None:
        signalled, next_beat = None, 0.0
        while not self._stopped.wait(TICK_S):
            now, deadline = time.monotonic(), _soft_limit["deadline"]
            if deadline is not None and now >= deadline and deadline != signalled:
                signalled = deadline
                signal.pthread_kill(self._main, SOFT_LIMIT_SIGNAL)
            if self.hostname and now >= next_beat:
                next_beat = now + HEARTBEAT_S
                self._heartbeat(beat=True)

    def stop(self) -> None:
        """A worker stopping says so at once, rather than going stale."""
        self._stopped.set()
        self.join(timeout=1)  # a beat under way lands before the heartbeat is dropped
        if self.hostname:
            self._heartbeat(beat=False)

    def _heartbeat(self, *, beat: bool) -> None:
        try:
            from assessments.notify import redis_client

            if beat:
                redis_client().zadd(HEARTBEATS_KEY, {self.hostname: time.time()})
            else:
                redis_client().zrem(HEARTBEATS_KEY, self.hostname)
        except Exception:  # noqa: BLE001 — a health hint only; the next beat tries again, a stale one is dropped
            logger.debug("could not update %s's heartbeat", self.hostname, exc_info=True)


def live_workers(now: float | None = None) -> list[str]:
    """Workers whose heartbeat is recent (ALIVE_WITHIN_S), running a task or not; older beats
    (a worker that died) are dropped."""
    from assessments.notify import redis_client

    client = redis_client()
    since = (time.time() if now is None else now) - ALIVE_WITHIN_S
    client.zremrangebyscore(HEARTBEATS_KEY, "-inf", f"({since}")
    return sorted(name.decode() for name in client.zrangebyscore(HEARTBEATS_KEY, since, "+inf"))
