# The trusted harness for question generators. It runs INSIDE the sandbox on the data-stack
# runtime, after harness/python_datastack.py (one BLAS thread, `_DATASTACK["preimports"]`):
#     env PYTHONHASHSEED=0 /opt/prep-runtime/python/bin/python3 -s -P -u -c <both texts>
# (-s -P is -I without -E: the box's environment is empty but for PATH/LANG/HOME, and the
# fixed hash seed makes set and str-hash order, hence the author's output, reproducible).
#
# It reads its whole JSON payload from stdin before any author code runs:
#     {"nonce": str, "fd": int, "source": str, "seeds": [int, ...], "time_limit": float,
#      "load_limit": float, "caps": {...}}
# compiles the source (SyntaxError: a "fatal" record), imports numpy and the data-stack
# packages the source names (their cost is not the author's), executes the module once
# (an exception, or no callable `generate`: "fatal"), then per seed, in a FRESH module
# namespace (so that a variant never depends on the seeds generated before it):
#     random.seed(seed); numpy.random.seed(seed % 2**32); exec the module;
#     generate(numpy.random.default_rng(seed)) -> normalised and validated
# and writes one record per seed to descriptor `fd`, as one line "<nonce> <JSON>\n":
#     {"k": "v", "i": index, "seed": s, "ok": true, "params": {...}, "answer"?: ..., ...}
#     {"k": "v", "i": index, "seed": s, "ok": false, "error": "ValueError: ... (line 7)"}
# The author's code has one CPU budget (time_limit) for the module and every seed together;
# each call runs under an ITIMER_PROF armed with what is left. When it runs out the harness
# writes {"k": "timeout", "i": index} (-1: while loading) and exits. Nothing here reads the
# clock or unseeded randomness into a record: same payload, same records.

import csv
import io
import json
import math
import os
import random
import re
import signal
import sys
import time


class _TimeLimit(BaseException):
    pass


class _Invalid(Exception):
    """The generator returned something of the wrong shape: the message says what."""


_MAX_MESSAGE = 2000
_ALLOWED_KEYS = ("params", "answer", "answers", "correct", "datasets")
_PARAM_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}\Z")
_ANSWER_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}\Z")
_DATASET_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,80}\.csv\Z")
_MAX_CORRECT_INDEX = 999
_FILENAME = "generator.py"


def _main():
    cfg = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    nonce = cfg["nonce"].encode("ascii")
    fd = int(cfg["fd"])
    source = cfg["source"]
    seeds = [int(s) for s in cfg["seeds"]]
    time_limit = float(cfg["time_limit"])
    load_limit = float(cfg["load_limit"])
    caps = cfg["caps"]
    max_entries = int(caps["entries"])
    max_string = int(caps["string"])
    max_datasets = int(caps["datasets"])
    max_dataset_bytes = int(caps["dataset_bytes"])
    max_record = int(caps["record"])
    datastack = globals().get("_DATASTACK")
    del cfg

    # Everything needed after author code has run is bound here, before it runs.
    write = os.write
    getpid = os.getpid
    exit_now = os._exit
    dumps = json.JSONEncoder(ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode
    process_time = time.process_time
    setitimer = signal.setitimer
    ITIMER_PROF = signal.ITIMER_PROF
    type_name = type.__dict__["__name__"].__get__
    harness_pid = getpid()
    armed = [False]
    module_type = type(sys)
    modules = sys.modules
    random_seed = random.seed
    StringIO = io.StringIO
    csv_writer = csv.writer
    isfinite = math.isfinite

    def on_sigprof(signum, frame):
        if armed[0]:
            raise _TimeLimit()

    signal.signal(signal.SIGPROF, on_sigprof)

    def emit(record, text=None):
        if getpid() != harness_pid:  # a process the author's code forked came back here
            exit_now(0)
        if text is None:
            text = dumps(record)
        view = memoryview(nonce + b" " + text.encode("ascii") + b"\n")
        try:
            while view:
                view = view[write(fd, view) :]
        except OSError:
            exit_now(75)

    def limited(fn, args, budget):
        """(status, value); status is "ok", "tle" or "exc"."""
        if budget <= 0:
            return "tle", None
        try:
            armed[0] = True
            # The interval keeps re-raising if the author's code swallows the first one.
            setitimer(ITIMER_PROF, budget, 0.05)
            try:
                value = fn(*args)
            finally:
                armed[0] = False
                setitimer(ITIMER_PROF, 0, 0)
        except _TimeLimit:
            return "tle", None
        except BaseException as exc:  # noqa: BLE001 — SystemExit, KeyboardInterrupt too
            return "exc", exc
        return "ok", value

    def _format(exc):
        name = type_name(type(exc))
        text = exc.__str__()
        message = (name + ": " + text) if type(text) is str and text else name
        line = None
        tb = exc.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == _FILENAME:
                line = tb.tb_lineno
            tb = tb.tb_next
        if line is not None:
            message += " (line %d)" % line
        return message

    def describe(exc):
        if type(exc) is _Invalid:
            return exc.args[0][:_MAX_MESSAGE]
        status, text = limited(_format, (exc,), 0.5)
        if status == "ok" and type(text) is str:
            return text[:_MAX_MESSAGE]
        try:
            return type_name(type(exc))[:_MAX_MESSAGE]
        except BaseException:  # noqa: BLE001
            return "exception"

    emit({"k": "hello"})

    # -- compile, then the runtime's own imports (not on the author's budget) ----------------
    code = _compile_or_report(source, _FILENAME, emit, exit_now, "fatal", _MAX_MESSAGE)
    del source

    load_start = process_time()
    for name in ["numpy"] + (datastack["preimports"](code) if datastack else []):
        status, value = limited(__import__, (name,), load_limit - (process_time() - load_start))
        if status != "ok":
            emit({"k": "runtime", "msg": "the runtime could not import %s: %s" % (name, describe(value))})
            exit_now(0)
    import numpy as np

    np_seed = np.random.seed
    default_rng = np.random.default_rng
    np_generic, np_bool, np_integer, np_floating, np_str = (
        np.generic, np.bool_, np.integer, np.floating, np.str_,
    )
    np_ndarray = np.ndarray
    emit({"k": "ready"})

    author_start = process_time()

    def remaining():
        return time_limit - (process_time() - author_start)

    def fresh_module(seed):
        random_seed(seed)
        np_seed(seed % 2**32)
        module = module_type("generator")
        module.__file__ = _FILENAME
        modules["generator"] = module
        exec(code, module.__dict__)
        function = module.__dict__.get("generate")
        if function is None:
            raise _Invalid("the source defines no function `generate(rng)`")
        if not callable(function):
            raise _Invalid("`generate` is not a function (it is a %s)" % type_name(type(function)))
        return function

    # -- normalising and validating a result ---------------------------------------------------
    def check_text(s, where):
        if len(s) > max_string:
            raise _Invalid("%s is %d characters long (the limit is %d)" % (where, len(s), max_string))
        check_chars(s, where)
        return s

    def check_chars(s, where):
        if "\x00" in s:
            raise _Invalid("%s contains a NUL character" % where)
        try:
            s.encode("utf-8")
        except UnicodeEncodeError:
            raise _Invalid("%s contains a lone surrogate (not valid Unicode)" % where) from None

    def scalar(v, where):
        t = type(v)
        if t is bool or t is int:
            return v
        if t is float:
            return finite(v, where)
        if t is str:
            return check_text(v, where)
        if isinstance(v, np_generic):
            if isinstance(v, np_bool):
                return bool(v)
            if isinstance(v, np_integer):
                return int(v)
            if isinstance(v, np_floating):
                return finite(float(v), where)
            if isinstance(v, np_str):
                return check_text(str.__str__(v), where)
        raise _Invalid("%s must be an int, float, str or bool, not %s" % (where, type_name(t)))

    def finite(v, where):
        if v != v:
            raise _Invalid("%s is NaN" % where)
        if not isfinite(v):
            raise _Invalid("%s is infinite" % where)
        return v

    def mapping(v, where, key_pattern, what):
        if type(v) is not dict:
            raise _Invalid("%s must be a dict, not %s" % (where, type_name(type(v))))
        if len(v) > max_entries:
            raise _Invalid("%s has %d entries (the limit is %d)" % (where, len(v), max_entries))
        out = {}
        for key, value in v.items():
            if type(key) is not str or not key_pattern.match(key):
                raise _Invalid(
                    "%s: %r is not a valid %s" % (where, key if type(key) is str else type_name(type(key)), what)
                )
            out[key] = scalar(value, "%s `%s`" % (what, key))
        return out

    def correct_list(v):
        if isinstance(v, np_ndarray):
            if v.ndim != 1:
                raise _Invalid("`correct` must be a flat list of option indexes")
            v = v.tolist()
        if type(v) is not list and type(v) is not tuple:
            raise _Invalid("`correct` must be a list of option indexes, not %s" % type_name(type(v)))
        if len(v) > max_entries:
            raise _Invalid("`correct` has %d entries (the limit is %d)" % (len(v), max_entries))
        out = []
        for x in v:
            if type(x) is not int and not isinstance(x, np_integer):
                raise _Invalid("`correct` must hold ints, not %s" % type_name(type(x)))
            x = int(x)
            if not 0 <= x <= _MAX_CORRECT_INDEX:
                raise _Invalid("`correct` holds %d: option indexes count from 0 (at most %d)" % (x, _MAX_CORRECT_INDEX))
            if x in out:
                raise _Invalid("`correct` holds %d twice" % x)
            out.append(x)
        return sorted(out)

    def csv_of_rows(rows, where):
        if not rows:
            raise _Invalid("%s is an empty list: it has no columns" % where)
        header = None
        buffer = StringIO()
        writer = csv_writer(buffer, lineterminator="\n")
        for number, row in enumerate(rows, 1):
            if type(row) is not dict:
                raise _Invalid("%s: row %d is a %s, not a dict" % (where, number, type_name(type(row))))
            if header is None:
                header = list(row)
                for column in header:
                    if type(column) is not str:
                        raise _Invalid("%s: column names must be str, not %s" % (where, type_name(type(column))))
                if not header:
                    raise _Invalid("%s: the first row has no columns" % where)
                writer.writerow(header)
                known = set(header)
            for column in row:
                if column not in known:
                    raise _Invalid("%s: row %d has a column %r that the first row does not" % (where, number, column))
            cells = []
            for column in header:
                value = row.get(column)
                if value is None or (type(value) is float and value != value):
                    cells.append("")
                else:
                    t = type(value)
                    if t is float or isinstance(value, np_floating):
                        value = float(value)
                        cells.append("" if value != value else value)
                    else:
                        cells.append(scalar(value, "%s row %d, column `%s`" % (where, number, column)))
            writer.writerow(cells)
            if buffer.tell() > max_dataset_bytes:
                raise _Invalid("%s is more than %d bytes of CSV (the limit)" % (where, max_dataset_bytes))
        return buffer.getvalue()

    def dataset(value, where):
        pd = modules.get("pandas")
        if pd is not None and isinstance(value, pd.DataFrame):
            rows, cols = value.shape
            if rows * max(cols, 1) > max_dataset_bytes:  # every cell takes at least one byte
                raise _Invalid("%s is a data frame of %d x %d: more than %d bytes of CSV (the limit)"
                               % (where, rows, cols, max_dataset_bytes))
            text = value.to_csv(index=False, lineterminator="\n")
        elif type(value) is str:
            text = value
        elif type(value) is list:
            text = csv_of_rows(value, where)
        else:
            raise _Invalid(
                "%s must be a DataFrame, CSV text or a list of dicts, not %s" % (where, type_name(type(value)))
            )
        if type(text) is not str:
            raise _Invalid("%s could not be written as CSV" % where)
        check_chars(text, where)
        size = len(text.encode("utf-8"))
        if size > max_dataset_bytes:
            raise _Invalid("%s is %d bytes of CSV (the limit is %d)" % (where, size, max_dataset_bytes))
        return text

    def datasets(v):
        if type(v) is not dict:
            raise _Invalid("`datasets` must be a dict of file name -> data, not %s" % type_name(type(v)))
        if len(v) > max_datasets:
            raise _Invalid("`datasets` has %d files (the limit is %d)" % (len(v), max_datasets))
        out = {}
        for name, value in v.items():
            if type(name) is not str or not _DATASET_NAME.match(name):
                shown = name if type(name) is str else type_name(type(name))
                raise _Invalid(
                    "dataset name %r is not allowed: letters, digits, _ . - only, ending in .csv, "
                    "at most 85 characters" % (shown,)
                )
            out[name] = dataset(value, "dataset `%s`" % name)
        return out

    def normalise(result):
        if type(result) is not dict:
            raise _Invalid("generate must return a dict, not %s" % type_name(type(result)))
        for key in result:
            if key not in _ALLOWED_KEYS:
                shown = key if type(key) is str else type_name(type(key))
                raise _Invalid("unknown key %r in the result (allowed: %s)" % (shown, ", ".join(_ALLOWED_KEYS)))
        out = {"params": mapping(result.get("params", {}), "`params`", _PARAM_NAME, "param")}
        if "answer" in result:
            out["answer"] = scalar(result["answer"], "`answer`")
        if "answers" in result:
            out["answers"] = mapping(result["answers"], "`answers`", _ANSWER_KEY, "answer")
        if "correct" in result:
            out["correct"] = correct_list(result["correct"])
        if "datasets" in result:
            out["datasets"] = datasets(result["datasets"])
        return out

    def one_seed(seed):
        function = fresh_module(seed)
        return normalise(function(default_rng(seed)))

    def timed_out(index):
        emit({"k": "timeout", "i": index})
        exit_now(0)

    # -- the module once: errors in it are the whole run's --------------------------------------
    status, value = limited(fresh_module, (0,), remaining())
    if status == "tle" or remaining() <= 0:
        timed_out(-1)
    if status == "exc":
        emit({"k": "fatal", "msg": describe(value)})
        exit_now(0)
    value = None
    emit({"k": "loaded"})

    # -- the seeds -------------------------------------------------------------------------------
    for index, seed in enumerate(seeds):
        status, value = limited(one_seed, (seed,), remaining())
        if getpid() != harness_pid:
            exit_now(0)
        if status == "tle" or remaining() <= 0:
            timed_out(index)
        text = None
        if status == "ok":
            record = {"k": "v", "i": index, "seed": seed, "ok": True}
            record.update(value)
            try:
                text = dumps(record)
            except (ValueError, RecursionError) as exc:  # e.g. an int beyond the digit limit
                record = {"k": "v", "i": index, "seed": seed, "ok": False,
                          "error": "the result cannot be written as JSON (%s)" % str(exc)[:200]}
                text = None
            if text is not None and len(text) > max_record:
                record = {"k": "v", "i": index, "seed": seed, "ok": False,
                          "error": "the result is %d bytes as JSON (the limit is %d)" % (len(text), max_record)}
                text = None
        else:
            record = {"k": "v", "i": index, "seed": seed, "ok": False, "error": describe(value)}
        value = None
        emit(record, text)
        record = text = None

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
