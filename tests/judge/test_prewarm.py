"""Prewarmed sandboxes: started ahead, each used for one run only, never sharing anything."""

import threading
import time

import pytest

from judge import FunctionSpec, FunctionTest, Limits, judge_python_function
from judge.sandbox import PYTHON, SandboxLimits, run_in_sandbox, set_prewarm, upkeep_deferred
from judge.sandbox.run import WARM_PER_KIND, _drain, _warm

pytestmark = pytest.mark.usefixtures("sandbox_ready")

LIMITS = SandboxLimits(cpu_time_s=2, wall_time_s=5, memory_mb=64, output_bytes=4096)


@pytest.fixture
def prewarm():
    set_prewarm(True)
    yield
    set_prewarm(False)


def python(code):
    return [PYTHON, "-I", "-S", "-c", code]


def waiting() -> int:
    return sum(len(boxes) for boxes in _warm.values())


@pytest.fixture
def launched_by(monkeypatch):
    """The name of the thread that launched each box, in order."""
    from judge.sandbox import run as sandbox_run

    names = []
    launch = sandbox_run._launch
    monkeypatch.setattr(sandbox_run, "_launch", lambda *args: names.append(threading.current_thread().name) or launch(*args))
    return names


KEEPER = "judge-sandbox-keeper"


def test_a_prewarmed_run_gives_the_same_outcome_as_a_cold_one(prewarm):
    argv = python("import sys; print(sys.stdin.read().upper())")
    outcomes = [run_in_sandbox(argv, stdin=f"run {i}".encode(), limits=LIMITS) for i in range(3)]
    assert [o.stdout for o in outcomes] == [b"RUN 0\n", b"RUN 1\n", b"RUN 2\n"]
    _drain()
    assert WARM_PER_KIND == 2 and waiting() == 2  # the next ones are already waiting


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
    run_in_sandbox(argv, stdin=b"warm it", limits=LIMITS)  # the boxes this block's run takes from
    _drain()
    assert waiting() == 2

    with upkeep_deferred():
        assert run_in_sandbox(argv, stdin=b"in the block", limits=LIMITS).stdout == b"in the block\n"
        _drain()
        assert waiting() == 1  # the spare: no box started in place of the one taken, nor this run swept yet
    _drain()
    assert waiting() == 2
    assert run_in_sandbox(argv, stdin=b"after", limits=LIMITS).stdout == b"after\n"


def test_after_the_block_the_next_boxes_wait_out_a_grace_which_a_run_needing_one_ends(prewarm, monkeypatch,
                                                                                      launched_by):
    from judge.sandbox import run as sandbox_run

    argv = python("import sys; print(sys.stdin.read())")
    monkeypatch.setattr(sandbox_run, "UPKEEP_GRACE_S", 60.0)
    with upkeep_deferred():
        run_in_sandbox(argv, stdin=b"first", limits=LIMITS)
    time.sleep(0.3)
    assert not _warm and launched_by == ["MainThread"]  # the keeper holds back: what follows a verdict goes first

    assert run_in_sandbox(argv, stdin=b"needs it", limits=LIMITS).stdout == b"needs it\n"
    _drain()
    # The run ended the grace and took a box the keeper started for it (not one of its own after
    # waiting _WARM_WAIT_S); the one taken was replaced beside it, as without the block.
    assert launched_by == ["MainThread", KEEPER, KEEPER, KEEPER]
    assert waiting() == 2


def test_a_run_during_the_grace_takes_the_spare_and_leaves_the_grace_alone(prewarm, monkeypatch, launched_by):
    from judge.sandbox import run as sandbox_run

    argv = python("import sys; print(sys.stdin.read())")
    run_in_sandbox(argv, stdin=b"warm it", limits=LIMITS)
    _drain()
    monkeypatch.setattr(sandbox_run, "UPKEEP_GRACE_S", 60.0)
    with upkeep_deferred():
        run_in_sandbox(argv, stdin=b"graded", limits=LIMITS)
    started = len(launched_by)

    assert run_in_sandbox(argv, stdin=b"right after", limits=LIMITS).stdout == b"right after\n"
    time.sleep(0.3)
    assert len(launched_by) == started and not _warm  # nothing started yet: the grace still holds


def test_turning_prewarm_off_ends_a_grace_at_once(monkeypatch):
    from judge.sandbox import run as sandbox_run

    monkeypatch.setattr(sandbox_run, "UPKEEP_GRACE_S", 60.0)
    set_prewarm(True)
    try:
        with upkeep_deferred():
            run_in_sandbox(python("pass"), limits=LIMITS)
    finally:
        started = time.monotonic()
        set_prewarm(False)
    assert time.monotonic() - started < 30 and not _warm


def test_a_box_that_died_while_waiting_is_swept_and_the_spare_taken(prewarm, launched_by, slot_processes):
    argv = python("import sys; print(sys.stdin.read())")
    run_in_sandbox(argv, stdin=b"warm it", limits=LIMITS)
    _drain()
    (dead, spare), = _warm.values()
    dead.proc.kill()
    dead.proc.wait()

    outcome = run_in_sandbox(argv, stdin=b"on the spare", limits=LIMITS)
    assert outcome.stdout == b"on the spare\n" and outcome.slot == spare.slot.index
    assert launched_by.count("MainThread") == 1  # the first run's, cold; none since
    _drain()
    assert slot_processes() == {}  # the dead box's slot was swept and freed


def test_a_new_kind_evicts_the_kind_used_longest_ago_with_both_its_boxes(launched_by, slot_processes):
    first, second, third = (python(f"import sys; print({n}, sys.stdin.read())") for n in (1, 2, 3))
    set_prewarm(True, max_waiting=2)
    try:
        for argv in (first, second, first, third):  # `first` used again: `second` is the one to make room
            run_in_sandbox(argv, limits=LIMITS)
            _drain()
        assert {key[0] for key in _warm} == {tuple(first), tuple(third)}
        assert waiting() == 4
        assert slot_processes() == {}  # both boxes of `second` were stopped and their slots freed
    finally:
        set_prewarm(False)
    assert not _warm and slot_processes() == {}


def test_a_second_run_in_the_block_releases_the_upkeep_and_defers_nothing_more(prewarm):
    argv = python("import sys; print(sys.stdin.read())")
    with upkeep_deferred():
        outcomes = [run_in_sandbox(argv, stdin=f"run {i}".encode(), limits=LIMITS) for i in range(3)]
        _drain()
        assert waiting() == 2  # warmed beside the later runs, as without the block
    assert [o.stdout for o in outcomes] == [b"run 0\n", b"run 1\n", b"run 2\n"]


def test_a_run_waits_for_the_box_the_keeper_is_starting_for_it_rather_than_starting_another(prewarm, launched_by):
    from judge.sandbox import run as sandbox_run

    argv = python("import sys; print(sys.stdin.read())")
    sandbox_run._in_background(lambda: time.sleep(0.3))  # the keeper is busy when the box is asked for
    sandbox_run._warm_soon((tuple(argv), LIMITS, (), False))

    assert run_in_sandbox(argv, stdin=b"took it", limits=LIMITS).stdout == b"took it\n"
    _drain()
    assert launched_by == [KEEPER] * 3  # its two boxes, then one in place of the one taken; none by the caller


def test_a_deferring_block_inside_another_defers_to_the_outer_one(prewarm):
    argv = python("import sys; print(sys.stdin.read())")
    run_in_sandbox(argv, stdin=b"warm it", limits=LIMITS)
    _drain()
    with upkeep_deferred():
        with upkeep_deferred():
            run_in_sandbox(argv, stdin=b"inner", limits=LIMITS)
        _drain()
        assert waiting() == 1  # still held: the inner block's end releases nothing
    _drain()
    assert waiting() == 2
