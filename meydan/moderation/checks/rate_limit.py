"""Rate limits on posting: per keyed IP hash, per identity (account or email) and
per site, counted by meydan.core.ratelimit (the one rate-limit API)."""

from django.conf import settings
from django.utils.translation import gettext as _

from meydan.comments.moderation import Decision, Verdict
from meydan.comments.reasons import Reason
from meydan.core import sealing
from meydan.core.ratelimit import hit

__all__ = ["RateLimitCheck", "hit"]


class RateLimitCheck:
    """Per reader first, then per site — and a refused attempt is not counted at the
    next level, so a flood from a few addresses cannot use up the site's budget and
    lock out everyone else."""

    def check(self, draft) -> Verdict | None:
        wait = self._wait(draft)
        if not wait:
            return None
        return Verdict(
            Decision.REJECT,
            why=Reason.of("rate_limit", seconds=wait),
            message=_(
                "You are posting faster than this site allows. Please wait %(n)d seconds "
                "and try again: your text is still here."
            )
            % {"n": wait},
            retry_after=wait,
        )

    def _wait(self, draft) -> int:
        reader = settings.MEYDAN_RATELIMIT_COMMENTS
        if reader:
            limit, period = reader
            identity = (
                f"user:{draft.user.pk}"
                if draft.user is not None
                else sealing.email_hash(draft.author_email)
            )
            for scope, key in (("ip", draft.ip_hash), ("id", identity)):
                if key:
                    wait = hit(scope, key, limit, period)
                    if wait:
                        return wait
        site_rate = settings.MEYDAN_RATELIMIT_SITE_COMMENTS
        if site_rate:
            return hit("site", str(draft.site.pk), *site_rate)
        return 0
