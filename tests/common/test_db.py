"""Statements compiled once and run with new parameters; instances loaded with a few fields."""

import threading

from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, ProgrammingError, connection, connections, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from assessments.models import Question
from common.db import Compiled, CompiledUpdate, loaded, pipelined, pipelined_transaction
from tests.assessments.factories import QuestionFactory

pytestmark = pytest.mark.django_db(transaction=True)

BY_SLUG = Compiled(lambda slug, points: Question.objects.filter(slug=slug, points__gte=points)
                   .values_list("id", "slug", "created_at", "hints"), "<slug>", -1.5)


def test_a_compiled_statement_returns_what_the_orm_returns_for_new_parameters():
    first = QuestionFactory(slug="first", points=2, hints=["look at a"])
    second = QuestionFactory(slug="second", points=1, hints=[])

    assert BY_SLUG.first("first", 1) == Question.objects.values_list("id", "slug", "created_at", "hints").get(pk=first.pk)
    assert BY_SLUG.rows("second", 0) == [(second.pk, "second", second.created_at, [])]
    assert BY_SLUG.first("second", 5) is None


def test_a_compiled_statement_is_one_query_and_parameters_are_never_spliced_into_it():
    QuestionFactory(slug="first", points=2)
    BY_SLUG.first("first", 0)

    with CaptureQueriesContext(connection) as queries:
        assert BY_SLUG.first("x' OR '1'='1", 0) is None

    assert len(queries.captured_queries) == 1


def test_each_thread_compiles_for_its_own_connection():
    question = QuestionFactory(slug="first", points=2)
    found = []

    def read():
        try:
            found.append(BY_SLUG.first("first", 0)[0])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=read) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert found == [question.pk] * 3


def test_placeholders_must_stand_for_every_parameter():
    with pytest.raises(ValueError):
        Compiled(lambda slug: Question.objects.filter(slug=slug), "a", "a")
    unplaced = Compiled(lambda slug: Question.objects.filter(slug=slug, points=3).values_list("id"), "<slug>")
    with pytest.raises(ValueError, match="not placeholders"):
        unplaced.first("x")


RETITLE = CompiledUpdate(lambda slug, status: Question.objects.filter(slug=slug, status=status), "<slug>", "<status>",
                         fields=("title", "hints", "updated_at", "estimated_minutes"),
                         expressions={"version": F("version") + 1})
WHEN = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_a_compiled_update_changes_what_queryset_update_would_and_counts_the_rows():
    draft = QuestionFactory(slug="first", status=Question.Status.DRAFT, version=4, estimated_minutes=5)
    other = QuestionFactory(slug="second", status=Question.Status.DRAFT, title="Untouched")

    changed = RETITLE.run("first", Question.Status.DRAFT, title="New", hints=["a", {"b": [1, None]}],
                          updated_at=WHEN, estimated_minutes=None)

    assert changed == 1
    draft.refresh_from_db()
    assert (draft.title, draft.hints, draft.updated_at, draft.estimated_minutes, draft.version) == (
        "New", ["a", {"b": [1, None]}], WHEN, None, 5)
    other.refresh_from_db()
    assert other.title == "Untouched"
    assert RETITLE.run("first", Question.Status.PUBLISHED, title="Not", hints=[], updated_at=WHEN,
                       estimated_minutes=1) == 0


def test_a_compiled_update_is_one_query_and_values_are_never_spliced_into_it():
    question = QuestionFactory(slug="first", status=Question.Status.DRAFT)
    hostile = "x', title = 'owned"

    with CaptureQueriesContext(connection) as queries:
        RETITLE.run("first", Question.Status.DRAFT, title=hostile, hints=[hostile], updated_at=WHEN,
                    estimated_minutes=1)

    assert len(queries.captured_queries) == 1
    question.refresh_from_db()
    assert (question.title, question.hints) == (hostile, [hostile])


def test_a_compiled_update_sets_exactly_its_fields_and_its_filter_only_placeholders():
    with pytest.raises(TypeError, match="sets exactly"):
        RETITLE.run("first", Question.Status.DRAFT, title="New")
    unplaced = CompiledUpdate(lambda slug: Question.objects.filter(slug=slug, points=3), "<slug>", fields=("title",))
    with pytest.raises(ValueError, match="not placeholders"):
        unplaced.run("first", title="New")


def test_a_compiled_update_binds_each_argument_to_its_placeholder_whatever_the_order_in_the_sql():
    QuestionFactory(slug="first", status=Question.Status.DRAFT, title="Old")
    QuestionFactory(slug="second", status=Question.Status.DRAFT, title="Old")
    reordered = CompiledUpdate(lambda status, slug: Question.objects.filter(slug=slug, status=status),
                               "<status>", "<slug>", fields=("title",))

    assert reordered.run(Question.Status.DRAFT, "first", title="New") == 1

    assert dict(Question.objects.values_list("slug", "title")) == {"first": "New", "second": "Old"}


def test_a_compiled_update_takes_a_related_instance_for_a_foreign_key_and_refuses_expressions():
    from django.db.models.functions import Now

    from tests.accounts.factories import UserFactory

    question = QuestionFactory(slug="first")
    author = UserFactory()
    reauthor = CompiledUpdate(lambda slug: Question.objects.filter(slug=slug), "<slug>", fields=("author",))

    assert reauthor.run("first", author=author) == 1
    question.refresh_from_db()
    assert question.author_id == author.pk
    with pytest.raises(TypeError, match="expression"):
        CompiledUpdate(lambda slug: Question.objects.filter(slug=slug), "<slug>",
                       fields=("updated_at",)).run("first", updated_at=Now())


def test_a_statement_that_can_match_nothing_runs_nothing():
    QuestionFactory(slug="first")
    none = CompiledUpdate(lambda slug: Question.objects.filter(slug=slug, pk__in=[]), "<slug>", fields=("title",))
    nothing = Compiled(lambda slug: Question.objects.filter(slug=slug, pk__in=[]).values_list("id"), "<slug>")

    with CaptureQueriesContext(connection) as queries:
        assert none.run("first", title="x") == 0
        assert nothing.rows("first") == []
    assert queries.captured_queries == []


def test_what_cannot_be_one_update_is_refused():
    with pytest.raises(ValueError, match="at least one field"):
        CompiledUpdate(lambda slug: Question.objects.filter(slug=slug), "<slug>", fields=())
    sliced = CompiledUpdate(lambda slug: Question.objects.filter(slug=slug)[:1], "<slug>", fields=("title",))
    with pytest.raises(ValueError, match="sliced"):
        sliced.run("first", title="x")


def test_statements_made_and_dropped_never_run_one_another():
    """Each statement keeps its own compiled SQL: one made where a dropped one lived in memory
    must not find the other's."""
    QuestionFactory(slug="first", title="Old")
    for i in range(50):
        retitle = CompiledUpdate(lambda slug: Question.objects.filter(slug=slug), "<slug>", fields=("title",))
        assert retitle.run("first", title=f"t{i}") == 1
        del retitle
        read = Compiled(lambda slug: Question.objects.filter(slug=slug).values_list("title"), "<slug>")
        assert read.first("first") == (f"t{i}",)
        del read


def test_a_failed_compiled_update_in_a_transaction_marks_it_for_rollback():
    QuestionFactory(slug="first", status=Question.Status.DRAFT)
    untitled = CompiledUpdate(lambda slug: Question.objects.filter(slug=slug), "<slug>", fields=("title",))

    with transaction.atomic():
        with pytest.raises(IntegrityError):
            untitled.run("first", title=None)
        assert connection.needs_rollback


def test_a_loaded_instance_reads_its_other_fields_when_used_never_defaults():
    question = QuestionFactory(slug="first", title="The real title")

    partial = loaded(Question, id=question.pk, kind=question.kind)

    assert partial.kind == question.kind
    with CaptureQueriesContext(connection) as queries:
        assert partial.title == "The real title"
    assert len(queries.captured_queries) == 1
    with pytest.raises(ValueError):
        loaded(Question, id=1, no_such_field=2)


def test_a_loaded_instance_carries_the_related_objects_given_without_reading_them():
    from assessments.models import CodeSpec

    question = QuestionFactory(slug="first")
    spec = CodeSpec.objects.create(question=question, function_name="f")

    partial = loaded(Question, id=question.pk, related={"code": loaded(CodeSpec, id=spec.pk, function_name="f")})

    with CaptureQueriesContext(connection) as queries:
        assert partial.code.function_name == "f"
    assert queries.captured_queries == []


# --- statements sent together ---------------------------------------------------------------

RENAME = CompiledUpdate(lambda slug: Question.objects.filter(slug=slug), "<slug>", fields=("title",))
TITLE_OF = Compiled(lambda slug: Question.objects.filter(slug=slug).values_list("title"), "<slug>")


def test_pipelined_statements_answer_what_each_would_answer_alone():
    first = QuestionFactory(slug="first", points=2, hints=["look at a"])

    with pipelined() as batch:
        changed = batch.run(RENAME, "first", title="New")
        missing = batch.run(RENAME, "nobody", title="New")
        found = batch.first(BY_SLUG, "first", 1)
        rows = batch.rows(BY_SLUG, "first", 1)
        title = batch.first(TITLE_OF, "first")

    assert (changed.value, missing.value) == (1, 0)
    assert found.value == Question.objects.values_list("id", "slug", "created_at", "hints").get(pk=first.pk)
    assert rows.value == [found.value]
    assert title.value == ("New",)  # statements run in order: the read sees the update before it


def test_a_pipelined_answer_is_not_read_before_its_statements_are_answered():
    QuestionFactory(slug="first")
    with pipelined() as batch:
        title = batch.first(TITLE_OF, "first")
        if connection.vendor == "postgresql":
            with pytest.raises(RuntimeError, match="after sync"):
                title.value
            batch.sync()
        assert title.value is not None


def test_statements_pipelined_outside_a_transaction_take_one_round_trip(round_trips):
    QuestionFactory(slug="first")
    with round_trips() as trips, pipelined() as batch:
        changed = batch.run(RENAME, "first", title="New")
        title = batch.first(TITLE_OF, "first")
    assert trips.count == 1
    assert (changed.value, title.value) == (1, ("New",))


def test_a_pipelined_transaction_is_two_round_trips_a_read_under_a_lock_and_the_writes_with_the_commit(round_trips):
    QuestionFactory(slug="first", title="Old")
    LOCKED = Compiled(lambda slug: Question.objects.select_for_update().filter(slug=slug).values_list("title"), "<slug>")
    with round_trips() as trips, pipelined_transaction() as batch:
        title = batch.first(LOCKED, "first")
        batch.sync()
        batch.run(RENAME, "first", title=title.value[0] + " and new")
    assert trips.count == 2
    assert Question.objects.get(slug="first").title == "Old and new"


def test_a_pipelined_transaction_that_raises_writes_nothing_and_leaves_the_connection_usable():
    QuestionFactory(slug="first", title="Old")
    committed = []
    with pytest.raises(ZeroDivisionError):
        with pipelined_transaction() as batch:
            batch.run(RENAME, "first", title="New")
            batch.on_commit(lambda: committed.append(1))
            batch.sync()
            1 / 0
    assert Question.objects.get(slug="first").title == "Old"
    assert committed == []
    assert connection.get_autocommit() and not connection.in_atomic_block


def test_a_failed_statement_in_a_pipelined_transaction_raises_djangos_error_and_rolls_back_the_rest():
    QuestionFactory(slug="first", title="Old")
    QuestionFactory(slug="second", title="Also old")
    with pytest.raises(IntegrityError):
        with pipelined_transaction() as batch:
            batch.run(RENAME, "second", title="New")
            batch.run(RENAME, "first", title=None)  # NOT NULL
    assert list(Question.objects.order_by("slug").values_list("title", flat=True)) == ["Old", "Also old"]
    assert TITLE_OF.first("second") == ("Also old",)  # the connection goes on


def test_a_pipelined_transaction_runs_its_callbacks_once_committed():
    QuestionFactory(slug="first", title="Old")
    seen = []
    with pipelined_transaction() as batch:
        batch.run(RENAME, "first", title="New")
        batch.on_commit(lambda: seen.append(TITLE_OF.first("first")))
        assert seen == []
    assert seen == [("New",)]


def test_inside_an_atomic_block_a_pipelined_transaction_is_a_savepoint_whose_statements_run_at_once():
    QuestionFactory(slug="first", title="Old")
    with transaction.atomic():
        with pipelined_transaction() as batch:
            assert batch.orm_allowed
            assert batch.run(RENAME, "first", title="New").value == 1
            assert Question.objects.get(slug="first").title == "New"  # the ORM may run here
        transaction.set_rollback(True)
    assert Question.objects.get(slug="first").title == "Old"


def _enter_an_atomic_block():
    with transaction.atomic():
        pass


# What each would do wrong in a pipelined transaction: begin a transaction where Django cannot
# see one is open, read a row count not answered yet, send a statement nobody collects.
INTRUDERS = {
    "an atomic block": (ProgrammingError, "can't change 'autocommit' now", _enter_an_atomic_block),
    "an ORM update": (RuntimeError, "cannot run inside a pipelined block",
                      lambda: Question.objects.filter(slug="first").update(title="Newer")),
    "a compiled statement run alone": (RuntimeError, "go through its Pipeline",
                                       lambda: RENAME.run("first", title="Newer")),
}


@pytest.mark.parametrize("intruder", INTRUDERS)
def test_nothing_but_the_pipelines_statements_runs_inside_a_pipelined_block_on_postgresql(intruder):
    if connection.vendor != "postgresql":
        pytest.skip("elsewhere a pipelined block runs its statements at once, the ORM's too")
    QuestionFactory(slug="first", title="Old")
    error, message, intrude = INTRUDERS[intruder]
    with pytest.raises(error, match=message):
        with pipelined_transaction() as batch:
            assert not batch.orm_allowed
            batch.run(RENAME, "first", title="New")
            batch.sync()
            intrude()
    assert Question.objects.get(slug="first").title == "Old"


def test_an_insert_in_a_pipelined_transaction_is_what_save_would_store():
    with pipelined_transaction() as batch:
        question = QuestionFactory.build(slug="inserted", hints=["a"])
        inserted = batch.insert(question)
    assert question.pk == inserted.value and not question._state.adding
    stored = Question.objects.get(pk=question.pk)
    assert (stored.slug, stored.hints, stored.created_at) == ("inserted", ["a"], question.created_at)
