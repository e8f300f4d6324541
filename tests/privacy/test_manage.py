"""Manage my comments: a guest asks for a link by email (real SMTP server on
loopback), opens it once, sees, downloads and erases their comments and cancels
their subscriptions; signed-in readers do the same on /account/."""

import json
import re
from datetime import timedelta
from unittest import mock

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from meydan.comments import caching
from meydan.comments import services as comment_services
from meydan.comments.models import Comment
from meydan.core import sealing
from meydan.moderation import services as moderation
from meydan.moderation import spam
from meydan.moderation.models import AuditEntry, Flag, SpamLearned
from meydan.notifications.models import Delivery, Subscription
from meydan.privacy.models import ManageLink
from tests.privacy.test_sealing import found_in_clear

pytestmark = pytest.mark.django_db

LINK = re.compile(r"http://testserver(/manage/open/[^/\s]+/)")
ADDRESS = "Aynur.Q@example.org"


@pytest.fixture(autouse=True)
def _mail_settings(settings):
    settings.MEYDAN_PUBLIC_URL = "http://testserver"
    settings.MEYDAN_NOTIFY_DIGEST_SECONDS = 0
    settings.MEYDAN_RATELIMIT_MANAGE_LINKS = None
    settings.MEYDAN_RATELIMIT_MANAGE_CLIENT = None


@pytest.fixture
def ask(django_capture_on_commit_callbacks):
    """ask(client, site, email): the request form, as after a real commit (the mail
    is handed to the queue then)."""

    def _ask(client, site, email=ADDRESS, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post("/manage/", {"email": email, "site": site.slug}, **extra)

    return _ask


def link_in(mailbox, address=ADDRESS) -> str:
    [message] = [m for m in mailbox.to(address) if "Manage your comments" in m["Subject"]]
    return LINK.search(message.get_body(("plain",)).get_content())[1]


@pytest.fixture
def opened(ask, mailbox, work):
    """opened(client, site): a reader's browser with the manage page open (asked,
    mailed, opened)."""

    def _opened(client, site) -> Client:
        assert ask(client, site).status_code == 200
        work()
        response = client.post(link_in(mailbox))
        assert response.status_code == 302 and response["Location"] == "/manage/comments/"
        return client

    return _opened


def test_the_answer_is_the_same_whether_or_not_the_address_has_comments(
    client, site, post, mailbox, work, ask
):
    post("Mine.", email=ADDRESS)
    known = ask(client, site).content.decode()
    unknown = ask(Client(), site, email="nobody@example.org").content.decode()
    strip = lambda page: page.replace("nobody@example.org", "").replace(ADDRESS, "")  # noqa: E731
    assert strip(known) == strip(unknown) and "Check your email" in known
    work()
    assert len(mailbox.to(ADDRESS)) == 1 and mailbox.to("nobody@example.org") == []
    assert ManageLink.objects.count() == 1


def test_a_bad_address_is_a_form_error(client, site):
    response = client.post("/manage/", {"email": "not an address", "site": site.slug})
    assert response.status_code == 400
    assert "field-error" in response.content.decode()
    assert not ManageLink.objects.exists()


def test_asking_sets_no_cookie(site, post, ask):
    client = Client(enforce_csrf_checks=True)
    page = client.get(f"/manage/?site={site.slug}")
    assert page.status_code == 200 and not page.cookies
    sent = ask(client, site, HTTP_ORIGIN="http://testserver")
    assert sent.status_code == 200 and not sent.cookies
    forged = ask(Client(enforce_csrf_checks=True), site, HTTP_ORIGIN="https://evil.example")
    assert forged.status_code == 403


def test_the_link_opens_once_and_a_scanners_get_uses_nothing(
    client, site, post, mailbox, work, ask
):
    post("Mine.", email=ADDRESS)
    ask(client, site)
    work()
    link = link_in(mailbox)
    assert "Show my comments" in Client().get(link).content.decode()  # a mail scanner
    assert "Show my comments" in Client().get(link).content.decode()
    reader = Client()
    assert reader.post(link).status_code == 302
    page = reader.get("/manage/comments/").content.decode()
    assert "Mine." in page and ADDRESS in page
    again = Client().post(link)
    assert again.status_code == 404 and "used already" in again.content.decode()
    assert Client().get(link).status_code == 404


@pytest.mark.parametrize("damage", ["expired", "altered", "forged"])
def test_a_bad_link_is_a_clear_page_and_changes_nothing(
    client, site, post, mailbox, work, damage, ask
):
    mine = post("Mine.", email=ADDRESS)
    ask(client, site)
    work()
    link = link_in(mailbox)
    if damage == "expired":
        ManageLink.objects.update(expires=timezone.now() - timedelta(seconds=1))
    elif damage == "altered":
        link = link[:-3] + ("A" if link[-3] != "A" else "B") + link[-2:]
    else:
        link = "/manage/open/" + "x" * 43 + "/"
    for method in (Client().get, Client().post):
        response = method(link)
        assert response.status_code == 404
        assert "This link does not work" in response.content.decode()
    assert Client().get("/manage/comments/").status_code == 302  # no access was given
    mine.refresh_from_db()
    assert mine.body == "Mine." and ManageLink.objects.get().used is None


def test_the_page_lists_this_addresss_comments_on_this_site_only(
    client, site, post, mailbox, work, thread_b, opened
):
    mine = post("Mine.", email=ADDRESS)
    post("Also mine, the address typed otherwise.", email=ADDRESS.upper())
    post("Somebody else's.", email="tural@example.org")
    post("Mine, elsewhere.", email=ADDRESS, on=thread_b)
    page = opened(client, site).get("/manage/comments/").content.decode()
    assert "Mine." in page and "Also mine" in page
    assert "Somebody else" not in page and "elsewhere" not in page
    assert f'id="mine-{mine.pk}"' in page


def test_download_is_the_interchange_format_with_the_subscriptions(
    client, site, post, mailbox, work, thread, opened
):
    first = post("Mine, **bold**.", email=ADDRESS)
    post("A reply of mine.", email=ADDRESS, parent=first)
    post("Not mine.", email="tural@example.org")
    from meydan.notifications.services import subscribe

    subscribe(site=site, thread=thread, kinds=["replies"], email=ADDRESS)
    reader = opened(client, site)
    response = reader.get("/manage/comments/download.json")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="comments-caspian-ledger.json"'
    data = json.loads(response.content)
    assert data["format"] == "meydan-comments" and data["site"]["key"] == site.slug
    [only] = data["threads"]
    assert [c["body"] for c in only["comments"]] == ["Mine, **bold**.", "A reply of mine."]
    assert {c["author"]["email"] for c in only["comments"]} == {ADDRESS}
    assert data["subscriptions"] == [{"kind": "replies", "thread": thread.key, "confirmed": None}]


def test_delete_with_a_placeholder_keeps_replies_and_scrubs_every_copy(
    client, site, post, mailbox, work, thread, moderator, django_capture_on_commit_callbacks, opened
):
    mine = post("Secret words of mine.", email=ADDRESS)
    reply = post("A reply to it.", email="tural@example.org", parent=mine)
    # Copies of it elsewhere: a moderator's edit (audit snapshot), a reader's report,
    # what the spam filter learned, a cached page, and a message waiting to go.
    moderation.comment_moderator_edit(mine, actor=moderator, body="Secret words of mine!")
    moderation.comment_flag(mine, reporter_key="r1", reason="other", note="rude", channel="form")
    assert spam.spam_learn(mine, False)
    key = caching.payload_key(site.pk, thread.pk, thread.version, 1, "oldest")
    caching.payload_set(key, b"Secret words of mine!")
    from meydan.notifications.mail import mail_enqueue

    with django_capture_on_commit_callbacks():  # queued, not yet sent by the worker
        waiting = mail_enqueue(
            to="tural@example.org", subject="x", text="Secret words of mine!",
            comment_id=mine.pk,
        )  # fmt: skip
    reader = opened(client, site)
    with django_capture_on_commit_callbacks(execute=True):
        response = reader.post(
            "/manage/comments/", {"action": "erase", "comment": mine.pk, "how": "placeholder"}
        )
    assert response.status_code == 302
    mine.refresh_from_db()
    assert (mine.body, mine.author_name, mine.author_email_hash, mine.status) == (
        "", "", "", Comment.Status.TRASH,
    )  # fmt: skip
    reply.refresh_from_db()
    assert reply.parent_id == mine.pk and reply.body == "A reply to it."
    page = Client().get(thread.get_absolute_url()).content.decode()
    assert "A reply to it." in page and "Secret words" not in page
    for entry in AuditEntry.objects.all():
        assert "Secret words" not in json.dumps([entry.before, entry.after, entry.note])
    erased = AuditEntry.objects.get(action="author erase")
    assert erased.actor is None and erased.comment_ref == mine.pk and erased.note
    assert not Flag.objects.filter(comment_id=mine.pk).exists()
    assert not SpamLearned.objects.filter(comment_id=mine.pk).exists()
    assert caching.payload_get(key) is None and cache.get(key) is None
    waiting.refresh_from_db()
    assert waiting.status == Delivery.Status.WITHDRAWN and waiting.message == {}
    work()
    assert mailbox.to("tural@example.org") == []  # the withdrawn message never went


def test_delete_entirely_removes_the_row_where_nobody_replied(
    client, site, post, mailbox, work, opened, django_capture_on_commit_callbacks
):
    lonely = post("Nobody answered this.", email=ADDRESS)
    answered = post("Somebody answered this.", email=ADDRESS)
    post("An answer.", email="tural@example.org", parent=answered)
    reader = opened(client, site)
    for comment in (lonely, answered):
        with django_capture_on_commit_callbacks(execute=True):
            reader.post(
                "/manage/comments/", {"action": "erase", "comment": comment.pk, "how": "remove"}
            )
    assert not Comment.objects.filter(pk=lonely.pk).exists()
    answered.refresh_from_db()
    assert answered.body == "" and answered.status == Comment.Status.TRASH  # a placeholder
    assert AuditEntry.objects.filter(action="author erase").count() == 2


def test_delete_all_asks_for_the_box_and_touches_nobody_elses(
    client, site, post, mailbox, work, opened
):
    mine = [post(f"Mine {n}.", email=ADDRESS) for n in range(3)]
    theirs = post("Theirs.", email="tural@example.org", parent=mine[0])
    reader = opened(client, site)
    refused = reader.post(
        "/manage/comments/", {"action": "erase", "comment": "all", "how": "remove"}, follow=True
    )
    assert "Tick the box" in refused.content.decode()
    assert Comment.objects.filter(pk__in=[c.pk for c in mine], body__startswith="Mine").count() == 3
    done = reader.post(
        "/manage/comments/",
        {"action": "erase", "comment": "all", "how": "remove", "confirm": "yes"},
        follow=True,
    )
    assert "3 comments deleted." in done.content.decode()
    assert list(Comment.objects.values_list("pk", flat=True).order_by("pk")) == [
        mine[0].pk, theirs.pk,
    ]  # fmt: skip
    theirs.refresh_from_db()
    assert theirs.body == "Theirs."
    page = reader.get("/manage/comments/").content.decode()
    assert "No comments written with this address" in page


def test_an_erase_that_fails_half_way_changes_nothing(client, site, post, mailbox, work, opened):
    mine = [post(f"Mine {n}.", email=ADDRESS) for n in range(3)]
    reader = opened(client, site)
    real = comment_services.comment_erase
    calls = []

    def failing(comment, **kwargs):
        calls.append(comment.pk)
        if len(calls) == 2:
            raise RuntimeError("the disk is full")
        return real(comment, **kwargs)

    with mock.patch.object(comment_services, "comment_erase", failing):
        with pytest.raises(RuntimeError):
            reader.post(
                "/manage/comments/",
                {"action": "erase", "comment": "all", "how": "remove", "confirm": "yes"},
            )
    assert sorted(c.body for c in Comment.objects.all()) == ["Mine 0.", "Mine 1.", "Mine 2."]
    assert not AuditEntry.objects.filter(action="author erase").exists()
    assert len(calls) == 2 and len(mine) == 3


def test_someone_elses_comment_cannot_be_erased_from_the_page(
    client, site, post, mailbox, work, opened
):
    post("Mine.", email=ADDRESS)
    theirs = post("Theirs.", email="tural@example.org")
    reader = opened(client, site)
    response = reader.post(
        "/manage/comments/", {"action": "erase", "comment": theirs.pk, "how": "remove"},
        follow=True,
    )  # fmt: skip
    assert "not one of yours" in response.content.decode()
    theirs.refresh_from_db()
    assert theirs.body == "Theirs."


def test_cancel_subscriptions(client, site, post, mailbox, work, thread, opened):
    from meydan.notifications.services import subscribe

    post("Mine.", email=ADDRESS)
    subscribe(site=site, thread=thread, kinds=["thread", "posts"], email=ADDRESS)
    subscribe(site=site, thread=thread, kinds=["thread"], email="tural@example.org")
    reader = opened(client, site)
    one = Subscription.objects.filter(kind="posts").get()
    reader.post("/manage/comments/", {"action": "cancel", "subscription": one.pk})
    assert Subscription.objects.count() == 2
    reader.post("/manage/comments/", {"action": "cancel", "subscription": "all"})
    assert list(Subscription.objects.values_list("kind", flat=True)) == ["thread"]  # Tural's


def test_the_hour_ends_and_done_closes_the_page(client, site, post, mailbox, work, opened):
    post("Mine.", email=ADDRESS)
    reader = opened(client, site)
    assert reader.get("/manage/comments/").status_code == 200
    with mock.patch("django.utils.timezone.now", return_value=timezone.now() + timedelta(hours=1)):
        late = reader.get("/manage/comments/")
    assert late.status_code == 302 and late["Location"] == "/manage/?expired=1"
    done = reader.post("/manage/comments/", {"action": "done"})
    assert done.status_code == 302
    assert reader.get("/manage/comments/").status_code == 302


def test_links_are_rate_limited_per_address_and_per_client(
    settings, client, site, post, mailbox, work, ask
):
    settings.MEYDAN_RATELIMIT_MANAGE_LINKS = (2, 3600)
    settings.MEYDAN_RATELIMIT_MANAGE_CLIENT = (5, 3600)
    post("Mine.", email=ADDRESS)
    for n in range(4):  # from four different clients: the address's limit holds
        assert ask(Client(REMOTE_ADDR=f"203.0.113.{n}"), site).status_code == 200
    work()
    assert len(mailbox.to(ADDRESS)) == 2
    same = Client(REMOTE_ADDR="198.51.100.7")
    answers = [ask(same, site, email=f"x{n}@example.org").status_code for n in range(6)]
    assert answers == [200] * 5 + [429]


def test_the_database_holds_no_requested_address_in_clear(settings, client, site, post, ask):
    settings.MEYDAN_EMAIL_PUBLIC_KEY = sealing.generate_pair()[0]
    post("Mine.", email=ADDRESS)
    ask(client, site)
    assert found_in_clear({ADDRESS}) == []


# --- Signed-in readers ------------------------------------------------------------


@pytest.fixture
def reader_client(make_user):
    reader = make_user("leyla")
    client = Client()
    client.force_login(reader)
    return reader, client


def _post_as(thread, user, body, parent=None):
    return comment_services.comment_post(
        thread=thread,
        author=comment_services.Author(name="Leyla", user=user),
        body=body,
        parent_id=parent.pk if parent else None,
        channel="form",
    ).comment


def test_a_signed_in_reader_downloads_and_erases_on_the_account_page(
    reader_client, thread, post, django_capture_on_commit_callbacks
):
    reader, client = reader_client
    mine = _post_as(thread, reader, "Signed-in words.")
    other = _post_as(thread, reader, "More signed-in words.")
    post("A guest's reply.", email="tural@example.org", parent=mine)
    page = client.get("/account/").content.decode()
    assert "/account/comments/download.json" in page and f'id="mine-{mine.pk}"' in page
    data = json.loads(client.get("/account/comments/download.json").content)
    bodies = [c["body"] for t in data["threads"] for c in t["comments"]]
    assert bodies == ["Signed-in words.", "More signed-in words."]
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/account/comments/erase/", {"comment": other.pk, "how": "remove"})
    assert not Comment.objects.filter(pk=other.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/account/comments/erase/", {"comment": "all", "how": "remove", "confirm": "yes"}
        )
    mine.refresh_from_db()
    assert mine.body == "" and mine.user is None  # a placeholder: a guest replied
    erased = AuditEntry.objects.filter(action="author erase")
    assert erased.count() == 2 and {e.actor for e in erased} == {reader}
    assert Client().get("/account/comments/download.json").status_code == 302  # sign in


def test_an_email_ban_stops_a_signed_in_reader_with_that_address(site, thread, make_user):
    from meydan.accounts.models import Profile
    from meydan.core.errors import CommentRejected
    from meydan.core.sealing import Stored

    reader = make_user("leyla")
    stored = Stored.of("leyla@example.org")
    Profile.objects.update_or_create(
        user=reader,
        defaults={
            "display_name": "Leyla",
            "email_hash": stored.hash,
            "email_sealed": stored.sealed,
        },
    )
    moderation.ban_create(actor=None, site=site, kind="email", value="LEYLA@example.org")
    author = comment_services.Author(name="Leyla", user=reader, stored_email=stored)
    with pytest.raises(CommentRejected):
        comment_services.comment_post(thread=thread, author=author, body="Hi.", channel="form")


def test_a_shadow_banned_comment_looks_published_to_its_author(
    client, site, post, mailbox, work, opened
):
    hidden = post("Only I see this.", email=ADDRESS)
    Comment.objects.filter(pk=hidden.pk).update(
        status=Comment.Status.SPAM, shadow=True, moderation_reason="shadow-banned"
    )
    reader = opened(client, site)
    page = reader.get("/manage/comments/").content.decode()
    assert "Only I see this." in page and "not shown" not in page
    data = json.loads(reader.get("/manage/comments/download.json").content)
    [record] = data["threads"][0]["comments"]
    assert (record["status"], record["reason"]) == ("approved", "")


def test_a_signed_in_reader_can_ask_for_a_link_too(site, post, make_user, ask):
    reader = make_user("leyla")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(reader)
    page = browser.get(f"/manage/?site={site.slug}")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())[1]
    response = browser.post(
        "/manage/", {"email": ADDRESS, "site": site.slug, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 200 and "Check your email" in response.content.decode()
