"""How the API reacts to other apps' announcements: it only forgets what it cached."""

from django.dispatch import receiver

from meydan.api.cors import forget_origins
from meydan.sites.events import site_changed


@receiver(site_changed, dispatch_uid="meydan-api-site-changed")
def forget_site_origins(sender, site, **kwargs):
    """A new origin works at once (sites.services.site_update forgets the cached site
    itself; another worker's own short memo in api/fastpath.py lasts a minute)."""
    forget_origins()
