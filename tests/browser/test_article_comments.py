"""A reader on the demo article, in real headless Chromium: post, reply, see nesting."""

from urllib.parse import urlparse

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from meydan.comments.models import Comment
from meydan.newsroom.models import Article
from tests.browser.conftest import field

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_url(live_server):
    call_command("meydan_demo", domain=urlparse(live_server.url).netloc, verbosity=0)
    return live_server.url + Article.objects.get().get_absolute_url()


def test_guest_posts_and_replies_without_javascript(browser, demo_url, screenshot):
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1000, "height": 900}
    )
    page = context.new_page()
    hosts = set()
    page.on("request", lambda request: hosts.add(urlparse(request.url).hostname))

    page.goto(demo_url)
    assert page.get_by_role("heading", name="Leave a Reply").is_visible()
    assert "8 comments" in page.locator("#comments-title").inner_text()
    # The demo discussion is nested: a reply's reply sits two lists deep.
    assert page.locator(".comment-list .children .children .comment").count() >= 1

    field(page, "Comment").fill("Streets near the stadium were *full*.")
    field(page, "Email").fill("samira@example.org")
    field(page, "Name").fill("Samira")
    field(page, "Website").fill("samira.example.org")
    page.get_by_role("button", name="Post Comment").click()

    comment = Comment.objects.get(author_name="Samira")
    assert page.url.endswith(f"#comment-{comment.pk}")
    mine = page.locator(f"#comment-{comment.pk}")
    assert mine.locator("em").inner_text() == "full"
    assert mine.get_by_role("link", name="Samira", exact=True).get_attribute("href") == (
        "https://samira.example.org"
    )
    assert "9 comments" in page.locator("#comments-title").inner_text()

    mine.get_by_role("link", name="Reply to Samira").click()
    expect(page.get_by_text("Replying to Samira")).to_be_visible()
    field(page, "Comment").fill("Which entrance did you use?")
    field(page, "Email").fill("tural@example.org")
    field(page, "Name").fill("Tural")
    page.get_by_role("button", name="Post Reply").click()

    reply = Comment.objects.get(author_name="Tural", parent=comment)
    nested = page.locator(f"#comment-{comment.pk} > ol.children > #comment-{reply.pk}")
    assert nested.is_visible()
    assert "Which entrance" in nested.inner_text()
    assert hosts == {urlparse(demo_url).hostname}, "the page must make no third-party request"
    context.close()


def test_form_errors_keep_what_was_typed(page, demo_url, screenshot):
    page.goto(demo_url)
    field(page, "Comment").fill("A long, careful comment I do not want to lose.")
    field(page, "Email").fill("not an email")
    page.get_by_role("button", name="Post Comment").click()
    assert (
        page.locator(".field--email .field__error")
        .inner_text()
        .startswith("Enter a valid email address")
    )
    assert page.locator(".field--name .field__error").inner_text() == "Please enter your name."
    assert field(page, "Comment").input_value() == (
        "A long, careful comment I do not want to lose."
    )
    page.locator("#respond").scroll_into_view_if_needed()
    screenshot(page, "form-errors.png")


def test_article_page_screenshot(page, demo_url, screenshot):
    page.goto(demo_url)
    # Load lazy avatars before a full-page screenshot.
    page.evaluate("document.querySelectorAll('img[loading=lazy]').forEach(i => i.loading='eager')")
    page.wait_for_load_state("networkidle")
    assert page.locator("img.comment__avatar").first.evaluate("i => i.naturalWidth") > 0
    screenshot(page, "article-page.png", full_page=True)
