"""Writes for sites."""

from meydan.sites.models import Site


def site_get_or_create(*, domain: str, name: str, origins: list[str] | None = None) -> Site:
    site, created = Site.objects.get_or_create(
        domain=domain, defaults={"name": name, "origins": "\n".join(origins or [])}
    )
    return site
