"""Email notifications in real Chromium, with the real worker and a real SMTP server
on loopback: tick the box in the no-JS form, confirm from the email, be told of a
reply, see and cancel the subscription on the management page."""

import re
from urllib.parse import urlparse

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from meydan.newsroom.models import Article
from meydan.notifications.models import Subscription
from tests.browser.conftest import field

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def work():
    """`meydan worker --batch`, until what the tasks queued has run too."""
    for _ in range(3):
        call_command("worker", batch=True, verbosity=0)


def link_in(message, kind: str) -> str:
    return re.search(
        rf"(http://\S+/email/{kind}/\S+/)", message.get_body(("plain",)).get_content()
    )[1]


def test_subscribe_in_the_form_confirm_by_email_then_manage(
    new_page, live_server, mailbox, settings
):
    settings.MEYDAN_PUBLIC_URL = live_server.url
    call_command("meydan_demo", domain=urlparse(live_server.url).netloc, verbosity=0)
    article = live_server.url + Article.objects.get().get_absolute_url()
    page = new_page(java_script_enabled=False)
    page.goto(article)
    field(page, "Comment").fill("Tell me when someone answers.")
    field(page, "Email").fill("samira@example.org")
    field(page, "Name").fill("Samira")
    page.get_by_label("Notify me of follow-up comments by email").check()
    page.get_by_label("only replies to me").check()
    page.get_by_role("button", name="Post Comment").click()
    assert Subscription.objects.get().kind == "replies"

    work()
    [confirmation] = mailbox.to("samira@example.org")
    page.goto(link_in(confirmation, "confirm"))
    page.get_by_role("button", name="Yes, confirm").click()
    # The click waits for the answer to start, not for its page: wait for the heading.
    expect(page.get_by_role("heading", name="Subscription confirmed")).to_be_visible()

    page.goto(article)
    mine = page.locator(".comment", has_text="Tell me when someone answers.").first
    mine.get_by_role("link", name="Reply to Samira").click()
    field(page, "Comment").fill("I saw it too.")
    field(page, "Email").fill("tural@example.org")
    field(page, "Name").fill("Tural")
    page.get_by_role("button", name="Post Reply").click()
    work()
    notification = mailbox.to("samira@example.org")[-1]
    assert notification["Subject"].startswith("Tural replied to your comment on")

    page.goto(link_in(notification, "manage"))
    assert page.get_by_text("Replies to my comments on this page").is_visible()
    page.get_by_role("button", name="Cancel all").click()
    expect(page.get_by_text("1 subscription cancelled.")).to_be_visible()
    assert not Subscription.objects.exists()


def test_subscribe_from_the_widget_on_another_origin(
    strict_browser, new_page, blog, live_server, mailbox, settings, screenshot
):
    settings.MEYDAN_PUBLIC_URL = live_server.url
    page = new_page(on=strict_browser, viewport={"width": 1000, "height": 1100})
    page.goto(blog)
    widget = page.locator("#meydan-thread")
    widget.get_by_text("Leave a Reply").wait_for()
    field(widget, "Comment").fill("From the widget, tell me of replies.")
    field(widget, "Email").fill("leyla@example.org")
    field(widget, "Name").fill("Leyla")
    widget.get_by_label("Notify me of follow-up comments by email").check()
    widget.get_by_label("only replies to me").check()
    widget.get_by_label("Notify me of new posts by email").check()
    screenshot(page, "widget-notify.png")
    widget.get_by_role("button", name="Post Comment").click()
    widget.get_by_text("From the widget, tell me of replies.").last.wait_for()
    assert sorted(Subscription.objects.values_list("kind", flat=True)) == ["posts", "replies"]

    work()
    [confirmation] = mailbox.to("leyla@example.org")  # one message for both
    confirm = new_page(viewport={"width": 900, "height": 700})
    confirm.goto(link_in(confirmation, "confirm"))
    confirm.get_by_role("button", name="Yes, confirm").click()
    confirm.get_by_role("heading", name="Subscription confirmed").wait_for()
    assert Subscription.objects.filter(confirmed__isnull=False).count() == 2
    confirm.get_by_role("link", name="See all subscriptions of this address").click()
    confirm.get_by_role("heading", name="Your subscriptions").wait_for()
    assert confirm.get_by_text("Replies to my comments on this page").is_visible()
    assert confirm.get_by_text("New posts on this site").is_visible()
