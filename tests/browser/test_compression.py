"""Compressed answers as Chromium gets them (it sends Accept-Encoding: gzip, deflate,
br, zstd): the article page in gzip pieces, the thread JSON in Brotli, and nothing
compressed once the reader is signed in (BREACH: core/compression.py)."""

from urllib.parse import urlencode, urlparse

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from meydan.comments.models import Comment
from meydan.newsroom.models import Article
from meydan.sites.models import Site
from tests.browser.conftest import field

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_url(live_server):
    call_command("meydan_demo", domain=urlparse(live_server.url).netloc, verbosity=0)
    return live_server.url + Article.objects.get().get_absolute_url()


def test_a_reader_gets_compressed_pages_and_posts_through_them(new_page, demo_url, live_server):
    page = new_page()
    response = page.goto(demo_url)
    assert response.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in response.headers["vary"].lower()
    assert "8 comments" in page.locator("#comments-title").inner_text()
    assert page.locator(".comment-list .children .children .comment").count() >= 1

    field(page, "Comment").fill("Read in gzip, posted as ever.")
    field(page, "Email").fill("samira@example.org")
    field(page, "Name").fill("Samira")
    with page.expect_navigation():
        page.get_by_role("button", name="Post Comment").click()
    comment = Comment.objects.get(author_name="Samira")
    assert page.locator(f"#comment-{comment.pk}").inner_text().count("Read in gzip") == 1

    site = Site.objects.get()
    query = urlencode({"site": site.slug, "url": Article.objects.get().get_absolute_url()})
    api = page.goto(f"{live_server.url}/api/v1/threads?{query}")
    assert api.headers["content-encoding"] == "br" and api.headers["etag"].endswith('-br"')
    data = api.json()
    assert data["count"] == 9 and any(c["id"] == comment.pk for c in data["comments"])


def test_a_signed_in_readers_page_is_not_compressed(new_page, demo_url, live_server):
    get_user_model().objects.create_user("aynur", "aynur@example.org", "a-long-passphrase-1")
    page = new_page()
    signin = page.goto(f"{live_server.url}/accounts/login/")
    assert "content-encoding" not in signin.headers  # a CSRF token in the form
    page.locator('input[name="login"]').fill("aynur")
    page.locator('input[name="password"]').fill("a-long-passphrase-1")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign In").click()
    response = page.goto(demo_url)
    assert "content-encoding" not in response.headers
    assert page.locator("input[name=csrfmiddlewaretoken]").count() >= 1
