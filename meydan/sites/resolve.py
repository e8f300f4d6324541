"""Which Site a request is for."""

from django.http import Http404

from meydan.sites.models import Site


def site_for_request(request) -> Site:
    """The Site whose domain is the request's host, else the first site.

    One Meydan usually serves one newsroom; the fallback keeps a fresh install and
    `runserver` on any allowed host working. Raises Http404 when no site exists.
    """
    cached = getattr(request, "_meydan_site", None)
    if cached is not None:
        return cached
    host = request.get_host().rsplit(":", 1)[0] if request.get_host() else ""
    site = Site.objects.filter(domain__in=[request.get_host(), host]).first()
    if site is None:
        site = Site.objects.order_by("id").first()
    if site is None:
        raise Http404("No site is configured yet: run `meydan meydan_demo` or add one.")
    request._meydan_site = site
    return site
