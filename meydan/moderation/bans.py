"""Reading bans: is this author banned on this site, right now?"""

from django.db.models import Q
from django.utils import timezone


def ban_for(*, site, user=None, email: str = "", ip_hash: str = ""):
    """The active ban that matches any of the author's keys, shadow bans first; or None."""
    from meydan.moderation.models import Ban

    keys = Q()
    if user is not None:
        keys |= Q(kind=Ban.Kind.USER, value=str(user.pk))
    if email:
        keys |= Q(kind=Ban.Kind.EMAIL, value=email.strip().lower())
    if ip_hash:
        keys |= Q(kind=Ban.Kind.IP, value=ip_hash)
    if not keys:
        return None
    now = timezone.now()
    return (
        Ban.objects.filter(keys)
        .filter(Q(site=site) | Q(site=None))
        .filter(Q(expires=None) | Q(expires__gt=now))
        .order_by("-shadow", "-created")
        .first()
    )
