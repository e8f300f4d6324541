"""Where we may send a reader after sign-in or sign-out (pure)."""


def is_same_site_path(url: str | None) -> bool:
    """True for "/article/?x#y"; False for absolute, scheme-relative or odd URLs.

    Stricter than Django's url_has_allowed_host_and_scheme: a `next` must be a
    path on this site, so no absolute URL passes, even to an allowed host.
    """
    if not url or not url.startswith("/") or url.startswith(("//", "/\\")):
        return False
    if any(ch in url for ch in "\\\r\n\t\x00 "):
        return False
    return ":" not in url.split("?", 1)[0].split("#", 1)[0]
