"""What core keeps: the keys behind stored IP hashes (see core.privacy).

A HashKey is a random secret; the HMAC key an IP is hashed under is derived from it
and SECRET_KEY together, so neither a copy of the database nor SECRET_KEY alone can
tell which address a stored hash stands for. Keys rotate (MEYDAN_IP_KEY_DAYS) and
the purge (meydan.privacy.purge) deletes the ones nothing needs any more: after that
no one, not even with SECRET_KEY, can link the hashes made under a deleted key to
any address or to any newer hash.
"""

from django.db import models
from django.utils import timezone

# The key of the hashes made before keys rotated: plain 32-hex values with no key id,
# derived from SECRET_KEY alone (core.privacy.legacy_ip_hash). See core.privacy.
LEGACY_KEY = 0


class HashKey(models.Model):
    """One key behind stored IP hashes. Ids count up from 1 (0 is the legacy key), and
    a hash names the key it was made under ("<id>.<hex>"); a new key takes the next
    id, so two processes rotating at once cannot both succeed (core.privacy)."""

    id = models.PositiveIntegerField(primary_key=True)
    # 32 random bytes, hex; empty for the legacy key, which has no secret of its own.
    secret = models.CharField(max_length=64, blank=True, editable=False)
    created = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return "legacy IP key" if self.is_legacy else f"IP key {self.id}"

    @property
    def is_legacy(self) -> bool:
        return self.id == LEGACY_KEY
