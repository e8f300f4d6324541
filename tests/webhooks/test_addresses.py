"""The SSRF guard: which addresses may receive webhooks, read as browsers read
them, every resolved address checked, and the connection made to the address that
was checked (DNS rebinding)."""

import socket

import pytest

from meydan.webhooks import addresses, transport
from meydan.webhooks.addresses import Refused, check_registration, resolve

REFUSED = [
    "http://127.0.0.1/hook",
    "http://localhost/hook",
    "http://api.localhost/hook",
    "http://[::1]/hook",
    "http://10.0.0.5/hook",
    "http://192.168.1.1/hook",
    "http://172.16.0.1/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[::ffff:7f00:1]/hook",
    "http://[::ffff:169.254.169.254]/",
    "http://[fd00::1]/hook",
    "http://[fe80::1]/hook",
    "http://0.0.0.0/hook",
    "http://[::]/hook",
    "http://2130706433/hook",  # 127.0.0.1 in decimal
    "http://0x7f.1/hook",  # 127.0.0.1 in hex, short form
    "http://017700000001/hook",  # 127.0.0.1 in octal
    "http://0177.0.0.1/hook",
    "http://0xa9fea9fe/",  # 169.254.169.254
    "http://100.64.0.1/hook",  # carrier-grade NAT
    "http://100.100.100.200/",  # Alibaba's metadata
    "http://224.0.0.1/hook",  # multicast
    "http://240.0.0.1/hook",  # reserved
    "http://[2002:7f00:1::]/hook",  # 6to4 around 127.0.0.1
    "http://[2002:a9fe:a9fe::]/",  # 6to4 around 169.254.169.254
    "http://[64:ff9b::7f00:1]/hook",  # NAT64 around 127.0.0.1
    "http://[64:ff9b::a00:5]/hook",  # NAT64 around 10.0.0.5
    "http://[::127.0.0.1]/hook",  # IPv4-compatible
]


@pytest.mark.parametrize("url", REFUSED)
def test_private_loopback_and_metadata_addresses_are_refused(url, settings, monkeypatch):
    settings.MEYDAN_WEBHOOKS_ALLOW_PRIVATE = False
    monkeypatch.setattr(socket, "getaddrinfo", _no_dns)
    with pytest.raises(Refused):
        resolve(url)
    with pytest.raises(Refused):
        check_registration(url)


def _no_dns(*args, **kwargs):
    raise AssertionError("an IP literal or localhost needs no DNS lookup")


def _resolver(*answers):
    """A getaddrinfo that answers each call with the next list of addresses."""
    calls = []

    def getaddrinfo(host, port, *args, **kwargs):
        calls.append(host)
        found = answers[min(len(calls), len(answers)) - 1]
        return [
            (socket.AF_INET6 if ":" in ip else socket.AF_INET, socket.SOCK_STREAM, 6, "",
             (ip, port) if ":" not in ip else (ip, port, 0, 0))
            for ip in found
        ]  # fmt: skip

    getaddrinfo.calls = calls
    return getaddrinfo


def test_a_name_that_resolves_to_loopback_is_refused(settings, monkeypatch):
    settings.MEYDAN_WEBHOOKS_ALLOW_PRIVATE = False
    monkeypatch.setattr(socket, "getaddrinfo", _resolver(["127.0.0.1"]))
    with pytest.raises(Refused, match="hooks.example.org: 127.0.0.1 is a loopback address"):
        resolve("https://hooks.example.org/in")


def test_one_private_address_among_public_ones_is_enough_to_refuse(settings, monkeypatch):
    settings.MEYDAN_WEBHOOKS_ALLOW_PRIVATE = False
    monkeypatch.setattr(socket, "getaddrinfo", _resolver(["93.184.216.34", "10.1.2.3"]))
    with pytest.raises(Refused, match="10.1.2.3 is a private address"):
        resolve("https://hooks.example.org/in")


def test_a_public_name_is_accepted_and_keeps_its_checked_addresses(settings, monkeypatch):
    settings.MEYDAN_WEBHOOKS_ALLOW_PRIVATE = False
    monkeypatch.setattr(
        socket, "getaddrinfo", _resolver(["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"])
    )
    target = resolve("https://Hooks.Example.org:8443/in?team=news#x")
    assert (target.scheme, target.host, target.port, target.path) == (
        "https", "hooks.example.org", 8443, "/in?team=news",
    )  # fmt: skip
    assert target.addresses == ("93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946")


def test_a_public_ipv6_literal_and_a_mapped_public_ipv4_are_accepted(settings):
    settings.MEYDAN_WEBHOOKS_ALLOW_PRIVATE = False
    assert resolve("http://[2606:4700::1111]/").addresses == ("2606:4700::1111",)
    assert resolve("http://[::ffff:1.1.1.1]/").addresses == ("::ffff:101:101",)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://hooks.example.org/", "full http:// or https:// address"),
        ("javascript:alert(1)", "full http:// or https:// address"),
        ("hooks.example.org/in", "full http:// or https:// address"),
        ("https://user:pass@hooks.example.org/", "user name or password"),
        ("https://token@hooks.example.org/", "user name or password"),
    ],
)
def test_only_http_and_https_without_credentials(url, message):
    with pytest.raises(Refused, match=message):
        check_registration(url)


def test_the_operator_switch_allows_private_targets_but_never_metadata(settings):
    settings.MEYDAN_WEBHOOKS_ALLOW_PRIVATE = True
    for url in ["http://127.0.0.1:9000/", "http://10.0.0.5/", "http://[fd00::1]/",
                "http://localhost:8080/", "http://[::ffff:192.168.1.1]/"]:  # fmt: skip
        assert resolve(url).addresses
    for url in ["http://169.254.169.254/", "http://[fd00:ec2::254]/", "http://0.0.0.0/",
                "http://[::ffff:169.254.169.254]/", "http://224.0.0.1/"]:  # fmt: skip
        with pytest.raises(Refused):
            resolve(url)


def test_registration_stores_the_address_as_read(settings):
    settings.MEYDAN_WEBHOOKS_ALLOW_PRIVATE = True
    assert check_registration("http://0x7f.1:8080/a/../hook#frag") == "http://127.0.0.1:8080/hook"


def test_a_name_that_does_not_resolve_is_refused_at_registration(monkeypatch):
    def fail(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", fail)
    with pytest.raises(Refused, match="does not resolve"):
        check_registration("https://hooks.example.org/in")


# --- DNS rebinding: the connection goes to the address that was checked ------------


def test_the_connection_goes_to_the_checked_address_not_a_second_lookup(
    settings, monkeypatch, receiver
):
    """A resolver answers a public address first and loopback after: Meydan asks it
    once, and connects to the public address (here: a recorded attempt, refused, so
    that the suite never leaves the machine); the receiver on loopback gets nothing."""
    settings.MEYDAN_WEBHOOKS_ALLOW_PRIVATE = False
    resolver = _resolver(["93.184.216.34"], [receiver.host])
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    connected = []

    def connect(self, address):
        connected.append(address)
        raise ConnectionRefusedError("not in the test suite")

    monkeypatch.setattr(socket.socket, "connect", connect)
    target = resolve(f"http://rebind.example.org:{receiver.port}/hook")
    with pytest.raises(ConnectionRefusedError):
        transport.post(target, b"{}", {}, timeout=1)
    assert resolver.calls == ["rebind.example.org"]  # resolved once, not again to connect
    assert connected == [("93.184.216.34", receiver.port)]
    assert receiver.calls == []


def test_the_request_names_the_host_while_connecting_to_the_checked_address(
    settings, monkeypatch, receiver
):
    """The other half of pinning: a checked name that resolves to the receiver (the
    operator allowed loopback) is reached at that address with `Host: <name>`."""
    settings.MEYDAN_WEBHOOKS_ALLOW_PRIVATE = True
    monkeypatch.setattr(socket, "getaddrinfo", _resolver([receiver.host], ["10.9.9.9"]))
    target = resolve(f"http://hooks.example.org:{receiver.port}/in?x=1")
    answer = transport.post(target, b'{"a":1}', {"Content-Type": "application/json"}, timeout=2)
    assert answer.status == 200
    [call] = receiver.calls
    assert call.headers["host"] == f"hooks.example.org:{receiver.port}"
    assert (call.path, call.body) == ("/in?x=1", b'{"a":1}')


def test_refusal_reasons_name_the_embedded_address():
    import ipaddress

    why = addresses.refusal(ipaddress.ip_address("::ffff:10.0.0.1"), allow_private=False)
    assert "10.0.0.1 is a private address" in why
