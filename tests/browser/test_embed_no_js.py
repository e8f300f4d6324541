"""The no-JS thread page (/embed/thread/?site=…&url=…, where the widget's <noscript>
link leads) in real Chromium with JavaScript off: every click keeps the page's site
and url, so the reader never lands on "No comments here"."""

from urllib.parse import parse_qs, urlencode, urlparse

import pytest

from meydan.comments import services
from meydan.comments.models import Comment
from meydan.sites.models import Site
from tests.browser.conftest import field

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
PAGE_URL = "https://blog.example.org/2015/06/baku-rally/"


def query(page) -> dict:
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


def test_order_pager_and_reply_without_javascript(browser, live_server, screenshot):
    site = Site.objects.create(
        name="Caspian Ledger",
        slug="caspian-ledger",
        domain=urlparse(live_server.url).netloc,
        origins="https://blog.example.org",
        page_size=2,
    )
    thread = services.thread_get_or_create(
        site=site, key="/2015/06/baku-rally/", url=PAGE_URL, title=""
    )
    for n in range(1, 6):  # Reader n's comment has n votes: "Most voted" is 5, 4, 3, 2, 1
        comment = services.comment_post(
            thread=thread,
            author=services.Author(name=f"Reader {n}", email=f"r{n}@example.org", url=""),
            body=f"Discussion {n}.",
            parent_id=None,
            channel="form",
        ).comment
        Comment.objects.filter(pk=comment.pk).update(vote_count=n)
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1000, "height": 900}, locale="en-GB"
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}/embed/thread/?" + urlencode({"site": site.slug, "url": PAGE_URL}))
    assert "5 comments" in page.locator("#comments-title").inner_text()

    page.get_by_role("link", name="Most voted").click()
    page.wait_for_url("**order=top**")
    assert query(page) == {"site": site.slug, "url": PAGE_URL, "order": "top"}
    assert page.locator(".comment__content").first.inner_text() == "Discussion 5."

    page.get_by_role("link", name="More comments").first.click()
    page.wait_for_url("**page=2**")
    assert query(page) == {"site": site.slug, "url": PAGE_URL, "order": "top", "page": "2"}
    assert page.get_by_text("Page 2 of 3").first.is_visible()
    assert page.locator(".comment__content").all_inner_texts() == ["Discussion 3.", "Discussion 2."]

    page.get_by_role("link", name="Reply to Reader 3").click()
    page.wait_for_url("**replyto=**")
    target = Comment.objects.get(author_name="Reader 3")
    assert query(page)["replyto"] == str(target.pk) and query(page)["url"] == PAGE_URL
    form = page.locator(f"#comment-{target.pk} #respond")
    assert form.get_by_text("Replying to Reader 3").is_visible()
    field(form, "Comment").fill("Answered without JavaScript.")
    field(form, "Email").fill("samira@example.org")
    field(form, "Name").fill("Samira")
    form.get_by_role("button", name="Post Reply").click()

    page.wait_for_url("**#comment-*")
    reply = Comment.objects.get(author_name="Samira")
    assert reply.parent_id == target.pk and reply.thread_id == thread.pk
    assert page.url.endswith(f"#comment-{reply.pk}")
    # Oldest first (the site's order), Reader 3's discussion is on page 2.
    assert query(page) == {"site": site.slug, "url": PAGE_URL, "page": "2"}
    assert page.get_by_text("Page 2 of 3").first.is_visible()
    placed = page.locator(f"#comment-{target.pk} .children #comment-{reply.pk}")
    assert placed.get_by_text("Answered without JavaScript.").is_visible()
    assert "No comments here" not in page.content()
    screenshot(page, "embed-no-js-reply.png", full_page=True)
    context.close()
