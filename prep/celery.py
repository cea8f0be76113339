import os

from celery import Celery

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
