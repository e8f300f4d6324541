"""How the comments app reacts to other apps' announcements, and counts its own."""

from django.dispatch import receiver

from meydan.comments.events import comment_posted
from meydan.comments.models import Comment
from meydan.comments.services import threads_bump_for_site
from meydan.core import metrics
from meydan.sites.events import site_changed

# meydan_comments_posted's status label: what readers see of a new comment.
_POSTED_AS = {
    Comment.Status.APPROVED: "published",
    Comment.Status.PENDING: "held",
    Comment.Status.SPAM: "spam",
    Comment.Status.TRASH: "trash",
}


@receiver(site_changed, dispatch_uid="meydan-comments-site-changed")
def site_policy_changed(sender, site, **kwargs):
    """Pages built under the old policy (page size, order, open) are not served again."""
    threads_bump_for_site(site.pk)


@receiver(comment_posted, dispatch_uid="meydan-comments-count-posted")
def count_posted(sender, comment, channel, **kwargs):
    """meydan_comments_posted (a refused comment is counted where it is refused)."""
    status = "shadow" if comment.shadow else _POSTED_AS.get(comment.status, comment.status)
    metrics.comment_posted(status, channel)
