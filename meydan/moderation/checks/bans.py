"""Banned authors (by account, email or keyed IP hash, with an expiry): refused with
a plain message — or, for a shadow ban, saved so that only the author sees it."""

from django.utils.translation import gettext as _

from meydan.comments.moderation import Decision, Verdict


class BanCheck:
    def check(self, draft) -> Verdict | None:
        from meydan.moderation.bans import ban_for

        ban = ban_for(
            site=draft.site, user=draft.user, email=draft.author_email, ip_hash=draft.ip_hash
        )
        if ban is None:
            return None
        if ban.shadow:
            return Verdict(Decision.SPAM, "shadow-banned", shadow=True)
        return Verdict(
            Decision.REJECT,
            f"refused: banned ({ban.get_kind_display()})",
            message=_("You cannot comment on this site."),
        )
