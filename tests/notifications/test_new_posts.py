"""New posts by email: the newsroom's articles announce themselves; a site that
embeds Meydan announces through the API with its secret token."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from meydan.newsroom.models import Article
from meydan.notifications import services

pytestmark = pytest.mark.django_db
ORIGIN = "https://blog.example.org"


@pytest.fixture
def follower(site, mailbox, work):
    subscription = services.subscribe(site=site, kinds=["posts"], email="reader@example.org")[0]
    services.subscription_confirm(subscription)
    services.subscribe(site=site, kinds=["posts"], email="unconfirmed@example.org")
    work()
    mailbox.messages.clear()
    return subscription


def test_a_published_article_is_announced_once(
    site, follower, mailbox, work, settings, django_capture_on_commit_callbacks
):
    settings.MEYDAN_PUBLIC_URL = "http://testserver"
    with django_capture_on_commit_callbacks(execute=True):
        article = Article.objects.create(
            site=site, title="Prisoners freed\r\nBcc: x@evil.example", slug="freed",
            standfirst="Twelve went home.", body="Text",
        )  # fmt: skip
        article.body = "Corrected text"
        article.save()  # saved again: no second announcement
    work()
    [message] = mailbox.messages
    assert message["To"] == "reader@example.org" and message["Bcc"] is None
    assert message["Subject"] == "New on Caspian Ledger: Prisoners freed Bcc: x@evil.example"
    text = message.get_body(("plain",)).get_content()
    assert "http://testserver/freed/" in text and "Twelve went home." in text
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_an_unpublished_article_is_not_announced(
    site, follower, mailbox, work, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        Article.objects.create(site=site, title="Draft", slug="draft", body="x", is_published=False)
    work()
    assert mailbox.messages == []


def test_the_site_api_announces_with_the_secret_token(
    site, follower, mailbox, work, django_capture_on_commit_callbacks
):
    out = StringIO()
    call_command("site", "token", site.slug, stdout=out)
    token = next(word for word in out.getvalue().split() if word.startswith("mst_"))
    client = Client()
    body = {"url": f"{ORIGIN}/2026/12/new-post/", "title": "A new post", "summary": "In short."}

    def announce(auth, **changes):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                f"/api/v1/sites/{site.slug}/posts", {**body, **changes},
                content_type="application/json", headers={"Authorization": auth},
            )  # fmt: skip

    assert announce("").status_code == 401
    assert announce("Bearer mst_wrong").json()["error"]["code"] == "token_invalid"
    assert announce(f"Bearer {token}", url="https://evil.example/x").status_code == 400
    first = announce(f"Bearer {token}")
    assert first.status_code == 202 and first.json() == {"announced": True}
    assert announce(f"Bearer {token}").json() == {"announced": False}
    work()
    [message] = mailbox.messages
    assert message["Subject"] == "New on Caspian Ledger: A new post"
    assert f"{ORIGIN}/2026/12/new-post/" in message.get_body(("plain",)).get_content()
    call_command("site", "token", site.slug, stdout=StringIO())  # rotated: the old one stops
    assert announce(f"Bearer {token}", url=f"{ORIGIN}/other/").status_code == 401


def test_an_article_dated_in_the_future_is_announced_when_its_time_comes(
    site, follower, mailbox, work, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=True):
        Article.objects.create(
            site=site, title="Embargoed", slug="embargoed", body="x",
            published=timezone.now() + timedelta(hours=2),
        )  # fmt: skip
    work()
    assert mailbox.messages == []  # not yet
    Article.objects.filter(slug="embargoed").update(published=timezone.now())
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
    work()
    [message] = mailbox.messages
    assert message["Subject"] == "New on Caspian Ledger: Embargoed"
