# The trusted harness for function-style Python questions. It runs INSIDE the sandbox as
#     /usr/bin/python3 -I -S -c <this file's text>
# (the supervisor passes the text itself, so the sandbox needs no access to the project tree).
#
# It reads its whole JSON payload from stdin before any candidate code runs:
#     {"nonce": str, "fd": int, "source": str, "function": str,
#      "tests": [[index, [args...]], ...], "cpu_limit": float, "load_cpu_limit": float,
#      "max_depth": int, "max_record": int, "data_stack": bool}
# then compiles the source, executes it as module `solution`, and calls the function once per
# test under a CPU timer. Each result goes to descriptor `fd` as one line:
#     <nonce> <JSON record>\n
# Records carry the returned VALUE (exact builtin types only), never a verdict of acceptance:
# the expected values never enter the sandbox and the comparison happens outside.
#
# Standard library only, Python 3.11 (Debian's /usr/bin/python3). Keep it small: its import
# time is on every run's critical path. On the data-stack runtime, harness/python_datastack.py
# is prepended and defines _DATASTACK (tagged pandas / numpy arguments and return values).

import os
import sys
import time

# The C halves of json and signal: the pure-Python modules import re and enum, which would
# add ~9 ms to every run.
try:
    import _json
    import _signal as signal

    class _ScanContext:
        strict = True
        object_hook = None
        object_pairs_hook = None
        parse_float = float
        parse_int = int
        parse_constant = float  # "NaN", "Infinity", "-Infinity"
        memo = None

    _scan = _json.make_scanner(_ScanContext())

    def _loads(text):
        value, end = _scan(text, 0)
        if text[end:].strip():
            raise ValueError("trailing data in payload")
        return value

    def _raise_type_error(value):
        raise TypeError("not JSON serialisable")

    _encode = _json.make_encoder(
        None, _raise_type_error, _json.encode_basestring_ascii, None, ":", ",", False, False, False
    )

    def _dumps(value):
        return "".join(_encode(value, 0))

except (ImportError, AttributeError, TypeError):  # another build of Python: the slow path
    import json
    import signal

    _loads = json.loads
    _dumps = json.JSONEncoder(ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode


class _TimeLimit(BaseException):
    pass


class _Unsupported(Exception):
    pass


_MAX_MESSAGE = 4096
_MAX_NODES = 1_000_000
_MAX_NESTING = 64


def _main():
    raw = sys.stdin.buffer.read()
    cfg = _loads(raw.decode("utf-8"))
    del raw

    nonce = cfg["nonce"].encode("ascii")
    fd = int(cfg["fd"])
    cpu_limit = float(cfg["cpu_limit"])
    max_record = int(cfg["max_record"])
    max_depth = int(cfg["max_depth"])
    source = cfg["source"]
    function_name = cfg["function"]
    tests = cfg["tests"]
    load_cpu_limit = float(cfg.get("load_cpu_limit", cpu_limit))
    datastack = globals().get("_DATASTACK") if cfg.get("data_stack") else None
    del cfg

    # Everything the harness needs after candidate code has run is bound here, so that
    # monkey-patching modules afterwards cannot reach it.
    write = os.write
    getpid = os.getpid
    exit_now = os._exit
    dumps = _dumps
    process_time = time.process_time
    setitimer = signal.setitimer
    ITIMER_PROF = signal.ITIMER_PROF
    type_name = type.__dict__["__name__"].__get__
    harness_pid = getpid()
    armed = [False]
    real_setrecursionlimit = sys.setrecursionlimit

    def on_sigprof(signum, frame):
        if armed[0]:
            raise _TimeLimit()

    signal.signal(signal.SIGPROF, on_sigprof)

    def emit(record, text=None):
        if getpid() != harness_pid:  # a process the candidate forked came back here: leave
            exit_now(0)
        if text is None:
            text = dumps(record)
        line = nonce + b" " + text.encode("ascii") + b"\n"
        view = memoryview(line)
        try:
            while view:
                n = write(fd, view)
                view = view[n:]
        except OSError:
            exit_now(75)

    def limited(fn, args, budget):
        """(status, value, cpu seconds); status is "ok", "tle", "mle" or "exc"."""
        start = process_time()
        try:
            armed[0] = True
            # The interval keeps re-raising if the candidate swallows the first one.
            setitimer(ITIMER_PROF, budget, 0.05)
            try:
                value = fn(*args)
            finally:
                armed[0] = False
                setitimer(ITIMER_PROF, 0, 0)
        except _TimeLimit:
            return "tle", None, process_time() - start
        except MemoryError:
            return "mle", None, process_time() - start
        except BaseException as exc:  # noqa: BLE001 — the candidate's SystemExit etc. too
            return "exc", exc, process_time() - start
        return "ok", value, process_time() - start

    def _format_exception(exc):
        name = type_name(type(exc))
        text = exc.__str__()
        if type(text) is not str:
            return name
        return (name + ": " + text) if text else name

    def describe(exc):
        status, text, _ = limited(_format_exception, (exc,), 0.5)
        if status == "ok" and type(text) is str:
            return text[:_MAX_MESSAGE]
        try:
            return type_name(type(exc))[:_MAX_MESSAGE]
        except BaseException:  # noqa: BLE001
            return "exception"

    def encode(value):
        nodes = [0]

        def enc(v, depth):
            nodes[0] += 1
            if nodes[0] > _MAX_NODES:
                raise _Unsupported("return value too large (more than %d items)" % _MAX_NODES)
            t = type(v)
            if v is None or t is bool or t is int or t is str:
                return v
            if t is float:
                if v != v:
                    return {"$float": "nan"}
                if v in (float("inf"), float("-inf")):
                    return {"$float": "inf" if v > 0 else "-inf"}
                return v
            if t is list or t is tuple:
                if depth >= _MAX_NESTING:
                    raise _Unsupported("return value nested too deeply")
                return [enc(x, depth + 1) for x in v]
            if t is dict:
                if depth >= _MAX_NESTING:
                    raise _Unsupported("return value nested too deeply")
                out = {}
                for k, x in v.items():
                    if type(k) is not str:
                        raise _Unsupported("unsupported dict key type " + type_name(type(k)))
                    out[k] = enc(x, depth + 1)
                return {"$dict": out}
            if datastack is not None:
                encoded = datastack["encode"](v, t, enc, depth, _Unsupported, _MAX_NODES)
                if encoded is not datastack["not_mine"]:
                    return encoded
            raise _Unsupported("unsupported return type " + type_name(t))

        return enc(value, 0)

    def flush_output():
        for stream_name in ("stdout", "stderr"):
            stream = getattr(sys, stream_name, None)
            if stream is not None:
                limited(lambda s=stream: s.flush(), (), 0.5)

    emit({"k": "hello"})

    # -- arguments (before any candidate code) -------------------------------------------
    if datastack is not None:
        try:
            tests = [[index, datastack["decode_args"](args)] for index, args in tests]
        except datastack["error"] as exc:
            emit({"k": "argerror", "msg": str(exc)[:_MAX_MESSAGE]})
            exit_now(0)
    emit({"k": "args"})

    # -- compile ---------------------------------------------------------------------------
    code = _compile_or_report(source, "solution.py", emit, exit_now, "ce", _MAX_MESSAGE)
    del source

    # Pathological recursion should end in RecursionError, not in exhausting the memory
    # budget one frame at a time (3.11 frames live on the heap, not the C stack).
    def setrecursionlimit(limit):
        real_setrecursionlimit(min(int(limit), max_depth))

    sys.setrecursionlimit = setrecursionlimit
    sys.argv = ["solution.py"]
    module = type(sys)("solution")
    module.__file__ = "solution.py"
    sys.modules["solution"] = module

    # -- import ----------------------------------------------------------------------------
    load_start = process_time()
    if datastack is not None:
        for name in datastack["preimports"](code):
            limited(__import__, (name,), load_cpu_limit)
    status, value, cpu = limited(exec, (code, module.__dict__), load_cpu_limit)
    cpu = process_time() - load_start
    del code
    if status != "ok" or cpu > load_cpu_limit:
        if status == "exc":
            record = {"k": "import", "r": "RTE", "msg": describe(value)}
        elif status == "mle":
            record = {"k": "import", "r": "MLE", "msg": "MemoryError"}
        else:
            record = {"k": "import", "r": "TLE", "msg": "time limit exceeded while loading"}
        value = None
        flush_output()
        emit(record)
        exit_now(0)

    function = module.__dict__.get(function_name)
    if function is None or not callable(function):
        what = "not defined" if function is None else "not callable"
        emit({"k": "ce", "msg": "function `%s` is %s" % (function_name, what)})
        exit_now(0)
    emit({"k": "loaded"})

    # -- tests -----------------------------------------------------------------------------
    for index, args in tests:
        text = None
        status, value, cpu = limited(function, args, cpu_limit)
        if getpid() != harness_pid:
            exit_now(0)
        ms = int(cpu * 1000)
        if status == "tle" or cpu > cpu_limit:
            # The profiling timer is tick-sampled and may fire a little before process_time()
            # agrees; the timer is what decided, so report at least the limit.
            ms = max(ms, int(cpu_limit * 1000))
            record = {"k": "test", "i": index, "r": "TLE", "ms": ms, "msg": "time limit exceeded"}
        elif status == "mle":
            record = {"k": "test", "i": index, "r": "MLE", "ms": ms, "msg": "MemoryError"}
        elif status == "exc":
            record = {"k": "test", "i": index, "r": "RTE", "ms": ms, "msg": describe(value)}
        else:
            try:
                record = {"k": "test", "i": index, "r": "value", "ms": ms, "v": encode(value)}
                text = dumps(record)
                if len(text) > max_record:
                    record = {
                        "k": "test",
                        "i": index,
                        "r": "unsupported",
                        "ms": ms,
                        "msg": "return value too large (%d bytes as JSON)" % len(text),
                    }
                    text = None
            except _Unsupported as exc:
                record = {"k": "test", "i": index, "r": "unsupported", "ms": ms, "msg": str(exc)}
            except (ValueError, RecursionError, MemoryError) as exc:
                # e.g. an int beyond the int-to-str digit limit
                record = {
                    "k": "test",
                    "i": index,
                    "r": "unsupported",
                    "ms": ms,
                    "msg": "unsupported return value (%s)" % type(exc).__name__,
                }
        value = None
        flush_output()
        emit(record, text)
        text = None

    flush_output()
    emit({"k": "done"})
    exit_now(0)


try:
    _main()
except BaseException:  # noqa: BLE001 — never let the interpreter run exit handlers
    try:
        sys.__stderr__.write("harness: internal error\n")
        sys.__stderr__.flush()
    except BaseException:  # noqa: BLE001
        pass
    os._exit(70)
