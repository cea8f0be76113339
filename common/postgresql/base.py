import select
from functools import cached_property

import psycopg
from django.db.backends.postgresql import base, features
from psycopg.pq import PipelineStatus, TransactionStatus


class DatabaseFeatures(features.DatabaseFeatures):
    @cached_property
    def max_query_params(self):
        return 2**16 - 1 if self.uses_server_side_binding else None


class DatabaseWrapper(base.DatabaseWrapper):
    features_class = DatabaseFeatures

    def close_if_health_check_failed(self):
        """The check of a kept connection before a request's first query (CONN_HEALTH_CHECKS),
        without the round trip of Django's SELECT 1 when the socket shows nothing wrong.

        An idle connection receives nothing unless its server ends it: a terminated backend, a
        restart or a pooler that dropped it sends its error and closes, which makes the socket
        readable (as go-sql-driver/mysql checks a pooled connection with a non-blocking read).
        Only then, or when the connection is not idle, does Django's SELECT 1 decide. A server
        that vanished without a word (a partition) passes both checks alike; its first query
        then fails as the SELECT 1 would have. The SELECT 1 was one of every request's round
        trips to PostgreSQL: bench/web.py, bench/load.py."""
        if (self.connection is not None and self.health_check_enabled and not self.health_check_done
                and _idle_and_silent(self.connection)):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()


def _idle_and_silent(connection: psycopg.Connection) -> bool:
    """Open, outside a transaction, and nothing waiting to be read on its socket (no I/O)."""
    try:
        if (connection.closed or connection.info.transaction_status != TransactionStatus.IDLE
                or connection.pgconn.pipeline_status != PipelineStatus.OFF):  # left in pipeline mode: unusable
            return False
        poller = select.poll()
        poller.register(connection.pgconn.socket, select.POLLIN | select.POLLPRI)
        return not poller.poll(0)
    except (psycopg.Error, OSError, ValueError):
        return False
