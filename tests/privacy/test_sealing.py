"""A seized database gives away no commenter's email (meydan.core.sealing).

The web process holds only the public key: it stores a keyed hash (to match) and a
sealed copy (to write to). Only the mail worker holds the private key. These tests
play both: the web process without the private key, and `work_with_key`, the worker
with it.
"""

import re
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from meydan.comments.models import Comment
from meydan.core import sealing
from meydan.core.errors import CommentRejected
from meydan.moderation import services as moderation
from meydan.notifications.models import Delivery, Subscription

pytestmark = pytest.mark.django_db

WXR = Path(__file__).parent.parent / "interchange" / "samples" / "wordpress-6.1.xml"
LINK = re.compile(r"http://testserver(/\S+)")


@pytest.fixture
def keys(settings):
    """A key pair: the public half configured (as in every process), the private
    half returned (for the worker only)."""
    public, private = sealing.generate_pair()
    settings.MEYDAN_EMAIL_PUBLIC_KEY = public
    settings.MEYDAN_EMAIL_PRIVATE_KEY = ""
    settings.MEYDAN_EMAIL_PRIVATE_KEY_FILE = ""
    settings.MEYDAN_PUBLIC_URL = "http://testserver"
    settings.MEYDAN_NOTIFY_DIGEST_SECONDS = 0
    return private


@pytest.fixture
def as_worker(settings, keys):
    """with as_worker(): … runs as the mail worker, which holds the private key."""

    @contextmanager
    def _as_worker():
        settings.MEYDAN_EMAIL_PRIVATE_KEY = keys
        try:
            yield
        finally:
            settings.MEYDAN_EMAIL_PRIVATE_KEY = ""

    return _as_worker


@pytest.fixture
def work_with_key(work, as_worker):
    def _work():
        with as_worker():
            work()

    return _work


@pytest.fixture
def page_post(article, guest_form, django_capture_on_commit_callbacks):
    def _post(client=None, **fields):
        with django_capture_on_commit_callbacks(execute=True):
            response = (client or Client()).post(article.get_absolute_url(), guest_form(**fields))
        assert response.status_code == 302, response.content[:3000]
        return Comment.objects.latest("pk")

    return _post


def every_stored_value():
    """(table, column, text) for every value of every column of every table."""
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT * FROM {quoted}")  # noqa: S608 - names from the database
            columns = [column[0] for column in cursor.description]
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    if isinstance(value, memoryview):
                        value = value.tobytes()
                    if isinstance(value, bytes):
                        value = value.decode("utf-8", "replace")
                    if value is not None:
                        yield table, column, str(value)


def found_in_clear(addresses) -> list[tuple[str, str, str]]:
    wanted = {address.lower() for address in addresses}
    return [
        (table, column, address)
        for table, column, text in every_stored_value()
        for address in wanted
        if address in text.lower()
    ]


def test_a_seized_database_holds_no_commenter_address_in_clear(
    keys, mailbox, work_with_key, page_post, site, moderator, django_capture_on_commit_callbacks
):
    # A guest subscribes and confirms; another guest answers; the first is told.
    first = page_post(
        name="Aynur", email="Aynur.Q@Example.org", notify_comments="on", notify_scope="replies"
    )
    work_with_key()
    [confirmation] = mailbox.to("aynur.q@example.org")  # subscriptions keep it lower-cased
    confirm = LINK.findall(confirmation.get_body(("plain",)).get_content())[0]
    assert Client().post(confirm).status_code == 200
    page_post(name="Tural", email="tural@example.org", parent=str(first.pk), body="I saw it.")
    work_with_key()
    [told] = [m for m in mailbox.to("aynur.q@example.org") if "replied" in m["Subject"]]
    assert "Tural replied to your comment" in told["Subject"]
    # A moderator bans one by the address they type, and a mail server refuses another.
    moderation.ban_create(actor=moderator, site=site, kind="email", value="Tural@Example.org")
    mailbox.refuse["gone@example.org"] = "550 5.1.1 <gone@example.org> No such user"
    page_post(name="Gone", email="gone@example.org", notify_comments="on", body="Bye.")
    work_with_key()
    assert Delivery.objects.filter(status="failed").count() == 1
    # Comments come in from an old WordPress export as well.
    from meydan.interchange.services import import_file

    with django_capture_on_commit_callbacks(execute=True):
        import_file(WXR, site=site, actor=moderator)
    imported = set(re.findall(r"<!\[CDATA\[([^\]\s]+@[^\]\s]+)\]\]>", WXR.read_text()))
    assert imported and Comment.objects.filter(author_email_hash__gt="").count() > 4

    leaks = found_in_clear(
        {"aynur.q@example.org", "tural@example.org", "gone@example.org"} | imported
    )
    assert leaks == []
    # The scan does see what is in clear: a staff account's address (staff sign in by it).
    assert ("auth_user", "email", moderator.email) in found_in_clear({moderator.email})
    # …and yet every address is there for the worker, and each still matches.
    with sealing_private(keys):
        assert sealing.unseal(first.author_email_sealed) == "Aynur.Q@Example.org"
    assert Subscription.objects.get(email_hash=sealing.email_hash("aynur.q@example.org"))


@contextmanager
def sealing_private(private):
    from django.test import override_settings

    with override_settings(MEYDAN_EMAIL_PRIVATE_KEY=private):
        yield


def test_a_web_process_without_the_key_posts_bans_and_finds_first_comments(
    keys, site, post, moderator
):
    site.hold_first_comment = True
    site.save()
    assert not sealing.can_open()
    first = post("My first comment.", email="Leyla@Example.org")
    assert first.status == Comment.Status.PENDING  # a first comment waits
    moderation.comment_moderate(first, "approve", actor=moderator)
    again = post("And another.", email="leyla@example.org")
    assert again.status == Comment.Status.APPROVED  # found by its hash: not a first comment
    with pytest.raises(CommentRejected):
        post("And another.", email="LEYLA@example.org")  # a duplicate, by the same address
    moderation.ban_create(actor=moderator, site=site, kind="email", value=" LEYLA@example.org ")
    with pytest.raises(CommentRejected):
        post("Let me in.", email="leyla@example.org")
    assert sealing.is_sealed(again.author_email_sealed)
    assert "leyla" not in again.author_email_sealed.lower()


def test_moderators_see_a_mask_unless_the_operator_gives_them_the_key(
    keys, settings, post, mod_client
):
    comment = post("Held for a look.", email="leyla@example.org")
    moderation.comment_moderate(comment, "unapprove", actor=None)
    page = mod_client.get("/moderation/?tab=pending").content.decode()
    assert "l•••@e•••.org" in page and "leyla@example.org" not in page
    settings.MEYDAN_EMAIL_PRIVATE_KEY = keys
    settings.MEYDAN_MODERATION_SEES_EMAIL = True
    page = mod_client.get("/moderation/?tab=pending").content.decode()
    assert "leyla@example.org" in page


def test_a_worker_without_the_key_sends_nothing_and_says_why(
    keys, mailbox, work, page_post, caplog
):
    page_post(name="Aynur", email="aynur@example.org", notify_comments="on")
    work()
    assert mailbox.messages == []
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.RETRYING
    assert "cannot open the address" in delivery.answer and "aynur" not in delivery.answer
    assert "MEYDAN_EMAIL_PRIVATE_KEY" in caplog.text


def test_keys_seal_seals_what_was_stored_before_the_key(settings, post, capsys):
    settings.MEYDAN_EMAIL_PUBLIC_KEY = ""
    comment = post("Before the key.", email="early@example.org")
    assert comment.author_email_sealed.startswith("p1|")  # the embedded default: plain
    public, private = sealing.generate_pair()
    settings.MEYDAN_EMAIL_PUBLIC_KEY = public
    call_command("keys", "seal", "--dry-run")
    assert "would seal 1 comments" in capsys.readouterr().out
    comment.refresh_from_db()
    assert comment.author_email_sealed.startswith("p1|")
    call_command("keys", "seal")
    assert "sealed 1 comments" in capsys.readouterr().out
    comment.refresh_from_db()
    assert sealing.is_sealed(comment.author_email_sealed)
    assert sealing.mask_of(comment.author_email_sealed) == "e•••@e•••.org"
    with sealing_private(private):
        assert sealing.unseal(comment.author_email_sealed) == "early@example.org"
    call_command("keys", "seal")
    assert "sealed 0 comments" in capsys.readouterr().out


def test_keys_generate_and_check(settings, capsys):
    call_command("keys", "generate")
    out = capsys.readouterr().out
    public = re.search(r"MEYDAN_EMAIL_PUBLIC_KEY=(\S+)", out)[1]
    private = re.search(r"MEYDAN_EMAIL_PRIVATE_KEY=(\S+)", out)[1]
    settings.MEYDAN_EMAIL_PUBLIC_KEY = public
    call_command("keys", "check")
    assert "cannot open them" in capsys.readouterr().out
    settings.MEYDAN_EMAIL_PRIVATE_KEY = private
    call_command("keys", "check")
    assert "can send mail" in capsys.readouterr().out
    settings.MEYDAN_EMAIL_PRIVATE_KEY = sealing.generate_pair()[1]  # not this pair's half
    with pytest.raises(Exception, match="not one pair"):
        call_command("keys", "check")


def test_a_stored_form_that_is_not_ours_cannot_be_opened(keys):
    with pytest.raises(sealing.CannotOpen):
        sealing.unseal("s1|a•••@b•••.org|not-base64!")
    with pytest.raises(sealing.CannotOpen):
        sealing.unseal("x@example.org")
    assert sealing.unseal_or_empty("s1|a•••@b•••.org|AAAA") == ""


def test_a_signed_in_readers_address_is_kept_only_sealed(
    keys, mailbox, work_with_key, page_post, client, article, provider_api,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    from allauth.socialaccount.models import SocialAccount

    from meydan.accounts.models import Profile
    from tests.accounts.test_provider_callbacks import load_fixture, sign_in

    address = load_fixture("google", "id_token")["email"]
    api = provider_api("google")
    assert sign_in(client, api).status_code == 302 and api.problems == []
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            article.get_absolute_url(),
            {"body": "Signed in, and subscribed.", "parent": "", "notify_comments": "on",
             "notify_scope": "replies"},
        )  # fmt: skip
    assert response.status_code == 302
    mine = Comment.objects.get(body="Signed in, and subscribed.")
    # The provider verified the address: no confirmation needed.
    assert Subscription.objects.get().confirmed is not None
    page_post(name="Tural", email="tural@example.org", parent=str(mine.pk), body="Hello!")
    work_with_key()
    [told] = mailbox.to(address.lower())
    assert "Tural replied to your comment" in told["Subject"]
    profile = Profile.objects.get(user=mine.user)
    assert mine.author_email_hash == profile.email_hash == sealing.email_hash(address)
    assert SocialAccount.objects.get().extra_data  # allauth keeps the profile, masked
    assert found_in_clear({address, "tural@example.org"}) == []
