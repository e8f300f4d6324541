"""Webhooks in real Chromium: staff register one in the admin (the secret shown
once, read off the page), send a test ping, and hear of a comment posted through
the widget on another origin and of one held from the no-JavaScript article page —
delivered by the real worker to a receiver on loopback, each call checked with
Python's hmac on the raw bytes."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from meydan.newsroom.models import Article
from meydan.sites.models import Site
from meydan.webhooks.models import Webhook
from tests.browser.conftest import field
from tests.webhooks.conftest import start_receiver
from tests.webhooks.test_delivery import verified

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def work():
    for _ in range(3):
        call_command("worker", batch=True, verbosity=0)


@pytest.fixture
def receiver(settings):
    settings.MEYDAN_WEBHOOKS_ALLOW_PRIVATE = True  # the receiver is on loopback
    receiver, server = start_receiver()
    yield receiver
    server.shutdown()
    server.server_close()


def test_register_in_the_admin_ping_and_hear_of_widget_and_page_comments(
    new_page, blog, live_server, receiver, settings
):
    settings.MEYDAN_PUBLIC_URL = live_server.url
    site = Site.objects.get()
    get_user_model().objects.create_superuser("chief", "chief@example.org", "a long chief password")
    admin = new_page(viewport={"width": 1200, "height": 1000})
    admin.goto(f"{live_server.url}/admin/webhooks/webhook/add/")
    admin.locator('input[name="login"]').fill("chief")
    admin.locator('input[name="password"]').fill("a long chief password")
    admin.get_by_role("button", name="Sign In").click()
    admin.locator('select[name="site"]').select_option(str(site.pk))
    admin.locator('input[name="name"]').fill("Newsroom desk")
    admin.locator('input[name="url"]').fill("http://169.254.169.254/latest/")
    admin.get_by_label("a comment was published as it was posted").check()
    admin.get_by_label("a comment waits for a moderator").check()
    admin.get_by_role("button", name="Save", exact=True).click()
    admin.get_by_text("169.254.169.254 is a cloud metadata address").wait_for()
    admin.locator('input[name="url"]').fill(receiver.url("/desk"))
    admin.get_by_role("button", name="Save", exact=True).click()
    secret = admin.locator("code.webhook-secret").inner_text()
    assert secret == Webhook.objects.get().secret

    admin.get_by_role("link", name="Done").click()
    admin.locator('input[name="_selected_action"]').first.check()
    admin.locator('select[name="action"]').select_option("send_ping")
    admin.get_by_role("button", name="Go").click()
    admin.get_by_text("A test ping is queued").wait_for()
    work()
    assert verified(secret, receiver.calls[-1])["event"] == "ping"

    # A comment through the widget on the blog's own origin: published.
    page = new_page(viewport={"width": 1000, "height": 1100})
    page.goto(blog)
    widget = page.locator("#meydan-thread")
    widget.get_by_text("Leave a Reply").wait_for()
    field(widget, "Comment").fill("Posted from the widget.")
    field(widget, "Email").fill("leyla@example.org")
    field(widget, "Name").fill("Leyla")
    widget.get_by_role("button", name="Post Comment").click()
    widget.get_by_text("Posted from the widget.").last.wait_for()
    assert len(receiver.calls) == 1  # nothing is sent in the request
    work()
    data = verified(secret, receiver.calls[-1])
    assert data["event"] == "comment.posted"
    assert data["comment"]["body_text"] == "Posted from the widget."
    assert b"leyla@example.org" not in receiver.calls[-1].body

    # A comment on the article page without JavaScript, on a site that holds all.
    site.hold_all = True
    site.save()
    article = live_server.url + Article.objects.get().get_absolute_url()
    plain = new_page(java_script_enabled=False)
    plain.goto(article)
    field(plain, "Comment").fill("Held for the desk.")
    field(plain, "Email").fill("tural@example.org")
    field(plain, "Name").fill("Tural")
    plain.get_by_role("button", name="Post Comment").click()
    work()
    data = verified(secret, receiver.calls[-1])
    assert data["event"] == "comment.held" and data["comment"]["status"] == "pending"
    assert data["comment"]["moderation_url"].startswith(f"{live_server.url}/moderation/")
    assert [c.headers["meydan-event"] for c in receiver.calls] == [
        "ping", "comment.posted", "comment.held",
    ]  # fmt: skip
    assert json.loads(receiver.calls[-1].body)["site"]["key"] == site.slug
