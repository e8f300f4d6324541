"""A start-up check of the stream's configuration (Django's system checks)."""

from django.conf import settings
from django.core.checks import Warning, register


@register("meydan")
def stream_has_a_publisher(app_configs=None, **kwargs):
    """Announcing a stream that nothing feeds would leave every open page waiting."""
    if settings.MEYDAN_LIVE_STREAM_URL and not settings.MEYDAN_LIVE_REDIS_URL:
        return [
            Warning(
                "MEYDAN_LIVE_STREAM_URL is set, but no Redis is configured to publish "
                "comment changes on: pages would listen to a stream that never speaks.",
                hint="Set MEYDAN_CACHE_URL (or MEYDAN_LIVE_REDIS_URL) to a redis:// URL, "
                "or leave MEYDAN_LIVE_STREAM_URL empty: pages then poll GET /api/v1/live.",
                id="meydan.W401",
            )
        ]
    return []
