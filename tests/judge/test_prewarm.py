"""Prewarmed sandboxes: started ahead, each used for one run only, never sharing anything."""

import threading
import time

import pytest

from judge import FunctionSpec, FunctionTest, Limits, judge_python_function
from judge.sandbox import PYTHON, SandboxLimits, run_in_sandbox, set_prewarm, upkeep_deferred
from judge.sandbox.run import _drain, _warm

pytestmark = pytest.mark.usefixtures("sandbox_ready")

LIMITS = SandboxLimits(cpu_time_s=2, wall_time_s=5, memory_mb=64, output_bytes=4096)


@pytest.fixture
def prewarm():
    set_prewarm(True)
    yield
    set_prewarm(False)


def python(code):
    return [PYTHON, "-I", "-S", "-c", code]


def test_a_prewarmed_run_gives_the_same_outcome_as_a_cold_one(prewarm):
    argv = python("import sys; print(sys.stdin.read().upper())")
    outcomes = [run_in_sandbox(argv, stdin=f"run {i}".encode(), limits=LIMITS) for i in range(3)]
    assert [o.stdout for o in outcomes] == [b"RUN 0\n", b"RUN 1\n", b"RUN 2\n"]
    _drain()
    assert len(_warm) == 1  # the next one is already waiting


def test_each_run_gets_a_fresh_box_even_when_prewarmed(prewarm):
    argv = python("import os, sys\nprint(sorted(os.listdir('/work')))\nopen('/work/' + sys.stdin.read(), 'w').write('x')")
    first = run_in_sandbox(argv, stdin=b"left-behind", limits=LIMITS)
    second = run_in_sandbox(argv, stdin=b"other", limits=LIMITS)
    assert first.stdout == b"[]\n" and second.stdout == b"[]\n"


def test_the_wall_clock_starts_when_the_input_is_sent_not_when_the_box_was_made(prewarm):
    argv = python("import sys, time; sys.stdin.read(); time.sleep(0.2); print('ok')")
    limits = SandboxLimits(cpu_time_s=1, wall_time_s=1.0, memory_mb=64, output_bytes=4096)
    run_in_sandbox(argv, limits=limits)
    time.sleep(1.5)  # the warm box waits longer than the wall limit
    outcome = run_in_sandbox(argv, limits=limits)
    assert outcome.stdout == b"ok\n" and not outcome.timed_out


def test_turning_prewarm_off_stops_the_waiting_sandboxes(slot_processes):
    set_prewarm(True)
    run_in_sandbox(python("pass"), limits=LIMITS)
    _drain()
    assert _warm
    set_prewarm(False)
    assert not _warm
    assert slot_processes() == {}


def test_a_function_question_judged_with_prewarm_is_graded_the_same(prewarm):
    spec = FunctionSpec(
        source="def double(x):\n    return 2 * x\n", function_name="double",
        tests=(FunctionTest("a", [1], 2), FunctionTest("b", [21], 42), FunctionTest("c", [0], 1)),
        limits=Limits(cpu_time_s=1),
    )
    results = [judge_python_function(spec) for _ in range(3)]
    assert [r.verdict.value for r in results] == ["WA"] * 3
    assert [[t.verdict.value for t in r.tests] for r in results] == [["AC", "AC", "WA"]] * 3
    assert all(r.score == pytest.approx(2 / 3) for r in results)


def test_with_upkeep_deferred_nothing_is_started_beside_the_run_and_the_next_box_waits_once_the_block_ends(prewarm):
    argv = python("import sys; print(sys.stdin.read())")
    run_in_sandbox(argv, stdin=b"warm it", limits=LIMITS)  # the box this block's run takes
    _drain()
    assert len(_warm) == 1

    with upkeep_deferred():
        assert run_in_sandbox(argv, stdin=b"in the block", limits=LIMITS).stdout == b"in the block\n"
        _drain()
        assert not _warm  # neither the next box started nor this run swept yet
    _drain()
    assert len(_warm) == 1
    assert run_in_sandbox(argv, stdin=b"after", limits=LIMITS).stdout == b"after\n"


def test_a_second_run_in_the_block_releases_the_upkeep_and_defers_nothing_more(prewarm):
    argv = python("import sys; print(sys.stdin.read())")
    with upkeep_deferred():
        outcomes = [run_in_sandbox(argv, stdin=f"run {i}".encode(), limits=LIMITS) for i in range(3)]
        _drain()
        assert len(_warm) == 1  # warmed beside the later runs, as without the block
    assert [o.stdout for o in outcomes] == [b"run 0\n", b"run 1\n", b"run 2\n"]


def test_a_run_waits_for_the_box_the_keeper_is_starting_for_it_rather_than_starting_another(prewarm, monkeypatch):
    from judge.sandbox import run as sandbox_run

    argv = python("import sys; print(sys.stdin.read())")
    launched_by = []
    launch = sandbox_run._launch
    monkeypatch.setattr(sandbox_run, "_launch",
                        lambda *args: launched_by.append(threading.current_thread().name) or launch(*args))
    sandbox_run._in_background(lambda: time.sleep(0.3))  # the keeper is busy when the box is asked for
    sandbox_run._warm_soon((tuple(argv), LIMITS, (), False))

    assert run_in_sandbox(argv, stdin=b"took it", limits=LIMITS).stdout == b"took it\n"
    _drain()
    assert launched_by == ["judge-sandbox-keeper"] * 2  # its box, then the next one; none by the caller


def test_a_deferring_block_inside_another_defers_to_the_outer_one(prewarm):
    argv = python("import sys; print(sys.stdin.read())")
    run_in_sandbox(argv, stdin=b"warm it", limits=LIMITS)
    _drain()
    with upkeep_deferred():
        with upkeep_deferred():
            run_in_sandbox(argv, stdin=b"inner", limits=LIMITS)
        _drain()
        assert not _warm  # still held: the inner block's end releases nothing
    _drain()
    assert len(_warm) == 1
