"""Which page opened the sign-in popup, as the browser tells it (pure).

The popup's address says which origin the widget claims to be on, but anyone can
write an address. What a page cannot forge in a reader's browser is the request the
browser makes for it: `Referer` (the opener's origin under every default referrer
policy) and the `Sec-Fetch-*` metadata headers. A program outside a browser can send
any headers, but it does not have the reader's Meydan session either, so it gets
nothing from the popup.

The rule: the popup starts only when the Referer names the origin in the address,
and that origin is registered for the site. A missing Referer (a page that set
`Referrer-Policy: no-referrer`, a typed or bookmarked address) is refused too: the
widget's pages must send at least their origin, which is every browser's default.
"""

from meydan.core.weburl import origin_of

# Sec-Fetch-Site "none" is a navigation the reader started themselves (typed address,
# bookmark): no page opened the popup. Sec-Fetch-Dest must be a top-level document.
_REFUSED_SITES = {"none"}
_ALLOWED_DESTS = {"document"}


def opener_origin(headers) -> str | None:
    """The origin of the page that opened this navigation, or None when the browser
    did not say, or said it was not opened by a page."""
    if headers.get("Sec-Fetch-Site") in _REFUSED_SITES:
        return None
    dest = headers.get("Sec-Fetch-Dest")
    if dest is not None and dest not in _ALLOWED_DESTS:
        return None
    referer = headers.get("Referer") or ""
    # A browser sends the Referer serialised: never with a backslash (web_url refuses
    # a user name or password itself).
    if not referer or "\\" in referer:
        return None
    return origin_of(referer)
