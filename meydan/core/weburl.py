"""Web addresses read the way browsers read them (pure; the WHATWG URL standard,
for http and https only).

Python's `urllib.parse` and a browser disagree on exactly the addresses an attacker
writes: a browser reads `/\\evil.example/` as `//evil.example/` (another host),
`http://example.com\\@evil.example` as host `example.com` where Python sees
`evil.example`, drops tabs and newlines anywhere, and reads `http://0x7f.1/` as
`127.0.0.1`. Every address Meydan stores or links goes through `web_url` or
`site_path`, which follow the standard's parser for special schemes, and is stored
as its serialisation, so what Meydan checked is what a browser will follow.

Written here, not taken from a library: the WHATWG-conformant parsers on PyPI are
either C extensions with a large API (ada-url) or unmaintained; what Meydan needs is
the host, port and path of http(s) addresses, which this module does in about 150
lines, tested on the standard's tricky cases (tests/core/test_weburl.py). IDNA is
the `idna` package (UTS #46 mapping, as browsers do).
"""

import functools
import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import unquote

import idna

_DEFAULT_PORTS = {"http": 80, "https": 443}
_TAB_NEWLINE = re.compile(r"[\t\n\r]")
_C0_SPACE = "".join(chr(c) for c in range(0x21))
# Code points a host may not contain (the standard's forbidden domain code points).
_FORBIDDEN_HOST = set("\x00\t\n\r #/:<>?@[\\]^|%") | {chr(c) for c in range(0x20)} | {"\x7f"}
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_NUMBER = re.compile(r"^(0[xX][0-9a-fA-F]*|[0-9]+)$")
_PLAIN_HOST = re.compile(r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.?$")
# A path (with query and fragment) that a browser serialises unchanged: nothing to
# encode, no backslash, no "." or ".." segment, not "//".
_PLAIN_PATH = re.compile(r"^/(?!/)[A-Za-z0-9\-_~!$&()*+,;=:@/%.?#]*$")


@functools.lru_cache(maxsize=8)
def _needs_encoding(keep: str) -> re.Pattern:
    return re.compile("[^\x21-\x7e" + "]" + ("|[" + re.escape(keep) + "]" if keep else ""))


def _encode(text: str, keep: str) -> str:
    """Percent-encode what a browser would: controls, space, non-ASCII and the
    characters in `keep` (existing %XX stay as they are)."""
    if not _needs_encoding(keep).search(text):
        return text
    out = []
    for ch in text:
        if ord(ch) < 0x21 or ord(ch) > 0x7E or ch in keep:
            out.append("".join(f"%{b:02X}" for b in ch.encode("utf-8")))
        else:
            out.append(ch)
    return "".join(out)


_PATH_SET = '"#<>?`{}'
_QUERY_SET = "\"#<>'"
_FRAGMENT_SET = '"<>`'


@dataclass(frozen=True)
class WebURL:
    scheme: str
    host: str  # ASCII, lower case; an IPv6 address in brackets
    port: int | None  # None for the scheme's default
    path: str  # starts with "/"
    query: str  # "" or "?…"
    fragment: str  # "" or "#…"

    @property
    def origin(self) -> str:
        return f"{self.scheme}://{self.host}" + (f":{self.port}" if self.port else "")

    @property
    def href(self) -> str:
        return self.origin + self.path + self.query + self.fragment


def _ipv4_number(part: str) -> int | None:
    if not _NUMBER.match(part):
        return None
    if part[:2] in ("0x", "0X"):
        return int(part[2:] or "0", 16)
    if len(part) > 1 and part.startswith("0"):
        return int(part, 8) if set(part) <= set("01234567") else None
    return int(part)


def _ipv4(host: str) -> str | None:
    """The standard's IPv4 parser: "0x7f.1" is 127.0.0.1. None if `host` is not one;
    raises ValueError for a number that is out of range."""
    parts = host.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    if not parts or not _NUMBER.match(parts[-1]):
        return None
    numbers = [_ipv4_number(p) for p in parts]
    if len(numbers) > 4 or any(n is None for n in numbers):
        raise ValueError("not an IPv4 address")
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(numbers)):
        raise ValueError("IPv4 number out of range")
    value = last + sum(n * 256 ** (3 - i) for i, n in enumerate(head))
    return str(ipaddress.IPv4Address(value))


def _host(raw: str) -> str | None:
    if raw.startswith("["):
        if not raw.endswith("]"):
            return None
        try:
            return f"[{ipaddress.IPv6Address(raw[1:-1]).compressed}]"
        except ValueError:
            return None
    if _PLAIN_HOST.match(raw):
        # Plain ASCII (most hosts): the UTS #46 mapping is lower-casing. The read
        # path meets this on every request, and idna takes ~20 times longer.
        ascii_host = raw.lower()
        try:
            return _ipv4(ascii_host) or ascii_host
        except ValueError:
            return None
    text = unquote(raw)
    if not text:
        return None
    try:
        ascii_host = idna.encode(text, uts46=True, transitional=False).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        # Underscores, a trailing dot and the like: what browsers accept as is.
        lowered = text.lower()
        if not lowered.isascii():
            return None
        ascii_host = lowered
    ascii_host = ascii_host.lower()
    if not ascii_host or set(ascii_host) & _FORBIDDEN_HOST:
        return None
    try:
        as_ipv4 = _ipv4(ascii_host)
    except ValueError:
        return None
    return as_ipv4 or ascii_host


def web_url(value: str, *, userinfo: bool = False) -> WebURL | None:
    """An absolute http(s) address as a browser parses it, or None when it is not one
    or — unless `userinfo` — carries a user name or password (never needed for a page
    or an origin, and the classic way to make an address look like another host's).
    With `userinfo`, it is skipped as a browser skips it (and left out of `href`)."""
    if len(value or "") > 2048:
        return _web_url(value, userinfo)
    return _web_url_cached(value, userinfo)


@functools.lru_cache(maxsize=4096)
def _web_url_cached(value: str, userinfo: bool) -> WebURL | None:
    # The read path parses the same few page addresses over and over; WebURL is
    # immutable, so a parsed address may be shared.
    return _web_url(value, userinfo)


def _web_url(value: str, userinfo: bool) -> WebURL | None:
    text = _TAB_NEWLINE.sub("", (value or "").strip(_C0_SPACE))
    match = _SCHEME.match(text)
    if not match or match.group(1).lower() not in _DEFAULT_PORTS:
        return None
    scheme = match.group(1).lower()
    rest = text[match.end() :].replace("\\", "/")
    rest = rest.lstrip("/")  # a browser skips any number of slashes here
    end = len(rest)
    for stop in "/?#":
        at = rest.find(stop)
        if at != -1:
            end = min(end, at)
    authority, tail = rest[:end], rest[end:]
    if "@" in authority:
        if not userinfo:
            return None
        authority = authority.rsplit("@", 1)[1]
    host_text, port = authority, None
    port_match = re.match(r"^(.*?):([0-9]*)$", authority) if not authority.endswith("]") else None
    if port_match:
        host_text, digits = port_match.groups()
        if digits:
            port = int(digits)
            if port > 65535:
                return None
    elif ":" in authority and not authority.startswith("["):
        return None  # a port that is not a number
    host = _host(host_text)
    if host is None:
        return None
    if port == _DEFAULT_PORTS[scheme]:
        port = None
    fragment = ""
    if "#" in tail:
        tail, fragment = tail.split("#", 1)
        fragment = "#" + _encode(fragment, _FRAGMENT_SET.replace("#", ""))
    query = ""
    if "?" in tail:
        tail, query = tail.split("?", 1)
        query = "?" + _encode(query, _QUERY_SET.replace("#", ""))
    path = _encode(tail or "/", _PATH_SET.replace("?", "").replace("#", ""))
    return WebURL(scheme, host, port, _dot_segments(path), query, fragment)


def _dot_segments(path: str) -> str:
    """Resolve "." and ".." segments (also %2e), as a browser does before requesting."""
    if "/." not in path and "%2e" not in path.lower():
        return path
    out: list[str] = []
    segments = path.split("/")[1:]
    for i, segment in enumerate(segments):
        last = i == len(segments) - 1
        name = segment.lower().replace("%2e", ".")
        if name == "..":
            if out:
                out.pop()
            if last:
                out.append("")
        elif name == ".":
            if last:
                out.append("")
        else:
            out.append(segment)
    return "/" + "/".join(out)


def site_path(value: str) -> str | None:
    """A path on this site ("/2015/06/rally/?x#y") as a browser resolves it against
    any page, or None when it would leave the site (`//host`, `/\\host`, a scheme)."""
    head = (value or "").split("?", 1)[0].split("#", 1)[0]
    if _PLAIN_PATH.match(value or "") and "/." not in head and "%2e" not in head.lower():
        return value  # the common case, at the cost of one regular expression
    text = _TAB_NEWLINE.sub("", (value or "").strip(_C0_SPACE)).replace("\\", "/")
    if not text.startswith("/") or text.startswith("//"):
        return None
    resolved = web_url("http://site.invalid" + text)
    if resolved is None or resolved.host != "site.invalid":
        return None
    return resolved.path + resolved.query + resolved.fragment


def origin_of(value: str) -> str | None:
    """scheme://host[:port] of an http(s) address, as a browser would send it."""
    parsed = web_url(value)
    return parsed.origin if parsed else None
