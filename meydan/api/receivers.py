"""How the API reacts to other apps' announcements: it only forgets what it cached."""

from django.core.cache import cache
from django.dispatch import receiver

from meydan.api.cors import forget_origins
from meydan.api.v1.lookup import site_cache_key
from meydan.sites.events import site_changed


@receiver(site_changed, dispatch_uid="meydan-api-site-changed")
def forget_site(sender, site, **kwargs):
    """A new origin works, and a new policy shows, at once (in this process and in the
    shared cache; another worker's own short memo in api/fastpath.py lasts a minute)."""
    cache.delete(site_cache_key(site.slug))
    forget_origins()
