"""Proof of work in real Chromium (moderation/checks/pow.py, embed/static/embed/pow.js):
the widget on another site's page under a strict Content-Security-Policy, and the
article's own form with and without JavaScript."""

from urllib.parse import urlparse

import pytest
from django.core.management import call_command

from meydan.comments.models import Comment
from meydan.newsroom.models import Article
from meydan.sites.models import Site
from tests.browser.conftest import BLOG_HOST, field, static_host

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

STRICT_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>A strict blog</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src {meydan};
 style-src {meydan}; img-src {meydan}; connect-src {meydan}">
</head><body><h1>A strict blog</h1>
<div id="meydan-thread"></div>
<script src="{meydan}/embed.js" data-meydan-site="{site}" async></script>
</body></html>
"""


@pytest.fixture(autouse=True)
def _pow_on(settings):
    settings.MEYDAN_POW = True  # at its default difficulty, as readers get it


@pytest.fixture
def strict_blog(tmp_path, live_server):
    call_command("meydan_demo", domain=urlparse(live_server.url).netloc, verbosity=0)
    site = Site.objects.get()
    root = tmp_path / "blog"
    (root / "strict").mkdir(parents=True)
    with static_host(BLOG_HOST, root) as origin:
        site.origins = origin
        site.save()
        (root / "strict" / "index.html").write_text(
            STRICT_PAGE.format(meydan=live_server.url, site=site.slug)
        )
        yield f"{origin}/strict/"


@pytest.fixture
def demo_url(live_server):
    call_command("meydan_demo", domain=urlparse(live_server.url).netloc, verbosity=0)
    return live_server.url + Article.objects.get().get_absolute_url()


def watch(page):
    """(requested paths, console errors) of a page, as they happen."""
    paths, errors = [], []
    page.on("request", lambda r: paths.append(urlparse(r.url).path))
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    return paths, errors


def test_widget_on_a_strict_foreign_page_solves_and_is_published(new_page, strict_blog):
    page = new_page(viewport={"width": 1000, "height": 900})
    page.set_default_timeout(30_000)
    paths, errors = watch(page)
    page.goto(strict_blog)
    widget = page.locator("#meydan-thread")
    widget.get_by_text("Leave a Reply").wait_for()
    # Loaded only when the form is used.
    assert "/embed/pow.js" not in paths and "/api/v1/challenge" not in paths
    field(widget, "Comment").fill("Posted from a page with a strict policy.")
    assert "/embed/pow.js" in paths
    field(widget, "Email").fill("samira@example.org")
    field(widget, "Name").fill("Samira")
    widget.get_by_role("button", name="Post Comment").click()
    widget.get_by_text("Posted from a page with a strict policy.").wait_for()
    comment = Comment.objects.get(author_name="Samira")
    assert comment.status == Comment.Status.APPROVED, comment.moderation_reason
    assert "/api/v1/challenge" in paths
    assert not [e for e in errors if "Content Security Policy" in e], errors

    # A second comment gets a fresh challenge (a solution is good once).
    field(widget, "Comment").fill("And a second one.")
    widget.get_by_role("button", name="Post Comment").click()
    widget.get_by_text("And a second one.").wait_for()
    second = Comment.objects.get(body="And a second one.")
    assert second.status == Comment.Status.APPROVED, second.moderation_reason
    assert paths.count("/api/v1/challenge") == 2


def test_article_form_with_javascript_solves_and_is_published(new_page, demo_url):
    page = new_page(viewport={"width": 1000, "height": 900})
    page.set_default_timeout(30_000)
    paths, errors = watch(page)
    page.goto(demo_url)
    assert "/api/v1/challenge" not in paths  # nothing is asked before the form is used
    assert not page.get_by_text("wait for a moderator").is_visible()
    field(page, "Comment").fill("Posted with JavaScript on.")
    field(page, "Email").fill("tural@example.org")
    field(page, "Name").fill("Tahmina Pow-Test")
    page.get_by_role("button", name="Post Comment").click()
    page.locator(".comment__content", has_text="Posted with JavaScript on.").wait_for()
    comment = Comment.objects.get(author_name="Tahmina Pow-Test")
    assert page.url.endswith(f"#comment-{comment.pk}")
    assert comment.status == Comment.Status.APPROVED, comment.moderation_reason
    assert "/api/v1/challenge" in paths
    assert not [e for e in errors if "Content Security Policy" in e], errors


def test_article_form_without_javascript_is_held_and_says_so(new_page, demo_url):
    page = new_page(java_script_enabled=False, viewport={"width": 1000, "height": 900})
    page.goto(demo_url)
    notice = page.get_by_text("Without JavaScript, your comment will wait for a moderator")
    assert notice.is_visible()
    field(page, "Comment").fill("Posted from Tor Browser's safest mode.")
    field(page, "Email").fill("aynur@example.org")
    field(page, "Name").fill("Nigar Pow-Test")
    page.get_by_role("button", name="Post Comment").click()
    page.locator(".comment__content", has_text="safest mode").wait_for()
    comment = Comment.objects.get(author_name="Nigar Pow-Test")
    assert comment.status == Comment.Status.PENDING
    assert comment.moderation_reason == "held: no proof of work"
    mine = page.locator(f"#comment-{comment.pk}")
    assert "awaiting moderation" in mine.inner_text().lower()
