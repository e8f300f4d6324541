"""MEYDAN_ONION_URL (meydan.core.onion): the address is checked, its host accepted, the
ordinary name's pages offer it with Onion-Location, and requests through it are never
sent to https."""

import os
import subprocess
import sys

import pytest

from meydan.core.onion import onion_address_for, parse_onion_url

# Real, published v3 addresses (DuckDuckGo's and the Tor Project's).
DUCKDUCKGO = "duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion"
TORPROJECT = "2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion"
OURS = onion_address_for(bytes(range(32)))


@pytest.mark.parametrize(
    ("value", "origin"),
    [
        (f"http://{DUCKDUCKGO}", f"http://{DUCKDUCKGO}"),
        (f"https://{TORPROJECT}/", f"https://{TORPROJECT}"),
        (f"http://{TORPROJECT.upper()}:80", f"http://{TORPROJECT}"),
        (f"http://{OURS}:8080", f"http://{OURS}:8080"),
        (f"http://comments.{OURS}", f"http://comments.{OURS}"),
    ],
)
def test_a_v3_address_is_accepted(value, origin):
    assert parse_onion_url(value).origin == origin


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (DUCKDUCKGO, "must start with http:// or https://"),
        (f"ftp://{DUCKDUCKGO}", "must start with http:// or https://"),
        ("https://news.example.org", "is not a .onion name"),
        ("http://expyuzz4wqqyqhjn.onion", "not a version 3 onion address"),
        (f"http://{DUCKDUCKGO[:-7]}e.onion", "fails its checksum"),  # one character changed
        (f"http://{'1' * 56}.onion", "outside a-z and 2-7"),
        (f"http://{DUCKDUCKGO}/comments/", "must be the onion's root"),
        (f"http://{DUCKDUCKGO}/?x=1", "only the onion's address"),
        (f"http://user@{DUCKDUCKGO}", "only the onion's address"),
        (f"http://{DUCKDUCKGO}:port", "port that is not a number"),
    ],
)
def test_a_wrong_address_is_refused_with_what_is_wrong(value, message):
    with pytest.raises(ValueError, match=message):
        parse_onion_url(value)


def load_settings(onion_url: str) -> subprocess.CompletedProcess:
    """Load Meydan's settings in a new process, as `meydan serve` would."""
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.ALLOWED_HOSTS, settings.MEYDAN_ONION_URL)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "meydan.settings", "MEYDAN_ONION_URL": onion_url}
    return subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )


def test_the_settings_accept_the_onion_host():
    loaded = load_settings(f"http://{OURS}/")
    assert loaded.returncode == 0, loaded.stderr
    assert f"'{OURS}'" in loaded.stdout and loaded.stdout.strip().endswith(f"http://{OURS}")


def test_a_mistyped_address_stops_start_up_with_its_reason():
    loaded = load_settings(f"http://{OURS[:-7]}a.onion")
    assert loaded.returncode != 0
    assert "ImproperlyConfigured: MEYDAN_ONION_URL's address fails its checksum" in loaded.stderr


@pytest.fixture
def onion(settings):
    settings.MEYDAN_ONION_URL = f"http://{OURS}"
    settings.MEYDAN_ONION_HOST = OURS
    settings.ALLOWED_HOSTS = ["news.example.org", OURS]
    return settings


@pytest.mark.django_db
def test_pages_of_the_ordinary_name_carry_onion_location(client, onion):
    response = client.get("/privacy/?lang=en", HTTP_HOST="news.example.org")
    assert response.status_code == 200
    assert response["Onion-Location"] == f"http://{OURS}/privacy/?lang=en"


@pytest.mark.django_db
def test_no_onion_location_through_the_onion_nor_off_html_pages(client, onion):
    assert "Onion-Location" not in client.get("/privacy/", HTTP_HOST=OURS)
    assert "Onion-Location" not in client.get("/privacy/", HTTP_HOST=f"{OURS}:8080")
    assert "Onion-Location" not in client.get("/health", HTTP_HOST="news.example.org")
    assert "Onion-Location" not in client.get("/no-such-page/", HTTP_HOST="news.example.org")
    assert "Onion-Location" not in client.post("/privacy/", HTTP_HOST="news.example.org")


@pytest.mark.django_db
def test_no_onion_location_without_an_onion(client, settings):
    settings.ALLOWED_HOSTS = ["news.example.org"]
    assert "Onion-Location" not in client.get("/privacy/", HTTP_HOST="news.example.org")


@pytest.mark.django_db
def test_https_redirect_spares_the_onion(client, onion):
    onion.SECURE_SSL_REDIRECT = True
    ordinary = client.get("/privacy/", HTTP_HOST="news.example.org")
    assert ordinary.status_code == 301
    assert ordinary["Location"] == "https://news.example.org/privacy/"
    assert client.get("/privacy/", HTTP_HOST=OURS).status_code == 200


@pytest.mark.django_db
def test_other_hosts_are_still_refused(client, onion):
    assert client.get("/privacy/", HTTP_HOST="evil.example").status_code == 400
    assert client.get("/privacy/", HTTP_HOST=f"x{OURS}").status_code == 400


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/passkey/", "/passkey/new/"])
def test_passkey_pages_say_they_do_not_work_on_a_plain_http_onion(client, onion, path):
    onion.MEYDAN_PUBLIC_URL = "https://news.example.org"
    through_onion = client.get(path, HTTP_HOST=OURS).content.decode()
    assert "Passkeys do not work on this onion address" in through_onion
    assert "use your passkey at https://news.example.org" in through_onion
    assert 'class="passkey__step"' not in through_onion
    ordinary = client.get(path, HTTP_HOST="news.example.org").content.decode()
    assert "onion" not in ordinary


@pytest.mark.django_db
def test_no_passkey_sign_up_starts_on_a_plain_http_onion(client, onion):
    from django.contrib.auth import get_user_model

    answer = client.post("/passkey/new/", {"display_name": "Tor reader"}, HTTP_HOST=OURS)
    assert answer.status_code == 400
    assert "Passkeys do not work on this onion address" in answer.content.decode()
    assert not get_user_model().objects.exists()
