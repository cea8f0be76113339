"""PostgreSQL binds parameters on the server and prepares the statements a connection repeats."""

import pytest
from django.db import connection

from assessments.models import Option, Question
from tests.assessments.factories import single_choice_question

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's binding and prepared statements"),
]


def test_a_statement_run_again_and_again_is_prepared_once_on_the_server():
    question = single_choice_question()
    for _ in range(6):
        assert Question.objects.filter(pk=question.pk).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s",
                       ['%FROM "assessments_question" WHERE "assessments_question"."id" = $_ LIMIT 1'])
        assert len(cursor.fetchall()) == 1


def test_a_bulk_insert_of_more_parameters_than_one_statement_may_carry_is_split_into_batches():
    question = single_choice_question()
    before = Option.objects.filter(question=question).count()
    rows = 9000  # 8 parameters a row: 72000, over the protocol's 65535
    Option.objects.bulk_create(Option(question=question, text=f"option {i}", order=i % 100) for i in range(rows))
    assert Option.objects.filter(question=question).count() == before + rows
