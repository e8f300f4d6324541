"""Manage my comments in real Chromium, with the real worker and a real SMTP server
on loopback: from the comment section, ask for a link, open it from the email,
download, delete one comment with a placeholder and one entirely, and check the
thread a reader sees afterwards."""

import json
import re
from urllib.parse import urlparse

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from meydan.comments.models import Comment
from meydan.moderation.models import AuditEntry
from meydan.newsroom.models import Article
from tests.browser.conftest import field

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def work():
    for _ in range(3):
        call_command("worker", batch=True, verbosity=0)


def post(page, article, body, *, name, email, reply_to=None):
    page.goto(article)
    if reply_to:
        mine = page.locator(".comment", has_text=reply_to).first
        mine.get_by_role("link", name=re.compile("^Reply to")).click()
    field(page, "Comment").fill(body)
    field(page, "Email").fill(email)
    field(page, "Name").fill(name)
    page.get_by_role("button", name="Post Reply" if reply_to else "Post Comment").click()


def test_a_guest_manages_their_comments_from_an_email_link(
    new_page, live_server, mailbox, settings, screenshot, tmp_path
):
    settings.MEYDAN_PUBLIC_URL = live_server.url
    call_command("meydan_demo", domain=urlparse(live_server.url).netloc, verbosity=0)
    article = live_server.url + Article.objects.get().get_absolute_url()
    writer = new_page(java_script_enabled=False)
    post(writer, article, "A first thought, to be kept in context.", name="Samira",
         email="samira@example.org")  # fmt: skip
    post(writer, article, "A second thought nobody answered.", name="Samira",
         email="samira@example.org")  # fmt: skip
    post(new_page(), article, "Answering the first thought.", name="Tural",
         email="tural@example.org", reply_to="A first thought")  # fmt: skip

    reader = new_page(viewport={"width": 1000, "height": 1300}, accept_downloads=True)
    reader.goto(article)
    reader.get_by_role("link", name="Manage my comments").click()
    field(reader, "Your email address").fill("samira@example.org")
    reader.get_by_role("button", name="Send me a link").click()
    expect(reader.get_by_role("heading", name="Check your email")).to_be_visible()
    work()
    [message] = [m for m in mailbox.to("samira@example.org") if "Manage" in m["Subject"]]
    link = re.search(r"(http://\S+/manage/open/\S+/)", message.get_body(("plain",)).get_content())[
        1
    ]
    reader.goto(link)
    reader.get_by_role("button", name="Show my comments").click()
    expect(reader.get_by_role("heading", name="Your comments")).to_be_visible()
    assert reader.get_by_text("samira@example.org", exact=False).first.is_visible()
    screenshot(reader, "manage-my-comments.png", full_page=True)

    with reader.expect_download() as download:
        reader.get_by_role("link", name="Download everything (JSON)").click()
    saved = tmp_path / "mine.json"
    download.value.save_as(saved)
    data = json.loads(saved.read_text())
    bodies = sorted(c["body"] for t in data["threads"] for c in t["comments"])
    assert bodies == [
        "A first thought, to be kept in context.",
        "A second thought nobody answered.",
    ]

    first = reader.locator("li", has_text="A first thought")
    first.get_by_role("button", name="Delete, keep a placeholder").click()
    expect(reader.get_by_text("1 comment deleted.")).to_be_visible()
    second = reader.locator("li", has_text="A second thought")
    second.get_by_role("button", name="Delete entirely").click()
    expect(reader.get_by_text("No comments written with this address here")).to_be_visible()

    others = new_page(java_script_enabled=False)
    others.goto(article)
    page_text = others.locator("main").inner_text()
    assert "Answering the first thought." in page_text
    assert "A first thought" not in page_text and "A second thought" not in page_text
    assert Comment.objects.filter(body="", author_name="").count() == 1  # the placeholder
    assert AuditEntry.objects.filter(action="author erase").count() == 2

    # The link opened once: a second try is a clear page, and changes nothing.
    reader.goto(link)
    assert reader.get_by_role("heading", name="This link does not work").is_visible()


def test_the_widget_on_another_site_links_to_manage_my_comments(new_page, blog, live_server):
    page = new_page()
    page.goto(blog)
    link = page.locator("#meydan-thread").get_by_role("link", name="Manage my comments")
    link.wait_for()
    assert link.get_attribute("href") == f"{live_server.url}/manage/?site=caspian-ledger"
    assert link.get_attribute("target") == "_blank"
