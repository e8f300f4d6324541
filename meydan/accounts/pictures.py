"""Copy a provider's profile picture to our own storage (see models.Picture)."""

import hashlib
import logging
from urllib.parse import urlsplit

import requests

from meydan.accounts.models import Picture

log = logging.getLogger(__name__)

MAX_BYTES = 1024 * 1024
TIMEOUT_SECONDS = 5
# Raster formats only (an SVG could carry script), recognised by their first bytes.
SIGNATURES = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"GIF87a": "image/gif",
    b"GIF89a": "image/gif",
}


def sniff_image_type(data: bytes) -> str | None:
    for signature, content_type in SIGNATURES.items():
        if data.startswith(signature):
            return content_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _host(url: str) -> str:
    """What a log line may say of a picture's address: the provider's host (the rest
    of the address identifies the reader)."""
    return urlsplit(url).hostname or "?"


def picture_fetch(url: str) -> Picture | None:
    """Download `url` (at most 1 MB, 5 s) and store it; None when that is not possible."""
    if not url.startswith(("https://", "http://")):
        return None
    try:
        with requests.get(url, timeout=TIMEOUT_SECONDS, stream=True) as response:
            response.raise_for_status()
            data = b""
            for chunk in response.iter_content(64 * 1024):
                data += chunk
                if len(data) > MAX_BYTES:
                    log.info("profile picture too large (from %s)", _host(url))
                    return None
    except requests.RequestException as error:
        log.info("profile picture not fetched (%s) from %s", error.__class__.__name__, _host(url))
        return None
    content_type = sniff_image_type(data)
    if content_type is None:
        return None
    key = hashlib.sha256(data).hexdigest()[:40]
    picture, _ = Picture.objects.get_or_create(
        key=key, defaults={"content_type": content_type, "data": data}
    )
    return picture
