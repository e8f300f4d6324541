"""Rows stored before addresses were sealed are migrated: comments, subscriptions,
deliveries, suppressions, email bans and audit snapshots."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from meydan.core import sealing

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

BEFORE = [
    ("comments", "0004_author_email_index"),
    ("notifications", "0005_moderatormail_heldnotice"),
    ("moderation", "0002_bans_flags_audit"),
]
AFTER = [
    ("comments", "0005_author_email_sealed"),
    ("notifications", "0006_addresses_sealed"),
    ("moderation", "0003_email_bans_hashed"),
]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_existing_rows_are_hashed_and_sealed(settings):
    public, private = sealing.generate_pair()
    settings.MEYDAN_EMAIL_PUBLIC_KEY = public
    from meydan.sites.models import Site as CurrentSite

    CurrentSite.objects.create(name="S", slug="s", domain="s.example")  # sites stay current
    try:
        old = migrate(BEFORE)
        site = old.get_model("meydan_sites", "Site").objects.get()
        Thread = old.get_model("comments", "Thread")
        Comment = old.get_model("comments", "Comment")
        thread = Thread.objects.create(site=site, key="/a/")
        now = timezone.now()
        Comment.objects.create(
            thread=thread, seq=1, root_seq=1, path="000001", author_name="Aynur",
            author_email="Aynur@Example.org", body="x", body_html="<p>x</p>", created=now,
            avatar_key="k",
        )  # fmt: skip
        Comment.objects.create(
            thread=thread, seq=2, root_seq=2, path="000002", author_name="Anon",
            author_email="", body="y", body_html="<p>y</p>", created=now, avatar_key="k",
        )  # fmt: skip
        old.get_model("notifications", "Subscription").objects.create(
            site=site, thread=thread, kind="thread", email="aynur@example.org"
        )
        old.get_model("notifications", "Delivery").objects.create(
            to="gone@example.org", subject="s", answer="550 <gone@example.org> unknown"
        )
        old.get_model("notifications", "Suppression").objects.create(
            address="gone@example.org", reason="550 <gone@example.org> unknown"
        )
        old.get_model("moderation", "Ban").objects.create(
            site=site, kind="email", value="troll@example.org"
        )
        old.get_model("moderation", "AuditEntry").objects.create(
            site=site, action="edit", before={"author_email": "Aynur@Example.org", "body": "x"}
        )

        new = migrate(AFTER)
        aynur, anon = new.get_model("comments", "Comment").objects.order_by("seq")
        assert aynur.author_email_hash == sealing.email_hash("aynur@example.org")
        assert sealing.is_sealed(aynur.author_email_sealed)
        settings.MEYDAN_EMAIL_PRIVATE_KEY = private
        assert sealing.unseal(aynur.author_email_sealed) == "Aynur@Example.org"
        assert (anon.author_email_hash, anon.author_email_sealed) == ("", "")
        subscription = new.get_model("notifications", "Subscription").objects.get()
        assert sealing.unseal(subscription.email_sealed) == "aynur@example.org"
        delivery = new.get_model("notifications", "Delivery").objects.get()
        assert delivery.to_hash == sealing.email_hash("gone@example.org")
        assert "gone@example.org" not in delivery.answer
        suppression = new.get_model("notifications", "Suppression").objects.get()
        assert suppression.address_hash == sealing.email_hash("gone@example.org")
        assert "gone@example.org" not in suppression.reason
        ban = new.get_model("moderation", "Ban").objects.get()
        assert (ban.value, ban.shown) == (sealing.email_hash("troll@example.org"), "t•••@e•••.org")
        entry = new.get_model("moderation", "AuditEntry").objects.get()
        assert entry.before == {"author_email": "A•••@E•••.org", "body": "x"}
    finally:
        settings.MEYDAN_EMAIL_PRIVATE_KEY = ""
        migrate(
            [(app, name) for app, name in MigrationExecutor(connection).loader.graph.leaf_nodes()]
        )


def test_signed_in_readers_addresses_move_to_their_profile(settings):
    from allauth.account.models import EmailAddress
    from allauth.socialaccount.models import SocialAccount
    from django.contrib.auth import get_user_model

    try:
        migrate([("accounts", "0002_widget_token")])  # allauth's and auth's tables stay
        User = get_user_model()
        reader = User.objects.create(username="leyla", email="Leyla@Example.org")
        staff = User.objects.create(username="editor", email="editor@example.org", is_staff=True)
        EmailAddress.objects.create(
            user=reader, email="Leyla@Example.org", verified=True, primary=True
        )
        for user, uid in ((reader, "1"), (staff, "2")):
            SocialAccount.objects.bulk_create(  # as stored before: no masking on save
                [SocialAccount(user=user, provider="google", uid=uid, extra_data={
                    "email": user.email, "name": "L", "nested": ["<x@example.org>"],
                })]
            )  # fmt: skip

        new = migrate([("accounts", "0004_profile_addresses_moved")])
        profile = new.get_model("accounts", "Profile").objects.get(user_id=reader.pk)
        assert profile.email_hash == sealing.email_hash("leyla@example.org")
        assert sealing.unseal(profile.email_sealed) == "Leyla@Example.org"
        assert profile.email_verified is True
        users = new.get_model("auth", "User").objects
        assert users.get(pk=reader.pk).email == ""
        assert users.get(pk=staff.pk).email == "editor@example.org"  # staff keep theirs
        assert not EmailAddress.objects.filter(user_id=reader.pk).exists()
        account = SocialAccount.objects.get(uid="1")
        assert account.extra_data == {
            "email": "L•••@E•••.org", "name": "L", "nested": ["<x•••@e•••.org>"],
        }  # fmt: skip
    finally:
        migrate(
            [(app, name) for app, name in MigrationExecutor(connection).loader.graph.leaf_nodes()]
        )
