"""Real headless Chromium (the Debian package) driven by Playwright, against live_server."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"

# Playwright's synchronous API keeps an event loop in this thread; Django's guard against
# ORM calls from async code would trip on it although every call here is synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Browser tests need Chromium at {CHROMIUM} (apt-get install chromium).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, tmp_path):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    # Requests the browser has sent and not yet had an answer to.
    waiting: set[object] = set()
    context.on("request", lambda request: waiting.add(request))
    context.on("requestfinished", lambda request: waiting.discard(request))
    context.on("requestfailed", lambda request: waiting.discard(request))
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    _let_answers_arrive(page, waiting)
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


def _let_answers_arrive(page, waiting: set[object], seconds: float = 10.0) -> None:
    """A test may end while the page still waits for a request the live server is handling
    (an htmx panel, an audit row being written). The database is emptied after each test
    with TRUNCATE, which on PostgreSQL deadlocks with that request's open transaction, so
    the page's requests get their answers first."""
    deadline = time.monotonic() + seconds
    while waiting and time.monotonic() < deadline:
        page.wait_for_timeout(50)  # lets Playwright deliver the requests' events


@pytest.fixture
def screenshot(page, request):
    """screenshot(name): keep a picture of the page (in MIDDLEPATH_SCREENSHOTS, if set)."""
    folder = os.environ.get("MIDDLEPATH_SCREENSHOTS")

    def take(name: str) -> None:
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            page.screenshot(
                path=str(Path(folder) / f"{request.node.name}-{name}.png"), full_page=True
            )

    return take
