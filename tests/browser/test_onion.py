"""Meydan through its onion address, as Tor Browser's "Safest" level uses it: no
JavaScript at all. Chromium resolves the onion name to the live server (Tor is not
needed to check what Meydan answers), with scripts off, and goes through every page
a reader, a signed-in reader, a guest managing their comments and a moderator
reach (the same list as the third-parties test). Every page must answer as it does
on the ordinary name, nothing may be fetched from any other host, nothing may send
the reader back to the ordinary name or to https, and a guest can post and reply."""

from urllib.parse import urlparse

import pytest

from meydan.comments.models import Comment
from meydan.core.onion import onion_address_for
from tests.browser import test_third_parties
from tests.browser.conftest import field, launch
from tests.browser.test_third_parties import MANAGING, PAGES, READER, SIGNED_IN, STAFF, address

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ONION = onion_address_for(bytes(range(32)))
world = test_third_parties.world  # the demo newsroom with something on every page


@pytest.fixture
def onion(settings, live_server):
    """Meydan configured with an onion address; yields the live server's origin
    under that name."""
    settings.MEYDAN_ONION_URL = f"http://{ONION}"
    settings.MEYDAN_ONION_HOST = ONION
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, ONION]
    return f"http://{ONION}:{urlparse(live_server.url).port}"


@pytest.fixture
def tor_browser(playwright):
    """Chromium that finds the onion name on loopback, as Tor would find the service."""
    browser = launch(playwright, f"--host-resolver-rules=MAP {ONION} 127.0.0.1")
    yield browser
    browser.close()


def safest_context(tor_browser):
    context = tor_browser.new_context(
        java_script_enabled=False, viewport={"width": 1000, "height": 900}, locale="en-GB"
    )
    context.set_default_timeout(15_000)
    return context


@pytest.mark.parametrize("who", [READER, SIGNED_IN, MANAGING, STAFF])
def test_every_page_works_through_the_onion_without_javascript(tor_browser, world, onion, who):
    problems: list[str] = []
    seen: list[tuple[str, str]] = []
    visits = [visit for visit in PAGES if visit.who == who]
    context = safest_context(tor_browser)
    # The same session, held for the onion's name.
    context.add_cookies(
        [
            {**cookie, "url": cookie["url"].replace(world.base, onion)}
            for cookie in world.cookies[who]
        ]
    )
    current = {"page": ""}
    context.on("request", lambda request: seen.append((current["page"], request.url)))

    def answered(response):
        headers = response.all_headers()
        if "onion-location" in headers:
            problems.append(f"{current['page']}: Onion-Location on the onion itself")
        location = headers.get("location", "")
        if location.startswith("https:") or (
            location.startswith("http:") and ONION not in location
        ):
            problems.append(f"{current['page']}: sent to {location}")

    context.on("response", answered)
    page = context.new_page()
    for visit in visits:
        urls = visit.url(world)
        for url in [urls] if isinstance(urls, str) else urls:
            current["page"] = f"{visit.name} ({url})"
            target = address(world, url).replace(world.base, onion)
            if urlparse(target).hostname != ONION:
                continue  # the widget on the newsroom's own page is not ours to serve
            response = page.goto(target)
            if response is None or response.status != visit.status:
                status = response.status if response else None
                problems.append(f"{current['page']}: status {status}, not {visit.status}")
            if "Server Error" in page.content():
                problems.append(f"{current['page']}: a server error page")
    context.close()

    problems += [
        f"{name}: requested {url}" for name, url in seen if urlparse(url).hostname != ONION
    ]
    assert not problems, "\n".join(problems)
    assert len(seen) >= len(visits)


def test_a_guest_posts_and_replies_through_the_onion(tor_browser, world, onion, screenshot):
    context = safest_context(tor_browser)
    page = context.new_page()
    response = page.goto(onion + world.article)
    assert response.status == 200 and "onion-location" not in response.headers

    form = page.locator("#respond")
    field(form, "Comment").fill("Written over Tor, with scripts off.")
    field(form, "Name").fill("Xəyal")
    field(form, "Email").fill("xeyal@example.org")
    form.get_by_role("button", name="Post Comment").click()
    page.wait_for_url(f"{onion}/**")
    posted = Comment.objects.get(author_name="Xəyal")
    assert posted.status == Comment.Status.APPROVED
    assert page.get_by_text("Written over Tor, with scripts off.").is_visible()

    page.get_by_role("link", name="Reply to Xəyal").click()
    page.wait_for_url("**replyto=**")
    reply_form = page.locator(f"#comment-{posted.pk} #respond")
    field(reply_form, "Comment").fill("And answered the same way.")
    field(reply_form, "Name").fill("Günel")
    field(reply_form, "Email").fill("gunel@example.org")
    reply_form.get_by_role("button", name="Post Reply").click()
    page.wait_for_url(f"{onion}/**")
    reply = Comment.objects.get(author_name="Günel")
    assert reply.parent_id == posted.pk
    assert urlparse(page.url).hostname == ONION
    screenshot(page, "onion-no-javascript.png", full_page=False)
    context.close()


def test_the_ordinary_name_offers_the_onion(page, world, onion):
    """Tor Browser shows ".onion available" from this header (on HTTPS pages)."""
    response = page.goto(world.base + world.article + "?order=newest")
    assert response.headers["onion-location"] == f"http://{ONION}{world.article}?order=newest"
    api = page.request.get(f"{world.base}/api/v1/threads?site={world.site.slug}&key=/")
    assert "onion-location" not in api.headers
