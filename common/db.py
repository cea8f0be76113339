"""Database helpers."""

import threading
from typing import Callable

from django.db import connections
from django.db.models import QuerySet

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
            query = self.build(*self.placeholders).query
            compiler = query.get_compiler(using=alias)
            sql, params = compiler.as_sql()
            if any(p not in self.placeholders for p in params):
                raise ValueError(f"the query has parameters that are not placeholders: {params!r}")
            order = [self.placeholders.index(p) for p in params]
            converters = compiler.get_converters([s[0] for s in compiler.select[:compiler.col_count]])
            entry = cache[key] = (connection, compiler, sql, order, converters)
        return entry

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
