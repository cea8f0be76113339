"""Database helpers."""

import contextlib
import functools
import logging
import threading
from typing import Callable, Iterator, NamedTuple

from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import DatabaseError, connections, transaction
from django.db.models import Expression, QuerySet
from django.db.models.sql import InsertQuery, UpdateQuery

logger = logging.getLogger(__name__)

class _Statement:
    """A statement built by the ORM once per thread and database, then run with new parameters.
    `build(*placeholders)` returns the QuerySet, called once with `placeholders` standing for the
    parameters (distinct values of the right type, each a parameter of its own)."""

    def __init__(self, build: Callable[..., QuerySet], *placeholders):
        if len(set(placeholders)) != len(placeholders):
            raise ValueError("placeholders must be distinct")
        self.build, self.placeholders = build, placeholders
        self._local = threading.local()  # per thread: a compiler belongs to its thread's connection

    def _compiled(self, alias: str):
        cache = self._local.__dict__.setdefault("by_alias", {})
        connection = connections[alias]
        entry = cache.get(alias)
        if entry is None or entry[0] is not connection:
            try:
                entry = cache[alias] = (connection, *self._compile(alias))
            except EmptyResultSet:  # a filter that can match nothing (pk__in=[]): no statement to run
                entry = cache[alias] = (connection, None)
        return entry

    def _compile(self, alias: str) -> tuple:
        raise NotImplementedError

    def _order(self, params) -> list[int]:
        """Which placeholder each parameter is (ValueError if one is not a placeholder)."""
        if any(p not in self.placeholders for p in params):
            raise ValueError(f"the query has parameters that are not placeholders: {params!r}")
        return [self.placeholders.index(p) for p in params]


class Compiled(_Statement):
    """A values_list query compiled once per thread and database, then run with new parameters.

    For the few statements every request runs (autosave, say): building and compiling the ORM
    query costs several times what running it costs. Rows come back converted as the ORM
    converts them (dates, JSON)."""

    def _compile(self, alias: str) -> tuple:
        compiler = self.build(*self.placeholders).query.get_compiler(using=alias)
        with _as_in_a_transaction(connections[alias]):
            sql, params = compiler.as_sql()
        converters = compiler.get_converters([s[0] for s in compiler.select[:compiler.col_count]])
        return compiler, sql, self._order(params), converters

    def rows(self, *args, using: str = "default") -> list[tuple]:
        return _run_now(connections[using], self._bound(using, args), [])

    def _bound(self, alias: str, args) -> "_Bound | None":
        entry = self._compiled(alias)
        if entry[1] is None:
            return None
        _, compiler, sql, order, converters = entry

        def fetch(cursor) -> list[tuple]:
            rows = cursor.fetchall()
            if converters:
                rows = [tuple(row) for row in compiler.apply_converters(rows, converters)]
            return rows

        return _Bound(sql, [args[i] for i in order], fetch)

    def first(self, *args, using: str = "default") -> tuple | None:
        rows = self.rows(*args, using=using)
        return rows[0] if rows else None


@contextlib.contextmanager
def _as_in_a_transaction(connection):
    """Django's compiler refuses SELECT ... FOR UPDATE where it sees no transaction. A compiled
    statement runs where one is open: an atomic block, or a pipelined_transaction, which Django
    does not see. So it is compiled as if in one (nothing is sent to the database)."""
    connection.ensure_connection()
    autocommit, connection.autocommit = connection.autocommit, False
    try:
        yield
    finally:
        connection.autocommit = autocommit


class _Slot(Expression):
    """Where a value given to CompiledUpdate.run goes in the compiled SET clause."""

    def __init__(self, name: str):
        super().__init__()
        self.name = name

    def as_sql(self, compiler, connection):
        return "%s", [self]


class CompiledUpdate(_Statement):
    """An UPDATE compiled once per thread and database, as Compiled compiles a SELECT, for the
    few writes every grading or autosave makes. `build(*placeholders)` returns the QuerySet of
    the rows to change (not sliced); `fields` are set to the plain values each run() gives,
    prepared per run as QuerySet.update prepares them (JSON, datetimes, a related instance for
    a foreign key); `expressions` set other fields the same way every time
    (claims=F("claims") + 1). run() returns the number of rows changed."""

    def __init__(self, build: Callable[..., QuerySet], *placeholders, fields: tuple[str, ...],
                 expressions: dict | None = None):
        super().__init__(build, *placeholders)
        self.fields, self.expressions = tuple(fields), dict(expressions or {})
        if not self.fields and not self.expressions:
            raise ValueError("an UPDATE sets at least one field")

    def _compile(self, alias: str) -> tuple:
        queryset = self.build(*self.placeholders)
        if queryset.query.is_sliced:
            raise ValueError("a sliced QuerySet cannot be updated")
        query = queryset.query.chain(UpdateQuery)
        query.add_update_values({**{name: _Slot(name) for name in self.fields}, **self.expressions})
        if query.related_updates:
            raise ValueError("an update of fields on a parent model is more than one statement")
        compiler = query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        try:
            where_params = compiler.compile(compiler.query.where)[1]
        except FullResultSet:
            where_params = ()
        set_params = params[:len(params) - len(where_params)]
        meta = query.get_meta()
        # Per SET parameter: (the field, the name of the value run() gets for it), or (None, a
        # constant of one of the expressions).
        plan = [(meta.get_field(p.name), p.name) if isinstance(p, _Slot) else (None, p) for p in set_params]
        return sql, plan, self._order(where_params)

    def run(self, *args, using: str = "default", **values) -> int:
        return _run_now(connections[using], self._bound(using, args, values), 0)

    def _bound(self, alias: str, args, values: dict) -> "_Bound | None":
        if values.keys() != set(self.fields):
            raise TypeError(f"run() sets exactly {self.fields}, not {tuple(values)}")
        entry = self._compiled(alias)
        if entry[1] is None:
            return None
        _, sql, plan, order = entry
        connection = connections[alias]
        params = [_prepared(field, values[key], connection) if field else key for field, key in plan]
        params += [args[i] for i in order]
        return _Bound(sql, params, _rowcount)


class _Bound(NamedTuple):
    """A compiled statement with its parameters, and how its answer is read off the cursor."""
    sql: str
    params: list
    fetch: Callable


def _rowcount(cursor) -> int:
    return cursor.rowcount


def _run_now(connection, bound: _Bound | None, nothing):
    if bound is None:  # a filter that can match nothing: no statement
        return nothing
    if _pipelining(connection):
        raise RuntimeError("inside a pipelined block, statements go through its Pipeline")
    with transaction.mark_for_rollback_on_error(connection.alias), connection.cursor() as cursor:
        cursor.execute(bound.sql, bound.params)
        return bound.fetch(cursor)


# --- statements sent together -------------------------------------------------------------------
# Under load a round trip to PostgreSQL costs more than most statements a request runs (the
# answer waits for a core, then for the GIL). psycopg's pipeline mode sends statements without
# waiting for the previous one's answer and reads every answer in one go: a lock taken and the
# row read under it, or a verdict written and the attempt locked, cost one round trip, not two.


class Result:
    """What a statement sent in a pipeline answered: `value`, once its pipeline is synced."""

    __slots__ = ("_value", "_ready")

    def __init__(self):
        self._ready = False

    def _set(self, value) -> "Result":
        self._value, self._ready = value, True
        return self

    @property
    def value(self):
        if not self._ready:
            raise RuntimeError("a pipelined statement's answer is read after sync() or the end of its block")
        return self._value


class Pipeline:
    """Compiled statements queued with rows()/first()/run(), which return a Result each, answered
    together at sync() or at the end of the block. On PostgreSQL they travel together; on other
    databases (SQLite: no network) each runs at once. Only compiled statements go in: the ORM
    reads a statement's answer as soon as it sends it, which pipeline mode does not give."""

    def __init__(self, connection, pipeline=None):
        self._connection, self._pipeline = connection, pipeline
        self._waiting: list[tuple[Result, object, Callable]] = []
        self._sending = False

    @property
    def orm_allowed(self) -> bool:
        """False while statements are pipelined: the ORM must not run in this block."""
        return self._pipeline is None

    def rows(self, statement: Compiled, *args) -> Result:
        return self._send(statement._bound(self._connection.alias, args), [])

    def first(self, statement: Compiled, *args) -> Result:
        bound = statement._bound(self._connection.alias, args)
        if bound is not None:
            bound = bound._replace(fetch=lambda cursor, fetch=bound.fetch: next(iter(fetch(cursor)), None))
        return self._send(bound, None)

    def run(self, statement: CompiledUpdate, *args, **values) -> Result:
        return self._send(statement._bound(self._connection.alias, args, values), 0)

    def insert(self, instance) -> Result:
        """INSERT an unsaved instance as save() would (defaults and pre_save hooks such as
        auto_now applied), without the save signals: for models no receiver listens to. Its
        primary key is the Result, and is set on the instance once answered."""
        if self._pipeline is None:
            instance.save(force_insert=True, using=self._connection.alias)
            return Result()._set(instance.pk)
        meta = instance._meta
        query = InsertQuery(type(instance))
        query.insert_values([f for f in meta.local_concrete_fields if f is not meta.auto_field and not f.generated],
                            [instance])
        compiler = query.get_compiler(using=self._connection.alias)
        compiler.returning_fields = [meta.pk]
        [(sql, params)] = compiler.as_sql()

        def fetch(cursor):
            instance.pk = cursor.fetchone()[0]
            instance._state.adding, instance._state.db = False, self._connection.alias
            return instance.pk

        return self._send(_Bound(sql, list(params), fetch), None)

    def _send(self, bound: _Bound | None, nothing) -> Result:
        if bound is None:
            return Result()._set(nothing)
        if self._pipeline is None:
            return Result()._set(_run_now(self._connection, bound, nothing))
        result, cursor = Result(), self._connection.cursor()
        self._sending = True
        try:
            with transaction.mark_for_rollback_on_error(self._connection.alias):
                cursor.execute(bound.sql, bound.params)
        finally:
            self._sending = False
        self._waiting.append((result, cursor, bound.fetch))
        return result

    def _refuse_others(self, execute, sql, params, many, context):
        """An execute_wrapper for the block: the ORM reads a statement's answer as soon as it sends
        it (an UPDATE's row count, say), which pipeline mode does not give, so it may not run here."""
        if not self._sending:
            raise RuntimeError("the ORM cannot run inside a pipelined block: only its Pipeline's statements can")
        return execute(sql, params, many, context)

    def sync(self) -> None:
        """Send what is queued and wait for every answer (one round trip)."""
        if self._pipeline is not None:
            with transaction.mark_for_rollback_on_error(self._connection.alias), self._connection.wrap_database_errors:
                self._pipeline.sync()
            self._collect()

    def _collect(self) -> None:
        waiting, self._waiting = self._waiting, []
        for result, cursor, fetch in waiting:
            with self._connection.wrap_database_errors:
                result._set(fetch(cursor))
            cursor.close()


def _pipelines(connection) -> bool:
    return connection.vendor == "postgresql" and psycopg_pipeline_supported()


def _pipelining(connection) -> bool:
    """Whether the connection is in pipeline mode now (a pipelined block is running)."""
    return connection.vendor == "postgresql" and connection.connection is not None and bool(
        connection.connection.pgconn.pipeline_status)


@functools.cache
def psycopg_pipeline_supported() -> bool:
    """Whether the PostgreSQL driver has pipeline mode (psycopg 3 on libpq 14 or later)."""
    try:
        from psycopg import Pipeline as PsycopgPipeline
    except ImportError:  # psycopg2, or no PostgreSQL driver at all
        return False
    return PsycopgPipeline.is_supported()


@contextlib.contextmanager
def _pipeline_mode(connection, batch_class):
    """The connection in pipeline mode for the block, with a `batch_class` Pipeline that alone
    may send statements. The health check Django makes before a kept connection's first use
    (CONN_HEALTH_CHECKS) is made first: inside pipeline mode it could not reconnect."""
    with connection.wrap_database_errors:
        connection.close_if_health_check_failed()
        connection.ensure_connection()
        with connection.connection.pipeline() as psycopg_pipeline:  # its end sends Sync, waits for every answer
            batch = batch_class(connection, psycopg_pipeline)
            with connection.execute_wrapper(batch._refuse_others):
                yield batch


@contextlib.contextmanager
def pipelined(using: str = "default") -> Iterator[Pipeline]:
    """Statements sent together (see Pipeline), answered at the end of the block. Inside an
    atomic block on PostgreSQL, a transaction not begun yet costs a round trip of its own
    (psycopg waits for BEGIN's answer); see pipelined_transaction for one that does not.
    Outside one, a database error closes the connection: what psycopg believes prepared on it
    may not be, once a statement of the pipeline failed."""
    connection = connections[using]
    if not _pipelines(connection):
        yield Pipeline(connection)
        return
    try:
        with transaction.mark_for_rollback_on_error(using), _pipeline_mode(connection, Pipeline) as batch:
            yield batch
        batch._collect()
    except DatabaseError:
        if not connection.in_atomic_block:  # in one, the rollback to come clears psycopg's cache
            connection.close()
        raise


class TransactionPipeline(Pipeline):
    """A Pipeline whose statements make one transaction; on_commit(fn) runs fn once committed
    (an exception it raises is logged, as transaction.on_commit(robust=True) does). Inside a
    pipelined transaction, Django's transaction.on_commit would run at once: use this one."""

    def __init__(self, connection, pipeline=None):
        super().__init__(connection, pipeline)
        self._callbacks: list[Callable[[], None]] = []

    def _statement(self, sql: str) -> None:
        self._send(_Bound(sql, [], lambda cursor: None), None)

    def on_commit(self, fn: Callable[[], None]) -> None:
        if self._pipeline is None:
            transaction.on_commit(fn, using=self._connection.alias, robust=True)
        else:
            self._callbacks.append(fn)


@contextlib.contextmanager
def pipelined_transaction(using: str = "default") -> Iterator[TransactionPipeline]:
    """One transaction of compiled statements, committed at the end of the block and rolled back
    if it raises. On PostgreSQL (outside any atomic block) BEGIN travels with the first
    statements and COMMIT with the last ones: a read under a lock, then the writes it decides,
    cost two round trips rather than five. Django does not see this transaction: nothing but
    the Pipeline's statements may run in the block (the ORM raises). On other databases, or
    inside an atomic block, it is transaction.atomic() with statements run at once.

    Once COMMIT is sent, a failure (the commit's own, or an exception such as Celery's soft
    time limit arriving while the answer is awaited) leaves the outcome unknown to this
    process: the connection is closed, which ends whatever the server still has open, and the
    error raised, without the callbacks (the reconciler covers a committed grading whose
    callbacks never ran)."""
    connection = connections[using]
    if not _pipelines(connection) or connection.in_atomic_block:
        with transaction.atomic(using=using):
            yield TransactionPipeline(connection)
        return
    commit_sent = False
    try:
        with _pipeline_mode(connection, TransactionPipeline) as batch:
            batch._statement("BEGIN")
            yield batch
            batch._statement("COMMIT")
            commit_sent = True
        batch._collect()
    except BaseException:
        if commit_sent:
            connection.close()
        else:
            _rollback_or_close(connection)
        raise
    for fn in batch._callbacks:
        try:
            fn()
        except Exception:  # noqa: BLE001 — committed already: as transaction.on_commit(robust=True)
            logger.exception("a callback after a pipelined transaction's commit failed")


def _rollback_or_close(connection) -> None:
    """End the transaction a pipelined block began, if the server still has it open; if that
    fails, or the connection is still in pipeline mode, close it (the server rolls back)."""
    if connection.connection is None:
        return
    try:
        with connection.wrap_database_errors:
            connection.connection.rollback()  # nothing to send when the server is idle
        if not _pipelining(connection):
            return
    except Exception:  # noqa: BLE001 — the first error is the one raised
        logger.warning("could not roll back a pipelined transaction; closing its connection", exc_info=True)
    connection.close()


def _prepared(field, value, connection):
    """A value for `field` as SQLUpdateCompiler prepares a plain one (expressions are compiled
    into the statement instead: give them as CompiledUpdate's `expressions`)."""
    if hasattr(value, "resolve_expression"):
        raise TypeError(f"{field.name}: an expression is compiled once, as one of `expressions`, not a value")
    if hasattr(value, "prepare_database_save"):
        if not field.remote_field:
            raise TypeError(f"{field.name}: a model instance is not a value for {type(field).__name__}")
        value = value.prepare_database_save(field)
    return field.get_db_prep_save(value, connection)


def loaded(model, alias: str = "default", *, related: dict | None = None, **values):
    """An instance as the ORM would load it with only these fields (attnames); the others are
    deferred, read from the database if ever used, never silently left at their defaults.
    `related` gives objects already at hand for its relations (name -> instance, a foreign key
    or a reverse one-to-one), as select_related would have set them."""
    names = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    if len(names) != len(values):
        raise ValueError(f"not fields of {model.__name__}: {sorted(set(values) - set(names))}")
    instance = model.from_db(alias, names, [values[name] for name in names])
    for name, value in (related or {}).items():
        model._meta.get_field(name).set_cached_value(instance, value)
    return instance
