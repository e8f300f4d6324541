import os

import pytest

from tests.conftest import chromium_path, require_tool

# Playwright's sync API runs an event loop in the test thread; Django's ORM calls
# made by the test itself are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def playwright():
    """One Playwright driver for the session (a second sync instance cannot start)."""
    require_tool(
        chromium_path() is not None, "Chromium is not installed (apt-get install chromium)"
    )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - playwright is a dev dependency
        require_tool(False, "the playwright Python package is not installed")
    with sync_playwright() as driver:
        yield driver


def launch(playwright, *extra_args):
    return playwright.chromium.launch(
        executable_path=chromium_path(), args=[*CHROMIUM_ARGS, *extra_args]
    )


@pytest.fixture(scope="session")
def browser(playwright):
    browser = launch(playwright)
    yield browser
    browser.close()


@pytest.fixture
def new_page(browser):
    """new_page(**context_options) -> a page in a fresh context; all closed at teardown,
    so no page keeps talking to the live server after its test."""
    contexts = []

    def _new_page(on=None, **options):
        context = (on or browser).new_context(**options)
        contexts.append(context)
        return context.new_page()

    yield _new_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1000, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def screenshot():
    """Save a screenshot under MEYDAN_SCREENSHOT_DIR when set (`make screenshots`)."""
    directory = os.environ.get("MEYDAN_SCREENSHOT_DIR")

    def _save(page, name: str, **kwargs):
        if directory:
            page.screenshot(path=os.path.join(directory, name), **kwargs)

    return _save
