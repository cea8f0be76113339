# Data-stack extension of the function harness. For questions on the data-stack runtime
# (FunctionSpec.data_stack), the supervisor passes THIS text followed by harness/compile_source.py
# and harness/python_function.py as one `-c` program to /opt/prep-runtime/python/bin/python3 -I.
#
# It defines `_DATASTACK`, which the main harness uses to
#   - turn tagged arguments into pandas / numpy objects before any candidate code runs:
#       {"$dataframe": {"columns", "dtypes"?, "data", "index"?}}, {"$series": {...}},
#       {"$ndarray": {"data", "dtype"?}};
#   - encode returned numpy scalars and arrays, pandas DataFrames, Series, Index, Timestamps
#     (exact types only, never subclasses) in the tagged JSON form judge/checkers.py reads;
#   - import, before the module runs, the data-stack packages the compiled source names, so
#     that a test does not pay for `import pandas` inside the function.
# numpy and pandas are imported only when an argument needs them or the candidate's code
# imported them (then they are in sys.modules): a returned value cannot be a numpy object
# unless numpy was loaded.

import os as _ds_os
import sys as _ds_sys

# One thread per BLAS / OpenMP pool: pids.max counts threads, and the CPU limit is summed.
for _ds_name in (
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
):
    _ds_os.environ[_ds_name] = "1"
_ds_os.environ["MPLBACKEND"] = "Agg"


class _DataStackError(Exception):
    pass


def _ds_make():
    modules = ("numpy", "pandas", "scipy", "sklearn", "statsmodels")
    not_mine = object()
    cache = {}

    def preimports(code):
        """The data-stack packages whose names the compiled module uses (imports included,
        in functions too): an `import pandas` inside the function then costs the test nothing."""
        names = set()
        stack = [code]
        while stack and len(names) < 100000:
            current = stack.pop()
            names.update(current.co_names)
            stack.extend(c for c in current.co_consts if type(c) is type(code))
        return [m for m in modules if m in names]

    def cell(v):
        if type(v) is dict and len(v) == 1 and "$float" in v:
            return float(v["$float"])
        if type(v) is list:
            return [cell(x) for x in v]
        return v

    def make_series(spec, pd):
        data = spec.get("data")
        if type(data) is not list:
            raise _DataStackError("$series needs a `data` list")
        series = pd.Series([cell(x) for x in data], dtype=spec.get("dtype"), name=spec.get("name"))
        if spec.get("index") is not None:
            series.index = pd.Index([cell(x) for x in spec["index"]])
        return series

    def make_frame(spec, pd):
        columns, data, dtypes = spec.get("columns"), spec.get("data"), spec.get("dtypes")
        if type(columns) is not list or type(data) is not list:
            raise _DataStackError("$dataframe needs `columns` and `data` lists")
        for row in data:
            if type(row) is not list or len(row) != len(columns):
                raise _DataStackError("every $dataframe row needs one cell per column")
        by_position = {}
        for j in range(len(columns)):
            dtype = dtypes[j] if dtypes else None
            by_position[j] = pd.Series([cell(row[j]) for row in data], dtype=dtype)
        frame = pd.DataFrame(by_position, index=pd.RangeIndex(len(data)))
        frame.columns = pd.Index(columns, dtype=object) if columns else pd.RangeIndex(0)
        if spec.get("index") is not None:
            frame.index = pd.Index([cell(x) for x in spec["index"]])
        return frame

    def decode_args(args):
        def dec(v, depth):
            if depth > 64:
                raise _DataStackError("arguments nested too deeply")
            if type(v) is list:
                return [dec(x, depth + 1) for x in v]
            if type(v) is dict:
                if len(v) == 1:
                    ((tag, inner),) = v.items()
                    if tag == "$dataframe":
                        import pandas

                        return make_frame(inner, pandas)
                    if tag == "$series":
                        import pandas

                        return make_series(inner, pandas)
                    if tag == "$ndarray":
                        import numpy

                        return numpy.array(cell(inner.get("data")), dtype=inner.get("dtype"))
                    if tag == "$float":
                        return float(inner)
                return {k: dec(x, depth + 1) for k, x in v.items()}
            return v

        try:
            return [dec(a, 0) for a in args]
        except _DataStackError:
            raise
        except Exception as exc:  # noqa: BLE001 — an authoring error, reported to the supervisor
            raise _DataStackError("%s: %s" % (type(exc).__name__, exc))

    def types_of(np, pd):
        key = (id(np), id(pd))
        found = cache.get(key)
        if found is None:
            numpy_scalars = {}
            if np is not None:
                for name in (
                    "bool_",
                    "int8",
                    "int16",
                    "int32",
                    "int64",
                    "uint8",
                    "uint16",
                    "uint32",
                    "uint64",
                    "float16",
                    "float32",
                    "float64",
                    "longdouble",
                    "str_",
                    "datetime64",
                    "timedelta64",
                ):
                    t = getattr(np, name, None)
                    if type(t) is type:
                        numpy_scalars[t] = name
            missing = set()
            if pd is not None:
                missing = {type(pd.NA), type(pd.NaT)}
            found = (numpy_scalars, missing)
            cache[key] = found
        return found

    def encode(v, t, enc, depth, unsupported, max_nodes):
        """The tagged JSON form of a data-stack value, or `not_mine`."""
        sys_modules = _ds_sys.modules
        np = sys_modules.get("numpy")
        pd = sys_modules.get("pandas")
        if np is None and pd is None:
            import datetime

            if t is datetime.date or t is datetime.datetime:
                return v.isoformat()
            return not_mine
        try:
            return _encode(v, t, enc, depth, unsupported, max_nodes, np, pd)
        except unsupported:
            raise
        except (MemoryError, RecursionError):
            raise
        except Exception as exc:  # noqa: BLE001 — an odd value is unsupported, never a harness crash
            raise unsupported("unsupported return value (%s while encoding it)" % type(exc).__name__)

    def _encode(v, t, enc, depth, unsupported, max_nodes, np, pd):
        import datetime

        numpy_scalars, missing = types_of(np, pd)
        kind = numpy_scalars.get(t)
        if kind is not None:
            if kind == "bool_":
                return bool(v)
            if kind.startswith(("int", "uint")):
                return int(v)
            if kind.startswith("float") or kind == "longdouble":
                return enc(float(v), depth)
            if kind == "str_":
                return str.__str__(v)
            if kind == "datetime64":
                return None if np.isnat(v) else str(np.datetime_as_string(v))
            return None if np.isnat(v) else enc(float(v / np.timedelta64(1, "s")), depth)
        if t in missing:
            return None
        if t is datetime.date or t is datetime.datetime:
            return v.isoformat()
        if np is not None and t is np.ndarray:
            if v.size > max_nodes:
                raise unsupported("return value too large (an array of %d items)" % v.size)
            if v.dtype.kind in "Mm":
                return enc([None if np.isnat(x) else str(x) for x in v.ravel().tolist()], depth)
            return enc(v.tolist(), depth)
        if pd is None:
            return not_mine
        if t is pd.Timestamp:
            return v.isoformat()
        if t is pd.Timedelta:
            return enc(v.total_seconds(), depth)
        if t is pd.DataFrame:
            return {"$dataframe": frame_body(v, enc, depth, unsupported, max_nodes, pd)}
        if t is pd.Series:
            return {"$series": series_body(v, enc, depth, unsupported, max_nodes, pd)}
        if t in (pd.Index, pd.RangeIndex):
            if len(v) > max_nodes:
                raise unsupported("return value too large (an index of %d items)" % len(v))
            return enc(v.tolist(), depth)
        if t is pd.Categorical:
            return enc(list(v), depth)
        return not_mine

    def label(x, enc, depth, unsupported):
        value = enc(x, depth + 1)
        if value is None or type(value) in (bool, int, float, str):
            return value
        if type(value) is dict and len(value) == 1 and "$float" in value:
            return value
        raise unsupported("unsupported column or index label %r" % (value,))

    def index_of(index, enc, depth, pd):
        if type(index) is pd.RangeIndex and index.start == 0 and index.step == 1:
            return None
        return [enc(x, depth + 1) for x in index.tolist()]

    def frame_body(df, enc, depth, unsupported, max_nodes, pd):
        rows, cols = df.shape
        if rows * max(cols, 1) > max_nodes:
            raise unsupported("return value too large (a data frame of %d x %d)" % (rows, cols))
        if type(df.columns) is pd.MultiIndex:
            raise unsupported("data frames with MultiIndex columns are not supported: flatten the columns")
        labels = [label(c, enc, depth, unsupported) for c in df.columns.tolist()]
        dtypes = [str(d) for d in df.dtypes.tolist()]
        columns = []
        for j in range(cols):
            columns.append([enc(x, depth + 2) for x in df.iloc[:, j].tolist()])
        data = [list(r) for r in zip(*columns)] if cols else [[] for _ in range(rows)]
        return {"columns": labels, "dtypes": dtypes, "data": data, "index": index_of(df.index, enc, depth, pd)}

    def series_body(s, enc, depth, unsupported, max_nodes, pd):
        if len(s) > max_nodes:
            raise unsupported("return value too large (a series of %d items)" % len(s))
        return {
            "name": label(s.name, enc, depth, unsupported),
            "dtype": str(s.dtype),
            "data": [enc(x, depth + 1) for x in s.tolist()],
            "index": index_of(s.index, enc, depth, pd),
        }

    return {
        "preimports": preimports,
        "decode_args": decode_args,
        "encode": encode,
        "not_mine": not_mine,
        "error": _DataStackError,
    }


_DATASTACK = _ds_make()
