"""Writes for sites."""

import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from meydan.sites.events import Channel, announce, site_changed
from meydan.sites.lookup import site_cache_key
from meydan.sites.models import Site, normalise_origin


def _unique_slug(name: str) -> str:
    base = slugify(name)[:50] or "site"
    slug, n = base, 1
    while Site.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def site_create(
    *, name: str, origins: list[str], domain: str | None = None, language: str = "en"
) -> Site:
    """Register a site that embeds comments from the given origins; `language` is its
    default language, one of settings.LANGUAGES."""
    clean = [normalise_origin(origin) for origin in origins]
    if not name.strip():
        raise ValidationError(_("A site needs a name."))
    if language not in dict(settings.LANGUAGES):
        raise ValidationError(
            _("Meydan does not speak %(language)s; choose one of %(choices)s.")
            % {"language": language, "choices": ", ".join(dict(settings.LANGUAGES))}
        )
    domain = domain or (urlsplit(clean[0]).netloc if clean else "")
    if not domain:
        raise ValidationError(_("A site needs a domain or at least one origin."))
    with transaction.atomic():
        if Site.objects.filter(domain=domain).exists():
            raise ValidationError(_("A site for %(domain)s exists already.") % {"domain": domain})
        return Site.objects.create(
            name=name.strip(),
            slug=_unique_slug(name),
            domain=domain,
            origins="\n".join(clean),
            language=language,
        )


def site_get_or_create(*, domain: str, name: str, origins: list[str] | None = None) -> Site:
    site = Site.objects.filter(domain=domain).first()
    if site is not None:
        return site
    return site_create(name=name, origins=origins or [], domain=domain)


def site_remove(site: Site) -> None:
    """Delete a site with all its threads and comments (and, by cascade, everything
    moderation kept about them). Its key stops answering at once."""
    key = site_cache_key(site.slug)
    with transaction.atomic():
        site.delete()
        transaction.on_commit(lambda: cache.delete(key))


def site_update(site: Site, *, channel: Channel | str, actor=None) -> Site:
    """Save a site whose fields a front door (the admin) changed, validated as the
    model says, and announce it after commit (site_changed): cached sites, CORS
    origins and every thread page built under the old policy are forgotten."""
    site.full_clean()
    old_slug = Site.objects.filter(pk=site.pk).values_list("slug", flat=True).first()
    with transaction.atomic():
        site.save()
        # The cached site under its old and its new key (a renamed slug's old key
        # must not keep answering for a minute).
        keys = [site_cache_key(slug) for slug in {old_slug, site.slug} if slug]
        transaction.on_commit(lambda: cache.delete_many(keys))
        announce(site_changed, Site, site=site, channel=channel, actor=actor)
    return site


TOKEN_PREFIX = "mst_"  # noqa: S105 - a prefix that names the kind of token, not a secret


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def site_token_rotate(site: Site) -> str:
    """A new secret token for the site's server-to-server calls; the old one stops
    working. Only its hash is stored: show the token to the operator once."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    Site.objects.filter(pk=site.pk).update(post_token_hash=_token_hash(token))
    site.post_token_hash = _token_hash(token)
    cache.delete(site_cache_key(site.slug))  # the old token must stop working at once
    transaction.on_commit(lambda: cache.delete(site_cache_key(site.slug)))
    return token


def site_token_valid(site: Site, token: str) -> bool:
    if not site.post_token_hash or not token.startswith(TOKEN_PREFIX):
        return False
    return hmac.compare_digest(site.post_token_hash, _token_hash(token))
