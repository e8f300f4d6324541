"""Avatars drawn locally from a keyed hash (pure; no database, no third party).

Gravatar would make every reader's browser call a third party, and its MD5 of
the email address can be reversed by guessing. Our avatar key is an HMAC of the
email (or, without one, the name), so it reveals nothing; the picture is a
symmetric 5x5 identicon as a small SVG, served by Meydan itself.

The picture is drawn from a key's first byte (the hue) and its last 15 bits (the
cells), so a key is 6 hex digits: those and no more (the 24 bits hold the 23 drawn
from). Keys stored before were 20, then 8, digits of the same HMAC; `url_key` gives
them as the 6 their picture is drawn from, so a reader keeps their picture and every
comment's URL is as short (each extra digit was one no compressor can shorten:
bench/wire_bytes.py), and a URL tells no more of the HMAC than its picture shows.
"""

from meydan.core.privacy import keyed_hash

KEY_LENGTH = 6


def avatar_key(*, email: str = "", name: str = "") -> str:
    source = email.strip().lower() or f"name:{name.strip().lower()}"
    return url_key(keyed_hash("avatar", source, length=20))


def url_key(key: str) -> str:
    """A stored key as its picture's URL gives it: the first byte and the last two,
    which hold every bit `identicon_svg` draws from (a 20- or 8-digit key from before
    and its 6 digits here draw the same picture)."""
    return key if len(key) <= KEY_LENGTH else key[:2] + key[-4:]


def identicon_svg(key: str, size: int = 5) -> str:
    """An SVG identicon for a hex key: a mirrored grid in one colour on a light tint."""
    if len(key) < KEY_LENGTH:
        raise ValueError("avatar key too short")
    hue = int(key[:2], 16) * 360 // 256
    colour = f"hsl({hue} 55% 45%)"
    background = f"hsl({hue} 40% 92%)"
    half = (size + 1) // 2
    bits = int(key[2:], 16)  # one bit per cell of the left half (and the middle column)
    cells = []
    for row in range(size):
        for col in range(half):
            if bits >> (row * half + col) & 1:
                for x in sorted({col, size - 1 - col}):
                    cells.append(f'<rect x="{x}" y="{row}" width="1" height="1"/>')
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="-0.5 -0.5 {size + 1} {size + 1}" '
        f'width="64" height="64" shape-rendering="crispEdges">'
        f'<rect x="-0.5" y="-0.5" width="{size + 1}" height="{size + 1}" fill="{background}"/>'
        f'<g fill="{colour}">{"".join(cells)}</g></svg>'
    )
