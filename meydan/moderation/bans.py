"""Reading bans: is this author banned on this site, right now?

Most sites have no ban most of the time, so with a cache every worker shares
(MEYDAN_SHARED_CACHE: Redis) `ban_for` first asks that cache whether the site has
any ban at all (`site_has_bans`), and skips the query when it has none. A ban takes
effect for the very next comment in every worker either way:

- With the shared cache, the answer is a per-site flag there. Saving a ban sets
  it (before and after the commit), so no reader can cache "no bans" over it:
  readers only ever `add` the flag, which does nothing once it is set. Deleting
  a ban drops the flag after the commit; the worst a race can leave behind is
  "has bans", which only costs the lookup.
- Otherwise (a cache of this process only, which another worker's ban could not
  reach) the database is asked every time: the lookup itself is that one query.

The flag is kept up to date by `ban_saved` / `ban_deleted` (connected in
moderation.apps to Ban's post_save / post_delete, so the admin, the moderation
screens, the shell and loaddata all count; `bulk_create` would not, and nothing
uses it for bans).
"""

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from meydan.core import sealing, sqlrows
from meydan.core.shared_cache import site_fact, when_shared

FLAG_SECONDS = 3600


@site_fact
def _flag_key(site_id: int) -> str:
    return f"meydan:bans:{site_id}"


def ban_for(
    *, site, user=None, email: str = "", email_hash: str = "", ip_hash: str = "", ip_hashes=()
):
    """The active ban that matches any of the author's keys, shadow bans first; or None.
    A ban by email holds the address's keyed hash (core.sealing), never the address.
    An IP is matched by its hash under each key still kept (`ip_hashes`, from
    core.privacy.ip_hashes: a ban made before a key rotation), in the same query."""
    from meydan.moderation.models import Ban

    keys = []
    if user is not None:
        keys.append((Ban.Kind.USER, str(user.pk)))
    if email or email_hash:
        keys.append((Ban.Kind.EMAIL, email_hash or sealing.email_hash(email)))
    for hashed in dict.fromkeys([ip_hash, *ip_hashes]):
        if hashed:
            keys.append((Ban.Kind.IP, hashed))
    if not keys:
        return None
    if settings.MEYDAN_SHARED_CACHE and not site_has_bans(site.pk):
        return None
    # Without a shared cache the lookup itself is the one query: it costs no more
    # than asking whether the site has any ban.
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    row = sqlrows.fetch_one(
        sqlrows.statement(_ban_sql, len(keys)),
        [site.pk, *(part for key in keys for part in key), now],
    )
    return sqlrows.instance(Ban, row) if row is not None else None


def _ban_sql(keys: int) -> str:
    """Hand-written: runs for every comment posted (see core.sqlrows)."""
    from meydan.moderation.models import Ban

    q = sqlrows.quote
    match = " OR ".join([f"({q('kind')} = %s AND {q('value')} = %s)"] * keys)
    return (
        f"SELECT {sqlrows.columns(Ban, 'b')} FROM {sqlrows.table(Ban)} b "  # noqa: S608 - names from the models, values as parameters
        f"WHERE b.{q('site_id')} = %s AND ({match}) "
        f"AND (b.{q('expires')} IS NULL OR b.{q('expires')} > %s) "
        f"ORDER BY b.{q('shadow')} DESC, b.{q('created')} DESC LIMIT 1"
    )


def site_has_bans(site_id: int) -> bool:
    """Whether any ban row (active or expired) exists for the site."""
    return bool(
        when_shared(_flag_key(site_id), FLAG_SECONDS, lambda: int(_has_bans_in_db(site_id)))
    )


def _has_bans_in_db(site_id: int) -> bool:
    # Hand-written: runs for every comment posted (see core.sqlrows).
    return sqlrows.exists(sqlrows.statement(_any_ban_sql), [site_id])


def _any_ban_sql() -> str:
    from meydan.moderation.models import Ban

    q = sqlrows.quote
    return f"SELECT 1 FROM {sqlrows.table(Ban)} WHERE {q('site_id')} = %s LIMIT 1"  # noqa: S608 - names from the models, values as parameters


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
