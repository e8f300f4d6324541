"""Reading bans: is this author banned on this site, right now?

Most sites have no ban most of the time, and looking an author up is one of the
dearer steps of posting, so `ban_for` first asks whether the site has any ban at
all (`site_has_bans`), and a ban takes effect for the very next comment in every
worker either way:

- With a cache every worker shares (MEYDAN_SHARED_CACHE: Redis), the answer is a
  per-site flag in that cache. Saving a ban sets it (before and after the commit),
  so no reader can cache "no bans" over it: readers only ever `add` the flag, which
  does nothing once it is set. Deleting a ban drops the flag after the commit; the
  worst a race can leave behind is "has bans", which only costs the full lookup.
- Otherwise (a cache of this process only, which another worker's ban could not
  reach) it is asked of the database every time, with the cheapest query there is.

The flag is kept up to date by `ban_saved` / `ban_deleted` (connected in
moderation.apps to Ban's post_save / post_delete, so the admin, the moderation
screens, the shell and loaddata all count; `bulk_create` would not, and nothing
uses it for bans).
"""

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from meydan.core import sqlrows

FLAG_SECONDS = 3600


def _flag_key(site_id: int) -> str:
    return f"meydan:bans:{site_id}"


def ban_for(*, site, user=None, email: str = "", ip_hash: str = ""):
    """The active ban that matches any of the author's keys, shadow bans first; or None."""
    from meydan.moderation.models import Ban

    keys = Q()
    if user is not None:
        keys |= Q(kind=Ban.Kind.USER, value=str(user.pk))
    if email:
        keys |= Q(kind=Ban.Kind.EMAIL, value=email.strip().lower())
    if ip_hash:
        keys |= Q(kind=Ban.Kind.IP, value=ip_hash)
    if not keys or not site_has_bans(site.pk):
        return None
    now = timezone.now()
    return (
        Ban.objects.filter(keys)
        .filter(site=site)
        .filter(Q(expires=None) | Q(expires__gt=now))
        .order_by("-shadow", "-created")
        .first()
    )


def site_has_bans(site_id: int) -> bool:
    """Whether any ban row (active or expired) exists for the site."""
    if not settings.MEYDAN_SHARED_CACHE:
        return _has_bans_in_db(site_id)
    flag = cache.get(_flag_key(site_id))
    if flag is None:
        flag = int(_has_bans_in_db(site_id))
        cache.add(_flag_key(site_id), flag, FLAG_SECONDS)
    return bool(flag)


def _has_bans_in_db(site_id: int) -> bool:
    # Hand-written: runs for every comment posted (see core.sqlrows).
    from meydan.moderation.models import Ban

    return sqlrows.exists(
        f"SELECT 1 FROM {sqlrows.table(Ban)} WHERE {sqlrows.quote('site_id')} = %s LIMIT 1",  # noqa: S608 - names from the models, values as parameters
        [site_id],
    )


def _mark_has_bans(site_id: int) -> None:
    cache.set(_flag_key(site_id), 1, FLAG_SECONDS)


def ban_saved(sender, instance, **kwargs) -> None:
    """A ban was created or changed: its site has bans, now and after the commit."""
    site_id = instance.site_id
    _mark_has_bans(site_id)
    transaction.on_commit(lambda: _mark_has_bans(site_id), using=kwargs.get("using"))


def ban_deleted(sender, instance, **kwargs) -> None:
    """A ban was deleted: ask again after the commit (it may have been the last one)."""
    key = _flag_key(instance.site_id)
    transaction.on_commit(lambda: cache.delete(key), using=kwargs.get("using"))
