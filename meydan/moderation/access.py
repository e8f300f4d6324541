"""Who may moderate what. Superusers moderate every site; other staff only the
sites that list them as moderators. A comment on another site is "not found"."""

from django.http import Http404

from meydan.comments.models import Comment
from meydan.sites.models import Site


def sites_moderated_by(user):
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return Site.objects.none()
    if user.is_superuser:
        return Site.objects.all()
    return Site.objects.filter(moderators=user)


def is_moderator(user) -> bool:
    return sites_moderated_by(user).exists()


def moderates_site(user, site) -> bool:
    """Whether `user` moderates `site`; no query for readers who are not staff (the
    comment pages ask it on every view)."""
    if user is None or not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    return user.is_superuser or site.moderators.filter(pk=user.pk).exists()


def access_comments_for_moderation(user, comment_ids):
    """The comments among `comment_ids` that `user` may moderate (others are skipped)."""
    return Comment.objects.filter(
        pk__in=comment_ids, thread__site__in=sites_moderated_by(user)
    ).select_related("thread__site", "user")


def access_comment_for_moderation(user, comment_id: int) -> Comment:
    comment = access_comments_for_moderation(user, [comment_id]).first()
    if comment is None:
        raise Http404("No such comment on the sites you moderate.")
    return comment


def access_site_for_moderation(user, site_id: int) -> Site:
    site = sites_moderated_by(user).filter(pk=site_id).first()
    if site is None:
        raise Http404("You do not moderate this site.")
    return site
