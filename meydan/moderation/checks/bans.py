"""Banned authors (by account, email or keyed IP hash, with an expiry): refused with
a plain message — or, for a shadow ban, saved so that only the author sees it.

An IP ban holds a hash that names its key (core.privacy), and the keys rotate. A
ban made from a comment posted before a rotation holds the address's hash under an
older key. So the author's address is matched under every key still kept, until
the ban expires, in moderation.bans' one lookup with the account and the email.
"""

from django.utils.translation import gettext as _

from meydan.comments.moderation import Decision, Verdict
from meydan.comments.reasons import Reason
from meydan.core.privacy import ip_hashes


class BanCheck:
    def check(self, draft) -> Verdict | None:
        from meydan.moderation.bans import ban_for

        ban = ban_for(
            site=draft.site,
            user=draft.user,
            email=draft.author_email,
            email_hash=draft.author_email_hash,
            ip_hash=draft.ip_hash,
            ip_hashes=ip_hashes(draft.client_ip) if draft.client_ip else (),
        )
        if ban is None:
            return None
        if ban.shadow:
            return Verdict(Decision.SPAM, why=Reason.of("bans", shadow=True), shadow=True)
        return Verdict(
            Decision.REJECT,
            why=Reason.of("bans", kind=str(ban.kind)),
            message=_("You cannot comment on this site."),
        )
