"""Django's PostgreSQL backend, binding parameters on the server (see prep/settings.py).

With server-side binding a statement may carry at most 65535 parameters (the protocol's limit),
and Django 5.2 does not know it: an unbatched bulk_create of many rows would fail. Django fixed
this upstream (ticket #36822); until Prep runs on a release with the fix, this backend declares
the limit, so that bulk operations are split into batches as they are on SQLite."""
