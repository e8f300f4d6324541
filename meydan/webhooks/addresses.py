"""Where a webhook may be sent: the SSRF guard (pure, but for the one DNS lookup).

A webhook's address is typed by a site's staff, and the worker that calls it sits
inside the operator's network: without a guard, `http://169.254.169.254/…` would read
the cloud's metadata service (and its credentials), `http://127.0.0.1:6379/` would
talk to Redis, `http://10.0.0.5/admin` to a machine nobody meant to expose. So:

- An address is read the way browsers read it (core.weburl): `http://2130706433/`,
  `http://0x7f.1/` and `http://017700000001/` are all 127.0.0.1 before any check.
  Only http and https, and no user name or password in it.
- The host is resolved once (`resolve`), and EVERY address it resolves to must be
  public: not loopback, private, link-local, multicast, reserved, unspecified, shared
  (CGNAT 100.64/10) or a cloud metadata address. IPv6 forms that carry an IPv4
  address (IPv4-mapped ::ffff:a.b.c.d, IPv4-compatible, 6to4 2002::/16, NAT64
  64:ff9b::/96, Teredo) are judged by the IPv4 address they carry.
- The connection then goes to an address that was checked (transport.py), never
  to a second lookup of the name: a DNS server that answers "public" to the check
  and "127.0.0.1" to the connection (DNS rebinding) gets nowhere.

MEYDAN_WEBHOOKS_ALLOW_PRIVATE=1 lets loopback, private, link-local, shared and
unique-local addresses through (a receiver on the same machine or network, and the
test suite's receiver on loopback). Metadata, multicast, reserved and unspecified
addresses stay refused even then: no receiver lives there.
"""

import ipaddress
import socket
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from meydan.core.weburl import web_url

IP = ipaddress.IPv4Address | ipaddress.IPv6Address

# Cloud metadata services: AWS/GCP/Azure/OpenStack (169.254.169.254, and AWS's IPv6
# fd00:ec2::254), Alibaba (100.100.100.200), Azure's wire server (168.63.129.16, a
# public-looking address), Oracle (192.0.0.192).
METADATA = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",
        "fd00:ec2::254",
        "100.100.100.200",
        "168.63.129.16",
        "192.0.0.192",
    )
)
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


class Refused(Exception):
    """This address may not receive webhooks; the message says why, for staff."""


@dataclass(frozen=True)
class Target:
    """A webhook's address, read and checked, with the addresses to connect to."""

    scheme: str  # "http" or "https"
    host: str  # the name (or IP literal, without brackets) for Host and TLS
    port: int
    path: str  # path and query, as sent in the request line
    addresses: tuple[str, ...]  # checked, in the resolver's order


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 form carries, if it is one of those forms."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]  # the client's address
    for network in _NAT64:
        if ip in network:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip in _IPV4_COMPATIBLE and int(ip) > 1:  # ::a.b.c.d (deprecated); not :: or ::1
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def refusal(ip: IP, *, allow_private: bool | None = None) -> str | None:
    """Why `ip` may not receive a webhook, or None when it may."""
    if allow_private is None:
        allow_private = settings.MEYDAN_WEBHOOKS_ALLOW_PRIVATE
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            ip = ipaddress.IPv6Address(str(ip).split("%", 1)[0])
        inner = _embedded_ipv4(ip)
        if inner is not None:
            why = refusal(inner, allow_private=allow_private)
            if why is None:
                return None
            return _("%(ip)s carries %(inner)s: %(why)s") % {"ip": ip, "inner": inner, "why": why}
    if ip in METADATA:
        return _("%(ip)s is a cloud metadata address") % {"ip": ip}
    if ip.is_unspecified:
        return _("%(ip)s is the unspecified address") % {"ip": ip}
    if ip.is_multicast:
        return _("%(ip)s is a multicast address") % {"ip": ip}
    private = None
    if ip.is_loopback:
        private = _("%(ip)s is a loopback address")
    elif ip.is_link_local:
        private = _("%(ip)s is a link-local address")
    elif isinstance(ip, ipaddress.IPv4Address) and ip in _SHARED:
        private = _("%(ip)s is a shared (carrier-grade NAT) address")
    elif isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local:
        private = _("%(ip)s is a site-local address")
    elif ip.is_private:
        private = _("%(ip)s is a private address")
    if private is not None:
        return None if allow_private else private % {"ip": ip}
    if ip.is_reserved or not ip.is_global:
        return _("%(ip)s is a reserved address") % {"ip": ip}
    return None


def parse(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path with query) of a webhook address, or Refused."""
    if web_url(url, userinfo=True) is None:
        raise Refused(_("Enter a full http:// or https:// address."))
    parsed = web_url(url)
    if parsed is None:
        raise Refused(_("The address may not contain a user name or password."))
    host = parsed.host[1:-1] if parsed.host.startswith("[") else parsed.host
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    return parsed.scheme, host, port, parsed.path + parsed.query


def normalised(url: str) -> str:
    """The address as stored: as a browser would serialise it (no fragment)."""
    parsed = web_url(url)
    if parsed is None:
        raise Refused(_("Enter a full http:// or https:// address."))
    return parsed.origin + parsed.path + parsed.query


def _literal(host: str) -> IP | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def resolve(url: str) -> Target:
    """Read `url`, resolve its host ONCE and check every address. Raises Refused
    (with the reason) or OSError (the name does not resolve: try again later)."""
    scheme, host, port, path = parse(url)
    literal = _literal(host)
    if literal is not None:
        found = [literal]
    else:
        if host == "localhost" or host.endswith(".localhost"):
            # RFC 6761: always loopback, whatever a resolver says.
            found = [ipaddress.ip_address("127.0.0.1")]
        else:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            found = []
            for _family, _type, _proto, _name, sockaddr in infos:
                ip = ipaddress.ip_address(sockaddr[0].split("%", 1)[0])
                if ip not in found:
                    found.append(ip)
        if not found:
            raise OSError(f"{host} resolves to no address")
    for ip in found:
        why = refusal(ip)
        if why:
            raise Refused(why if literal is not None else f"{host}: {why}")
    return Target(scheme, host, port, path, tuple(str(ip) for ip in found))


def check_registration(url: str) -> str:
    """What the admin form calls: the address as stored, or Refused with a message
    for staff. A name that does not resolve now is refused too (a typo, most
    often). Every delivery checks again: DNS answers change."""
    parse(url)
    stored = normalised(url)
    try:
        resolve(stored)
    except OSError:
        raise Refused(_("The host name does not resolve. Check it, or try again later.")) from None
    return stored
