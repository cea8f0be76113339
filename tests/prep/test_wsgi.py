"""The web process (prep/wsgi.py, which only gunicorn imports) switches threads as configured,
imports its views and Celery task modules as it starts, and freezes that heap."""

import gc
import importlib
import sys

import pytest


@pytest.fixture
def switch_interval_restored():
    before = sys.getswitchinterval()
    yield
    sys.setswitchinterval(before)
    gc.unfreeze()  # reloading the module froze this test process's heap


@pytest.mark.parametrize("ms, expected_s", [(1.0, 0.001), (0.5, 0.0005)])
def test_the_web_process_switches_threads_at_the_configured_interval(settings, switch_interval_restored, ms, expected_s):
    settings.PREP_WEB_SWITCH_INTERVAL_MS = ms
    importlib.reload(importlib.import_module("prep.wsgi"))
    assert sys.getswitchinterval() == pytest.approx(expected_s)


def test_zero_keeps_pythons_own_interval(settings, switch_interval_restored):
    sys.setswitchinterval(0.005)
    settings.PREP_WEB_SWITCH_INTERVAL_MS = 0
    importlib.reload(importlib.import_module("prep.wsgi"))
    assert sys.getswitchinterval() == pytest.approx(0.005)


def test_the_web_process_imports_every_view_and_task_module_as_it_starts_not_in_its_first_request():
    import subprocess

    modules = ("assessments.apis", "hiring.apis", "accounts.apis", "assessments.tasks", "hiring.tasks")
    code = f"import sys, prep.wsgi; print(all(m in sys.modules for m in {modules!r}))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "True", result.stderr


def test_the_web_process_freezes_its_startup_heap_out_of_the_garbage_collectors_walks():
    import subprocess

    code = "import gc, prep.wsgi; print(gc.get_freeze_count(), len(gc.get_objects()))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    frozen, walked = map(int, result.stdout.split())
    assert frozen > 50_000 and walked < frozen / 10, result.stderr
