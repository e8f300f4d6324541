"""Live updates from the stream in real Chromium: when GET /api/v1/live names a stream,
the article page (comments/live.js) and the widget open it with EventSource, show what
it pushes and stop asking; when it fails, they ask /api/v1/live again. The stream itself
is played by Playwright here (its server is tested for real in tests/live/)."""

import time
from urllib.parse import urlparse

import pytest
from django.core.management import call_command

from meydan.newsroom.models import Article

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

STREAM = "/api/v1/live/stream"


@pytest.fixture
def demo_url(live_server, settings):
    settings.MEYDAN_LIVE_STREAM_URL = STREAM
    call_command("meydan_demo", domain=urlparse(live_server.url).netloc, verbosity=0)
    return live_server.url + Article.objects.get().get_absolute_url()


def watch(page):
    """The times of the page's questions to /api/v1/live and of its stream requests."""
    seen = {"asked": [], "streams": []}

    def note(request):
        if STREAM in request.url:
            seen["streams"].append((time.monotonic(), request.url))
        elif "/api/v1/live?" in request.url:
            seen["asked"].append(time.monotonic())

    page.on("request", note)
    return seen


def stream_saying(count):
    def fulfil(route):
        route.fulfill(
            status=200,
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-store",
                "Access-Control-Allow-Origin": route.request.headers.get("origin", "*"),
            },
            body=f'retry: 60000\n\ndata: {{"count": {count}}}\n\n',
        )

    return fulfil


def test_the_article_page_listens_to_the_stream_and_stops_asking(new_page, demo_url):
    page = new_page(viewport={"width": 1000, "height": 900}, locale="en-GB")
    page.set_default_timeout(10_000)
    seen = watch(page)
    page.route(f"**{STREAM}?*", stream_saying(10))  # the demo has 8: two new
    page.goto(demo_url)
    page.get_by_role("button", name="2 new comments — show").wait_for(timeout=5000)
    [(opened, url)] = seen["streams"]
    assert "site=" in url and "url=%2F" in url
    asked_before = len(seen["asked"])
    assert asked_before >= 1  # the first answer said where the stream is
    time.sleep(3)
    assert len(seen["asked"]) == asked_before  # listening now, not asking


def test_the_article_page_asks_again_when_the_stream_fails(new_page, demo_url):
    page = new_page(viewport={"width": 1000, "height": 900}, locale="en-GB")
    page.set_default_timeout(10_000)
    seen = watch(page)
    page.route(f"**{STREAM}?*", lambda route: route.fulfill(status=503, body="busy"))
    page.goto(demo_url)
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline and not (seen["streams"] and len(seen["asked"]) >= 3):
        page.wait_for_timeout(200)
    assert len(seen["streams"]) == 1  # tried once, then left alone for five minutes
    assert len(seen["asked"]) >= 3  # and polling goes on


def test_the_widget_listens_to_the_stream(new_page, blog, settings):
    settings.MEYDAN_LIVE_STREAM_URL = STREAM
    page = new_page(viewport={"width": 1000, "height": 900})
    page.set_default_timeout(10_000)
    seen = watch(page)
    page.route(f"**{STREAM}?*", stream_saying(1))  # the blog's page has none yet: one new
    page.goto(blog)
    widget = page.locator("#meydan-thread")
    widget.get_by_role("button", name="1 new comment — show").wait_for(timeout=5000)
    assert len(seen["streams"]) == 1
    asked_before = len(seen["asked"])
    time.sleep(3)
    assert len(seen["asked"]) == asked_before
