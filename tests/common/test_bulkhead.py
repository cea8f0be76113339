"""A bulkhead lets at most its slots' worth of one kind of request run at once in a process; the
others wait for a slot, and one that waits too long is refused (503, try again)."""

import threading
import time

import pytest

from common.bulkhead import Bulkhead, Busy


@pytest.fixture
def bulkhead(settings):
    settings.TEST_SLOTS = 2
    settings.TEST_WAIT_S = 5.0
    return Bulkhead("tests", slots_setting="TEST_SLOTS", wait_s_setting="TEST_WAIT_S", busy_message="Busy now.")


def run_together(bulkhead, count: int, hold_s: float) -> tuple[int, list]:
    """`count` threads each hold the bulkhead for `hold_s`; returns the most inside at once and
    what each thread raised (None if nothing)."""
    inside, most, lock = [0], [0], threading.Lock()
    raised = [None] * count

    def request(i):
        try:
            with bulkhead:
                with lock:
                    inside[0] += 1
                    most[0] = max(most[0], inside[0])
                time.sleep(hold_s)
                with lock:
                    inside[0] -= 1
        except Exception as exc:  # noqa: BLE001 — recorded for the assertions
            raised[i] = exc

    threads = [threading.Thread(target=request, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return most[0], raised


def test_no_more_than_its_slots_run_at_once_and_the_others_wait_their_turn(bulkhead):
    most, raised = run_together(bulkhead, count=8, hold_s=0.05)

    assert most == 2
    assert raised == [None] * 8  # every one ran, in turn


def test_one_that_cannot_get_a_slot_in_time_is_refused_as_busy_with_a_retry_after(bulkhead, settings):
    settings.TEST_WAIT_S = 0.05
    most, raised = run_together(bulkhead, count=3, hold_s=0.5)

    refused = [exc for exc in raised if exc is not None]
    assert most == 2 and len(refused) == 1
    assert isinstance(refused[0], Busy) and refused[0].status == 503 and refused[0].retry_after_s > 0
    assert refused[0].message == "Busy now."


def test_a_slot_is_given_back_when_the_request_fails(bulkhead, settings):
    settings.TEST_SLOTS = 1
    with pytest.raises(ZeroDivisionError):
        with bulkhead:
            1 / 0

    most, raised = run_together(bulkhead, count=2, hold_s=0.01)
    assert most == 1 and raised == [None, None]


def test_zero_slots_turn_the_limit_off(bulkhead, settings):
    settings.TEST_SLOTS = 0
    most, raised = run_together(bulkhead, count=6, hold_s=0.1)

    assert most == 6 and raised == [None] * 6
