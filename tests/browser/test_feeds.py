"""The comment feeds as a reader finds them in Chromium: the article page's
<link rel="alternate"> and the links under its comments, and the widget's link on
another site's page; each leads to a feed that a feed reader accepts."""

from urllib.parse import urlparse

import feedparser
import pytest
from django.core.management import call_command

from meydan.comments.models import Comment
from meydan.newsroom.models import Article

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def fetch_feed(page, href):
    response = page.request.get(href)
    assert response.ok, response.status
    parsed = feedparser.parse(response.body())
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


def test_article_page_links_its_comment_feeds(page, live_server):
    call_command("meydan_demo", domain=urlparse(live_server.url).netloc, verbosity=0)
    article = Article.objects.get()
    page.goto(live_server.url + article.get_absolute_url())
    published = Comment.objects.filter(thread__key=article.get_absolute_url(), status="approved")
    for fmt, kind in (("rss", "rss20"), ("atom", "atom10")):
        head = page.locator(f'head link[rel="alternate"][type="application/{fmt}+xml"]')
        parsed = fetch_feed(page, head.evaluate("e => e.href"))
        assert parsed.version == kind
        assert len(parsed.entries) == min(published.count(), 50)
        visible = page.locator("#comments").get_by_role(
            "link", name=f"{fmt.upper() if fmt == 'rss' else 'Atom'} feed"
        )
        assert visible.get_attribute("href") == head.get_attribute("href")
    # The front page offers the site's latest comments.
    page.goto(live_server.url + "/")
    latest = page.locator('head link[rel="alternate"][type="application/atom+xml"]')
    href = latest.evaluate("e => e.href")
    parsed = fetch_feed(page, href)
    assert parsed.feed.title.startswith("Latest comments on")
    assert parsed.entries


def test_widget_links_the_threads_feed(new_page, blog, live_server):
    page = new_page()
    page.goto(blog)
    widget = page.locator("#meydan-thread")
    widget.get_by_text("Leave a Reply").wait_for()
    link = widget.get_by_role("link", name="RSS feed")
    href = link.get_attribute("href")
    assert href.startswith(live_server.url + "/feeds/")
    assert fetch_feed(page, href).entries == []  # no comments on this page yet
    atom = widget.get_by_role("link", name="Atom feed").get_attribute("href")
    assert fetch_feed(page, atom).version == "atom10"
