import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prep.settings")

app = Celery("prep")
# Every CELERY_* setting in prep/settings.py configures the app.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _survive_broker_loss() -> None:
    """Keep a worker alive when Redis goes away while it holds unacknowledged messages.

    On losing the broker, Celery closes the channel, and kombu's Redis channel then tries to put
    its unacknowledged messages back through a connection whose client is already gone: an
    AttributeError that Celery 5.x treats as unrecoverable, so the worker exits (kombu 5.x,
    redis transport, `QoS.restore_unacked` -> `Channel._connparams`). In that one case the
    restore is skipped: the messages stay in Redis's unacked set and come back after the
    visibility timeout, and the reconciler re-enqueues the submissions and attempts they were
    about from the database long before that. Every other restore (a graceful shutdown, say)
    runs as before."""
    import logging

    from kombu.transport import redis as kombu_redis

    original = kombu_redis.QoS.restore_unacked
    if getattr(original, "prep_survives_broker_loss", False):
        return

    def restore_unacked(self, client=None):
        if client is None and getattr(self.channel.connection, "client", None) is None:
            logging.getLogger("prep.celery").warning(
                "broker connection lost: %d unacknowledged message(s) left for the visibility timeout "
                "and the reconciler", len(self._delivered))
            return None
        return original(self, client)

    restore_unacked.prep_survives_broker_loss = True
    kombu_redis.QoS.restore_unacked = restore_unacked


_survive_broker_loss()


def _reuse_broker_clients() -> None:
    """Send a channel's commands to Redis on one redis.Redis, not a new one per command.

    kombu's Redis channel makes a new client for every command it sends outside the worker's
    event loop: each task published (every Run and Submit, from the web process), each message
    a worker acknowledges (kombu 5.x, `Channel.conn_or_acquire` -> `_create_client`). Making a
    redis.Redis builds its table of reply parsers (~170 entries): as much CPU as a whole PING
    on a kept client (bench/web.py, "Redis calls"). A client is safe to share: each command takes a connection from the
    client's pool and gives it back. So each channel keeps the one it made, for as long as it
    keeps that pool (kombu drops a channel's pools when it closes, after a fork, or when its
    first PING fails)."""
    from kombu.transport import redis as kombu_redis

    original = kombu_redis.Channel._create_client
    if getattr(original, "prep_reuses_clients", False):
        return

    def _create_client(self, asynchronous=False):
        if asynchronous:  # the event loop's own, made once per channel by kombu already
            return original(self, asynchronous=True)
        client = self.__dict__.get("_prep_client")
        if client is None or client.connection_pool is not self.pool:
            client = self.__dict__["_prep_client"] = original(self)
        return client

    _create_client.prep_reuses_clients = True
    kombu_redis.Channel._create_client = _create_client


_reuse_broker_clients()


def _reuse_database_connections() -> None:
    """Keep a worker's database connections between tasks, as the web tier keeps them between
    requests (CONN_MAX_AGE, checked before reuse with CONN_HEALTH_CHECKS).

    Celery's Django fixup closes every connection before and after every task (Celery 5.6 went
    back to that, celery/celery#9824), so each grading opened a new PostgreSQL session: about
    16 ms of PostgreSQL CPU per submission in bench/load.py's burst, more than the queries.
    Celery's reason is a query cut short by the soft time limit's signal, which can leave a
    connection that looks usable and is not; such a task ends in failure, so after any task
    that did not succeed every connection is closed, as Celery does. After a successful one,
    Django's own rule applies (close_old_connections: too old, or errors seen)."""

    app.conf["CELERY_DB_REUSE_MAX"] = 2**62  # the fixup then leaves connections alone (it reads this key)

    @signals.task_prerun.connect(weak=False)
    def before_task(**kwargs) -> None:
        from django.db import close_old_connections

        close_old_connections()

    @signals.task_postrun.connect(weak=False)
    def after_task(state=None, **kwargs) -> None:
        from django.db import close_old_connections, connections

        if state == "SUCCESS":
            close_old_connections()
        else:
            connections.close_all()


_reuse_database_connections()


def freeze_startup_heap(**kwargs) -> None:
    """Freeze what the process has imported (Django, Celery, the judge) so that the garbage
    collector no longer walks it in every full collection: a worker once ready, the web process
    once its app is loaded (prep/wsgi.py), collecting first. A prefork pool's children are forked
    before a worker is ready: only the solo-based pool that grading uses (prep/celery_pool.py)
    runs its tasks in the process this freezes."""
    import gc

    gc.collect()
    gc.freeze()


signals.worker_ready.connect(freeze_startup_heap, weak=False)
