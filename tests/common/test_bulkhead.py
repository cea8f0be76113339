"""A bulkhead lets at most its slots' worth of one kind of request run at once in a process; a
few more wait for a slot, and one that finds the queue full or waits too long is refused (503,
try again)."""

import threading

import pytest

from common.bulkhead import Bulkhead, Busy


@pytest.fixture
def bulkhead(settings):
    settings.TEST_SLOTS, settings.TEST_QUEUE, settings.TEST_WAIT_S = 2, 10, 10.0
    return Bulkhead(slots="TEST_SLOTS", queue="TEST_QUEUE", wait_s="TEST_WAIT_S", busy_message="Busy now.")


class Requests:
    """Threads that each enter the bulkhead and stay inside until `release` is set; records
    who got in, who was refused and the most inside at once."""

    def __init__(self, bulkhead, count: int):
        self.bulkhead, self.release = bulkhead, threading.Event()
        self.inside, self.most, self.entered, self.refused = 0, 0, threading.Semaphore(0), []
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.request) for _ in range(count)]

    def request(self):
        try:
            with self.bulkhead:
                with self.lock:
                    self.inside += 1
                    self.most = max(self.most, self.inside)
                self.entered.release()
                self.release.wait(timeout=30)
                with self.lock:
                    self.inside -= 1
        except Busy as exc:
            with self.lock:
                self.refused.append(exc)
            self.entered.release()

    def start(self, until_inside_or_refused: int):
        for thread in self.threads:
            thread.start()
        for _ in range(until_inside_or_refused):
            assert self.entered.acquire(timeout=30)

    def finish(self):
        self.release.set()
        for thread in self.threads:
            thread.join(timeout=30)


def waiting(bulkhead, count: int) -> bool:
    """Whether `count` requests are waiting for a slot (polled: they get there on their own time)."""
    for _ in range(3000):
        if bulkhead._waiting == count:
            return True
        threading.Event().wait(0.01)
    return False


def enter_and_leave(bulkhead):
    with bulkhead:
        pass


def test_no_more_than_its_slots_run_at_once_and_the_others_wait_their_turn(bulkhead):
    requests = Requests(bulkhead, count=6)
    requests.start(until_inside_or_refused=2)
    assert waiting(bulkhead, 4) and requests.inside == 2

    requests.finish()
    assert requests.most == 2 and requests.refused == []  # every one ran, in turn
    assert bulkhead._waiting == 0


def test_one_that_finds_the_queue_full_is_refused_at_once_as_busy_with_a_retry_after(bulkhead, settings):
    settings.TEST_QUEUE = 1
    requests = Requests(bulkhead, count=2)
    requests.start(until_inside_or_refused=2)  # both slots taken
    waiter = threading.Thread(target=enter_and_leave, args=(bulkhead,))
    waiter.start()
    assert waiting(bulkhead, 1)

    with pytest.raises(Busy) as refused:
        with bulkhead:
            pass

    assert refused.value.status == 503 and refused.value.retry_after_s > 0
    assert refused.value.message == "Busy now."
    requests.finish()
    waiter.join(timeout=30)
    assert requests.most == 2


def test_one_that_cannot_get_a_slot_within_its_wait_is_refused(bulkhead, settings):
    settings.TEST_WAIT_S = 0.05
    requests = Requests(bulkhead, count=2)
    requests.start(until_inside_or_refused=2)

    with pytest.raises(Busy):
        with bulkhead:
            pass

    requests.finish()
    assert bulkhead._waiting == 0


def test_a_slot_is_given_back_when_the_request_fails(bulkhead, settings):
    settings.TEST_SLOTS, settings.TEST_WAIT_S = 1, 0
    with pytest.raises(ZeroDivisionError):
        with bulkhead:
            1 / 0

    with bulkhead:  # would be refused at once if the failed request still held the one slot
        pass


def test_a_thread_may_nest_it_holding_a_slot_per_level_even_across_a_change_of_setting(bulkhead, settings):
    with bulkhead:
        settings.TEST_SLOTS = 3
        with bulkhead:
            pass
    settings.TEST_SLOTS, settings.TEST_WAIT_S = 1, 0
    with bulkhead:  # every slot given back to the semaphore it came from
        pass


def test_zero_slots_turn_the_limit_off(bulkhead, settings):
    settings.TEST_SLOTS = 0
    requests = Requests(bulkhead, count=6)
    requests.start(until_inside_or_refused=6)

    requests.finish()
    assert requests.most == 6 and requests.refused == []
