# The trusted harness for SQL questions. It runs INSIDE the sandbox as
#     /usr/bin/python3 -I -S -c <this file's text>
# and reads its JSON payload from stdin:
#     {"nonce": str, "fd": int, "query": str, "fixtures": [sql text, ...],
#      "tests": [[index, fixture number], ...], "cpu_limit": float, "wall_limit": float,
#      "max_rows": int, "max_record": int, "heap_bytes": int}
# For each fixture it builds a database file in the box's tmpfs from the SQL text (trusted:
# the question's author wrote it), then runs the query on a READ-ONLY connection to it:
#   - opened with mode=ro, PRAGMA query_only, trusted_schema off, extension loading off;
#   - an authorizer that allows only SELECT, reads, functions (not load_extension) and
#     recursive CTEs, plus a few schema-reading PRAGMAs; ATTACH, DETACH, writes, DDL,
#     transactions, other PRAGMAs are denied;
#   - limits (setlimit): no attached databases, value length, SQL length, columns, expression
#     depth, compound selects, function arguments, LIKE patterns, variables, triggers;
#   - PRAGMA hard_heap_limit for memory, a progress handler for CPU and wall time, a row cap.
#   (SQLite's "defensive" flag needs Connection.setconfig, which Python 3.11 lacks; what it
#   guards — writable schema, shadow tables — are writes, which the read-only connection,
#   query_only and the authorizer each refuse.)
# First the query is compiled alone (EXPLAIN <query>): errors there (syntax, no such column,
# not authorized, more than one statement) are the candidate's "compile errors"; errors while
# it runs are run-time errors. Each test's result goes to descriptor `fd` as one line
# "<nonce> <JSON record>\n". Standard library only.

import json
import os
import sqlite3
import sys
import time

_MAX_MESSAGE = 2000

_ALLOWED_ACTIONS = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}
_DENIED_FUNCTIONS = {"load_extension", "readfile", "writefile", "edit", "fts3_tokenizer"}
_READ_PRAGMAS = {"table_info", "table_xinfo", "index_list", "index_info", "index_xinfo", "foreign_key_list"}
_ACTION_NAMES = {
    getattr(sqlite3, name): name[len("SQLITE_") :].replace("_", " ")
    for name in dir(sqlite3)
    if name.startswith("SQLITE_")
    and name[len("SQLITE_") :]
    in {
        "ATTACH",
        "DETACH",
        "INSERT",
        "UPDATE",
        "DELETE",
        "PRAGMA",
        "TRANSACTION",
        "SAVEPOINT",
        "ANALYZE",
        "REINDEX",
        "ALTER_TABLE",
        "CREATE_TABLE",
        "CREATE_TEMP_TABLE",
        "CREATE_INDEX",
        "CREATE_TEMP_INDEX",
        "CREATE_VIEW",
        "CREATE_TEMP_VIEW",
        "CREATE_TRIGGER",
        "CREATE_TEMP_TRIGGER",
        "CREATE_VTABLE",
        "DROP_TABLE",
        "DROP_TEMP_TABLE",
        "DROP_INDEX",
        "DROP_TEMP_INDEX",
        "DROP_VIEW",
        "DROP_TEMP_VIEW",
        "DROP_TRIGGER",
        "DROP_TEMP_TRIGGER",
        "DROP_VTABLE",
    }
}


def _limits(heap_bytes):
    return [
        ("SQLITE_LIMIT_ATTACHED", 0),
        ("SQLITE_LIMIT_LENGTH", 10_000_000),
        ("SQLITE_LIMIT_SQL_LENGTH", 200_000),
        ("SQLITE_LIMIT_COLUMN", 1000),
        ("SQLITE_LIMIT_EXPR_DEPTH", 200),
        ("SQLITE_LIMIT_COMPOUND_SELECT", 100),
        ("SQLITE_LIMIT_FUNCTION_ARG", 32),
        ("SQLITE_LIMIT_LIKE_PATTERN_LENGTH", 1000),
        ("SQLITE_LIMIT_VARIABLE_NUMBER", 1),
        ("SQLITE_LIMIT_TRIGGER_DEPTH", 1),
        ("SQLITE_LIMIT_WORKER_THREADS", 0),
    ]


def _main():
    cfg = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    nonce = cfg["nonce"].encode("ascii")
    fd = int(cfg["fd"])
    query = cfg["query"]
    cpu_limit = float(cfg["cpu_limit"])
    wall_limit = float(cfg["wall_limit"])
    max_rows = int(cfg["max_rows"])
    max_record = int(cfg["max_record"])
    heap_bytes = int(cfg["heap_bytes"])
    dumps = json.JSONEncoder(ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode

    def emit(record):
        line = nonce + b" " + dumps(record).encode("ascii") + b"\n"
        view = memoryview(line)
        try:
            while view:
                view = view[os.write(fd, view) :]
        except OSError:
            os._exit(75)

    emit({"k": "hello"})

    built = {}

    def database(number):
        if number in built:
            return built[number]
        path = "/work/fixture-%d.sqlite" % number
        con = sqlite3.connect(path, isolation_level=None)
        try:
            con.executescript(cfg["fixtures"][number])
        except (sqlite3.Error, ValueError, MemoryError) as exc:
            emit({"k": "fixture", "n": number, "msg": ("%s: %s" % (type(exc).__name__, exc))[:_MAX_MESSAGE]})
            os._exit(0)
        finally:
            con.close()
        built[number] = path
        return path

    for index, number in cfg["tests"]:
        path = database(number)
        emit({"k": "ready", "i": index})
        emit(_run_query(index, path, query, cpu_limit, wall_limit, max_rows, max_record, heap_bytes, dumps))
    emit({"k": "done"})
    os._exit(0)


def _value(v):
    t = type(v)
    if v is None or t is int or t is str:
        return v
    if t is float:
        if v != v:
            return None
        if v in (float("inf"), float("-inf")):
            return {"$float": "inf" if v > 0 else "-inf"}
        return v
    if t is bytes:
        return {"$blob": v.hex()}
    return str(v)


def _run_query(index, path, query, cpu_limit, wall_limit, max_rows, max_record, heap_bytes, dumps):
    def result(kind, **fields):
        record = {"k": "test", "i": index, "r": kind}
        record.update(fields)
        return record

    con = sqlite3.connect("file:%s?mode=ro" % path, uri=True, isolation_level=None, check_same_thread=False)
    try:
        con.text_factory = lambda b: b.decode("utf-8", "replace")
        if hasattr(con, "enable_load_extension"):
            con.enable_load_extension(False)
        for pragma in (
            "PRAGMA query_only = ON",
            "PRAGMA trusted_schema = OFF",
            "PRAGMA temp_store = MEMORY",
            "PRAGMA hard_heap_limit = %d" % heap_bytes,
        ):
            con.execute(pragma)
        for name, value in _limits(heap_bytes):
            number = getattr(sqlite3, name, None)
            if number is not None:
                con.setlimit(number, value)
        denied = []

        def authorizer(action, arg1, arg2, db_name, trigger):
            if action in _ALLOWED_ACTIONS:
                if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() in _DENIED_FUNCTIONS:
                    denied.append("the function %s()" % arg2)
                    return sqlite3.SQLITE_DENY
                return sqlite3.SQLITE_OK
            if action == sqlite3.SQLITE_PRAGMA and (arg1 or "").lower() in _READ_PRAGMAS:
                return sqlite3.SQLITE_OK
            what = _ACTION_NAMES.get(action, "this operation")
            if action == sqlite3.SQLITE_PRAGMA:
                what = "PRAGMA %s" % arg1
            elif action in (sqlite3.SQLITE_INSERT, sqlite3.SQLITE_UPDATE, sqlite3.SQLITE_DELETE):
                if (arg1 or "").lower() in (
                    "sqlite_master",
                    "sqlite_temp_master",
                    "sqlite_schema",
                    "sqlite_temp_schema",
                ):
                    what = "changing the schema (CREATE, DROP, ALTER)"
                else:
                    what = "%s on `%s`" % (what, arg1)
            elif action == sqlite3.SQLITE_TRANSACTION:
                what = "a transaction (%s)" % arg1
            denied.append(what)
            return sqlite3.SQLITE_DENY

        con.set_authorizer(authorizer)
        clock = {"cpu": time.process_time(), "wall": time.monotonic(), "why": None}

        def progress():
            if time.process_time() - clock["cpu"] > cpu_limit:
                clock["why"] = "cpu"
                return 1
            if time.monotonic() - clock["wall"] > wall_limit:
                clock["why"] = "wall"
                return 1
            return 0

        con.set_progress_handler(progress, 2000)

        def elapsed_ms():
            return int((time.process_time() - clock["cpu"]) * 1000)

        if not query.strip():
            return result("ce", ms=0, msg="the query is empty")
        # -- compile ---------------------------------------------------------------------
        try:
            con.execute("EXPLAIN " + query).fetchall()
        except sqlite3.ProgrammingError as exc:
            if "one statement" in str(exc):
                return result(
                    "ce", ms=0, msg="only one SQL statement is allowed (remove everything after the first `;`)"
                )
            return result("ce", ms=0, msg=str(exc)[:_MAX_MESSAGE])
        except sqlite3.Warning as exc:
            return result("ce", ms=0, msg=str(exc)[:_MAX_MESSAGE])
        except sqlite3.Error as exc:
            message = str(exc)
            if message == "not authorized" and denied:
                message = "the query may only read data: %s is not allowed" % denied[0]
            return result("ce", ms=0, msg=message[:_MAX_MESSAGE])
        except (MemoryError, RecursionError, ValueError, OverflowError) as exc:
            return result("ce", ms=0, msg="%s: %s" % (type(exc).__name__, str(exc)[:_MAX_MESSAGE]))
        # -- run -------------------------------------------------------------------------
        clock["cpu"], clock["wall"] = time.process_time(), time.monotonic()
        rows = []
        size = 0
        try:
            cursor = con.execute(query)
            columns = [d[0] for d in cursor.description or ()]
            while True:
                batch = cursor.fetchmany(512)
                if not batch:
                    break
                for row in batch:
                    encoded = [_value(v) for v in row]
                    size += len(dumps(encoded)) + 1
                    rows.append(encoded)
                if len(rows) > max_rows:
                    return result("too_many", ms=elapsed_ms(), n=max_rows)
                if size > max_record - 4096:
                    return result("too_large", ms=elapsed_ms(), n=len(rows))
        except sqlite3.OperationalError as exc:
            message = str(exc)
            if message == "interrupted" and clock["why"]:
                return result(
                    "TLE",
                    ms=max(elapsed_ms(), int(cpu_limit * 1000)) if clock["why"] == "cpu" else elapsed_ms(),
                    msg="time limit exceeded" + (" (wall-clock)" if clock["why"] == "wall" else ""),
                )
            if "out of memory" in message:
                return result("MLE", ms=elapsed_ms(), msg="memory limit exceeded (%s)" % message)
            return result("RTE", ms=elapsed_ms(), msg=message[:_MAX_MESSAGE])
        except MemoryError:
            return result("MLE", ms=elapsed_ms(), msg="memory limit exceeded")
        except sqlite3.Error as exc:
            message = str(exc)
            if message in ("not authorized", "authorization denied"):
                # refused while running (VACUUM INTO attaches its target then): a refusal
                # like the ones found when compiling
                what = denied[0] if denied else "this statement"
                return result("ce", ms=0, msg="the query may only read data: %s is not allowed" % what)
            return result("RTE", ms=elapsed_ms(), msg=message[:_MAX_MESSAGE])
        return result("rows", ms=elapsed_ms(), columns=columns, rows=rows)
    finally:
        con.close()


try:
    _main()
except BaseException:  # noqa: BLE001
    try:
        sys.__stderr__.write("sql harness: internal error\n")
        import traceback

        traceback.print_exc(file=sys.__stderr__)
        sys.__stderr__.flush()
    except BaseException:  # noqa: BLE001
        pass
    os._exit(70)
