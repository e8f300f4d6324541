"""Moderators hear of comments that wait for them; the link needs a signed-in
moderator and approves nothing by itself."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from meydan.comments import services as comment_services
from meydan.comments.models import Comment
from meydan.moderation import services as moderation

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(site):
    user = get_user_model().objects.create_user("editor", "editor@example.org", is_staff=True)
    site.moderators.add(user)
    return user


def test_a_held_comment_is_mailed_to_the_sites_moderators(
    mailbox, work, site, thread, editor, settings, django_capture_on_commit_callbacks
):
    settings.MEYDAN_PUBLIC_URL = "http://testserver"
    get_user_model().objects.create_user("other", "other@example.org", is_staff=True)
    site.hold_all = True
    site.save()
    fresh = comment_services.thread_for_posting(site=site, key=thread.key)
    with django_capture_on_commit_callbacks(execute=True):
        held = comment_services.comment_post(
            thread=fresh, author=comment_services.Author(name="Tural", email="t@example.org"),
            body="Please *look*", channel="form",
        ).comment  # fmt: skip
    work()
    [message] = mailbox.messages
    assert message["To"] == "editor@example.org"
    assert message["Subject"] == "A comment awaits moderation: Thousands rally in Baku"
    text = message.get_body(("plain",)).get_content()
    assert "Please *look*" in text and "Why it is held: held: every comment needs approval" in text
    link = re.search(r"http://testserver(/moderation/\S+)", text)[1]
    assert f"#row-{held.pk}" in link
    anonymous = Client().get(link)
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]
    held.refresh_from_db()
    assert held.status == "pending"  # following the link changed nothing


def test_reports_that_hold_a_comment_tell_the_moderators(
    mailbox, work, site, post, editor, django_capture_on_commit_callbacks
):
    site.flag_threshold = 1
    site.save()
    comment = post("Contested")
    work()
    assert mailbox.messages == []  # a published comment is not their business
    with django_capture_on_commit_callbacks(execute=True):
        moderation.comment_flag(comment, reporter_key="reader-1", reason="spam", channel="form")
    work()
    assert [m["To"] for m in mailbox.messages] == ["editor@example.org"]
    with django_capture_on_commit_callbacks(execute=True):
        moderation.comment_moderate(comment, "unapprove", actor=editor)  # their own action
    work()
    assert len(mailbox.messages) == 1


def hold(site, thread, body, django_capture_on_commit_callbacks):
    fresh = comment_services.thread_for_posting(site=site, key=thread.key)
    with django_capture_on_commit_callbacks(execute=True):
        return comment_services.comment_post(
            thread=fresh, author=comment_services.Author(name="Tural", email="t@example.org"),
            body=body, channel="form",
        ).comment  # fmt: skip


def test_a_moderator_chooses_an_hourly_digest_or_no_mail(
    mailbox, work, site, thread, editor, django_capture_on_commit_callbacks
):
    site.hold_all = True
    site.save()
    client = Client()
    client.force_login(editor)
    page = client.get("/moderation/").content.decode()
    assert "Email me about comments that wait" in page
    response = client.post("/moderation/mail/", {"held": "digest"})
    assert response.status_code == 302
    assert client.post("/moderation/mail/", {"held": "sometimes"}).status_code == 302  # refused
    first = hold(site, thread, "First held", django_capture_on_commit_callbacks)
    second = hold(site, thread, "Second held", django_capture_on_commit_callbacks)
    hold(site, thread, "Third, approved before the digest", django_capture_on_commit_callbacks)
    work()
    assert mailbox.messages == []  # waiting for the hour
    third = Comment.objects.get(body__startswith="Third")
    moderation.comment_moderate(third, "approve", actor=editor)
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
    work()
    [digest] = mailbox.messages
    assert digest["Subject"] == "2 comments await moderation"
    text = digest.get_body(("plain",)).get_content()
    assert "First held" in text and "Second held" in text and "Third" not in text
    assert f"#row-{first.pk}" in text and f"#row-{second.pk}" in text
    client.post("/moderation/mail/", {"held": "off"})
    hold(site, thread, "Fourth", django_capture_on_commit_callbacks)
    work()
    assert len(mailbox.messages) == 1


def test_moderators_are_written_to_in_the_sites_language(
    mailbox, work, site, thread, editor, django_capture_on_commit_callbacks
):
    site.hold_all = True
    site.language = "fa"
    site.save()
    fresh = comment_services.thread_for_posting(site=site, key=thread.key)
    with django_capture_on_commit_callbacks(execute=True):
        comment_services.comment_post(
            thread=fresh, author=comment_services.Author(name="Tural", email="t@example.org"),
            body="Please look", channel="form",
        )  # fmt: skip
    work()
    [message] = mailbox.messages
    assert '<html lang="fa" dir="rtl">' in message.get_body(("html",)).get_content()
