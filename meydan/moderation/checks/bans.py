"""Banned authors (by account, email or keyed IP hash, with an expiry): refused with
a plain message — or, for a shadow ban, saved so that only the author sees it.

An IP ban holds a hash that names its key (core.privacy), and the keys rotate. A
ban made from a comment posted before a rotation holds the address's hash under an
older key. So the author's address is matched under every key still kept, until
the ban expires. The current key's hash goes into moderation.bans' one lookup,
with the account and the email. The hashes under older keys take one more
IP-only query. That query is skipped when no older key is kept, and on a site
without bans when the cache is shared.
"""

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from meydan.comments.moderation import Decision, Verdict
from meydan.core import sqlrows
from meydan.core.privacy import ip_hashes


class BanCheck:
    def check(self, draft) -> Verdict | None:
        from meydan.moderation.bans import ban_for

        ban = ban_for(
            site=draft.site, user=draft.user, email=draft.author_email, ip_hash=draft.ip_hash
        )
        if ban is None or not ban.shadow:
            # A shadow ban wins over a plain one, whichever key it was made under.
            ban = _ip_ban_under_older_keys(draft, shadow_only=ban is not None) or ban
        if ban is None:
            return None
        if ban.shadow:
            return Verdict(Decision.SPAM, "shadow-banned", shadow=True)
        return Verdict(
            Decision.REJECT,
            f"refused: banned ({ban.get_kind_display()})",
            message=_("You cannot comment on this site."),
        )


def _ip_ban_under_older_keys(draft, *, shadow_only: bool):
    from meydan.moderation.bans import site_has_bans
    from meydan.moderation.models import Ban

    older = [value for value in ip_hashes(draft.client_ip) if value != draft.ip_hash]
    if not older:
        return None
    if settings.MEYDAN_SHARED_CACHE and not site_has_bans(draft.site.pk):
        return None
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    row = sqlrows.fetch_one(
        sqlrows.statement(_older_keys_sql, len(older), shadow_only),
        [draft.site.pk, Ban.Kind.IP, *older, *([True] if shadow_only else []), now],
    )
    return sqlrows.instance(Ban, row) if row is not None else None


def _older_keys_sql(hashes: int, shadow_only: bool) -> str:
    """Hand-written: runs for every comment posted while an older key is kept (see
    core.sqlrows)."""
    from meydan.moderation.models import Ban

    q = sqlrows.quote
    shadow = f"AND b.{q('shadow')} = %s " if shadow_only else ""
    return (
        f"SELECT {sqlrows.columns(Ban, 'b')} FROM {sqlrows.table(Ban)} b "  # noqa: S608 - names from the models, values as parameters
        f"WHERE b.{q('site_id')} = %s AND b.{q('kind')} = %s "
        f"AND b.{q('value')} IN ({', '.join(['%s'] * hashes)}) {shadow}"
        f"AND (b.{q('expires')} IS NULL OR b.{q('expires')} > %s) "
        f"ORDER BY b.{q('shadow')} DESC, b.{q('created')} DESC LIMIT 1"
    )
