"""Editor's picks and the pinned comment: the services (comments.services.threads) and
the audited moderator actions (moderation.services.comment_pick / comment_pin)."""

import pytest
from django.contrib.auth import get_user_model

from meydan.comments import events
from meydan.comments import services as comment_services
from meydan.comments.models import Comment, Thread
from meydan.core.errors import NotPublished
from meydan.moderation import services as moderation
from meydan.moderation.models import AuditEntry

S = Comment.Status


@pytest.fixture
def editor(site):
    user = get_user_model().objects.create_user("editor", "editor@example.org", is_staff=True)
    site.moderators.add(user)
    return user


@pytest.fixture
def changed():
    """thread_changed events sent while the test runs: (fields, comment id, channel)."""
    seen = []

    def receiver(sender, thread, fields, comment, channel, actor, **kwargs):
        seen.append((fields, comment.pk if comment is not None else None, str(channel)))

    events.thread_changed.connect(receiver, weak=False)
    yield seen
    events.thread_changed.disconnect(receiver)


def pinned_id(thread) -> int | None:
    return Thread.objects.get(pk=thread.pk).pinned_id


def version(thread) -> int:
    return Thread.objects.get(pk=thread.pk).version


def test_pick_and_unpick_bump_the_version_and_are_announced(
    post, thread, editor, changed, django_capture_on_commit_callbacks
):
    comment = post("Worth reading.")
    start = version(thread)
    with django_capture_on_commit_callbacks(execute=True):
        picked = comment_services.comment_set_pick(
            comment, True, channel="moderation", actor=editor
        )
    assert picked.is_pick and picked.picked_by == editor and picked.picked_at is not None
    assert version(thread) == start + 1
    assert changed == [(["picks"], comment.pk, "moderation")]

    with django_capture_on_commit_callbacks(execute=True):
        comment_services.comment_set_pick(comment, True, channel="moderation", actor=editor)
    assert version(thread) == start + 1 and len(changed) == 1  # nothing to do, nothing said

    with django_capture_on_commit_callbacks(execute=True):
        comment_services.comment_set_pick(comment, False, channel="api", actor=editor)
    comment.refresh_from_db()
    assert not comment.is_pick and comment.picked_at is None and comment.picked_by is None
    assert version(thread) == start + 2
    assert changed[-1] == (["picks"], comment.pk, "api")


@pytest.mark.parametrize("status", [S.PENDING, S.SPAM, S.TRASH])
def test_only_published_comments_can_be_picked_or_pinned(post, thread, editor, status):
    comment = post("Not shown to readers.")
    Comment.objects.filter(pk=comment.pk).update(status=status)
    start = version(thread)
    with pytest.raises(NotPublished):
        comment_services.comment_set_pick(comment, True, channel="moderation", actor=editor)
    with pytest.raises(NotPublished):
        comment_services.thread_pin(thread, comment, channel="moderation", actor=editor)
    comment.refresh_from_db()
    assert not comment.is_pick and pinned_id(thread) is None and version(thread) == start


def test_a_shadow_banned_comment_cannot_be_picked(post, editor):
    comment = post("Only its author sees this.")
    Comment.objects.filter(pk=comment.pk).update(status=S.SPAM, shadow=True)
    with pytest.raises(NotPublished):
        comment_services.comment_set_pick(comment, True, channel="moderation", actor=editor)


def test_one_pinned_comment_at_a_time(
    post, thread, editor, changed, django_capture_on_commit_callbacks
):
    first, second = post("First."), post("Second.")
    with django_capture_on_commit_callbacks(execute=True):
        comment_services.thread_pin(thread, first, channel="moderation", actor=editor)
    assert pinned_id(thread) == first.pk
    with django_capture_on_commit_callbacks(execute=True):
        now = comment_services.thread_pin(thread, second, channel="moderation", actor=editor)
    assert now == second and pinned_id(thread) == second.pk
    with django_capture_on_commit_callbacks(execute=True):
        comment_services.thread_pin(thread, None, channel="moderation", actor=editor)
    assert pinned_id(thread) is None
    assert changed == [
        (["pinned"], first.pk, "moderation"),
        (["pinned"], second.pk, "moderation"),
        (["pinned"], second.pk, "moderation"),  # the one unpinned
    ]


def test_a_comment_of_another_thread_cannot_be_pinned(post, thread, site, editor):
    other = comment_services.thread_get_or_create(site=site, key="/other/")
    elsewhere = post("On another page.", on=other)
    with pytest.raises(NotPublished):
        comment_services.thread_pin(thread, elsewhere, channel="moderation", actor=editor)
    assert pinned_id(thread) is None and pinned_id(other) is None


@pytest.mark.parametrize("action", ["unapprove", "spam", "trash"])
def test_a_pinned_comment_that_leaves_published_loses_its_pin(
    post, thread, editor, changed, action, django_capture_on_commit_callbacks
):
    comment = post("Pinned, then held.")
    comment_services.thread_pin(thread, comment, channel="moderation", actor=editor)
    comment_services.comment_set_pick(comment, True, channel="moderation", actor=editor)
    changed.clear()
    with django_capture_on_commit_callbacks(execute=True):
        moderation.comment_moderate(Comment.objects.get(pk=comment.pk), action, actor=editor)
    assert pinned_id(thread) is None
    assert changed == [(["pinned"], comment.pk, "moderation")]
    # A pick stays a pick while held, so an approval brings it back as it was;
    # the pin does not come back by itself.
    moderation.comment_moderate(
        Comment.objects.get(pk=comment.pk),
        "restore" if action == "trash" else "approve" if action == "unapprove" else "not_spam",
        actor=editor,
    )
    comment.refresh_from_db()
    assert comment.is_pick and pinned_id(thread) is None


def test_reader_reports_that_hold_a_pinned_comment_unpin_it(post, thread, editor, site):
    site.flag_threshold = 1
    site.save()
    comment = post("Pinned, then reported.")
    comment_services.thread_pin(thread, comment, channel="moderation", actor=editor)
    moderation.comment_flag(comment, reporter_key="ip:x", reason="spam", channel="form")
    assert Comment.objects.get(pk=comment.pk).status == S.PENDING
    assert pinned_id(thread) is None


@pytest.mark.parametrize("how", ["delete forever", "withdrawn"])
def test_an_erased_comment_loses_its_pin_and_its_pick(post, thread, editor, how):
    comment = post("Pinned and picked, then erased.")
    post("A reply keeps the erased row in place.", parent=comment)
    comment_services.thread_pin(thread, comment, channel="moderation", actor=editor)
    comment_services.comment_set_pick(comment, True, channel="moderation", actor=editor)
    if how == "withdrawn":
        comment_services.comment_withdraw(comment, channel="api")
    else:
        moderation.comment_delete_forever(comment, actor=editor)
    comment.refresh_from_db()
    assert pinned_id(thread) is None
    assert comment.status == S.TRASH and not comment.is_pick and comment.picked_by is None


def test_a_pinned_comment_deleted_for_good_leaves_no_dangling_pin(post, thread, editor):
    comment = post("No replies: its row goes.")
    comment_services.thread_pin(thread, comment, channel="moderation", actor=editor)
    moderation.comment_delete_forever(comment, actor=editor)
    assert not Comment.objects.filter(pk=comment.pk).exists()
    assert pinned_id(thread) is None


def pick_count(thread) -> int:
    return Thread.objects.get(pk=thread.pk).pick_count


def test_the_thread_counts_its_published_picks(post, thread, editor):
    first, second = post("First."), post("Second.")
    for comment in (first, second):
        comment_services.comment_set_pick(comment, True, channel="moderation", actor=editor)
    assert pick_count(thread) == 2
    moderation.comment_moderate(Comment.objects.get(pk=first.pk), "unapprove", actor=editor)
    assert pick_count(thread) == 1  # held: not shown, not counted
    moderation.comment_moderate(Comment.objects.get(pk=first.pk), "approve", actor=editor)
    assert pick_count(thread) == 2
    moderation.comment_moderate(Comment.objects.get(pk=first.pk), "spam", actor=editor)
    comment_services.comment_set_pick(first, False, channel="moderation", actor=editor)
    assert pick_count(thread) == 1  # unpicked while held: it was not counted
    comment_services.comment_set_pick(second, False, channel="moderation", actor=editor)
    assert pick_count(thread) == 0
    comment_services.comment_set_pick(second, True, channel="moderation", actor=editor)
    comment_services.comment_withdraw(second, channel="api")
    assert pick_count(thread) == 0


def test_moderators_picks_and_pins_are_audited(post, thread, editor):
    first, second = post("First."), post("Second.")
    moderation.comment_pick(first, True, actor=editor)
    moderation.comment_pick(first, True, actor=editor)  # already a pick: not logged again
    moderation.comment_pin(first, True, actor=editor)
    moderation.comment_pin(second, True, actor=editor)
    moderation.comment_pin(first, False, actor=editor)  # not pinned any more: nothing to do
    moderation.comment_pin(second, False, actor=editor)
    moderation.comment_pick(first, False, actor=editor)
    entries = list(
        AuditEntry.objects.order_by("pk").values_list("action", "comment_id", "before", "after")
    )
    assert entries == [
        ("pick", first.pk, {"pick": False}, {"pick": True}),
        ("pin", first.pk, {"pinned": None}, {"pinned": first.pk}),
        ("pin", second.pk, {"pinned": first.pk}, {"pinned": second.pk}),
        ("unpin", second.pk, {"pinned": second.pk}, {"pinned": None}),
        ("unpick", first.pk, {"pick": True}, {"pick": False}),
    ]
    assert set(AuditEntry.objects.values_list("actor", flat=True)) == {editor.pk}
    assert pinned_id(thread) is None


def test_a_refused_pick_is_not_audited(post, editor):
    comment = post("Held.")
    Comment.objects.filter(pk=comment.pk).update(status=S.PENDING)
    with pytest.raises(NotPublished):
        moderation.comment_pick(comment, True, actor=editor)
    with pytest.raises(NotPublished):
        moderation.comment_pin(comment, True, actor=editor)
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_hold_waiting_for_a_pin_under_way_still_unpins(site, editor):
    """PostgreSQL: a moderator holds a comment while another pins it. The hold waits for
    the pin's lock on the comment; once the pin commits, the hold must see it and
    unpin, though its own query began before the pin was stored."""
    import threading

    from django.db import connection, transaction

    if connection.vendor != "postgresql":
        pytest.skip("row locks: PostgreSQL (SQLite runs one writer at a time)")
    thread = comment_services.thread_get_or_create(site=site, key="/race/")
    comment = comment_services.comment_post(
        thread=thread, author=comment_services.Author(name="A", email="a@example.org"),
        body="Pinned and held at once.", channel="form",
    ).comment  # fmt: skip
    pinned, go_on, errors = threading.Event(), threading.Event(), []

    def pin():
        try:
            with transaction.atomic():
                comment_services.thread_pin(thread, comment, channel="moderation", actor=editor)
                pinned.set()
                go_on.wait(10)  # hold the comment's lock while the hold starts waiting
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    def hold():
        try:
            comment_services.comment_set_status(comment, S.PENDING, channel="moderation")
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    pinner = threading.Thread(target=pin)
    pinner.start()
    assert pinned.wait(10)
    holder = threading.Thread(target=hold)
    holder.start()
    holder.join(1)
    assert holder.is_alive()  # waiting for the pin's lock
    go_on.set()
    pinner.join(10)
    holder.join(10)
    assert errors == []
    assert Comment.objects.get(pk=comment.pk).status == S.PENDING
    assert pinned_id(thread) is None
