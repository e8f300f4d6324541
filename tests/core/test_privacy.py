import pytest
from django.test import RequestFactory

from meydan.core.privacy import client_ip, ip_hash


@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded", "expected"),
    [
        (0, "198.51.100.1", "203.0.113.9", "198.51.100.1"),  # XFF ignored without proxies
        (1, "127.0.0.1", "203.0.113.9", "203.0.113.9"),
        (1, "127.0.0.1", "6.6.6.6, 203.0.113.9", "203.0.113.9"),  # spoofed left entry
        (2, "127.0.0.1", "6.6.6.6, 203.0.113.9, 10.0.0.2", "203.0.113.9"),
        (2, "127.0.0.1", "203.0.113.9", "127.0.0.1"),  # fewer entries than proxies
        (1, "127.0.0.1", "not-an-ip", None),
        (0, "", "", None),
    ],
)
def test_client_ip_trusts_only_configured_proxies(settings, proxies, remote, forwarded, expected):
    settings.MEYDAN_TRUSTED_PROXIES = proxies
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


@pytest.mark.django_db  # the key is a HashKey row (tests/privacy/test_ip_keys.py)
def test_ip_hash_is_keyed(settings):
    first = ip_hash("203.0.113.9")
    assert first == ip_hash("203.0.113.9") and first != ip_hash("203.0.113.10")
    settings.SECRET_KEY = "another key"
    assert ip_hash("203.0.113.9") != first
    assert ip_hash(None) == "" and ip_hash("") == ""
