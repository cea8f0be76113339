"""A grading process Celery starts (worker_process_init) first sweeps what a dead predecessor
left running in the host's free sandbox slots."""

import logging
import os
import subprocess

import pytest

import judge
from assessments import tasks
from conftest import poll_until
from judge.sandbox import UID_BASE, pids_of_uid
from judge.sandbox.slots import acquire_slot

# It leaves a process in a free slot for the grading process's sweep to find: another test
# run's sweep on the same host could take it first.
pytestmark = pytest.mark.host_exclusive


def test_a_grading_process_sweeps_what_a_dead_one_left_in_free_slots_before_it_starts(caplog):
    slot = acquire_slot()
    slot.release()  # free again: whatever runs under its UID now was left behind
    uid = UID_BASE + slot.index
    left = subprocess.Popen(["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "sleep", "30"])
    try:
        assert poll_until(lambda: pids_of_uid({uid}), timeout=5), "the left-behind process runs as the slot's UID"
        with caplog.at_level(logging.WARNING, logger="assessments.tasks"):
            tasks._prewarm_sandboxes()
        left.wait(timeout=5)  # (the sweep may have reaped it already: then Popen says 0)
        assert not os.path.exists(f"/proc/{left.pid}")
        assert f"swept 1 process(es) a dead grading process left in free sandbox slots: [{left.pid}]" in caplog.text
    finally:
        judge.set_prewarm(False)
        left.kill()
        left.wait()
