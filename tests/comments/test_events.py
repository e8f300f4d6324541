"""The closed list of comment events (meydan/comments/events.py): each is sent once,
after commit, with its arguments, by one service; never on rollback or refusal."""

import logging

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client

from meydan.accounts.services import account_delete
from meydan.comments import events
from meydan.comments import services as comment_services
from meydan.comments.models import Comment
from meydan.comments.reasons import Reason
from meydan.core.errors import InvalidComment
from meydan.moderation import services as moderation
from meydan.moderation.models import AuditEntry, Flag, SpamLearned
from meydan.sites.services import site_update
from tests.sealed import address_of

S = Comment.Status
NAMES = {
    events.comment_posted: "comment_posted",
    events.comment_status_changed: "comment_status_changed",
    events.comment_edited: "comment_edited",
    events.comment_erased: "comment_erased",
    events.comments_imported: "comments_imported",
    events.thread_changed: "thread_changed",
    events.site_changed: "site_changed",
}


class Boom(Exception):
    pass


@pytest.fixture
def sent():
    """Every event sent while the test runs, as (name, arguments), in order; each
    entry also says whether the change was visible in the database when it came."""
    seen = []

    def receivers():
        for event, name in NAMES.items():

            def receiver(sender, _name=name, **arguments):
                arguments.pop("signal")
                seen.append((_name, arguments))

            yield event, receiver

    connected = list(receivers())
    for event, receiver in connected:
        event.connect(receiver, weak=False)
    yield seen
    for event, receiver in connected:
        event.disconnect(receiver)


@pytest.fixture
def user(db):
    return get_user_model().objects.create_user("leyla", "leyla@example.org")


@pytest.fixture
def moderator(db, site):
    staff = get_user_model().objects.create_user("editor", "editor@example.org", is_staff=True)
    site.moderators.add(staff)
    return staff


def only(sent, name):
    matching = [arguments for n, arguments in sent if n == name]
    assert len(matching) == 1, sent
    return matching[0]


def test_the_list_is_closed_and_documented():
    assert set(events.EVENTS) == set(NAMES)
    for name in NAMES.values():
        assert f"\n{name}(" in events.__doc__, name
    assert {c.value for c in events.Channel} == {
        "form", "api", "moderation", "admin", "import", "command", "self-service",
    }  # fmt: skip


def test_a_channel_outside_the_list_is_a_bug(thread):
    with pytest.raises(ValueError):
        comment_services.comment_post(
            thread=thread, author=comment_services.Author(name="A", email="a@b.org"), body="x",
            channel="telegram",
        )  # fmt: skip
    assert not Comment.objects.exists()


# --- comment_posted --------------------------------------------------------------


def test_comment_posted_after_commit(thread, user, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        result = comment_services.comment_post(
            thread=thread,
            author=comment_services.Author(name="Leyla", user=user),
            body="Hello",
            channel="api",
        )
        assert sent == []  # not before the commit
    arguments = only(sent, "comment_posted")
    assert arguments == {"comment": result.comment, "channel": "api", "actor": user}
    assert arguments["channel"] is events.Channel.API
    assert [name for name, _ in sent] == ["comment_posted"]


def test_a_guest_post_has_no_actor_and_a_held_one_is_announced_too(
    thread, site, sent, django_capture_on_commit_callbacks
):
    site.hold_all = True
    site.save()
    with django_capture_on_commit_callbacks(execute=True):
        comment = comment_services.comment_post(
            thread=comment_services.thread_for_posting(site=site, key=thread.key),
            author=comment_services.Author(name="Tural", email="t@example.org"),
            body="Hi",
            channel="form",
        ).comment
    arguments = only(sent, "comment_posted")
    assert arguments["actor"] is None and arguments["channel"] == "form"
    assert arguments["comment"].status == comment.status == S.PENDING


def test_comment_posted_not_on_rollback_or_refusal(
    thread, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(Boom), transaction.atomic():
            comment_services.comment_post(
                thread=thread, author=comment_services.Author(name="A", email="a@b.org"),
                body="rolled back", channel="form",
            )  # fmt: skip
            raise Boom
        with pytest.raises(InvalidComment):
            comment_services.comment_post(
                thread=thread, author=comment_services.Author(name="A", email="a@b.org"),
                body="", channel="form",
            )  # fmt: skip
    assert sent == [] and not Comment.objects.exists()


def test_posting_through_the_api_says_api(sent, api_post):
    api_post("From the widget")
    arguments = only(sent, "comment_posted")
    assert arguments["channel"] == "api" and arguments["comment"].body == "From the widget"


# --- comment_status_changed ------------------------------------------------------------


def test_status_changed_by_a_moderator(post, moderator, sent, django_capture_on_commit_callbacks):
    comment = post("To moderate")
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        moderation.comment_moderate(comment, "spam", actor=moderator, channel="admin")
        assert sent == []
    arguments = only(sent, "comment_status_changed")
    assert arguments["comment"].pk == comment.pk
    assert (arguments["before"], arguments["after"]) == (S.APPROVED, S.SPAM)
    assert arguments["reason"] == "spam by editor"
    assert (arguments["channel"], arguments["actor"]) == ("admin", moderator)


def test_no_event_when_the_status_stays_or_the_change_rolls_back(
    post, sent, django_capture_on_commit_callbacks
):
    comment = post("Stays")
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        comment_services.comment_set_status(comment, S.APPROVED, channel="moderation")
        with pytest.raises(Boom), transaction.atomic():
            comment_services.comment_set_status(comment, S.TRASH, channel="moderation")
            raise Boom
    assert sent == []
    comment.refresh_from_db()
    assert comment.status == S.APPROVED


def test_reports_that_hold_a_comment_announce_it_without_an_actor(
    post, site, sent, django_capture_on_commit_callbacks
):
    site.flag_threshold = 1
    site.save()
    comment = post("Reported")
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        moderation.comment_flag(comment, reporter_key="reader-1", reason="spam", channel="form")
    arguments = only(sent, "comment_status_changed")
    assert (arguments["before"], arguments["after"], arguments["actor"]) == (
        S.APPROVED, S.PENDING, None,
    )  # fmt: skip
    assert arguments["reason"] == "held: 1 reader reports"


# --- comment_edited ----------------------------------------------------------------


def test_edited_by_a_moderator(post, moderator, sent, django_capture_on_commit_callbacks):
    comment = post("Teh typo")
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        moderation.comment_moderator_edit(comment, actor=moderator, body="The typo")
        assert sent == []
    arguments = only(sent, "comment_edited")
    assert arguments["comment"].body == "The typo"
    assert (arguments["channel"], arguments["actor"]) == ("moderation", moderator)


def test_edited_by_its_author_through_the_api(
    site, sent, api_post, django_capture_on_commit_callbacks
):
    created = api_post("Mistake")
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().patch(
            f"/api/v1/comments/{created['comment']['id']}",
            {"body": "Fixed"},
            content_type="application/json",
            headers={
                "Origin": "https://blog.example.org",
                "X-Meydan-Edit-Token": created["edit_token"],
            },
        )
    assert response.status_code == 200
    arguments = only(sent, "comment_edited")
    assert (arguments["comment"].body, arguments["channel"], arguments["actor"]) == (
        "Fixed", "api", None,
    )  # fmt: skip


def test_an_invalid_edit_announces_nothing(post, moderator, sent):
    comment = post("Fine")
    sent.clear()
    with pytest.raises(InvalidComment):
        moderation.comment_moderator_edit(comment, actor=moderator, body="")
    assert sent == []


# --- comment_erased ----------------------------------------------------------------


@pytest.fixture
def api_post(site, django_capture_on_commit_callbacks):
    def _post(body):
        with django_capture_on_commit_callbacks(execute=True):
            response = Client().post(
                "/api/v1/comments",
                {
                    "site": site.slug,
                    "url": "https://blog.example.org/2015/06/baku-rally/",
                    "body": body,
                    "name": "Tural",
                    "email": "tural@example.org",
                },
                content_type="application/json",
                headers={"Origin": "https://blog.example.org"},
            )
        assert response.status_code == 201, response.content
        return response.json()

    return _post


def test_withdrawn_by_its_author(site, sent, api_post, django_capture_on_commit_callbacks):
    created = api_post("Regret this")
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().delete(
            f"/api/v1/comments/{created['comment']['id']}",
            headers={
                "Origin": "https://blog.example.org",
                "X-Meydan-Edit-Token": created["edit_token"],
            },
        )
    assert response.status_code == 204
    comment = Comment.objects.get()
    arguments = only(sent, "comment_erased")
    assert arguments == {
        "comment_id": comment.pk,
        "thread_id": comment.thread_id,
        "site_id": site.pk,
        "text_kept": False,
        "row_kept": True,
        "reason": "deleted by its author",
        "channel": "api",
        "actor": None,
    }
    assert [name for name, _ in sent] == ["comment_erased"]  # one change, one event
    assert (comment.body, address_of(comment), comment.ip_hash) == ("", "", "")


def _moderated_and_reported(comment, moderator):
    """Give `comment` an audit trail, a reader's report and a learned spam decision."""
    moderation.comment_moderator_edit(comment, actor=moderator, body="Secret text, edited")
    moderation.comment_flag(
        comment, reporter_key="reader-1", reason="other", note="quotes me", channel="form"
    )
    moderation.comment_moderate(comment, "approve", actor=moderator)
    assert SpamLearned.objects.filter(comment=comment).exists()


def _copies_of(text: str, email: str) -> list:
    snapshots = str(list(AuditEntry.objects.values_list("before", "after")))
    return [s for s in (text, email) if s in snapshots]


@pytest.mark.parametrize("replied", [False, True])
def test_deleted_forever_scrubs_every_copy(
    post, moderator, sent, replied, django_capture_on_commit_callbacks
):
    comment = post("Secret text", email="source@example.org")
    _moderated_and_reported(comment, moderator)
    if replied:
        post("A reply", parent=comment)
    assert _copies_of("Secret text", "source@example.org")
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        moderation.comment_delete_forever(comment, actor=moderator)
        assert sent == []
    arguments = only(sent, "comment_erased")
    assert arguments["row_kept"] is replied and arguments["actor"] == moderator
    assert arguments["channel"] == "moderation" and arguments["text_kept"] is False
    assert _copies_of("Secret text", "source@example.org") == []
    assert not Flag.objects.filter(comment_id=comment.pk).exists()
    assert not SpamLearned.objects.filter(comment_id=comment.pk).exists()
    # The log still says what was done, by whom, and in which order.
    actions = list(
        AuditEntry.objects.filter(comment_ref=comment.pk)
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["edit", "approve", "delete"]


def test_an_erase_that_fails_half_way_changes_nothing(post, moderator, sent):
    comment = post("Secret text", email="source@example.org")
    _moderated_and_reported(comment, moderator)
    sent.clear()
    with pytest.raises(Boom), transaction.atomic():
        comment_services.comment_erase(comment, reason=Reason.other("x"), channel="moderation")
        raise Boom
    comment.refresh_from_db()
    assert comment.body == "Secret text, edited" and address_of(comment) == "source@example.org"
    assert _copies_of("Secret text", "source@example.org")
    assert Flag.objects.filter(comment=comment).exists()
    assert SpamLearned.objects.filter(comment=comment).exists()
    assert sent == []


@pytest.mark.parametrize("keep", [True, False])
def test_an_account_leaving_erases_each_comment(
    thread, user, moderator, sent, keep, django_capture_on_commit_callbacks
):
    leyla = comment_services.Author(name="Leyla", email="leyla@example.org", user=user)
    mine = comment_services.comment_post(
        thread=thread, author=leyla, body="Mine", channel="form"
    ).comment
    moderation.comment_moderate(mine, "approve", actor=moderator)  # a snapshot with the email
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        account_delete(user, keep_comments=keep, channel="form", actor=user)
    arguments = only(sent, "comment_erased")
    assert arguments["comment_id"] == mine.pk and arguments["text_kept"] is keep
    assert arguments["channel"] == "form"
    assert arguments["actor"] is None  # the account is gone by the time it is announced
    assert _copies_of("leyla@example.org", "leyla@example.org") == []
    mine.refresh_from_db()
    assert mine.author_name == "deleted user" and (mine.body == "Mine") is keep


# --- thread_changed and site_changed ---------------------------------------------------


def test_thread_changed_by_its_one_service(
    thread, moderator, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        comment_services.thread_update(
            thread, is_open=False, title="Closed", channel="admin", actor=moderator
        )
        assert sent == []
    arguments = only(sent, "thread_changed")
    assert arguments["thread"].pk == thread.pk and arguments["fields"] == ["is_open", "title"]
    assert (arguments["channel"], arguments["actor"]) == ("admin", moderator)


def test_thread_changed_not_on_rollback(thread, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(Boom), transaction.atomic():
            comment_services.thread_update(thread, is_open=False, channel="admin")
            raise Boom
    assert sent == []
    thread.refresh_from_db()
    assert thread.is_open


def test_site_changed_by_its_one_service(site, moderator, sent, django_capture_on_commit_callbacks):
    site.page_size = 7
    with django_capture_on_commit_callbacks(execute=True):
        site_update(site, channel="admin", actor=moderator)
        assert sent == []
    assert only(sent, "site_changed") == {"site": site, "channel": "admin", "actor": moderator}


def test_site_changed_not_on_rollback(site, sent, django_capture_on_commit_callbacks):
    site.page_size = 7
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(Boom), transaction.atomic():
            site_update(site, channel="admin")
            raise Boom
    assert sent == []


# --- Receivers ---------------------------------------------------------------------


def test_a_failing_receiver_is_logged_and_the_change_stays(
    thread, caplog, django_capture_on_commit_callbacks
):
    seen = []

    def broken(sender, **arguments):
        raise RuntimeError("receiver bug")

    def working(sender, comment, **arguments):
        seen.append(comment.pk)

    events.comment_posted.connect(broken, weak=False)
    events.comment_posted.connect(working, weak=False)
    try:
        with caplog.at_level(logging.ERROR, "meydan.events"):
            with django_capture_on_commit_callbacks(execute=True):
                result = comment_services.comment_post(
                    thread=thread, author=comment_services.Author(name="A", email="a@b.org"),
                    body="Stored anyway", channel="form",
                )  # fmt: skip
    finally:
        events.comment_posted.disconnect(broken)
        events.comment_posted.disconnect(working)
    assert Comment.objects.filter(pk=result.comment.pk).exists()
    assert seen == [result.comment.pk]
    assert "receiver bug" in caplog.text
