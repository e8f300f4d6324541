"""How the comments app reacts to other apps' announcements."""

from django.dispatch import receiver

from meydan.comments.services import threads_bump_for_site
from meydan.sites.events import site_changed


@receiver(site_changed, dispatch_uid="meydan-comments-site-changed")
def site_policy_changed(sender, site, **kwargs):
    """Pages built under the old policy (page size, order, open) are not served again."""
    threads_bump_for_site(site.pk)
