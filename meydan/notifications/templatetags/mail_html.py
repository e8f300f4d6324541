"""A comment's HTML as an email shows it: a link's destination is written after its
text, so that a comment quoted in a message from this site cannot pass a link off
as something else ("[your account](https://evil.example)")."""

import re
from html import unescape
from urllib.parse import urlsplit

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

register = template.Library()

# The sanitiser (comments.rendering, nh3) writes every link as <a href="…" rel="…">.
_LINK = re.compile(r'<a href="([^"]*)"[^>]*>(.*?)</a>', re.S)


def _marked(match: re.Match) -> str:
    href, text = unescape(match[1]), match[2]
    host = urlsplit(href).hostname or ""
    shown = unescape(re.sub(r"<[^>]+>", "", text)).strip()
    if not host or shown.rstrip("/") == href.rstrip("/"):
        return match[0]
    return f'{match[0]} <span style="color:#555">[{escape(host)}]</span>'


@register.filter
def links_marked(html: str) -> str:
    """Sanitised comment HTML with each link's host shown after it."""
    return mark_safe(_LINK.sub(_marked, html or ""))  # noqa: S308 - input is the sanitiser's output
