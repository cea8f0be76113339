"""Database helpers."""

import threading
from typing import Callable

from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import connections, transaction
from django.db.models import Expression, QuerySet
from django.db.models.sql import UpdateQuery

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
        sql, params = compiler.as_sql()
        converters = compiler.get_converters([s[0] for s in compiler.select[:compiler.col_count]])
        return compiler, sql, self._order(params), converters

    def rows(self, *args, using: str = "default") -> list[tuple]:
        entry = self._compiled(using)
        if entry[1] is None:
            return []
        _, compiler, sql, order, converters = entry
        with connections[using].cursor() as cursor:
            cursor.execute(sql, [args[i] for i in order])
            rows = cursor.fetchall()
        if converters:
            rows = [tuple(row) for row in compiler.apply_converters(rows, converters)]
        return rows

    def first(self, *args, using: str = "default") -> tuple | None:
        rows = self.rows(*args, using=using)
        return rows[0] if rows else None


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
        if values.keys() != set(self.fields):
            raise TypeError(f"run() sets exactly {self.fields}, not {tuple(values)}")
        entry = self._compiled(using)
        if entry[1] is None:
            return 0
        _, sql, plan, order = entry
        connection = connections[using]
        params = [_prepared(field, values[key], connection) if field else key for field, key in plan]
        params += [args[i] for i in order]
        with transaction.mark_for_rollback_on_error(using), connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.rowcount


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
