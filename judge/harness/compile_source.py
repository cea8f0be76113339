# Shared by harness/python_function.py and harness/generate.py: the supervisor passes this text
# in front of either one. Standard library only; no imports of its own (on every run's path).


def _compile_or_report(source, filename, emit, exit_now, kind, limit):
    """The code object of `source`, or a `kind` record with Python's own message (with the line
    and a caret under the offending column) and an exit."""
    try:
        return compile(source, filename, "exec", dont_inherit=True)
    except SyntaxError as exc:
        message = "%s: %s" % (type(exc).__name__, exc.msg)
        if exc.lineno:
            message += " (line %d)" % exc.lineno
        if exc.text:
            message += "\n    " + exc.text.rstrip("\n")
            if exc.offset and exc.offset > 0:
                message += "\n    " + " " * (exc.offset - 1) + "^"
    except (ValueError, OverflowError, RecursionError, MemoryError) as exc:
        message = "%s: %s" % (type(exc).__name__, exc)
    emit({"k": kind, "msg": message[:limit]})
    exit_now(0)
