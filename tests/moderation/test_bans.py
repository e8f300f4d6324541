"""A ban takes effect for the next comment, in every worker, although posting
skips the ban lookup on a site without bans (moderation.bans: a flag in a shared
cache, or a one-row query when the cache is this process's own)."""

import pytest
from django.core.cache import cache
from django.db import connection

from meydan.core.errors import CommentRejected
from meydan.core.sealing import email_hash
from meydan.moderation import bans
from meydan.moderation import services as moderation
from meydan.moderation.models import Ban

pytestmark = pytest.mark.django_db

EMAIL = "aynur@example.org"


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """with committed(): … — runs what the block registered for after its commit."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture(params=[True, False], ids=["shared-cache", "local-cache"])
def shared(request, settings):
    settings.MEYDAN_SHARED_CACHE = request.param
    return request.param


def test_a_ban_after_the_flag_was_cached_refuses_the_next_post(site, post, committed, shared):
    assert post("Before the ban.").status == "approved"
    assert bans.site_has_bans(site.pk) is False
    with committed():
        moderation.ban_create(actor=None, site=site, kind="email", value=EMAIL)
    with pytest.raises(CommentRejected):
        post("After the ban.")


def test_a_ban_saved_outside_the_services_counts_too(site, post, committed, shared):
    """The admin and the shell save Ban rows directly."""
    post("Before the ban.")
    with committed():
        Ban.objects.create(site=site, kind="email", value=email_hash(EMAIL))
    with pytest.raises(CommentRejected):
        post("After the ban.")


def test_a_reader_that_looked_before_the_commit_cannot_hide_the_ban(site, committed, settings):
    """A post that read "no bans" from the database just before a ban committed
    may only `add` its answer, which a saved ban has already overruled."""
    settings.MEYDAN_SHARED_CACHE = True
    with committed():
        Ban.objects.create(site=site, kind="email", value=email_hash(EMAIL))
    cache.add(bans._flag_key(site.pk), 0, bans.FLAG_SECONDS)  # the late reader
    assert bans.site_has_bans(site.pk) is True


def test_without_a_shared_cache_the_flag_is_never_trusted(site, post, settings):
    """Another worker's ban could not have reached this process's cache."""
    settings.MEYDAN_SHARED_CACHE = False
    cache.set(bans._flag_key(site.pk), 0)  # stale, as another worker would leave it
    with connection.cursor() as cursor:  # a row no signal in this process heard of
        cursor.execute(
            "INSERT INTO moderation_ban (site_id, kind, value, shown, shadow, reason, created) "
            "VALUES (%s, 'email', %s, '', %s, '', CURRENT_TIMESTAMP)",
            [site.pk, email_hash(EMAIL), False],
        )
    with pytest.raises(CommentRejected):
        post("After the ban.")


def test_lifting_the_last_ban_lets_the_author_post_and_drops_the_flag(
    site, post, committed, shared
):
    with committed():
        ban = moderation.ban_create(actor=None, site=site, kind="email", value=EMAIL)
    with pytest.raises(CommentRejected):
        post("During the ban.")
    with committed():
        moderation.ban_lift(ban, actor=None)
    assert post("After the ban.").status == "approved"
    assert bans.site_has_bans(site.pk) is False


def test_bulk_delete_drops_the_flag(site, committed, settings):
    """The admin's "delete selected" deletes through a queryset."""
    settings.MEYDAN_SHARED_CACHE = True
    with committed():
        Ban.objects.create(site=site, kind="email", value=email_hash(EMAIL))
    assert bans.site_has_bans(site.pk) is True
    with committed():
        Ban.objects.filter(site=site).delete()
    assert bans.site_has_bans(site.pk) is False


def test_a_ban_on_another_site_costs_this_site_nothing(site, site_b, committed, settings):
    settings.MEYDAN_SHARED_CACHE = True
    with committed():
        Ban.objects.create(site=site_b, kind="email", value=email_hash(EMAIL))
    assert (bans.site_has_bans(site.pk), bans.site_has_bans(site_b.pk)) == (False, True)
