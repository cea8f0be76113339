"""PostgreSQL binds parameters on the server and prepares the statements a connection repeats
(PREP_DB_PREPARE=false: not prepared, for a pooler that cannot keep them)."""

import json
import os
import subprocess
import sys
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
