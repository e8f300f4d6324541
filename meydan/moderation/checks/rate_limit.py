"""Rate limits per keyed IP hash, per identity (account or email) and per site.

A sliding window over two fixed windows in the Django cache (Redis in
production): the count of the previous window is weighted by how much of it still
overlaps the last `period` seconds. Accurate enough to stop floods, two cache
operations per key, and atomic where the cache's incr is (Redis, local memory).
The client IP is trusted from X-Forwarded-For only through the configured number
of proxies (meydan.core.privacy.client_ip), so spoofing it does not help.
"""

import math
import time

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from meydan.moderation.verdicts import Decision, Verdict


def hit(scope: str, key: str, limit: int, period: int, now: float | None = None) -> int:
    """Count one event for (scope, key); return seconds to wait (0 when allowed).

    An event over the limit is not counted, so a client that keeps trying does not
    lock itself out for longer.
    """
    now = time.time() if now is None else now
    window = int(now // period)
    current_key = f"meydan:rl:{scope}:{key}:{window}"
    previous = cache.get(f"meydan:rl:{scope}:{key}:{window - 1}", 0)
    current = cache.get(current_key, 0)
    elapsed = now - window * period
    weighted = previous * (period - elapsed) / period + current
    if weighted + 1 > limit:
        # Wait until enough of the previous window has slid out.
        if previous:
            needed = (weighted + 1 - limit) * period / previous
            return max(1, math.ceil(min(needed, period - elapsed + period)))
        return max(1, math.ceil(period - elapsed))
    try:
        cache.incr(current_key)
    except ValueError:
        cache.add(current_key, 0, timeout=period * 2 + 5)
        cache.incr(current_key)
    return 0


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
            f"refused: rate limit ({wait} s)",
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
                f"user:{draft.user.pk}" if draft.user is not None else draft.author_email.lower()
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
