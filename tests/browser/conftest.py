"""Browser tests: Debian's Chromium (/usr/bin/chromium, installed by scripts/setup-browser.sh)
driven by Playwright against pytest-django's live server, with the session's real Celery worker
grading code. A failing test leaves a screenshot and the page's HTML in var/test-artifacts/."""

import os
import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

BASE_DIR = Path(__file__).resolve().parents[2]
ARTIFACTS = BASE_DIR / "var" / "test-artifacts"
CHROMIUM = os.environ.get("PREP_CHROMIUM", "/usr/bin/chromium")


_REPORTS = pytest.StashKey[dict]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item, so the page fixture knows whether the test failed."""
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


@pytest.fixture(scope="module")
def chromium():
    """One Chromium per test module.

    Playwright's sync API keeps an asyncio loop running in this thread while it is started, and
    Django refuses ORM calls inside a running loop. So Django is told it is safe (the test's ORM
    calls are plain synchronous code) only while Playwright runs, and Playwright stops at the end
    of each module, before any other test of the session runs."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: run scripts/setup-browser.sh as root (installs Debian's chromium).")
    if finders.find("build/editor.js") is None:
        pytest.fail("The code editor bundle is not served as static/build/editor.js: run scripts/setup-static.sh, and "
                    "STATICFILES_DIRS needs ('build', BASE_DIR / 'static-build').")
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield browser
        browser.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(request, chromium, live_server):
    """A fresh browser context (no cookies) on the live server. Dialogs (confirm) are accepted.
    Uncaught JavaScript errors fail the test. On failure: a screenshot and the HTML of every open
    page go to var/test-artifacts/."""
    context = chromium.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    errors: list[str] = []

    def watch(p):
        p.on("dialog", lambda dialog: dialog.accept())
        p.on("pageerror", lambda exc: errors.append(f"{p.url}: {exc}"))

    context.on("page", watch)
    first = context.new_page()
    yield first
    reports = request.node.stash.get(_REPORTS, {})
    failed = any(r.failed for r in reports.values())
    if failed:
        name = "FAILED-" + re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for i, p in enumerate(context.pages):
            suffix = f"-{i}" if i else ""
            try:
                p.screenshot(path=ARTIFACTS / f"{name}{suffix}.png", full_page=True)
                (ARTIFACTS / f"{name}{suffix}.html").write_text(f"<!-- {p.url} -->\n" + p.content())
            except Exception as exc:  # a crashed page still lets the others be saved
                (ARTIFACTS / f"{name}{suffix}.txt").write_text(f"{p.url}: could not save: {exc}\n")
        if errors:
            (ARTIFACTS / f"{name}.js-errors.txt").write_text("\n".join(errors) + "\n")
    context.close()
    if errors and not failed:
        pytest.fail("JavaScript errors on the page:\n" + "\n".join(errors))


@pytest.fixture
def shot():
    """shot(page, "attempt") saves var/test-artifacts/attempt.png (the whole page), for a person to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str, *, full_page: bool = True) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=path, full_page=full_page)
        return path

    return take

