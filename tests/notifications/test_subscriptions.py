"""Subscriptions end to end, through the real task queue and a real SMTP server on
loopback: subscribe from the form, confirm, be told of a reply, unsubscribe in one
click — and nothing is ever sent to an unconfirmed or unsubscribed address."""

import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import signing
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from meydan.comments import services as comment_services
from meydan.comments.models import Comment
from meydan.core.sealing import email_hash
from meydan.notifications import services
from meydan.notifications.models import Subscription
from tests.sealed import address_of

pytestmark = pytest.mark.django_db
LINK = re.compile(r"http://testserver(/email/[a-z]+/[^/\s]+/)")


@pytest.fixture(autouse=True)
def _public_url(settings):
    settings.MEYDAN_PUBLIC_URL = "http://testserver"


@pytest.fixture
def page_post(client, article, guest_form, django_capture_on_commit_callbacks):
    """Post through the article page's form, as a reader's browser does."""

    def _post(client=client, **fields):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(article.get_absolute_url(), guest_form(**fields))
        assert response.status_code == 302, response.content[:3000]
        return Comment.objects.latest("pk")

    return _post


def links(message) -> list[str]:
    return LINK.findall(message.get_body(("plain",)).get_content())


def test_subscribe_confirm_notify_unsubscribe(
    mailbox, work, page_post, django_capture_on_commit_callbacks
):
    mine = page_post(body="First!", name="Aynur", email="aynur@example.org", notify_comments="on")
    work()
    [confirmation] = mailbox.to("aynur@example.org")
    assert confirmation["Subject"] == "Confirm your subscription: Thousands rally in Baku"
    [confirm] = links(confirmation)
    # Nothing but the confirmation before it is confirmed.
    page_post(
        client=Client(),
        body="An early reply",
        name="Tural",
        email="tural@example.org",
        parent=str(mine.pk),
    )
    work()
    assert len(mailbox.to("aynur@example.org")) == 1
    # A link scanner's GET confirms nothing; the button does.
    reader = Client()
    assert "Yes, confirm" in reader.get(confirm).content.decode()
    assert Subscription.objects.get().confirmed is None
    assert "Subscription confirmed" in reader.post(confirm).content.decode()
    reply = page_post(
        client=Client(), body="**A reply** <script>x</script>", name="Tural\r\nBcc: x@evil.example",
        email="tural@example.org", parent=str(mine.pk),
    )  # fmt: skip
    work()
    notification = mailbox.to("aynur@example.org")[-1]
    assert notification["Subject"].startswith("New comment on Thousands rally in Baku")
    assert notification["Bcc"] is None
    assert notification["Message-ID"] == f"<comment-{reply.pk}@testserver>"
    assert notification["In-Reply-To"] == f"<comment-{mine.pk}@testserver>"
    assert (
        notification["References"]
        == f"<thread-{reply.thread_id}@testserver> <comment-{mine.pk}@testserver>"
    )
    assert notification["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = re.match(
        r"<http://testserver(/email/unsubscribe/[^>]+)>",
        str(notification["List-Unsubscribe"]).strip(),
    )[1]
    html = notification.get_body(("html",)).get_content()
    assert "<strong>A reply</strong>" in html and "<script>" not in html
    text = notification.get_body(("plain",)).get_content()
    assert f"http://testserver/c/{reply.pk}" in text and unsubscribe in text
    # The RFC 8058 one-click POST acts at once, without a CSRF token or a session.
    one_click = Client(enforce_csrf_checks=True).post(
        unsubscribe, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert one_click.status_code == 200 and not Subscription.objects.exists()
    page_post(client=Client(), body="Anyone there?", name="Leyla", email="leyla@example.org")
    work()
    assert len(mailbox.to("aynur@example.org")) == 2  # the confirmation and one notification


def test_the_author_is_not_told_of_their_own_comment_and_replies_scope_is_narrow(
    mailbox, work, page_post, thread, site
):
    aynur = services.subscribe(
        site=site, thread=thread, kinds=["replies"], email="aynur@example.org"
    )[0]
    services.subscription_confirm(aynur)
    tural = services.subscribe(
        site=site, thread=thread, kinds=["thread"], email="tural@example.org"
    )[0]
    services.subscription_confirm(tural)
    work()  # the two confirmation messages
    mailbox.messages.clear()
    mine = page_post(body="Mine", name="Aynur", email="aynur@example.org")
    page_post(client=Client(), body="Not a reply to Aynur", name="Leyla", email="leyla@example.org")
    work()
    assert mailbox.to("aynur@example.org") == []  # neither her own nor others' comments
    assert len(mailbox.to("tural@example.org")) == 2
    page_post(
        client=Client(),
        body="A reply",
        name="Leyla",
        email="leyla@example.org",
        parent=str(mine.pk),
    )
    work()
    [reply] = mailbox.to("aynur@example.org")
    assert reply["Subject"] == "Leyla replied to your comment on Thousands rally in Baku"


def test_a_held_comment_is_announced_once_when_approved(
    mailbox, work, thread, site, django_capture_on_commit_callbacks
):
    subscription = services.subscribe(
        site=site, thread=thread, kinds=["thread"], email="tural@example.org"
    )[0]
    services.subscription_confirm(subscription)
    work()
    mailbox.messages.clear()
    site.hold_all = True
    site.save()
    fresh = comment_services.thread_for_posting(site=site, key=thread.key)
    with django_capture_on_commit_callbacks(execute=True):
        held = comment_services.comment_post(
            thread=fresh, author=comment_services.Author(name="A", email="a@example.org"),
            body="Held", channel="form",
        ).comment  # fmt: skip
    work()
    assert mailbox.messages == []
    for status in ("approved", "trash", "approved"):
        with django_capture_on_commit_callbacks(execute=True):
            comment_services.comment_set_status(held, status, channel="moderation")
    work()
    assert len(mailbox.to("tural@example.org")) == 1


def test_a_provider_verified_address_needs_no_confirmation(mailbox, work, site, thread):
    user = get_user_model().objects.create_user("leyla", "leyla@example.org")
    EmailAddress.objects.create(user=user, email="leyla@example.org", verified=True, primary=True)
    subscription = services.subscribe(
        site=site, thread=thread, kinds=["thread"], email="Leyla@Example.org", user=user
    )[0]
    assert subscription.confirmed is not None and address_of(subscription) == "leyla@example.org"
    work()
    assert mailbox.messages == []


def test_a_thousand_subscribes_send_one_confirmation(
    mailbox, work, site, thread, settings, django_capture_on_commit_callbacks
):
    settings.MEYDAN_RATELIMIT_CONFIRMATIONS = (1, 86400)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(1000):
            services.subscribe(
                site=site, thread=thread, kinds=["thread"], email="victim@example.org"
            )[0]
        services.subscribe(site=site, kinds=["posts"], email="victim@example.org")
    work()
    assert len(mailbox.to("victim@example.org")) == 1
    assert Subscription.objects.count() == 2


@pytest.mark.parametrize("purpose", ["confirm", "unsubscribe", "manage"])
def test_forged_or_altered_links_change_nothing(client, site, thread, purpose):
    subscription = services.subscribe(
        site=site, thread=thread, kinds=["thread"], email="a@example.org"
    )[0]
    token = {
        "confirm": lambda s: services.confirm_token([s]),
        "unsubscribe": services.unsubscribe_token,
        "manage": lambda s: services.manage_token(s.email_hash),
    }[purpose](subscription)
    for bad in (token[:-2] + "xx", "forged", signing.dumps(subscription.pk, salt="other")):
        response = client.post(f"/email/{purpose}/{bad}/", {"cancel": "all"})
        assert response.status_code == 404
        assert "This link does not work" in response.content.decode()
    subscription.refresh_from_db()
    assert subscription.confirmed is None


def test_a_used_unsubscribe_link_still_answers_unsubscribed(client, site, thread):
    subscription = services.subscribe(
        site=site, thread=thread, kinds=["thread"], email="a@example.org"
    )[0]
    link = f"/email/unsubscribe/{services.unsubscribe_token(subscription)}/"
    assert "You are unsubscribed" in client.post(link).content.decode()
    again = client.post(link)  # a mail client retrying its one-click POST
    assert again.status_code == 200 and "You are unsubscribed" in again.content.decode()
    assert client.get(link).status_code == 404  # nothing left to show


def test_a_confirmation_link_expires(client, site, thread, monkeypatch):
    subscription = services.subscribe(
        site=site, thread=thread, kinds=["thread"], email="a@example.org"
    )[0]
    token = services.confirm_token([subscription])
    real = signing.TimestampSigner.unsign

    def later(self, value, max_age=None):
        if max_age is not None:
            max_age = max_age - timedelta(days=8)
        return real(self, value, max_age=max_age)

    monkeypatch.setattr(signing.TimestampSigner, "unsign", later)
    assert client.post(f"/email/confirm/{token}/").status_code == 404
    subscription.refresh_from_db()
    assert subscription.confirmed is None


def test_the_unsubscribe_page_asks_first_and_manage_lists_and_cancels(client, site, thread):
    one = services.subscribe(site=site, thread=thread, kinds=["thread"], email="a@example.org")[0]
    services.subscribe(site=site, kinds=["posts"], email="a@example.org")
    page = client.get(f"/email/unsubscribe/{services.unsubscribe_token(one)}/").content.decode()
    assert "Stop these emails?" in page and Subscription.objects.count() == 2
    manage = f"/email/manage/{services.manage_token(email_hash('a@example.org'))}/"
    page = client.get(manage).content.decode()
    assert "Thousands rally in Baku" in page and "new posts on this site" in page.lower()
    client.post(manage, {"cancel": str(one.pk)})
    assert list(Subscription.objects.values_list("kind", flat=True)) == ["posts"]
    page = client.post(manage, {"cancel": "all"}).content.decode()
    assert "1 subscription cancelled" in page and not Subscription.objects.exists()


def test_subscribing_through_the_api(mailbox, work, site, django_capture_on_commit_callbacks):
    body = {
        "site": site.slug, "url": "https://blog.example.org/2015/06/baku-rally/",
        "body": "From the widget", "name": "Tural", "email": "tural@example.org",
        "notify": "replies", "notify_posts": True,
    }  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(
            "/api/v1/comments", body, content_type="application/json",
            headers={"Origin": "https://blog.example.org"},
        )  # fmt: skip
    assert response.status_code == 201, response.content
    assert sorted(Subscription.objects.values_list("kind", flat=True)) == ["posts", "replies"]
    work()
    [confirmation] = mailbox.to("tural@example.org")  # one message confirms both
    text = confirmation.get_body(("plain",)).get_content()
    assert "replies to my comments on this page" in text and "new posts on this site" in text
    [confirm] = links(confirmation)
    Client().post(confirm)
    assert Subscription.objects.filter(confirmed__isnull=False).count() == 2
    bad = Client().post(
        "/api/v1/comments", {**body, "notify": "everything"}, content_type="application/json",
        headers={"Origin": "https://blog.example.org"},
    )  # fmt: skip
    assert bad.status_code == 422


def test_fifty_replies_in_five_minutes_are_one_message_then_one_digest(
    mailbox, work, page_post, thread, site, settings
):
    settings.MEYDAN_NOTIFY_DIGEST_SECONDS = 300
    subscription = services.subscribe(
        site=site, thread=thread, kinds=["thread"], email="reader@example.org"
    )[0]
    services.subscription_confirm(subscription)
    work()
    mailbox.messages.clear()
    for n in range(50):
        page_post(
            client=Client(), body=f"Reply number {n}", name=f"Reader {n}", email=f"r{n}@example.org"
        )
    work()
    [first] = mailbox.to("reader@example.org")  # the first at once, the rest wait
    assert "Reply number 0" in first.get_body(("plain",)).get_content()
    # The window ends: one digest with the other 49.
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
    work()
    [_, digest] = mailbox.to("reader@example.org")
    assert digest["Subject"] == "49 new comments on Thousands rally in Baku"
    text = digest.get_body(("plain",)).get_content()
    assert all(f"Reply number {n}\n" in text.replace("\r\n", "\n") for n in range(1, 50))
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_emails_go_out_in_the_language_the_subscriber_used(
    mailbox, work, site, django_capture_on_commit_callbacks
):
    """The language of the API request (its `lang`, the host page's) is stored with the
    subscription; the worker writes every message to that address in it."""
    body = {
        "site": site.slug, "url": "https://blog.example.org/2015/06/baku-rally/",
        "body": "From the widget", "name": "Tural", "email": "tural@example.org",
        "notify": "replies",
    }  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(
            "/api/v1/comments?lang=fa-IR", body, content_type="application/json",
            headers={"Origin": "https://blog.example.org", "Accept-Language": "ru"},
        )  # fmt: skip
    assert response.status_code == 201, response.content
    assert Subscription.objects.get().language == "fa"
    work()  # the worker starts in English: the task switches to the stored language
    [confirmation] = mailbox.to("tural@example.org")
    html = confirmation.get_body(("html",)).get_content()
    assert '<html lang="fa" dir="rtl">' in html
