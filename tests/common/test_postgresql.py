"""PostgreSQL binds parameters on the server and prepares the statements a connection repeats
(PREP_DB_PREPARE=false: not prepared, for a pooler that cannot keep them); a kept connection is
checked before a request without a round trip, unless its socket says the server spoke."""

import json
import os
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from assessments.models import Option, Question
from tests.assessments.factories import single_choice_question

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's binding and prepared statements")


def _database_settings(**env) -> dict:
    """DATABASES["default"] as prep/settings.py makes it from this environment (nothing connects)."""
    code = ("import json, django; from django.conf import settings; django.setup(); "
            "d = settings.DATABASES['default']; print(json.dumps({'ENGINE': d['ENGINE'], 'OPTIONS': d.get('OPTIONS', {})}))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                            cwd=Path(__file__).resolve().parents[2],
                            env={**os.environ, "DJANGO_SETTINGS_MODULE": "prep.settings", **env})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_on_postgresql_parameters_are_bound_on_the_server_and_statements_prepared_after_five_uses():
    database = _database_settings(DATABASE_URL="postgres://prep:pw@db.example/prep")
    assert database["ENGINE"] == "common.postgresql"
    assert database["OPTIONS"] == {"server_side_binding": True, "prepare_threshold": 5}


def test_prep_db_prepare_false_keeps_statements_unprepared_for_a_pooler():
    database = _database_settings(DATABASE_URL="postgres://prep:pw@db.example/prep", PREP_DB_PREPARE="false")
    assert database["OPTIONS"] == {"server_side_binding": True, "prepare_threshold": None}


def test_sqlite_is_left_as_django_makes_it():
    assert _database_settings(DATABASE_URL="sqlite:////tmp/x.sqlite3")["ENGINE"] == "django.db.backends.sqlite3"


@on_postgresql
@pytest.mark.django_db
def test_a_statement_run_again_and_again_is_prepared_once_on_the_server():
    question = single_choice_question()
    for _ in range(6):
        assert Question.objects.filter(pk=question.pk).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s",
                       ['%FROM "assessments_question" WHERE "assessments_question"."id" = $_ LIMIT 1'])
        assert len(cursor.fetchall()) == 1


@on_postgresql
@pytest.mark.django_db
def test_a_bulk_insert_of_more_parameters_than_one_statement_may_carry_is_split_into_batches():
    question = single_choice_question()
    before = Option.objects.filter(question=question).count()
    rows = 9000  # 8 parameters a row: 72000, over the protocol's 65535
    Option.objects.bulk_create(Option(question=question, text=f"option {i}", order=i % 100) for i in range(rows))
    assert Option.objects.filter(question=question).count() == before + rows


def _on_another_connection(sql: str, params: list) -> tuple | None:
    """The first row `sql` gives on a connection of its own (not the one under test)."""
    other = connection.copy()
    try:
        with other.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()
    finally:
        other.close()


def _backend_query(pid: int) -> str:
    """What PostgreSQL last saw from backend `pid`."""
    row = _on_another_connection("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid])
    return row[0] if row else ""


def _new_request() -> None:
    """What Django does to a kept connection between two requests (request_finished, then the
    next request's first query checks it)."""
    connection.close_if_unusable_or_obsolete()
    assert connection.health_check_done is False


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_kept_idle_connection_is_checked_before_a_request_without_a_query_to_the_server():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 'the last query before the check'")
    pid = connection.connection.info.backend_pid
    _new_request()

    connection.close_if_health_check_failed()

    assert connection.health_check_done is True
    assert connection.connection is not None and connection.connection.info.backend_pid == pid
    assert _backend_query(pid) == "SELECT 'the last query before the check'"  # no SELECT 1 went out


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_kept_connection_whose_server_process_ended_is_closed_and_the_next_query_reconnects():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    pid = connection.connection.info.backend_pid
    assert _on_another_connection("SELECT pg_terminate_backend(%s)", [pid]) == (True,)
    socket = select.poll()
    socket.register(connection.connection.pgconn.socket, select.POLLIN)
    deadline = time.monotonic() + 10
    while not socket.poll(100) and time.monotonic() < deadline:  # the server's goodbye reaches the socket
        pass
    _new_request()

    connection.close_if_health_check_failed()

    assert connection.connection is None  # closed rather than handed to the request
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_kept_connection_left_inside_a_transaction_is_checked_with_a_query():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    connection.connection.execute("BEGIN")  # past Django's back: not idle, so the socket alone cannot tell
    pid = connection.connection.info.backend_pid
    connection.health_check_done = False

    connection.close_if_health_check_failed()

    assert connection.health_check_done is True
    assert _backend_query(pid) == "SELECT 1"  # Django's own check went out
    connection.connection.execute("ROLLBACK")
