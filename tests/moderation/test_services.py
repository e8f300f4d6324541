"""Moderators' actions (meydan.moderation.services): status, thread counts and
versions, the audit log, teaching the spam filter, reader reports and bans."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from meydan.comments import services as comment_services
from meydan.comments.models import Comment, Thread
from meydan.comments.reasons import Reason
from meydan.core.errors import MeydanError
from meydan.core.sealing import email_hash
from meydan.moderation import services
from meydan.moderation.models import AuditEntry, Ban, Flag, SpamLearned, SpamModel
from tests.sealed import address_of

pytestmark = pytest.mark.django_db

S = Comment.Status


@pytest.fixture
def comment_in(post):
    """comment_in("pending") — a comment in that status, counts kept right."""

    def _make(status, body="A comment to moderate.", **kw):
        comment = post(body, moderate=False, **kw)
        if status != S.APPROVED:
            comment = comment_services.comment_set_status(
                comment, status, reason=Reason.other("set up"), channel="moderation"
            )
        return Comment.objects.get(pk=comment.pk)

    return _make


def thread_state(thread):
    return Thread.objects.values_list("comment_count", "version").get(pk=thread.pk)


def only_audit(**filters):
    entries = list(AuditEntry.objects.filter(**filters))
    assert len(entries) == 1, entries
    return entries[0]


# --- One action at a time -----------------------------------------------------------------

CASES = [
    # action, from, to, published count change, lesson (None: nothing learned)
    ("approve", S.PENDING, S.APPROVED, +1, False),
    ("approve", S.SPAM, S.APPROVED, +1, False),
    ("unapprove", S.APPROVED, S.PENDING, -1, None),
    ("spam", S.APPROVED, S.SPAM, -1, True),
    ("spam", S.PENDING, S.SPAM, 0, True),
    ("not_spam", S.SPAM, S.APPROVED, +1, False),
    ("trash", S.APPROVED, S.TRASH, -1, None),
    ("trash", S.PENDING, S.TRASH, 0, None),
    ("trash", S.SPAM, S.TRASH, 0, None),
]


@pytest.mark.parametrize(("action", "start", "end", "delta", "lesson"), CASES)
def test_action_changes_status_counts_version_and_audits(
    comment_in, thread, moderator, action, start, end, delta, lesson
):
    comment = comment_in(start)
    count, version = thread_state(thread)

    result = services.comment_moderate(comment, action, actor=moderator)

    assert result.status == end
    assert Comment.objects.get(pk=comment.pk).status == end
    assert result.moderation_reason == f"{action} by editor"
    new_count, new_version = thread_state(thread)
    assert new_count == count + delta
    assert new_version > version

    entry = only_audit(action=action)
    assert entry.actor == moderator
    assert entry.site == thread.site
    assert (entry.comment, entry.comment_ref) == (result, comment.pk)
    assert entry.before["status"] == start and entry.after["status"] == end
    assert entry.before["body"] == "A comment to moderate."
    assert entry.after["reason"] == f"{action} by editor"

    learned = SpamLearned.objects.filter(comment=comment).first()
    if lesson is None:
        assert learned is None
    else:
        assert learned is not None and learned.is_spam is lesson


@pytest.mark.parametrize("before", [S.APPROVED, S.PENDING, S.SPAM])
def test_restore_brings_back_the_status_before_trash(comment_in, thread, moderator, before):
    comment = comment_in(before)
    count, _ = thread_state(thread)
    comment = services.comment_moderate(comment, "trash", actor=moderator)
    _, version = thread_state(thread)

    restored = services.comment_moderate(comment, "restore", actor=moderator)

    assert restored.status == before
    new_count, new_version = thread_state(thread)
    assert new_count == count and new_version > version
    entry = only_audit(action="restore")
    assert (entry.before["status"], entry.after["status"]) == (S.TRASH, before)
    assert entry.actor == moderator


def test_restore_uses_the_latest_trashing(comment_in, moderator):
    comment = comment_in(S.PENDING)
    for action in ("trash", "restore", "approve", "trash"):
        comment = services.comment_moderate(comment, action, actor=moderator)
    assert services.comment_moderate(comment, "restore", actor=moderator).status == S.APPROVED


def test_restore_without_a_recorded_trashing_goes_to_pending(comment_in, moderator):
    comment = comment_in(S.TRASH)  # trashed without a moderator (e.g. an import)
    assert services.comment_moderate(comment, "restore", actor=moderator).status == S.PENDING


def test_restore_leaves_a_comment_that_is_not_in_trash_alone(comment_in, thread, moderator):
    comment = comment_in(S.APPROVED)
    count, version = thread_state(thread)
    result = services.comment_moderate(comment, "restore", actor=moderator)
    assert result.status == S.APPROVED
    assert thread_state(thread) == (count, version)
    assert not AuditEntry.objects.filter(action="restore").exists()


def test_unknown_action(comment_in, moderator):
    with pytest.raises(MeydanError):
        services.comment_moderate(comment_in(S.PENDING), "publish", actor=moderator)
    assert not AuditEntry.objects.exists()


def test_approving_a_shadow_banned_comment_lifts_the_shadow(post, site, moderator):
    Ban.objects.create(site=site, kind="email", value=email_hash("aynur@example.org"), shadow=True)
    comment = post("Shadowed")
    assert comment.shadow
    approved = services.comment_moderate(comment, "not_spam", actor=moderator)
    assert approved.status == S.APPROVED and approved.shadow is False
    assert Comment.objects.get(pk=comment.pk).shadow is False


def test_readers_see_the_result(comment_in, client, article, moderator):
    comment = comment_in(S.PENDING, body="Now you see me")
    assert "Now you see me" not in client.get(article.get_absolute_url()).content.decode()
    services.comment_moderate(comment, "approve", actor=moderator)
    assert "Now you see me" in client.get(article.get_absolute_url()).content.decode()
    services.comment_moderate(comment, "trash", actor=moderator)
    assert "Now you see me" not in client.get(article.get_absolute_url()).content.decode()


def test_bulk(comment_in, thread, moderator):
    comments = [comment_in(S.PENDING, body=f"c{n}") for n in range(3)]
    assert services.comments_moderate_bulk(comments, "approve", actor=moderator) == 3
    assert thread_state(thread)[0] == 3
    assert AuditEntry.objects.filter(action="approve", note="bulk").count() == 3


# --- Teaching the spam filter -------------------------------------------------------------


def test_spam_and_not_spam_teach_and_unteach(comment_in, site, moderator):
    comment = comment_in(S.PENDING, body="cheap followers www.spam.example buy now")
    services.comment_moderate(comment, "spam", actor=moderator)
    model = SpamModel.objects.get(site=site)
    assert (model.spam_docs, model.ham_docs) == (1, 0)
    assert SpamLearned.objects.get(comment=comment).is_spam is True
    services.comment_moderate(comment, "not_spam", actor=moderator)
    model.refresh_from_db()
    assert (model.spam_docs, model.ham_docs) == (0, 1)
    assert SpamLearned.objects.get(comment=comment).is_spam is False
    # The same decision again teaches nothing more.
    services.comment_moderate(comment, "approve", actor=moderator)
    model.refresh_from_db()
    assert (model.spam_docs, model.ham_docs) == (0, 1)
    assert SpamLearned.objects.filter(comment=comment).count() == 1


def test_trash_and_unapprove_teach_nothing(comment_in, moderator):
    for action in ("unapprove", "trash"):
        services.comment_moderate(comment_in(S.APPROVED, body=action), action, actor=moderator)
    assert not SpamLearned.objects.exists()


# --- Delete forever -----------------------------------------------------------------------


def test_delete_forever_without_replies(comment_in, thread, site, moderator):
    comment = comment_in(S.APPROVED, body="Gone for good")
    pk = comment.pk
    count, version = thread_state(thread)

    services.comment_delete_forever(comment, actor=moderator)

    assert not Comment.objects.filter(pk=pk).exists()
    new_count, new_version = thread_state(thread)
    assert new_count == count - 1 and new_version > version
    entry = only_audit(action="delete")
    assert entry.comment is None and entry.comment_ref == pk
    assert entry.site == site and entry.actor == moderator
    # The log keeps that it was deleted and from which status; the erase scrubbed the
    # text and the author from the snapshot (it used to keep them forever).
    assert entry.before["status"] == S.APPROVED and entry.before["erased"] is True
    assert "body" not in entry.before and "author_email" not in entry.before
    assert entry.after == {"deleted": pk, "removal_reason": "off_topic"}


def test_delete_forever_from_spam(comment_in, thread, moderator):
    comment = comment_in(S.SPAM)
    services.comment_moderate(comment, "spam", actor=moderator)  # learned
    services.comment_delete_forever(comment, actor=moderator)
    assert not Comment.objects.filter(pk=comment.pk).exists()
    assert not SpamLearned.objects.exists()
    assert thread_state(thread)[0] == 0


def test_delete_forever_with_replies_leaves_an_erased_placeholder(
    comment_in, post, thread, moderator, article
):
    parent = comment_in(S.APPROVED, body="Erase me", url="https://me.example")
    services.comment_moderate(parent, "approve", actor=moderator)  # teaches the filter
    reply = post("A reply that stays", parent=parent, name="Tural", email="t@example.org")
    count, version = thread_state(thread)

    services.comment_delete_forever(parent, actor=moderator)

    row = Comment.objects.get(pk=parent.pk)
    assert row.status == S.TRASH
    assert (row.body, row.body_html, row.author_name, address_of(row), row.author_url) == (
        ("", "", "", "", "")
    )
    assert row.ip_hash == "" and row.user is None
    assert not SpamLearned.objects.filter(comment=row).exists()
    assert Comment.objects.get(pk=reply.pk).parent_id == parent.pk
    new_count, new_version = thread_state(thread)
    assert new_count == count - 1 and new_version > version
    entry = only_audit(action="delete")
    assert entry.comment_id == parent.pk and entry.after == {
        "erased": True,
        "removal_reason": "off_topic",
    }
    assert entry.before["status"] == S.APPROVED and "body" not in entry.before
    assert "Erase me" not in str(list(AuditEntry.objects.values_list("before", "after")))
    page = Client().get(article.get_absolute_url()).content.decode()
    assert "This comment is not available." in page and "A reply that stays" in page
    assert "Erase me" not in page


# --- Edit and reply as moderator ----------------------------------------------------------


def test_moderator_edit(comment_in, thread, moderator):
    comment = comment_in(S.APPROVED, body="Teh typo")
    _, version = thread_state(thread)
    edited = services.comment_moderator_edit(comment, actor=moderator, body="The *typo*")
    assert edited.body_html == "<p>The <em>typo</em></p>" and edited.edited
    assert thread_state(thread)[1] > version
    entry = only_audit(action="edit")
    assert (entry.before["body"], entry.after["body"]) == ("Teh typo", "The *typo*")
    assert entry.actor == moderator


def test_moderator_reply_is_published_at_once(comment_in, thread, site, moderator):
    site.hold_all = True
    site.save()
    parent = comment_in(S.PENDING)
    reply = services.comment_moderator_reply(parent, actor=moderator, body="Held for review.")
    assert reply.status == S.APPROVED and reply.parent_id == parent.pk
    assert reply.user == moderator and address_of(reply) == moderator.email
    assert thread_state(thread)[0] == 1
    entry = only_audit(action="reply")
    assert entry.comment == reply and entry.after["body"] == "Held for review."


# --- Reader reports -----------------------------------------------------------------------


def test_each_reader_counts_once(comment_in):
    comment = comment_in(S.APPROVED)
    assert (
        services.comment_flag(
            comment, reporter_key="reader-1", reason="other", note="rude", channel="form"
        )
        is True
    )
    assert (
        services.comment_flag(comment, reporter_key="reader-1", reason="spam", channel="form")
        is False
    )
    comment.refresh_from_db()
    assert comment.flag_count == 1 and comment.status == S.APPROVED
    flag = Flag.objects.get()
    assert (flag.reason, flag.note) == ("other", "rude")


def test_nth_distinct_report_holds_the_comment(comment_in, thread, site):
    site.flag_threshold = 3
    site.save()
    comment = comment_in(S.APPROVED)
    for n in range(2):
        services.comment_flag(comment, reporter_key=f"reader-{n}", reason="spam", channel="form")
    comment.refresh_from_db()
    assert comment.status == S.APPROVED and not AuditEntry.objects.exists()
    _, version = thread_state(thread)

    services.comment_flag(comment, reporter_key="reader-2", reason="spam", channel="form")

    comment.refresh_from_db()
    assert comment.status == S.PENDING
    assert comment.moderation_reason == "held: 3 reader reports"
    assert thread_state(thread)[0] == 0 and thread_state(thread)[1] > version
    entry = only_audit(action="flagged")
    assert entry.actor is None and entry.comment == comment
    assert (entry.before["status"], entry.after["status"]) == (S.APPROVED, S.PENDING)
    assert entry.note == "3 reports"
    # More reports count, but the comment is already waiting for a moderator.
    services.comment_flag(comment, reporter_key="reader-3", reason="spam", channel="form")
    comment.refresh_from_db()
    assert comment.flag_count == 4
    assert AuditEntry.objects.filter(action="flagged").count() == 1


def test_threshold_of_one(comment_in, site):
    site.flag_threshold = 1
    site.save()
    comment = comment_in(S.APPROVED)
    services.comment_flag(comment, reporter_key="r", reason="spam", channel="form")
    comment.refresh_from_db()
    assert comment.moderation_reason == "held: 1 reader reports"


def test_a_moderator_approval_after_reports_sticks(comment_in, site, moderator):
    site.flag_threshold = 1
    site.save()
    comment = comment_in(S.APPROVED)
    services.comment_flag(comment, reporter_key="r1", reason="spam", channel="form")
    services.comment_moderate(comment, "approve", actor=moderator)
    comment.refresh_from_db()
    assert comment.status == S.APPROVED
    # The reporter cannot hold it again; a new reader's report does.
    assert services.comment_flag(comment, reporter_key="r1", reason="spam", channel="form") is False
    comment.refresh_from_db()
    assert comment.status == S.APPROVED


# --- Bans ---------------------------------------------------------------------------------


def test_ban_create_is_audited(site, moderator):
    until = timezone.now() + timedelta(days=7)
    ban = services.ban_create(
        actor=moderator, site=site, kind=Ban.Kind.EMAIL, value=" Spam@Example.ORG ",
        expires=until, shadow=True, reason="repeat offender",
    )  # fmt: skip
    assert (ban.value, ban.shadow, ban.created_by, ban.expires) == (
        email_hash("spam@example.org"), True, moderator, until,
    )  # fmt: skip
    entry = only_audit(action="ban")
    assert entry.actor == moderator and entry.site == site
    assert entry.after == {
        "kind": "email",
        "value": email_hash("spam@example.org"),
        "shadow": True,
        "expires": until.isoformat(),
    }
    assert entry.note == "repeat offender"


def test_ban_needs_a_value_and_a_future_expiry(site, moderator):
    with pytest.raises(MeydanError):
        services.ban_create(actor=moderator, site=site, kind="ip", value="  ")
    with pytest.raises(MeydanError):
        services.ban_create(
            actor=moderator, site=site, kind="ip", value="abc",
            expires=timezone.now() - timedelta(minutes=1),
        )  # fmt: skip
    assert not Ban.objects.exists() and not AuditEntry.objects.exists()


def test_ban_lift_is_audited(site, moderator):
    ban = services.ban_create(actor=moderator, site=site, kind="ip", value="abc123")
    services.ban_lift(ban, actor=moderator)
    assert not Ban.objects.exists()
    entry = only_audit(action="unban")
    assert entry.actor == moderator and entry.site == site
    assert entry.before == {"kind": "ip", "value": "abc123", "shadow": False}


@pytest.mark.parametrize("action", ["restore", "approve", "unapprove", "spam", "not_spam"])
def test_an_erased_comment_cannot_be_brought_back(post, moderator, action):
    parent = post("will be erased")
    post("a reply keeps it in place", parent=parent)
    services.comment_delete_forever(parent, actor=moderator)
    parent.refresh_from_db()
    assert parent.status == Comment.Status.TRASH and parent.body == ""
    with pytest.raises(MeydanError, match="erased"):
        services.comment_moderate(parent, action, actor=moderator)
    parent.refresh_from_db()
    assert parent.status == Comment.Status.TRASH
