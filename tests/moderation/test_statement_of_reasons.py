"""The statement of reasons (EU Digital Services Act, art. 17): a moderator who
removes a comment gives a reason from a closed list; it is stored on the comment and
in the audit entry; the comment's author — and only its author — sees why, on
"manage my comments", on /account/, on the comment's permalink, and by email if they
asked to hear from the page."""

import pytest
from django.test import Client

from meydan.comments import services as comment_services
from meydan.comments.access import owner_token
from meydan.comments.models import Comment
from meydan.core.errors import ReasonInvalid
from meydan.moderation import services
from meydan.moderation.models import AuditEntry
from meydan.notifications import services as subscriptions
from meydan.notifications.models import Delivery
from tests.moderation.test_views import QUEUE, html, messages_of, row_html
from tests.privacy.test_manage import ADDRESS

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _mail_settings(settings):
    settings.MEYDAN_PUBLIC_URL = "http://testserver"
    settings.MEYDAN_NOTIFY_DIGEST_SECONDS = 0
    settings.MEYDAN_RATELIMIT_MANAGE_LINKS = None
    settings.MEYDAN_RATELIMIT_MANAGE_CLIENT = None


S = Comment.Status
STATEMENT = "Removed by the moderators on"


def removed(comment_id) -> Comment:
    return Comment.objects.get(pk=comment_id)


def post_as(user, thread, body: str) -> Comment:
    return comment_services.comment_post(
        thread=thread,
        author=comment_services.Author(name=user.username, email=user.email, user=user),
        body=body,
        channel="form",
    ).comment


# --- The service -------------------------------------------------------------------------


def test_a_removal_stores_its_reason_on_the_comment_and_in_the_audit(post, moderator):
    comment = post("Rude words.")
    services.comment_moderate(
        comment, "trash", actor=moderator, removal_reason="harassment", removal_note="Insults."
    )
    comment = removed(comment.pk)
    assert (comment.status, comment.removal_reason, comment.removal_note) == (
        S.TRASH,
        "harassment",
        "Insults.",
    )
    assert comment.removed_at is not None
    entry = AuditEntry.objects.get(action="trash")
    assert entry.after["removal_reason"] == "harassment"
    assert entry.after["removal_note"] == "Insults."


@pytest.mark.parametrize(("action", "default"), [("spam", "spam"), ("trash", "off_topic")])
def test_the_default_reason_follows_the_action(post, moderator, action, default):
    comment = post()
    services.comment_moderate(comment, action, actor=moderator)
    assert removed(comment.pk).removal_reason == default
    assert AuditEntry.objects.get(action=action).after["removal_reason"] == default


def test_a_reason_off_the_list_or_other_without_words_changes_nothing(post, moderator):
    comment = post()
    for reason, note in [("rude", ""), ("other", ""), ("other", "x" * 501)]:
        with pytest.raises(ReasonInvalid):
            services.comment_moderate(
                comment, "trash", actor=moderator, removal_reason=reason, removal_note=note
            )
    assert removed(comment.pk).status == S.APPROVED
    assert not AuditEntry.objects.exists()


def test_published_again_the_statement_is_gone(post, moderator):
    comment = post()
    services.comment_moderate(comment, "spam", actor=moderator)
    services.comment_moderate(removed(comment.pk), "not_spam", actor=moderator)
    comment = removed(comment.pk)
    assert (comment.status, comment.removal_reason, comment.removed_at) == (S.APPROVED, "", None)
    # Approving records no reason either.
    assert "removal_reason" not in AuditEntry.objects.get(action="not_spam").after


# --- The queue ---------------------------------------------------------------------------


def test_the_queue_sends_the_reason_with_the_rows_button(post, mod_client):
    comment = post("Contains a home address.")
    page = html(mod_client.get(QUEUE + "?tab=all"))
    assert 'name="removal_reason"' in page and 'value="personal_data"' in page
    response = mod_client.post(
        "/moderation/act/",
        {
            "one": f"trash:{comment.pk}",
            "removal_reason": "personal_data",
            "removal_note": "Please do not post addresses.",
            "next": QUEUE,
        },
    )
    assert response.status_code == 302
    comment = removed(comment.pk)
    assert (comment.removal_reason, comment.removal_note) == (
        "personal_data",
        "Please do not post addresses.",
    )
    row = row_html(html(mod_client.get(QUEUE + "?tab=trash")), comment)
    assert "Reason given to the author: Personal data of others — Please do not post" in row


def test_the_queue_keyboard_path_needs_no_reason(post, mod_client):
    """s/d click the row's button: with the reason left at its default, spam is spam."""
    comment = post()
    mod_client.post("/moderation/act/", {"one": f"spam:{comment.pk}", "removal_reason": ""})
    assert removed(comment.pk).removal_reason == "spam"


def test_the_queue_refuses_a_bad_reason_and_changes_nothing(post, mod_client):
    comment = post()
    bogus = mod_client.post(
        "/moderation/act/", {"one": f"trash:{comment.pk}", "removal_reason": "rude"}
    )
    assert messages_of(bogus) == ["Choose a reason for the removal from the list."]
    bare = mod_client.post(
        "/moderation/act/", {"ids": [comment.pk], "action": "trash", "removal_reason": "other"}
    )
    assert messages_of(bare)[-1] == "For “Other”, say in a few words what is wrong."
    assert removed(comment.pk).status == S.APPROVED
    assert not AuditEntry.objects.exists()


def test_delete_forever_keeps_the_reason_in_the_log(post, mod_client):
    comment = post()
    mod_client.post(
        "/moderation/act/",
        {"one": f"delete:{comment.pk}", "removal_reason": "illegal"},
    )
    assert not Comment.objects.filter(pk=comment.pk).exists()
    assert AuditEntry.objects.get(action="delete").after["removal_reason"] == "illegal"


# --- Who sees it ------------------------------------------------------------------------


def _remove(comment, moderator):
    services.comment_moderate(
        comment, "trash", actor=moderator, removal_reason="harassment", removal_note="Insults."
    )


def test_the_signed_in_author_sees_why_on_the_account_page_and_the_permalink(
    thread, moderator, make_user
):
    author = make_user("aynur")
    comment = post_as(author, thread, "Rude words.")
    _remove(comment, moderator)
    client = Client()
    client.force_login(author)
    account = html(client.get("/account/"))
    assert f'id="removal-{comment.pk}"' in account
    assert "Reason: Harassment or hate. Insults." in account
    page = client.get(f"/c/{comment.pk}")
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    text = html(page)
    assert "Your comment was removed" in text and "Rude words." in text
    day = removed(comment.pk).removed_at.strftime("%-d %B %Y")
    assert f"{STATEMENT} {day}. Reason: Harassment or hate. Insults." in text


def test_nobody_else_sees_it(moderator, make_user, thread):
    author = make_user("aynur")
    comment = post_as(author, thread, "Rude words.")
    _remove(comment, moderator)
    other = Client()
    other.force_login(make_user("tural"))
    for client in (Client(), other):
        assert client.get(f"/c/{comment.pk}").status_code == 404
        assert STATEMENT not in html(client.get(thread.get_absolute_url()))
    assert STATEMENT not in html(other.get("/account/"))
    # Nor through the API's thread listing (the page is read: the comment is not in it).
    listing = Client().get("/api/v1/threads", {"site": thread.site.slug, "url": thread.key})
    assert listing.status_code == 200 and "Insults" not in listing.content.decode()


def test_the_guest_who_posted_it_sees_it_with_their_session_or_edit_token(
    client, post, guest_form, article, moderator
):
    client.post(article.get_absolute_url(), guest_form(body="Guest words here."))
    comment = Comment.objects.get(body="Guest words here.")
    _remove(comment, moderator)
    assert STATEMENT in html(client.get(f"/c/{comment.pk}"))
    token = owner_token(comment)
    assert STATEMENT in html(Client().get(f"/c/{comment.pk}", HTTP_X_MEYDAN_EDIT_TOKEN=token))
    forged = Client().get(f"/c/{comment.pk}", HTTP_X_MEYDAN_EDIT_TOKEN=token[:-2] + "xx")
    assert forged.status_code == 404


def test_the_guest_sees_it_on_manage_my_comments(site, post, moderator, opened):
    mine = post("Mine, removed.", email=ADDRESS)
    kept = post("Mine, kept.", email=ADDRESS)
    _remove(mine, moderator)
    page = html(opened(Client(), site).get("/manage/comments/"))
    assert "removed by the moderators" in page
    assert page.count(STATEMENT) == 1 and "Reason: Harassment or hate. Insults." in page
    assert f'id="removal-{mine.pk}"' in page and f'id="removal-{kept.pk}"' not in page


def test_the_reason_is_shown_from_its_code(thread, moderator, make_user):
    author = make_user("aynur")
    comment = post_as(author, thread, "Rude words.")
    services.comment_moderate(comment, "spam", actor=moderator)
    client = Client()
    client.force_login(author)
    page = html(client.get(f"/c/{comment.pk}", HTTP_ACCEPT_LANGUAGE="en"))
    assert "Reason: Spam." in page
    assert removed(comment.pk).removal_reason == "spam"  # stored as the code


# --- By email ---------------------------------------------------------------------------


def _subscribe(site, thread, email, kind="replies"):
    subscription = subscriptions.subscribe(site=site, thread=thread, kinds=[kind], email=email)[0]
    subscriptions.subscription_confirm(subscription)


def test_the_author_who_asked_for_notifications_is_told_why_by_email(
    post, site, thread, moderator, work, mailbox, django_capture_on_commit_callbacks
):
    _subscribe(site, thread, "aynur@example.org")
    _subscribe(site, thread, "tural@example.org", kind="thread")
    work()
    mailbox.messages.clear()
    comment = post("Rude words.", email="aynur@example.org")
    work()
    mailbox.messages.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _remove(comment, moderator)
    work()
    [message] = mailbox.to("aynur@example.org")
    assert message["Subject"] == "Your comment on Thousands rally in Baku was removed"
    text = message.get_body(("plain",)).get_content()
    assert "Reason: Harassment or hate." in text and "Insults." in text
    assert "Rude words." in text
    assert mailbox.to("tural@example.org") == []  # nobody else is told
    assert Delivery.objects.filter(kind="removed").count() == 1


def test_an_author_who_asked_for_nothing_gets_no_email(
    post, site, thread, moderator, work, mailbox, django_capture_on_commit_callbacks
):
    _subscribe(site, thread, "tural@example.org", kind="thread")  # someone else did
    comment = post("Rude words.", email="aynur@example.org")
    work()
    mailbox.messages.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _remove(comment, moderator)
    work()
    assert mailbox.to("aynur@example.org") == [] and mailbox.to("tural@example.org") == []
    assert not Delivery.objects.filter(kind="removed").exists()


def test_the_admins_actions_give_the_default_reason(admin_client, post):
    spam, trash = post("Cheap watches."), post("Off topic.")
    for action, comment in (("mark_spam", spam), ("mark_trash", trash)):
        response = admin_client.post(
            "/admin/comments/comment/", {"action": action, "_selected_action": [comment.pk]}
        )
        assert response.status_code == 302
    assert removed(spam.pk).removal_reason == "spam"
    assert removed(trash.pk).removal_reason == "off_topic"
    page = admin_client.get(f"/admin/comments/comment/{trash.pk}/change/").content.decode()
    assert "Off-topic or against the community rules" in page
