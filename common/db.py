"""Database helpers."""

import threading
from typing import Callable

from django.core.exceptions import FullResultSet
from django.db import connections, transaction
from django.db.models import Expression, QuerySet
from django.db.models.sql import UpdateQuery

_local = threading.local()  # compiled statements per thread: a compiler belongs to its thread's connection


class Compiled:
    """A values_list query compiled once per thread and database, then run with new parameters.

    For the few statements every request runs (autosave, say): building and compiling the ORM
    query costs several times what running it costs. `build(*placeholders)` returns the query,
    called once with `placeholders` standing for the parameters (distinct values of the right
    type); rows come back converted as the ORM converts them (dates, JSON)."""

    def __init__(self, build: Callable[..., QuerySet], *placeholders):
        if len(set(placeholders)) != len(placeholders):
            raise ValueError("placeholders must be distinct")
        self.build, self.placeholders = build, placeholders

    def _compiled(self, alias: str):
        key = (id(self), alias)
        cache = getattr(_local, "statements", None)
        if cache is None:
            cache = _local.statements = {}
        connection = connections[alias]
        entry = cache.get(key)
        if entry is None or entry[0] is not connection:
            entry = cache[key] = (connection, *self._compile(alias))
        return entry

    def _order(self, params) -> list[int]:
        """Which placeholder each parameter is (ValueError if one is not a placeholder)."""
        if any(p not in self.placeholders for p in params):
            raise ValueError(f"the query has parameters that are not placeholders: {params!r}")
        return [self.placeholders.index(p) for p in params]

    def _compile(self, alias: str) -> tuple:
        compiler = self.build(*self.placeholders).query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        converters = compiler.get_converters([s[0] for s in compiler.select[:compiler.col_count]])
        return compiler, sql, self._order(params), converters

    def rows(self, *args, using: str = "default") -> list[tuple]:
        _, compiler, sql, order, converters = self._compiled(using)
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


class CompiledUpdate(Compiled):
    """An UPDATE compiled once per thread and database, as Compiled compiles a SELECT, for the
    few writes every grading or autosave makes. `build(*placeholders)` returns the QuerySet of
    the rows to change; `fields` are set to the values each run() gives, prepared per run as
    QuerySet.update prepares them (JSON, datetimes); `expressions` set other fields the same way
    every time (claims=F("claims") + 1). run() returns the number of rows changed."""

    def __init__(self, build: Callable[..., QuerySet], *placeholders, fields: tuple[str, ...],
                 expressions: dict | None = None):
        super().__init__(build, *placeholders)
        self.fields, self.expressions = tuple(fields), dict(expressions or {})

    def _compile(self, alias: str) -> tuple:
        query = self.build(*self.placeholders).query.chain(UpdateQuery)
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
        _, sql, plan, order = self._compiled(using)
        if values.keys() != set(self.fields):
            raise TypeError(f"run() sets exactly {self.fields}, not {tuple(values)}")
        connection = connections[using]
        params = [field.get_db_prep_save(values[key], connection) if field else key for field, key in plan]
        params += [args[i] for i in order]
        with transaction.mark_for_rollback_on_error(using), connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.rowcount


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
