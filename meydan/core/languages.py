"""Which language a page, an API answer or an email is in.

One order, everywhere (README, "Languages"):

1. the reader's own choice: Django's language cookie, set by the switcher at the foot
   of every page (django.views.i18n.set_language);
2. the page's language: an article's own language on the newsroom, the `lang` query
   parameter the widget sends with every API request (from the host page's
   `<html lang>` or `data-meydan-lang`);
3. the browser's `Accept-Language`;
4. the site's default language (Site.language, set in the admin);
5. settings.LANGUAGE_CODE.

Every value is a BCP 47 tag read loosely ("ru-RU", "fa_IR", "AZ" all count); a tag we
do not ship, or garbage, is skipped quietly and the next source decides. Emails have
no request: they go out in the language stored with the recipient's subscription.
"""

import re
from collections.abc import Callable

from django.conf import settings
from django.utils import translation
from django.utils.translation import trans_real

# A BCP 47 tag as browsers and people write it: letters, digits, "-" or "_", short.
_TAG = re.compile(r"^[A-Za-z]{1,8}([-_][A-Za-z0-9]{1,8})*$")


def supported(tag: str | None) -> str | None:
    """The shipped language a tag asks for ("fa-IR" -> "fa"), or None.

    Django's get_supported_language_variant does the matching (with its fallback
    from a regional variant to the generic language); this only guards it against
    what it must not see (garbage, very long values).
    """
    if not tag or len(tag) > 35 or not _TAG.match(tag.strip()):
        return None
    try:
        return translation.get_supported_language_variant(tag.strip().replace("_", "-").lower())
    except LookupError:
        return None


def from_accept_language(header: str | None) -> str | None:
    """The first shipped language in an Accept-Language header, by its q values."""
    if not header:
        return None
    for tag, _q in trans_real.parse_accept_lang_header(header[:1000]):
        if tag == "*":
            continue
        language = supported(tag)
        if language:
            return language
    return None


def choose_language(
    *,
    chosen: str | None = None,
    page: str | None = None,
    accept_language: str | None = None,
    site_default: str | Callable[[], str | None] | None = None,
) -> str:
    """The language to answer in, by the order in this module's docstring.

    `site_default` may be a callable, asked only when nothing before it decides (it
    may cost a query).
    """
    language = supported(chosen) or supported(page) or from_accept_language(accept_language)
    if language:
        return language
    default = site_default() if callable(site_default) else site_default
    return supported(default) or settings.LANGUAGE_CODE


def request_language(
    request,
    *,
    page: str | None = None,
    site_default: str | Callable[[], str | None] | None = None,
) -> str:
    """choose_language for an HttpRequest: its cookie, `page` (or its `lang`
    query parameter when `page` is None) and its Accept-Language header."""
    if page is None:
        page = request.GET.get("lang")
    return choose_language(
        chosen=request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME),
        page=page,
        accept_language=request.META.get("HTTP_ACCEPT_LANGUAGE"),
        site_default=site_default,
    )


def activate_for_request(request, language: str) -> None:
    """Answer this request in `language` (what LocaleMiddleware does for its choice)."""
    translation.activate(language)
    request.LANGUAGE_CODE = translation.get_language()
