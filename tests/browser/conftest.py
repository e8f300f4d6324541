import contextlib
import functools
import http.server
import os
import socket
import threading
from urllib.parse import urlparse

import pytest
from django.core.management import call_command

from meydan.sites.models import Site
from tests.conftest import chromium_path, require_tool
from tests.mail import mailbox, smtp_server  # noqa: F401 - fixtures for the mail tests

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


@pytest.fixture(scope="session")
def strict_browser(playwright):
    """Chromium that blocks third-party cookies."""
    browser = launch(playwright, "--test-third-party-cookie-phaseout")
    yield browser
    browser.close()


def field(scope, label):
    """The text box with this accessible name (the label without its "*")."""
    return scope.get_by_role("textbox", name=label, exact=True)


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def static_host(host: str, directory):
    """Serve `directory` on http://<host>:<free port>; yields that origin."""
    port = _free_port(host)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(directory))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer((host, port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.shutdown()


BLOG_HOST = "127.0.0.2"
PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>My blog post</title>
<link rel="canonical" href="{blog}/2015/06/baku-rally/"></head>
<body><h1>My blog post</h1><p>Written on a static site.</p>
<p>Elsewhere: <span data-meydan-count="/2015/06/baku-rally/"></span>,
<span data-meydan-count="/another-post/"></span></p>
<div id="meydan-thread"></div>
<script src="{meydan}/embed.js" data-meydan-site="{site}" async></script>
</body></html>
"""


@pytest.fixture
def blog(tmp_path, live_server):
    """A static page embedding the widget on http://127.0.0.2:<port>, registered as the
    demo site's origin; yields the article's URL."""
    call_command("meydan_demo", domain=urlparse(live_server.url).netloc, verbosity=0)
    site = Site.objects.get()
    root = tmp_path / "blog"
    (root / "2015" / "06" / "baku-rally").mkdir(parents=True)
    with static_host(BLOG_HOST, root) as origin:
        site.origins = origin
        site.save()
        (root / "2015" / "06" / "baku-rally" / "index.html").write_text(
            PAGE.format(blog=origin, meydan=live_server.url, site=site.slug)
        )
        yield f"{origin}/2015/06/baku-rally/"
