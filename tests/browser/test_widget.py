"""The widget on a plain static page served from ANOTHER origin than Meydan, in real
Chromium: read, post, reply, edit, delete, counts (sign-in: test_widget_signin.py)."""

from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from meydan.comments.models import Comment
from tests.browser.conftest import field

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_guest_reads_posts_replies_edits_deletes(
    strict_browser, new_page, blog, live_server, screenshot
):
    page = new_page(on=strict_browser, viewport={"width": 1000, "height": 900})
    hosts = set()
    page.on("request", lambda r: hosts.add(urlparse(r.url).netloc))
    page.goto(blog)
    widget = page.locator("#meydan-thread")
    widget.get_by_text("Leave a Reply").wait_for()
    # The counts come in their own request, which may answer after the thread's.
    expect(page.locator('[data-meydan-count="/another-post/"]')).to_have_text("0 comments")
    count = page.locator('[data-meydan-count="/2015/06/baku-rally/"]')
    expect(count).to_have_text("0 comments")

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
    expect(count).to_have_text("1 comment")
    assert hosts <= {urlparse(blog).netloc, urlparse(live_server.url).netloc}


def test_an_unregistered_page_gets_no_sign_in(new_page, live_server, blog):
    page = new_page()
    page.goto(f"{live_server.url}/embed/signin/?site=caspian-ledger&origin=http://127.0.0.3:9")
    assert "not registered" in page.content()
