"""The keys behind stored IP hashes (core.privacy): a hash names its key, keys rotate,
bans made before a rotation keep matching until they expire, the purge deletes a key
nothing needs, and hashes stored before keys rotated (the legacy key) keep matching
the bans made of them."""

import importlib
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from meydan.comments import services
from meydan.comments.models import Comment
from meydan.core import privacy
from meydan.core.errors import CommentRejected, RateLimited
from meydan.core.models import LEGACY_KEY, HashKey
from meydan.core.privacy import ip_hash, ip_hashes, ip_key_named, ip_keys_forget, legacy_ip_hash
from meydan.moderation import services as moderation
from meydan.moderation.models import Ban
from meydan.privacy.purge import purge
from meydan.sites.models import Site

pytestmark = pytest.mark.django_db

IP = "203.0.113.9"
OTHER = "203.0.113.10"
S = Comment.Status


def ban_ip(site, value, *, days=7, **kw):
    expires = timezone.now() + timedelta(days=days) if days is not None else None
    return moderation.ban_create(
        actor=None, site=site, kind="ip", value=value, expires=expires, **kw
    )


def newest_key() -> HashKey:
    return HashKey.objects.order_by("-id").first()


def legacy_key(days_ago=0) -> HashKey:
    """The row the core migration keeps on a database that held hashes already."""
    key = HashKey.objects.create(
        id=LEGACY_KEY, secret="", created=timezone.now() - timedelta(days=days_ago)
    )
    ip_keys_forget()
    return key


# --- The hash ---------------------------------------------------------------------


def test_a_hash_names_its_key_and_not_the_address():
    hashed = ip_hash(IP)
    key_id, hexdigits = hashed.split(".")
    assert int(key_id) == newest_key().id == ip_key_named(hashed)
    assert len(hexdigits) == 32 and int(hexdigits, 16) >= 0
    assert len(hashed) <= Comment._meta.get_field("ip_hash").max_length
    assert IP not in hashed
    assert ip_hash(IP) == hashed and ip_hash(OTHER) != hashed
    assert ip_hash(None) == "" and ip_hashes(None) == [] and ip_hashes("") == []


def test_the_hash_needs_the_key_row_and_secret_key_both(settings):
    hashed = ip_hash(IP)
    key, secret_key = newest_key(), settings.SECRET_KEY
    settings.SECRET_KEY = "another key"
    assert ip_hash(IP) != hashed  # the database alone does not make the hash
    settings.SECRET_KEY = secret_key
    assert ip_hash(IP) == hashed
    key.secret = "00" * 32
    key.save()
    ip_keys_forget()
    assert ip_hash(IP) != hashed


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ("7.0123456789abcdef0123456789abcdef", 7),
        ("0123456789abcdef0123456789abcdef", LEGACY_KEY),
        ("7.0123", None),
        ("x.0123456789abcdef0123456789abcdef", None),
        ("7.0123456789abcdef0123456789abcdeg", None),
        ("", None),
        ("a@example.org", None),
    ],
)
def test_a_stored_value_names_its_key(value, named):
    assert ip_key_named(value) == named


def test_every_process_derives_the_same_hash():
    hashed = ip_hash(IP)
    ip_keys_forget()  # as another process: nothing shared but the database
    assert ip_hash(IP) == hashed


# --- Rotation ---------------------------------------------------------------------


def test_rotation_makes_a_new_key(rotate):
    before = ip_hash(IP)
    old = newest_key()
    rotate()
    after = ip_hash(IP)
    assert after != before
    assert ip_key_named(after) == newest_key().id == old.id + 1
    assert ip_hashes(IP) == [after, before]  # the new key first, the old one still kept
    assert ip_hash(OTHER) and HashKey.objects.count() == 2  # one new key, not one per hash


def test_a_key_younger_than_the_period_stays_current(rotate, settings):
    before = ip_hash(IP)
    rotate(days=settings.MEYDAN_IP_KEY_DAYS - 1)
    assert ip_hash(IP) == before
    assert HashKey.objects.count() == 1


def test_the_period_is_a_setting(rotate, settings):
    before = ip_hash(IP)
    settings.MEYDAN_IP_KEY_DAYS = 7
    rotate(days=8)
    assert ip_hash(IP) != before


def test_two_processes_rotating_at_once_make_one_key(rotate):
    old = newest_key()
    rotate()
    first = privacy._rotate(after=old)
    second = privacy._rotate(after=old)  # lost the race: takes the winner's key
    assert (second.id, second.secret) == (first.id, first.secret)
    assert HashKey.objects.count() == 2
    assert ip_hash(IP).startswith(f"{first.id}.")  # and the transaction is still usable


# --- Bans across a rotation ---------------------------------------------------------


def test_a_ban_made_before_a_rotation_matches_after_it(site, post, rotate):
    comment = post("Before the rotation.", ip=IP)
    ban_ip(site, comment.ip_hash)  # "ban this comment's IP"
    rotate()
    assert ip_hash(IP) != comment.ip_hash
    with pytest.raises(CommentRejected):
        post("After the rotation.", ip=IP, email="someone@example.org")
    assert post("From elsewhere.", ip=OTHER, email="else@example.org").status == S.APPROVED


def test_a_ban_made_after_a_rotation_matches(site, post, rotate):
    post("Before the rotation.", ip=IP)
    rotate()
    ban_ip(site, ip_hash(IP))
    with pytest.raises(CommentRejected):
        post("After the rotation.", ip=IP, email="someone@example.org")


def test_a_shadow_ban_under_an_older_key_wins_over_a_plain_one(site, post, rotate):
    comment = post("Before the rotation.", ip=IP)
    ban_ip(site, comment.ip_hash, shadow=True)
    rotate()
    Ban.objects.create(site=site, kind="user", value="0")  # an unrelated plain ban
    moderation.ban_create(actor=None, site=site, kind="email", value="aynur@example.org")
    shadowed = post("After the rotation.", ip=IP)
    assert (shadowed.status, shadowed.shadow) == (S.SPAM, True)


def test_an_expired_ban_under_an_older_key_does_not_match(site, post, rotate):
    comment = post("Before the rotation.", ip=IP)
    Ban.objects.create(
        site=site, kind="ip", value=comment.ip_hash, expires=timezone.now() - timedelta(1)
    )
    rotate()
    assert post("After the rotation.", ip=IP, email="b@example.org").status == S.APPROVED


def test_a_ban_on_another_site_does_not_match(site, post, rotate):
    comment = post("Before the rotation.", ip=IP)
    elsewhere = Site.objects.create(name="B", slug="b", domain="b.example.org")
    ban_ip(elsewhere, comment.ip_hash)
    rotate()
    assert post("After the rotation.", ip=IP, email="b@example.org").status == S.APPROVED


def test_moderation_words_match_a_hash_under_an_older_key(site, post, rotate):
    comment = post("Before the rotation.", ip=IP)
    site.moderation_words = comment.ip_hash
    site.save()
    rotate()
    assert post("From elsewhere.", ip=OTHER, email="else@example.org").status == S.APPROVED
    held = post("After the rotation.", ip=IP, email="b@example.org")
    assert held.status == S.PENDING


def test_a_rotation_starts_per_address_rate_limits_afresh(post, rotate, settings):
    """The trade-off core.privacy states: a rate-limit window is counted per hash."""
    settings.MEYDAN_RATELIMIT_COMMENTS = (2, 60)
    post("One.", ip=IP, email="a1@example.org")
    post("Two.", ip=IP, email="a2@example.org")
    with pytest.raises(RateLimited):
        post("Three.", ip=IP, email="a3@example.org")
    rotate()
    assert post("Four.", ip=IP, email="a4@example.org").status == S.APPROVED


# --- What a post costs after a rotation -----------------------------------------------


def _statements(site, thread, body):
    with CaptureQueriesContext(connection) as captured:
        services.comment_post(
            thread=services.thread_for_posting(site=site, key=thread.key),
            author=services.Author(name="A", email="a@example.org"),
            body=body,
            channel="form",
            ip=IP,
        )
    skip = ("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT")
    return [q["sql"] for q in captured.captured_queries if not q["sql"].startswith(skip)]


def test_with_a_shared_cache_a_rotation_costs_a_site_without_bans_nothing(
    site, thread, rotate, settings
):
    settings.MEYDAN_SHARED_CACHE = True
    _statements(site, thread, "Warms the caches.")
    before = _statements(site, thread, "Before the rotation.")
    rotate()
    ip_hash(IP)  # the first hash after a rotation makes the key (once a month)
    after = _statements(site, thread, "After the rotation.")
    assert len(after) == len(before), after


def test_without_a_shared_cache_older_keys_cost_no_more_queries(site, thread, rotate, settings):
    """The ban lookup by account, email and the hashes under every kept key is
    moderation.bans' one query, before and after a rotation."""
    settings.MEYDAN_SHARED_CACHE = False
    _statements(site, thread, "Warms the caches.")
    before = _statements(site, thread, "Before the rotation.")
    rotate()
    ip_hash(IP)
    after = _statements(site, thread, "After the rotation.")
    assert len(after) == len(before), after
    assert sum('"moderation_ban"' in sql for sql in after) == 1


# --- The purge of keys ------------------------------------------------------------------


def test_an_expired_bans_key_is_purged(site, post, rotate, settings):
    comment = post("Banned.", ip=IP)
    ban = ban_ip(site, comment.ip_hash, days=1)
    old_key = ip_key_named(comment.ip_hash)
    rotate(days=settings.MEYDAN_IP_KEY_DAYS + site.ip_hash_days + 1)
    current = ip_hash(IP)
    assert purge()["ip_keys"] == 0  # the ban still names it
    assert HashKey.objects.filter(id=old_key).exists()
    later = timezone.now() + timedelta(days=2)
    counts = purge(now=later)
    assert (counts["bans"], counts["ip_keys"]) == (1, 1)
    assert not Ban.objects.filter(pk=ban.pk).exists()
    assert not HashKey.objects.filter(id=old_key).exists()
    assert ip_hashes(IP) == [current]  # never again linked to the old hash
    assert purge(now=later)["ip_keys"] == 0


def test_a_permanent_ip_ban_keeps_its_key(site, post, rotate, settings):
    comment = post("Banned for good.", ip=IP)
    ban_ip(site, comment.ip_hash, days=None)
    rotate(days=settings.MEYDAN_IP_KEY_DAYS + site.ip_hash_days + 400)
    ip_hash(IP)
    assert purge()["ip_keys"] == 0
    with pytest.raises(CommentRejected):
        post("Still banned.", ip=IP, email="b@example.org")


def test_a_key_is_kept_for_the_period_plus_the_longest_retention(site, rotate, settings):
    Site.objects.create(name="B", slug="b", domain="b.example.org", ip_hash_days=90)
    old = ip_key_named(ip_hash(IP))
    rotate(days=settings.MEYDAN_IP_KEY_DAYS + 89)
    ip_hash(IP)  # a newer key
    assert purge()["ip_keys"] == 0
    rotate(days=2)
    assert purge()["ip_keys"] == 1
    assert not HashKey.objects.filter(id=old).exists()


def test_the_newest_key_is_kept_however_old(site, rotate):
    newest = ip_key_named(ip_hash(IP))
    rotate(days=1000)
    assert purge()["ip_keys"] == 0
    assert HashKey.objects.filter(id=newest).exists()
    assert ip_key_named(ip_hash(IP)) == newest + 1  # ids never repeat


# --- The legacy key -----------------------------------------------------------------


def test_a_legacy_hash_ban_still_matches(site, post):
    legacy_key()
    old_value = legacy_ip_hash(IP)  # a hash stored before keys rotated
    assert ip_key_named(old_value) == LEGACY_KEY and "." not in old_value
    assert ip_hashes(IP)[-1] == old_value
    ban_ip(site, old_value)
    with pytest.raises(CommentRejected):
        post("After the upgrade.", ip=IP)
    assert post("From elsewhere.", ip=OTHER, email="else@example.org").status == S.APPROVED
    assert "." in Comment.objects.get().ip_hash  # new hashes are made under a rotating key


def test_the_legacy_key_goes_once_nothing_needs_it(site, settings):
    upgraded = settings.MEYDAN_IP_KEY_DAYS + site.ip_hash_days + 1
    legacy_key(days_ago=upgraded)
    Ban.objects.create(
        site=site, kind="ip", value=legacy_ip_hash(IP), expires=timezone.now() + timedelta(1)
    )
    assert purge()["ip_keys"] == 0  # an unexpired legacy ban keeps it
    counts = purge(now=timezone.now() + timedelta(days=2))
    assert (counts["bans"], counts["ip_keys"]) == (1, 1)
    assert not HashKey.objects.filter(id=LEGACY_KEY).exists()
    assert legacy_ip_hash(IP) not in ip_hashes(IP)


def test_a_new_database_has_no_legacy_key():
    assert not HashKey.objects.filter(id=LEGACY_KEY).exists()
    assert all("." in value for value in ip_hashes(IP))


def test_the_migration_keeps_a_legacy_key_only_where_hashes_were_stored(site, post):
    migration = importlib.import_module("meydan.core.migrations.0002_first_ip_keys")
    editor = SimpleNamespace(connection=connection)
    HashKey.objects.all().delete()
    migration.forwards(apps, editor)
    assert list(HashKey.objects.values_list("id", flat=True)) == [1]  # nothing hashed yet
    ip_keys_forget()
    post("Hashed before the upgrade.", ip=IP)
    Comment.objects.update(ip_hash=legacy_ip_hash(IP))
    HashKey.objects.all().delete()
    migration.forwards(apps, editor)
    assert sorted(HashKey.objects.values_list("id", flat=True)) == [LEGACY_KEY, 1]
    migration.forwards(apps, editor)  # run again: nothing more
    assert HashKey.objects.count() == 2
