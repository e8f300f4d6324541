"""Compressed answers that cost no compression when read.

A 100-comment thread is about 84 KB of JSON and its article page well over 100 KB of
HTML: on a phone in Baku, or over Tor, the bytes are most of the wait. Both are
sent compressed when the reader's browser accepts it, and neither is compressed on
the request that reads it:

- **The API's thread pages** (api/v1/threads, api/fastpath) are compressed once per
  thread version: where the cache is shared (Redis), in both codings when the page is
  built, kept there beside the plain bytes; in a worker's own memory, a page is kept
  in the codings its readers asked for, another made when first asked for
  (comments/caching.Payload). A read picks the bytes.
  A page that stays the same for MEYDAN_BROTLI_SETTLE_SECONDS (10 s) is compressed
  again at Brotli's slowest quality on a thread of its own (`settler`): about a
  tenth fewer bytes for every reader after that, and none of them waits for it.
- **Server-rendered pages** (the article, the no-JS thread page) are rendered per
  request, because each carries the form's own timestamp token. `CompressPages`
  sends them gzip-compressed as a string of deflate pieces: the long parts every
  reader shares (the article, the cached comment list, the footer) are compressed
  once and remembered by their digest, and only the short per-request token is
  compressed on the request. A gzip stream may be built that way: a deflate stream
  is a series of blocks, and each piece ends on a byte boundary (Z_SYNC_FLUSH) and
  refers only to its own bytes. Brotli streams cannot be joined like that, so pages
  go gzip; the JSON goes Brotli where the browser accepts it.

BREACH: a compressed answer's length can tell an attacker who can both make the
victim's browser ask for it and put text of theirs in it whether their text
matches a secret in it, a byte at a time. So `CompressPages` never compresses a
page that carries a secret: a CSRF token (Django's `get_token` was called), or a
page rendered for a session or a remembered guest (their email address, their
draft). The pages it compresses are the ones every signed-out reader gets alike.
The API's JSON carries no secret at all (no cookies are read for it).

Django's GZipMiddleware compresses every answer on every request (and would do so
for the secret-bearing pages too); nginx's `gzip` likewise. See docs/scaling.md,
"Compression".
"""

import gzip
import hashlib
import logging
import os
import queue
import struct
import threading
import zlib
from collections import OrderedDict

import brotli
from django.conf import settings
from django.utils.cache import patch_vary_headers

GZIP = "gzip"
BROTLI = "br"
# Brotli quality 5: about the size of quality 9 at a tenth of its time (0.4 ms for a
# 23 KB page, against 28 ms at quality 11: too slow for a thread that changes
# twenty times a second). gzip level 6, zlib's default.
BROTLI_QUALITY = 5
# A settled page's Brotli: quality 11 takes about 0.1 s for a 100-comment thread and
# saves a tenth of its bytes against quality 5 (bench/wire_bytes.py prints both).
# Above SETTLE_MAX_BYTES of JSON it would take seconds of a core for a few percent.
SETTLED_QUALITY = 11
SETTLE_MAX_BYTES = 256 * 1024
GZIP_LEVEL = 6
MIN_BYTES = 256  # below this, a compressed answer is not worth its headers
ETAG_SUFFIX = {GZIP: "-gz", BROTLI: "-br"}
SETTLED_SUFFIX = "-brs"  # the settled Brotli bytes: the same words, other bytes

logger = logging.getLogger(__name__)

_ACCEPTED: dict[str, dict[str, float]] = {}
_ACCEPTED_SEEN = 500


def _qualities(accept_encoding: str) -> dict[str, float]:
    """{coding: q} of an Accept-Encoding header. Browsers send a handful of distinct
    headers, so the answers are remembered."""
    found = _ACCEPTED.get(accept_encoding)
    if found is not None:
        return found
    found = {}
    for part in accept_encoding.lower().split(","):
        name, _, params = part.partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        found[name.strip()] = quality
    if "x-gzip" in found and GZIP not in found:
        found[GZIP] = found["x-gzip"]
    if len(_ACCEPTED) >= _ACCEPTED_SEEN:
        _ACCEPTED.clear()
    _ACCEPTED[accept_encoding] = found
    return found


def accepts(accept_encoding: str | None, coding: str) -> bool:
    """Whether this Accept-Encoding takes `coding` (q > 0, by name or by `*`)."""
    if not accept_encoding:
        return False
    qualities = _qualities(accept_encoding)
    quality = qualities.get(coding)
    if quality is None:
        quality = qualities.get("*", 0.0)
    return quality > 0


def chosen_coding(accept_encoding: str | None) -> str | None:
    """The coding to send the API's JSON in: "br" where accepted (smaller), then
    "gzip", else None (plain)."""
    if accepts(accept_encoding, BROTLI):
        return BROTLI
    if accepts(accept_encoding, GZIP):
        return GZIP
    return None


def compressed(body: bytes) -> dict[str, bytes]:
    """{coding: bytes} for a body worth compressing (empty for a short one)."""
    if len(body) < MIN_BYTES:
        return {}
    return {GZIP: compress(body, GZIP), BROTLI: compress(body, BROTLI)}


def compress(body: bytes, coding: str) -> bytes:
    """`body` in one coding ("gzip" or "br")."""
    if coding == BROTLI:
        return brotli.compress(body, quality=BROTLI_QUALITY)
    return gzip.compress(body, GZIP_LEVEL, mtime=0)


def compress_settled(body: bytes) -> bytes:
    """`body` in Brotli at the slowest quality (a settled page)."""
    return brotli.compress(body, quality=SETTLED_QUALITY)


def decompress(body: bytes, coding: str) -> bytes:
    if coding == BROTLI:
        return brotli.decompress(body)
    return gzip.decompress(body)


def etag_for_coding(etag: str, coding: str | None, *, settled: bool = False) -> str:
    """A strong ETag names one set of bytes (RFC 9110 8.8.3): the compressed forms get
    their own, as Apache's mod_deflate does ("…-gz"), and so do a settled page's
    Brotli bytes (`settled`), which differ from the first ones."""
    if coding is None:
        return etag
    suffix = SETTLED_SUFFIX if settled and coding == BROTLI else ETAG_SUFFIX[coding]
    return f'{etag[:-1]}{suffix}"'


_SUFFIXES = ('-gz"', '-br"', f'{SETTLED_SUFFIX}"')


def etag_matches(if_none_match: str, etag: str) -> str | None:
    """If-None-Match names this version in any coding: the reader has these words,
    whichever bytes carried them. The tag that matched (or "*"), else None."""
    if not if_none_match:
        return None
    stem = etag[:-1]
    for tag in if_none_match.split(","):
        tag = tag.strip().removeprefix("W/")
        if tag == etag or tag == "*":
            return tag
        if tag.startswith(stem) and tag[len(stem) :] in _SUFFIXES:
            return tag
    return None


def not_modified_etag(matched: str, etag: str, coding: str | None) -> str:
    """A 304's ETag: the one a 200 would carry in `coding`, the settled Brotli bytes'
    where the reader holds those (another worker may not have settled them yet)."""
    if coding == BROTLI and matched.endswith(f'{SETTLED_SUFFIX}"'):
        return matched
    return etag_for_coding(etag, coding)


class Settler:
    """Runs jobs (compressing a settled page again) one at a time on a thread of its
    own, started in the process that first offers one (granian's workers each get
    theirs). At most `pending_max` wait; more are refused, to be offered again by a
    later read. Brotli lets go of the GIL while it works, so the readers it serves
    meanwhile wait for nothing but a core."""

    def __init__(self, pending_max: int = 64):
        self.pending_max = pending_max
        self.lock = threading.Lock()
        self.jobs: queue.Queue | None = None
        self.pid: int | None = None
        self.done = 0  # jobs run (tests, bench)

    def offer(self, job) -> bool:
        """Queue `job` (a callable); False if too many wait already."""
        with self.lock:
            if self.pid != os.getpid():  # a forked child: its own queue and thread
                self.pid, self.jobs = os.getpid(), queue.Queue()
                threading.Thread(
                    target=self._run, args=(self.jobs,), name="meydan-settle", daemon=True
                ).start()
            if self.jobs.unfinished_tasks >= self.pending_max:
                return False
            self.jobs.put(job)
            return True

    def _run(self, jobs: queue.Queue) -> None:
        while True:
            job = jobs.get()
            try:
                job()
            except Exception:  # a page is still served as it was
                logger.exception("could not compress a settled page again")
            finally:
                self.done += 1
                jobs.task_done()

    def wait(self) -> None:
        """Until every job offered so far has run (tests)."""
        jobs = self.jobs
        if jobs is not None and self.pid == os.getpid():
            jobs.join()


settler = Settler()


# --- Server-rendered pages ---------------------------------------------------------

_VOLATILE = "meydan.volatile"  # request.META: this answer's per-request strings
_PERSONAL = "meydan.personal"  # request.META: rendered for this reader alone
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # no name, mtime 0, OS unknown
_GZIP_END = b"\x03\x00"  # an empty final block with fixed codes


def volatile(request, value: str) -> None:
    """Say that `value` appears in this page for this request alone (a form's token):
    CompressPages compresses it apart, so that the rest is compressed once."""
    if value:
        request.META.setdefault(_VOLATILE, []).append(value)


class _Pieces:
    """Deflate pieces by the digest of their bytes, least recently used out first."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.size = 0
        self.items: OrderedDict[bytes, bytes] = OrderedDict()
        self.lock = threading.Lock()
        self.compressions = 0  # how often a piece was compressed (tests, bench)

    def get(self, piece: bytes) -> bytes:
        digest = hashlib.blake2b(piece, digest_size=16).digest()
        with self.lock:
            found = self.items.get(digest)
            if found is not None:
                self.items.move_to_end(digest)
                return found
        deflated = deflate_piece(piece, GZIP_LEVEL)
        with self.lock:
            self.compressions += 1
            if digest not in self.items and len(deflated) <= self.max_bytes // 4:
                self.items[digest] = deflated
                self.size += len(deflated)
                while self.size > self.max_bytes:
                    self.size -= len(self.items.popitem(last=False)[1])
        return deflated

    def clear(self) -> None:
        with self.lock:
            self.items.clear()
            self.size = 0
            self.compressions = 0


pieces = _Pieces(settings.MEYDAN_COMPRESSED_PIECES_BYTES)


def deflate_piece(data: bytes, level: int) -> bytes:
    """Raw deflate of `data`, ending on a byte boundary without a final block, so that
    another piece may follow it in the same stream."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)


def gzip_spliced(body: bytes, volatile_values) -> bytes:
    """`body` as one gzip member: the parts between the volatile values from the
    store of pieces, the volatile values compressed now (fast, they are short)."""
    parts = [_GZIP_HEADER]
    rest = body
    for value in volatile_values:
        index = rest.find(value)
        if index < 0:
            continue
        if index:
            parts.append(pieces.get(rest[:index]))
        parts.append(deflate_piece(value, 1))
        rest = rest[index + len(value) :]
    if rest:
        parts.append(pieces.get(rest))
    parts.append(_GZIP_END)
    parts.append(struct.pack("<II", zlib.crc32(body), len(body) & 0xFFFFFFFF))
    return b"".join(parts)


def personal(request) -> None:
    """Say that this page holds something of the reader's own (their remembered name
    and email address): it is never compressed (BREACH)."""
    request.META[_PERSONAL] = True


def carries_secret(request, response) -> bool:
    """True when the page may hold something a BREACH attacker could want: a CSRF
    token, or anything rendered for a session or for this reader alone."""
    meta = request.META
    # Django's get_token() puts CSRF_COOKIE_NEEDS_UPDATE in META whenever a token goes
    # into the page (its middleware sets it back to False once the cookie is set, so
    # its presence is what tells). A csrftoken cookie left from an earlier visit is no
    # secret in a page that does not show it.
    if meta.get(_PERSONAL) or "CSRF_COOKIE_NEEDS_UPDATE" in meta:
        return True
    session = settings.SESSION_COOKIE_NAME
    return session in request.COOKIES or session in response.cookies


class CompressPages:
    """gzip for the HTML pages every signed-out reader gets alike (see above)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            request.method not in ("GET", "HEAD")
            or response.status_code != 200
            or response.streaming
            or response.has_header("Content-Encoding")
            or not response.get("Content-Type", "").startswith("text/html")
            or len(response.content) < MIN_BYTES
            or carries_secret(request, response)
        ):
            return response
        patch_vary_headers(response, ("Accept-Encoding",))
        if not accepts(request.headers.get("Accept-Encoding"), GZIP):
            return response  # pages go gzip or plain: see the docstring
        values = [value.encode() for value in request.META.get(_VOLATILE, ())]
        body = gzip_spliced(response.content, values)
        response.content = body
        response["Content-Length"] = str(len(body))
        response["Content-Encoding"] = GZIP
        if response.has_header("ETag"):
            response["ETag"] = etag_for_coding(response["ETag"], GZIP)
        return response
