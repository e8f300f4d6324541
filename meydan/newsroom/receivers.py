"""The newsroom announces its own articles to readers who asked for new posts."""

from django.utils import timezone

from meydan.notifications.notify import post_published
from meydan.notifications.services import absolute


def article_saved(sender, instance, **kwargs):
    """An article that is on the site (published, not dated in the future) is
    announced once; saving it again announces nothing."""
    if instance.is_published and instance.published <= timezone.now():
        post_published(
            site=instance.site,
            url=absolute(instance.get_absolute_url()),
            title=instance.title,
            summary=instance.standfirst,
        )
