"""Question generators (judge/generate.py): an author's `generate(rng)` run for many seeds in one
sandboxed interpreter on the data-stack runtime, through the real sandbox."""

import csv
import io
import json
import time

import pytest

from judge import GenerateResult, JudgeError, generate_variants, runtimes
from judge.__main__ import main
from judge.generate import MAX_RECORD_BYTES


@pytest.fixture(scope="module")
def data_stack_ready():
    """No silent skip: the data stack is part of the judge (scripts/setup-runtime.sh)."""
    problems = runtimes.data_stack_problems()
    if problems:
        pytest.fail("; ".join(problems))


pytestmark = pytest.mark.usefixtures("sandbox_ready", "data_stack_ready")

# Tests that branch per seed read it back from the generator: default_rng(seed) keeps it.
SEED_OF = "def seed_of(rng):\n    return rng.bit_generator.seed_seq.entropy\n"

SALES = """
import numpy as np
import pandas as pd

def generate(rng):
    n = int(rng.integers(20, 40))
    price = rng.uniform(5, 10)
    df = pd.DataFrame({
        "region": rng.choice(["north", "south", "east"], size=n),
        "units": rng.integers(1, 100, size=n),
        "amount": (rng.normal(100, 15, size=n)).round(2),
    })
    return {
        "params": {"n": n, "price": round(price, 2), "region": "north", "weekly": True},
        "answers": {"total": df["amount"].sum(), "mean_units": df["units"].mean(), "rows": len(df)},
        "answer": np.float64(price * 2),
        "correct": [2, 0],
        "datasets": {"sales.csv": df},
    }
"""


def seed_errors(result):
    return [v.get("error") for v in result.variants]


def ok_flags(result):
    return [v["ok"] for v in result.variants]


# -- what a good generator gives ------------------------------------------------------------------


def test_a_generator_gives_params_answers_and_a_csv_dataset_for_every_seed():
    result = generate_variants(SALES, list(range(20)))
    assert isinstance(result, GenerateResult)
    assert result.error == "", result.error
    assert [v["seed"] for v in result.variants] == list(range(20))
    assert all(ok_flags(result)), seed_errors(result)
    first = result.variants[0]
    assert set(first) == {"seed", "ok", "params", "answer", "answers", "correct", "datasets"}
    assert set(first["params"]) == {"n", "price", "region", "weekly"}
    assert type(first["params"]["n"]) is int and type(first["params"]["weekly"]) is bool
    assert type(first["answer"]) is float
    assert type(first["answers"]["total"]) is float and type(first["answers"]["rows"]) is int
    assert first["correct"] == [0, 2]
    rows = list(csv.DictReader(io.StringIO(first["datasets"]["sales.csv"])))
    assert len(rows) == first["params"]["n"] == first["answers"]["rows"]
    assert list(rows[0]) == ["region", "units", "amount"]  # no index column
    assert sum(float(r["amount"]) for r in rows) == pytest.approx(first["answers"]["total"])


def test_the_same_seeds_give_byte_identical_results_and_different_seeds_differ():
    seeds = list(range(20))
    first = json.dumps(generate_variants(SALES, seeds).to_dict(), allow_nan=False)
    second = json.dumps(generate_variants(SALES, seeds).to_dict(), allow_nan=False)
    assert first == second
    datasets = [v["datasets"]["sales.csv"] for v in json.loads(first)["variants"]]
    assert len(set(datasets)) == 20


def test_the_random_module_legacy_numpy_and_set_order_are_reproducible():
    source = """
import random
import numpy as np

WORDS = {"apple", "banana", "cherry", "damson", "elder", "fig", "grape"}

def generate(rng):
    return {"params": {
        "word": random.choice(sorted(WORDS)),
        "x": random.random(),
        "legacy": float(np.random.rand()),
        "order": ",".join(WORDS),
        "hash": hash("prep") % 1000,
    }}
"""
    first = generate_variants(source, [0, 1, 2, 3])
    second = generate_variants(source, [0, 1, 2, 3])
    assert first.error == "" and all(ok_flags(first)), seed_errors(first)
    assert first.to_dict() == second.to_dict()
    assert len({v["params"]["x"] for v in first.variants}) == 4
    assert len({v["params"]["legacy"] for v in first.variants}) == 4


def test_a_variant_does_not_depend_on_the_seeds_generated_before_it():
    source = """
calls = []

def generate(rng):
    calls.append(1)
    return {"params": {"calls": len(calls), "draw": int(rng.integers(10**9))}}
"""
    batch = generate_variants(source, [0, 1, 2, 3])
    alone = generate_variants(source, [3])
    assert [v["params"]["calls"] for v in batch.variants] == [1, 1, 1, 1]
    assert alone.variants[0] == batch.variants[3]


def test_numpy_values_and_lists_of_dicts_are_normalised():
    source = """
import numpy as np

def generate(rng):
    rows = [{"id": np.int64(1), "score": np.float32(0.5), "ok": np.bool_(True), "name": "a,b"},
            {"id": 2, "score": float("nan"), "name": None},
            {"id": 3, "score": 1.25}]
    return {
        "params": {"k": np.int32(7), "flag": np.bool_(False), "label": np.str_("x")},
        "answer": np.int64(42),
        "correct": np.array([3, 1]),
        "datasets": {"rows.csv": rows, "raw.csv": "a,b\\n1,2\\n"},
    }
"""
    result = generate_variants(source, [5])
    variant = result.variants[0]
    assert variant["ok"], variant
    assert variant["params"] == {"k": 7, "flag": False, "label": "x"}
    assert type(variant["params"]["k"]) is int and type(variant["params"]["flag"]) is bool
    assert variant["answer"] == 42 and type(variant["answer"]) is int
    assert variant["correct"] == [1, 3]
    assert variant["datasets"]["rows.csv"] == 'id,score,ok,name\n1,0.5,True,"a,b"\n2,,,\n3,1.25,,\n'
    assert variant["datasets"]["raw.csv"] == "a,b\n1,2\n"
    assert "answers" not in variant


def test_a_generator_without_optional_keys_gives_empty_params():
    result = generate_variants("def generate(rng):\n    return {}\n", [0, 1])
    assert result.variants == [{"seed": 0, "ok": True, "params": {}}, {"seed": 1, "ok": True, "params": {}}]


def test_the_authors_prints_are_kept_apart_from_the_results():
    source = "def generate(rng):\n    print('hello from the generator')\n    return {'params': {'a': 1}}\n"
    result = generate_variants(source, [0])
    assert result.variants[0]["ok"]
    assert "hello from the generator" in result.stdout
    json.dumps(result.to_dict(), allow_nan=False)


# -- the author's mistakes --------------------------------------------------------------------------


def test_a_seed_that_raises_fails_alone_with_its_line():
    source = SEED_OF + """
def generate(rng):
    if seed_of(rng) == 2:
        raise ValueError("no good variant for this seed")
    return {"params": {"s": seed_of(rng)}}
"""
    result = generate_variants(source, [0, 1, 2, 3])
    assert result.error == ""
    assert ok_flags(result) == [True, True, False, True]
    assert result.variants[2] == {"seed": 2, "ok": False, "error": "ValueError: no good variant for this seed (line 6)"}
    assert result.variants[3]["params"] == {"s": 3}


def test_an_error_inside_a_library_is_reported_at_the_authors_line():
    source = "import pandas as pd\n\ndef generate(rng):\n    return {'answer': pd.DataFrame({'a': [1]})['b'].sum()}\n"
    result = generate_variants(source, [0])
    assert result.variants[0]["error"] == "KeyError: 'b' (line 4)"


def test_a_syntax_error_fails_the_run_with_its_line():
    result = generate_variants("def generate(rng):\n    return {'params': {}\n\nx = 1\n", [0, 1])
    assert result.error.startswith("SyntaxError: ")
    assert "(line 2)" in result.error
    assert ok_flags(result) == [False, False]
    assert result.variants[0]["error"].startswith("not generated")


def test_a_source_without_generate_fails_the_run():
    result = generate_variants("def make(rng):\n    return {}\n", [0])
    assert result.error == "the source defines no function `generate(rng)`"
    assert result.variants == [{"seed": 0, "ok": False, "error": "not generated: the generator did not load"}]
    result = generate_variants("generate = 3\n", [0])
    assert result.error == "`generate` is not a function (it is a int)"


def test_an_exception_while_loading_the_module_fails_the_run_with_its_line():
    result = generate_variants("import os\n\nTABLE = 1 / 0\n\ndef generate(rng):\n    return {}\n", [0])
    assert result.error == "ZeroDivisionError: division by zero (line 3)"


WRONG_SHAPES = SEED_OF + """
import numpy as np
import pandas as pd

def generate(rng):
    s = seed_of(rng)
    if s == 0:
        return [1, 2]
    if s == 1:
        return {"params": {}, "hint": "x"}
    if s == 2:
        return {"answer": float("nan")}
    if s == 3:
        return {"params": {"x": np.inf}}
    if s == 4:
        return {"params": {"x": None}}
    if s == 5:
        return {"datasets": {"../etc/passwd.csv": "a\\n1\\n"}}
    if s == 6:
        return {"datasets": {"big.csv": pd.DataFrame({"x": np.arange(400_000) * 1_000_003})}}
    if s == 7:
        return {"params": {"p%d" % i: i for i in range(101)}}
    if s == 8:
        return {"params": {"text": "x" * 10_001}}
    if s == 9:
        return {"datasets": {"d%d.csv" % i: "a\\n1\\n" for i in range(11)}}
    if s == 10:
        return {"correct": [True]}
    if s == 11:
        return {"datasets": {"rows.csv": [{"a": 1}, {"a": 2, "b": 3}]}}
    if s == 12:
        return {"datasets": {"s.csv": pd.Series([1, 2])}}
    if s == 13:
        return {"params": {"my-name": 1}}
    if s == 14:
        return {"answers": {"mean": np.float64("nan")}}
    if s == 15:
        return {"answer": 1 + 2j}
    if s == 16:
        return {"datasets": {"notes.txt": "a\\n"}}
    if s == 17:
        return {"datasets": {"x.csv": "a\\n" + "1\\n" * (1024 * 1024 + 1)}}
    if s == 18:
        return {"correct": [1, 1]}
    if s == 19:
        return None
    return {"params": {"fine": True}}
"""

SHAPE_ERRORS = {
    0: "generate must return a dict, not list",
    1: "unknown key 'hint' in the result (allowed: params, answer, answers, correct, datasets)",
    2: "`answer` is NaN",
    3: "param `x` is infinite",
    4: "param `x` must be an int, float, str or bool, not NoneType",
    5: "dataset name '../etc/passwd.csv' is not allowed",
    6: "dataset `big.csv` is ",
    7: "`params` has 101 entries (the limit is 100)",
    8: "param `text` is 10001 characters long (the limit is 10000)",
    9: "`datasets` has 11 files (the limit is 10)",
    10: "`correct` must hold ints, not bool",
    11: "dataset `rows.csv`: row 2 has a column 'b' that the first row does not",
    12: "dataset `s.csv` must be a DataFrame, CSV text or a list of dicts, not Series",
    13: "`params`: 'my-name' is not a valid param",
    14: "answer `mean` is NaN",
    15: "`answer` must be an int, float, str or bool, not complex",
    16: "dataset name 'notes.txt' is not allowed",
    17: "dataset `x.csv` is 2097156 bytes of CSV (the limit is 2097152)",
    18: "`correct` holds 1 twice",
    19: "generate must return a dict, not NoneType",
}


@pytest.fixture(scope="module")
def wrong_shapes(sandbox_ready, data_stack_ready):
    return generate_variants(WRONG_SHAPES, list(range(21)))


@pytest.mark.parametrize("seed", sorted(SHAPE_ERRORS))
def test_a_result_of_the_wrong_shape_is_an_error_for_that_seed(wrong_shapes, seed):
    variant = wrong_shapes.variants[seed]
    assert variant["ok"] is False
    assert variant["error"].startswith(SHAPE_ERRORS[seed]), variant["error"]


def test_wrong_shapes_leave_the_run_and_the_good_seeds_alone(wrong_shapes):
    assert wrong_shapes.error == ""
    assert wrong_shapes.variants[20] == {"seed": 20, "ok": True, "params": {"fine": True}}


def test_a_data_frame_beyond_the_size_cap_is_refused_before_it_is_written():
    source = (
        "import pandas as pd\n\n"
        "def generate(rng):\n    return {'datasets': {'big.csv': pd.DataFrame({'x': range(3_000_000)})}}\n"
    )
    error = generate_variants(source, [0]).variants[0]["error"]
    assert error == "dataset `big.csv` is a data frame of 3000000 x 1: more than 2097152 bytes of CSV (the limit)"


def test_a_record_over_4_mb_is_an_error_for_that_seed():
    source = SEED_OF + """
def generate(rng):
    if seed_of(rng) == 1:
        return {"params": {}}
    block = "a\\n" + "123456789\\n" * 200_000
    return {"datasets": {"a.csv": block, "b.csv": block, "c.csv": block}}
"""
    result = generate_variants(source, [0, 1])
    assert result.variants[0]["ok"] is False
    assert result.variants[0]["error"].endswith(f"bytes as JSON (the limit is {MAX_RECORD_BYTES})")
    assert result.variants[1] == {"seed": 1, "ok": True, "params": {}}


def test_a_memory_error_in_one_seed_leaves_the_others():
    source = SEED_OF + """
def generate(rng):
    if seed_of(rng) == 1:
        return {"params": {"n": len(bytearray(10**11))}}
    return {"params": {"n": 1}}
"""
    result = generate_variants(source, [0, 1, 2], memory_mb=128)
    assert result.error == ""
    assert ok_flags(result) == [True, False, True]
    assert result.variants[1]["error"] == "MemoryError (line 6)"


# -- the run ending early ------------------------------------------------------------------------


LOOP_AT_3 = SEED_OF + """
def generate(rng):
    if seed_of(rng) == 3:
        while True:
            pass
    return {"params": {"s": seed_of(rng)}}
"""


@pytest.mark.slow
def test_an_infinite_loop_ends_the_run_with_a_time_error_and_keeps_earlier_seeds():
    started = time.monotonic()
    result = generate_variants(LOOP_AT_3, [0, 1, 2, 3, 4, 5], time_limit_s=1.0)
    assert time.monotonic() - started < 10
    assert result.error == (
        "the generator ran out of time after seed 2 (the limit is 1 s of CPU time for all seeds together)"
    )
    assert ok_flags(result) == [True, True, True, False, False, False]
    assert [v["params"]["s"] for v in result.variants[:3]] == [0, 1, 2]
    assert result.variants[3]["error"] == "the generator ran out of time while generating this seed"
    assert result.variants[4]["error"] == "not generated: the run ended early (the generator ran out of time)"


@pytest.mark.slow
def test_swallowing_the_timer_and_ignoring_its_signal_still_ends_the_run():
    source = """
import signal

def generate(rng):
    signal.signal(signal.SIGPROF, signal.SIG_IGN)
    signal.setitimer(signal.ITIMER_PROF, 0)
    while True:
        try:
            while True:
                pass
        except BaseException:
            pass
"""
    started = time.monotonic()
    result = generate_variants(source, [0, 1], time_limit_s=1.0)
    assert time.monotonic() - started < 15
    assert result.error.startswith("the generator ran out of time during its first seed (0)")
    assert ok_flags(result) == [False, False]


@pytest.mark.slow
def test_sleeping_ends_the_run_on_the_wall_clock():
    source = SEED_OF + """
import time

def generate(rng):
    if seed_of(rng) == 1:
        time.sleep(1000)
    return {}
"""
    started = time.monotonic()
    result = generate_variants(source, [0, 1, 2], time_limit_s=1.0)
    assert time.monotonic() - started < 15
    assert result.error.startswith("the generator ran out of time after seed 0 (wall clock")
    assert ok_flags(result) == [True, False, False]


@pytest.mark.slow
def test_a_loop_at_module_level_runs_out_of_time_while_loading():
    result = generate_variants("while True:\n    pass\n\ndef generate(rng):\n    return {}\n", [0], time_limit_s=1.0)
    assert result.error.startswith("the generator ran out of time while loading the module")
    assert result.variants[0]["ok"] is False


def test_exiting_the_process_ends_the_run_and_keeps_earlier_seeds():
    source = SEED_OF + """
import os

def generate(rng):
    if seed_of(rng) == 1:
        os._exit(3)
    return {}
"""
    result = generate_variants(source, [0, 1, 2])
    assert result.error == "the generator crashed (exit status 3) after seed 0"
    assert ok_flags(result) == [True, False, False]


def test_printing_fake_records_does_not_forge_a_result():
    source = """
import os, sys

FAKE = '{"k": "v", "i": 0, "seed": 0, "ok": true, "params": {"forged": 1}}'

def generate(rng):
    for line in (FAKE, "0" * 32 + " " + FAKE, '{"k": "done"}'):
        print(line)
        print(line, file=sys.stderr)
        for fd in range(3, 20):
            try:
                os.write(fd, ("x" * 32 + " " + line + "\\n").encode())
            except OSError:
                pass
    return {"params": {"real": 1}}
"""
    result = generate_variants(source, [0, 1])
    assert result.error == ""
    assert [v["params"] for v in result.variants] == [{"real": 1}, {"real": 1}]
    assert '"forged": 1' in result.stdout


def test_a_run_that_prints_too_much_is_ended():
    source = "def generate(rng):\n    while True:\n        print('x' * 100_000)\n"
    result = generate_variants(source, [0, 1])
    assert result.error.startswith("the generator printed too much during its first seed (0)")
    assert len(result.stdout) <= 64 * 1024


# -- hostile code (the suite's own PID namespace; the host checked afterwards) ----------------------


@pytest.mark.hostile
@pytest.mark.usefixtures("host_is_fine_afterwards")
def test_killing_every_process_from_the_generator_leaves_the_host_alone():
    source = """
import os, signal, time

def generate(rng):
    sent = []
    if os.fork() == 0:
        time.sleep(5)
        os._exit(0)
    for target in (os.getppid(), -1, 1):
        try:
            os.kill(target, signal.SIGKILL)
            sent.append("sent")
        except OSError as e:
            sent.append(type(e).__name__)
    return {"params": {"sent": ",".join(sent)}}
"""
    result = generate_variants(source, [0, 1])
    assert result.error == ""
    assert [v["params"] for v in result.variants] == [{"sent": "sent,sent,sent"}] * 2


@pytest.mark.hostile
@pytest.mark.slow
@pytest.mark.usefixtures("host_is_fine_afterwards")
def test_a_fork_bomb_in_the_generator_is_contained():
    source = SEED_OF + """
import os

def generate(rng):
    if seed_of(rng) == 1:
        while True:
            os.fork()
    return {"params": {"s": seed_of(rng)}}
"""
    started = time.monotonic()
    result = generate_variants(source, [0, 1, 2], time_limit_s=2.0)
    assert time.monotonic() - started < 30
    assert result.variants[0] == {"seed": 0, "ok": True, "params": {"s": 0}}
    assert result.variants[1]["ok"] is False
    assert result.variants[1]["error"].startswith("BlockingIOError")  # fork failed at pids.max
    assert result.variants[2]["ok"] or result.error


# -- the caller's mistakes and the command line --------------------------------------------------


@pytest.mark.parametrize(
    "seeds, kwargs",
    [
        ([], {}),
        ([-1], {}),
        ([True], {}),
        (["1"], {}),
        ([2**63], {}),
        (list(range(1001)), {}),
        ([0], {"time_limit_s": 0}),
        ([0], {"memory_mb": 8}),
    ],
)
def test_bad_arguments_are_judge_errors(seeds, kwargs):
    with pytest.raises(JudgeError):
        generate_variants("def generate(rng):\n    return {}\n", seeds, **kwargs)


def test_the_command_line_prints_the_result_as_one_json_object(capsys, tmp_path):
    path = tmp_path / "gen.py"
    path.write_text("def generate(rng):\n    return {'params': {'n': int(rng.integers(100))}}\n")
    code = main(["generate", str(path), "--seeds", "0-2,7"])
    out, err = capsys.readouterr()
    assert code == 0 and err == ""
    data = json.loads(out)
    assert data["error"] == "" and [v["seed"] for v in data["variants"]] == [0, 1, 2, 7]
    assert out.count("\n") == 1


def test_the_command_line_rejects_a_malformed_seed_range(capsys, tmp_path):
    path = tmp_path / "gen.py"
    path.write_text("def generate(rng):\n    return {}\n")
    assert main(["generate", str(path), "--seeds", "5-2"]) == 2
    assert "--seeds" in capsys.readouterr().err
