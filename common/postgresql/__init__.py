"""Django's PostgreSQL backend, binding parameters on the server (see prep/settings.py).

With server-side binding a statement may carry at most 65535 parameters (the protocol's limit),
and Django 5.2 does not know it: an unbatched bulk_create of many rows would fail. Django 6.1
sets this limit itself (#36822); until then this backend does, so that bulk operations are split
into batches as they are on SQLite."""
