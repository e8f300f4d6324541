"""The one rate-limit API: every write a stranger can make is counted here.

A sliding window over two fixed windows in the Django cache (Redis in
production): the count of the previous window is weighted by how much of it still
overlaps the last `period` seconds. Accurate enough to stop floods, two cache
operations per key, and atomic where the cache's incr is (Redis, local memory).
The client IP is trusted from X-Forwarded-For only through the configured number
of proxies (meydan.core.privacy.client_ip), so spoofing it does not help, and it is
counted as a keyed hash, never stored.

Posting has its own moderation check (per reader, per identity,
per site: moderation/checks/rate_limit.py). The other writes a stranger can make
call `rate_limit(request, ACTION)`; each action's limit is a setting
(`MEYDAN_RATELIMIT_REPORTS`, `_PREVIEWS`, `_SIGNIN_CLAIMS`). A service that is
handed the client's address rather than the request (votes: comments.services.voting)
calls `rate_limit_keys(ACTION, ip=…, also=…)`, which counts the address and each
further key (a voter) against the same limit.
"""

import math
import time

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

from meydan.core.errors import RateLimited
from meydan.core.privacy import client_ip, keyed_hash

# action -> (setting holding its (count, seconds) or None, what the person is told)
ACTIONS = {
    "report": (
        "MEYDAN_RATELIMIT_REPORTS",
        _("You have sent many reports in a short time. Please wait a moment and try again."),
    ),
    "preview": (
        "MEYDAN_RATELIMIT_PREVIEWS",
        _("Previews are coming too fast. Please wait a moment and try again."),
    ),
    "vote": (
        "MEYDAN_RATELIMIT_VOTES",
        _("You are voting very fast. Please wait a moment and try again."),
    ),
    "signin_claim": (
        "MEYDAN_RATELIMIT_SIGNIN_CLAIMS",
        _("Too many sign-in checks from this address. Please wait a moment and try again."),
    ),
}


class SlidingWindow:
    """Events per `period` seconds under the cache key prefix `name`: the count of the
    current fixed window plus the previous one's, weighted by how much of it still
    overlaps the last `period` seconds. Two cache reads; counting one is an atomic
    incr where the cache's is (Redis, local memory). Used by `hit` (limits) and by the
    proof of work's flood levels (moderation/checks/pow_challenge.py)."""

    def __init__(self, name: str, period: int, now: float):
        self.period = period
        window = int(now // period)
        self.elapsed = now - window * period
        # Redis (core.cache's raw strings): both windows in one round trip, and the
        # count in one more, where Django's API took four (a comment posted on
        # PostgreSQL + Redis passes three of these windows).
        self.raw = hasattr(cache, "raw_get_many")
        if self.raw:
            self.current_key = cache.raw_key(f"{name}:{window}")
            previous, current = cache.raw_get_many(
                [cache.raw_key(f"{name}:{window - 1}"), self.current_key]
            )
            self.previous, self.current = int(previous or 0), int(current or 0)
            return
        self.current_key = f"{name}:{window}"
        self.previous = cache.get(f"{name}:{window - 1}", 0)
        self.current: int | None = None  # read when first needed (count() returns it)

    @property
    def rate(self) -> float:
        if self.current is None:
            self.current = cache.get(self.current_key, 0)
        return self.previous * (self.period - self.elapsed) / self.period + self.current

    def count(self) -> None:
        if self.raw:
            self.current = cache.raw_incr(self.current_key, self.period * 2 + 5)
            return
        try:
            self.current = cache.incr(self.current_key)
        except ValueError:
            cache.add(self.current_key, 0, timeout=self.period * 2 + 5)
            self.current = cache.incr(self.current_key)


def hit(scope: str, key: str, limit: int, period: int, now: float | None = None) -> int:
    """Count one event for (scope, key); return seconds to wait (0 when allowed).

    An event over the limit is not counted, so a client that keeps trying does not
    lock itself out for longer. On Redis one round trip (a script: read both
    windows, count if there is room), where the cache's API took three.
    """
    now = time.time() if now is None else now
    name = f"meydan:rl:{scope}:{key}"
    if hasattr(cache, "raw_window_hit"):
        window = int(now // period)
        elapsed = now - window * period
        previous, current, counted = cache.raw_window_hit(
            cache.raw_key(f"{name}:{window - 1}"),
            cache.raw_key(f"{name}:{window}"),
            (period - elapsed) / period,
            limit,
            period * 2 + 5,
        )
        if counted:
            return 0
        weighted = previous * (period - elapsed) / period + current
        return _wait(weighted, previous, elapsed, limit, period)
    sliding = SlidingWindow(name, period, now)
    weighted, previous, elapsed = sliding.rate, sliding.previous, sliding.elapsed
    if weighted + 1 > limit:
        return _wait(weighted, previous, elapsed, limit, period)
    sliding.count()
    return 0


def _wait(weighted: float, previous: int, elapsed: float, limit: int, period: int) -> int:
    """Seconds until enough of the previous window has slid out for one more event."""
    if previous:
        needed = (weighted + 1 - limit) * period / previous
        return max(1, math.ceil(min(needed, period - elapsed + period)))
    return max(1, math.ceil(period - elapsed))


def rate_limit(request, action: str) -> None:
    """Count this request for `action` against its client; raise RateLimited (429,
    with Retry-After) when it is over the action's limit. Nothing is done for it
    then, so the caller must call this before it changes anything."""
    rate_limit_keys(action, ip=client_ip(request))


def rate_limit_keys(action: str, *, ip: str | None, also: tuple[str, ...] = ()) -> None:
    """rate_limit for a caller that has the client's address, not the request: the
    address (as a keyed hash) and each key in `also` are counted under the action's
    limit, each on its own. RateLimited at the first one over it."""
    setting, message = ACTIONS[action]
    rate = getattr(settings, setting)
    if not rate:
        return
    keys = [(action, keyed_hash("ratelimit", ip) if ip else "no-address")]
    keys += [(f"{action}:also", keyed_hash("ratelimit", key)) for key in also]
    for scope, who in keys:
        wait = hit(scope, who, *rate)
        if wait:
            raise RateLimited(message, retry_after=wait)
