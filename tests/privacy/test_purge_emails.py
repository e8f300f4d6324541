"""Retention of commenters' addresses (Site.email_days) and of "manage my comments"
links, in the purge."""

from datetime import timedelta

import pytest
from django.utils import timezone

from meydan.comments.models import Comment
from meydan.comments.queries import is_first_comment
from meydan.core import sealing
from meydan.core.errors import CommentRejected
from meydan.moderation import services as moderation
from meydan.privacy.models import ManageLink
from meydan.privacy.purge import purge

pytestmark = pytest.mark.django_db


def stored(comment) -> tuple[str, str]:
    return Comment.objects.values_list("author_email_hash", "author_email_sealed").get(
        pk=comment.pk
    )


def test_by_default_addresses_are_kept(site, post, age_comment):
    old = age_comment(post("Years ago.", email="old@example.org"), 3000)
    assert site.email_days is None
    assert purge()["emails"] == 0
    assert stored(old)[1]


def test_after_email_days_a_published_comment_keeps_only_the_hash(
    site, post, age_comment, moderator
):
    site.email_days = 180
    site.save()
    old = age_comment(post("Long ago.", email="aynur@example.org"), 181)
    recent = age_comment(post("Not so long ago.", email="aynur@example.org"), 179)
    held = age_comment(post("Still waiting.", email="held@example.org"), 200)
    Comment.objects.filter(pk=held.pk).update(status=Comment.Status.PENDING)
    assert purge(dry_run=True)["emails"] == 1 and stored(old)[1]
    assert purge()["emails"] == 1
    assert stored(old) == (sealing.email_hash("aynur@example.org"), "")
    assert stored(recent)[1] and stored(held)[1]  # too recent; not published
    assert purge()["emails"] == 0  # idempotent
    # The hash still serves: history, first comment, bans.
    assert is_first_comment(site, email="aynur@example.org") is False
    moderation.ban_create(actor=moderator, site=site, kind="email", value="aynur@example.org")
    with pytest.raises(CommentRejected):
        post("Back again.", email="aynur@example.org")


def test_manage_links_go_after_their_hour(site):
    now = timezone.now()
    for minutes, name in ((-1, "a"), (30, "b")):
        ManageLink.objects.create(
            key_hash=name * 64, site=site, email_hash="0" * 32, address_box="x",
            expires=now + timedelta(minutes=minutes),
        )  # fmt: skip
    assert purge(now=now)["manage_links"] == 1
    assert list(ManageLink.objects.values_list("key_hash", flat=True)) == ["b" * 64]
