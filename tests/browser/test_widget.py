"""The widget on a plain static page served from ANOTHER origin than Meydan, in real
Chromium: read, post, reply, edit, delete, counts; sign in through the loopback
OpenID provider with third-party cookies blocked."""

import functools
import http.server
import socket
import threading
from urllib.parse import urlparse

import pytest
from django.core.management import call_command

from meydan.comments.models import Comment
from meydan.sites.models import Site
from tests.browser.conftest import launch
from tests.oidc_fixtures import ACCOUNT_NAME

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

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


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


@pytest.fixture
def blog(tmp_path, live_server):
    """A static HTML page on http://127.0.0.2:<port>, registered as the site's origin."""
    port = _free_port(BLOG_HOST)
    blog = f"http://{BLOG_HOST}:{port}"
    call_command("meydan_demo", domain=urlparse(live_server.url).netloc, verbosity=0)
    site = Site.objects.get()
    site.origins = blog
    site.save()
    (tmp_path / "2015" / "06" / "baku-rally").mkdir(parents=True)
    (tmp_path / "2015" / "06" / "baku-rally" / "index.html").write_text(
        PAGE.format(blog=blog, meydan=live_server.url, site=site.slug)
    )
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer((BLOG_HOST, port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"{blog}/2015/06/baku-rally/"
    server.shutdown()


@pytest.fixture(scope="module")
def strict_browser(playwright):
    """Chromium that blocks third-party cookies."""
    browser = launch(playwright, "--test-third-party-cookie-phaseout")
    yield browser
    browser.close()


def field(scope, label):
    return scope.get_by_role("textbox", name=label, exact=True)


def test_guest_reads_posts_replies_edits_deletes(
    strict_browser, new_page, blog, live_server, screenshot
):
    page = new_page(on=strict_browser, viewport={"width": 1000, "height": 900})
    hosts = set()
    page.on("request", lambda r: hosts.add(urlparse(r.url).netloc))
    page.goto(blog)
    widget = page.locator("#meydan-thread")
    widget.get_by_text("Leave a Reply").wait_for()
    assert page.locator('[data-meydan-count="/another-post/"]').inner_text() == "0 comments"
    count = page.locator('[data-meydan-count="/2015/06/baku-rally/"]')
    assert count.inner_text() == "0 comments"

    field(widget, "Comment").fill("A first comment from a *static* page.")
    field(widget, "Email").fill("samira@example.org")
    field(widget, "Name").fill("Samira")
    widget.get_by_role("button", name="Post Comment").click()
    widget.locator("em", has_text="static").wait_for()
    first = Comment.objects.get(author_name="Samira")
    assert first.thread.url == blog and first.thread.title == "My blog post"

    item = widget.locator(f"#comment-{first.pk}")
    item.get_by_role("button", name="Reply").first.click()
    widget.get_by_text("Replying to Samira").wait_for()
    field(widget, "Comment").fill("A reply, nested.")
    widget.get_by_role("button", name="Post Reply").click()
    reply_text = item.locator("ol").get_by_text("A reply, nested.")
    reply_text.wait_for()
    reply = Comment.objects.get(body="A reply, nested.")
    assert reply.parent_id == first.pk
    screenshot(page, "widget.png", full_page=True)

    item.get_by_role("button", name="Edit").first.click()
    editor = item.locator("textarea").first
    editor.fill("A first comment, **edited**.")
    item.get_by_role("button", name="Save").click()
    item.locator("strong", has_text="edited").wait_for()
    first.refresh_from_db()
    assert first.body == "A first comment, **edited**." and first.edited

    page.once("dialog", lambda dialog: dialog.accept())
    reply_item = widget.locator(f"#comment-{reply.pk}")
    reply_item.get_by_role("button", name="Delete").click()
    reply_item.wait_for(state="detached")
    reply.refresh_from_db()
    assert reply.status == Comment.Status.TRASH

    page.reload()
    widget.locator(f"#comment-{first.pk}").wait_for()
    assert count.inner_text() == "1 comment"
    assert hosts <= {urlparse(blog).netloc, urlparse(live_server.url).netloc}


def test_sign_in_from_the_widget_with_third_party_cookies_blocked(
    strict_browser,
    new_page,
    blog,
    live_server,
    oidc_provider_factory,
    settings,
):
    idp = oidc_provider_factory([f"{live_server.url}/accounts/oidc/oidc/login/callback/"])
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {"APPS": [idp.allauth_app(name="Newsroom ID")]}
    }
    page = new_page(on=strict_browser, viewport={"width": 1000, "height": 900})
    page.goto(blog)
    widget = page.locator("#meydan-thread")
    with page.expect_popup() as popup_info:
        widget.get_by_role("button", name="Log in with Newsroom ID").click()
    widget.get_by_text("Connecting to Newsroom ID…").wait_for()
    popup = popup_info.value
    popup.wait_for_url(f"{idp.issuer}/**")
    popup.locator('input[name="login"]').fill("leyla")
    popup.locator('input[name="password"]').fill("any password")
    popup.get_by_role("button", name="Sign-in").click()
    popup.get_by_role("button", name="Continue").click()

    widget.get_by_text("You are commenting using your Newsroom ID account.").wait_for(
        timeout=20_000
    )
    assert ACCOUNT_NAME in widget.inner_text()
    assert field(widget, "Email").count() == 0 or not field(widget, "Email").is_visible()
    field(widget, "Comment").fill("Signed in, on someone else's site.")
    widget.get_by_role("button", name="Post Comment").click()
    widget.get_by_text("Signed in, on someone else's site.").wait_for()
    comment = Comment.objects.get(body="Signed in, on someone else's site.")
    assert comment.user is not None and comment.author_provider == "oidc"
    assert comment.author_name == ACCOUNT_NAME

    widget.get_by_role("button", name="Log Out").click()
    field(widget, "Email").wait_for()


def test_an_unregistered_page_gets_no_sign_in(new_page, live_server, blog):
    page = new_page()
    page.goto(f"{live_server.url}/embed/signin/?site=caspian-ledger&origin=http://127.0.0.3:9")
    assert "not registered" in page.content()
