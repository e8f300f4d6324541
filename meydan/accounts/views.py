import re

from django.http import Http404, HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from meydan.accounts.avatars import identicon_svg

_KEY = re.compile(r"^[0-9a-f]{8,64}$")


@require_safe
@cache_control(public=True, max_age=31_536_000, immutable=True)
def avatar(request, key: str):
    """GET /avatars/<key>.svg — the picture never changes for a key."""
    if not _KEY.match(key):
        raise Http404("No such avatar.")
    return HttpResponse(identicon_svg(key), content_type="image/svg+xml")
