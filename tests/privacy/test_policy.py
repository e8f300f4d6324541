"""/privacy/ and GET /api/v1/privacy: made from the running configuration, so they
follow every change of settings and of a site, and say the same things."""

import html
import logging
import os
from unittest import mock

import pytest
from django.core.checks import run_checks
from django.test import Client

from meydan.comments.moderation import Draft
from meydan.core import sealing
from meydan.embed import views as embed_views
from meydan.moderation.checks.akismet import AkismetCheck
from meydan.privacy import policy
from meydan.section.views import REMEMBER_COOKIE
from meydan.sites.services import site_update

pytestmark = pytest.mark.django_db

AKISMET = "meydan.moderation.checks.akismet.AkismetCheck"


def page(client) -> str:
    response = client.get("/privacy/")
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def facts(client) -> dict:
    response = client.get("/api/v1/privacy")
    assert response.status_code == 200
    return response.json()


@pytest.fixture(autouse=True)
def _fresh_operator_text():
    policy._operator_text.clear()
    yield
    policy._operator_text.clear()


def test_the_page_says_what_is_kept_and_which_cookies_exist(client, site):
    text = page(client)
    for heading in ("What we keep when you comment", "Each site", "Cookies"):
        assert heading in text
    assert "If you only read, you get no cookie at all." in text
    assert "Caspian Ledger" in text and "testserver" in text
    for name in ("sessionid", "csrftoken", REMEMBER_COOKIE, "meydan_manage", "meydan_voter"):
        assert f"<code>{name}</code>" in text
    # The defaults: IP hashes for 30 days, emails as long as the comment, no Akismet.
    assert "30 days" in text
    assert "No comment is sent to anyone else to check it for spam." in text


def test_reading_the_page_sets_no_cookie(site):
    browser = Client(enforce_csrf_checks=True)
    response = browser.get("/privacy/")
    assert response.status_code == 200 and not response.cookies


def test_the_footer_of_readers_pages_links_to_it(client, article):
    assert 'href="/privacy/"' in client.get(article.get_absolute_url()).content.decode()


def test_a_sites_retention_shows_at_once(client, site):
    site.ip_hash_days, site.email_days, site.hold_all = 7, 180, True
    site_update(site, channel="admin")
    text = page(client)
    assert "7 days after the comment" in text
    assert "180 days, then only its keyed hash" in text
    assert "180 days after a comment is published; then only the keyed hash" in text
    assert "A moderator reads every comment first." in text
    (only,) = facts(client)["sites"]
    assert only == {
        "name": "Caspian Ledger",
        "domain": "testserver",
        "ip_hash_days": 7,
        "email_days": 180,
        "holds": "all",
        "edit_window_minutes": site.edit_window_minutes,
    }


def test_the_purge_applies_what_the_page_promises_of_email_days():
    from meydan.privacy.purge import REMOVED

    assert "email_days" in REMOVED["emails"]  # tests/privacy/test_purge_emails.py


def test_sites_that_differ_are_told_apart(client, site, settings):
    from meydan.sites.models import Site

    Site.objects.create(name="Other Gazette", slug="other", domain="other.example", ip_hash_days=90)
    site.hold_first_comment = True
    site_update(site, channel="admin")
    text = page(client)
    assert "Other Gazette" in text and "90 days" in text
    assert "Depends on the site" in text
    holds = {s["name"]: s["holds"] for s in facts(client)["sites"]}
    assert holds == {"Caspian Ledger": "first", "Other Gazette": "none"}
    # A policy whose check is not configured holds nothing, and the page says so.
    settings.MEYDAN_MODERATION_CHECKS = [
        c for c in settings.MEYDAN_MODERATION_CHECKS if "first_comment" not in c
    ]
    assert {s["holds"] for s in facts(client)["sites"]} == {"none"}


def test_email_in_clear_or_sealed_and_what_moderators_see(client, site, settings):
    settings.MEYDAN_EMAIL_PUBLIC_KEY = ""
    settings.MEYDAN_MODERATION_SEES_EMAIL = False
    assert facts(client)["email"] == {
        "published": False,
        "stored": "clear",
        "moderators_see": "masked",
        "matched_by": "keyed hash (HMAC-SHA256)",
    }
    text = page(client)
    assert "In the database as you typed it" in text
    assert "The site's moderators see only its first letters, like a•••@e•••.org." in text

    public, private = sealing.generate_pair()
    settings.MEYDAN_EMAIL_PUBLIC_KEY = public
    text = page(client)
    assert "Sealed: encrypted to a key that only the mail worker holds" in text
    assert "kept encrypted: only the mail worker can read it" in text
    assert facts(client)["email"]["stored"] == "sealed"

    # Whole addresses need both the choice and the key in the web process.
    settings.MEYDAN_MODERATION_SEES_EMAIL = True
    assert facts(client)["email"]["moderators_see"] == "masked"
    settings.MEYDAN_EMAIL_PRIVATE_KEY = private
    assert facts(client)["email"]["moderators_see"] == "whole"
    text = page(client)
    assert "The site's moderators see it whole." in text
    assert "the moderators' workspace too; the database alone cannot read it" in text


def test_ip_key_rotation_and_delivery_days_follow_the_settings(client, site, settings):
    settings.MEYDAN_IP_KEY_DAYS = 7
    settings.MEYDAN_DELIVERY_DAYS = 10
    text = page(client)
    assert "a key that is replaced every 7 days" in text
    assert "10 days after it was sent" in text
    assert facts(client)["ip"]["key_rotation_days"] == 7
    assert facts(client)["notifications"]["deliveries_kept_days"] == 10


def test_akismet_is_told_with_what_it_receives(client, site, settings):
    settings.MEYDAN_AKISMET_KEY = "k3y"
    settings.MEYDAN_MODERATION_CHECKS = [*settings.MEYDAN_MODERATION_CHECKS, AKISMET]
    data = facts(client)
    assert data["spam"]["akismet"] is True
    assert "your IP address" in data["spam"]["akismet_receives"]
    (akismet,) = [r for r in data["recipients"] if r["name"].startswith("Akismet")]
    assert akismet["receives"] == data["spam"]["akismet_receives"]
    text = page(client)
    assert "Every comment is sent to Akismet" in text
    assert ", ".join(akismet["receives"]) in text

    settings.MEYDAN_AKISMET_KEY = ""  # listed but without a key, it sends nothing
    assert facts(client)["spam"]["akismet"] is False
    assert "Every comment is sent to Akismet" not in page(client)


def test_what_akismet_receives_is_what_the_check_sends(site, thread, settings):
    settings.MEYDAN_AKISMET_KEY = "k3y"
    draft = Draft(
        site=site, thread=thread, body="Hello", author_name="Aynur",
        author_email="aynur@example.org", author_url="", ip_hash="h",
        client_ip="203.0.113.9", page_url="https://blog.example.org/post/",
    )  # fmt: skip
    response = mock.Mock(status_code=200, text="false", headers={})
    with mock.patch(
        "meydan.moderation.checks.akismet.requests.post", return_value=response
    ) as post:
        AkismetCheck().check(draft)
    assert set(post.call_args.kwargs["data"]) == set(policy.AKISMET_FIELDS)


def test_sign_in_providers_and_what_is_kept_from_them(client, site, settings):
    settings.MEYDAN_PASSKEYS = False  # passkey accounts: tests/accounts/test_passkeys.py
    settings.SOCIALACCOUNT_PROVIDERS = {}
    text = page(client)
    assert "Your account, if you sign in" not in text
    assert policy.EMBED_SIGNIN_COOKIE not in text
    assert facts(client)["sign_in"]["providers"] == []

    settings.SOCIALACCOUNT_PROVIDERS = {
        "google": {"APPS": [{"client_id": "id", "secret": "s"}]},
        "facebook": {"APPS": [{"client_id": "id", "secret": "s"}]},
    }
    data = facts(client)
    assert data["sign_in"] == {
        "providers": ["Google", "Facebook"],
        "provider_tokens_kept": False,
        "widget_sign_in_hours": 12,
        "passkeys": False,
    }
    text = page(client)
    assert "/account/" in {choice["where"] for choice in data["choices"]}
    assert "What your provider (Google, Facebook) sends" in text
    assert "with any email address in it masked" in text
    assert "no access to your account there" in text
    assert f"<code>{policy.EMBED_SIGNIN_COOKIE}</code>" in text
    assert any(r["name"] == "Google, Facebook" for r in data["recipients"])


def test_the_embed_cookie_is_told_as_the_popup_sets_it(client, site, settings):
    """policy.py repeats the popup cookie's facts (it may not import embed): the same
    name, lifetime and path as the popup really sets."""
    settings.SOCIALACCOUNT_PROVIDERS = {"google": {"APPS": [{"client_id": "id", "secret": "s"}]}}
    assert embed_views.PENDING_COOKIE == policy.EMBED_SIGNIN_COOKIE
    assert embed_views.PENDING_SECONDS == policy.EMBED_SIGNIN_SECONDS
    response = client.get(
        "/embed/signin/",
        {"site": site.slug, "origin": "https://blog.example.org"},
        headers={
            "Referer": "https://blog.example.org/post/",
            "Sec-Fetch-Site": "cross-site",
            "Sec-Fetch-Dest": "document",
        },
    )
    cookie = response.cookies[policy.EMBED_SIGNIN_COOKIE]
    assert cookie["path"] == policy.EMBED_SIGNIN_PATH
    assert int(cookie["max-age"]) == policy.EMBED_SIGNIN_SECONDS
    (told,) = [c for c in facts(client)["cookies"] if c["name"] == policy.EMBED_SIGNIN_COOKIE]
    assert told["path"] == "/embed/" and told["lifetime_seconds"] == 1800


def test_cookie_names_and_lifetimes_follow_the_settings(client, site, settings):
    settings.SESSION_COOKIE_NAME = "meydan_session"
    settings.SESSION_EXPIRE_AT_BROWSER_CLOSE = True
    settings.CSRF_COOKIE_NAME = "meydan_csrf"
    cookies = {c["name"]: c for c in facts(client)["cookies"]}
    assert cookies["meydan_session"]["lifetime_seconds"] is None
    assert cookies["meydan_session"]["lifetime"] == "until you close the browser"
    assert cookies["meydan_csrf"]["lifetime"] == "1 year"
    assert "sessionid" not in cookies and "csrftoken" not in cookies
    # The language switcher's cookie: set only when a reader picks a language.
    assert cookies[settings.LANGUAGE_COOKIE_NAME]["lifetime_seconds"] == (
        settings.LANGUAGE_COOKIE_AGE
    )

    settings.CSRF_USE_SESSIONS = True
    assert "meydan_csrf" not in {c["name"] for c in facts(client)["cookies"]}


def test_the_mail_server_messages_leave_through(client, site, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "smtp.mail.example"
    assert "The mail server smtp.mail.example" in page(client)
    settings.EMAIL_HOST = "10.0.0.25"
    text = page(client)
    assert "10.0.0.25" not in text
    assert "The mail server of this installation's own network" in text
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    assert not any(r["name"].startswith("The mail server") for r in facts(client)["recipients"])


def test_the_json_says_what_the_page_says(client, site, settings):
    settings.MEYDAN_AKISMET_KEY = "k3y"
    settings.MEYDAN_MODERATION_CHECKS = [*settings.MEYDAN_MODERATION_CHECKS, AKISMET]
    settings.SOCIALACCOUNT_PROVIDERS = {"google": {"APPS": [{"client_id": "id", "secret": "s"}]}}
    data, text = facts(client), page(client)
    assert data["third_party_requests_from_browsers"] == []
    assert data["cookies_for_readers_who_only_read"] == []
    for item in data["kept"]:
        for key in ("what", "how", "who_sees"):
            assert item[key] in text, item[key]
        assert item["how_long"][:1].upper() + item["how_long"][1:] in text
    for cookie in data["cookies"]:
        assert f"<code>{cookie['name']}</code>" in text
        for key in ("who", "why"):
            assert cookie[key] in text
    for recipient in data["recipients"]:
        assert recipient["name"] in text and recipient["when"] in text
    for choice in data["choices"]:
        assert choice["what"] in text
        assert not choice["where"] or f'<a href="{choice["where"]}">' in text
    for s in data["sites"]:
        assert s["name"] in text


def test_the_api_documents_it(client):
    document = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/privacy" in document["paths"]
    assert "PrivacyPolicy" in document["components"]["schemas"]


# --- The operator's own text -------------------------------------------------------


def test_the_operators_text_comes_first_and_follows_the_file(client, site, settings, tmp_path):
    text_file = tmp_path / "privacy.md"
    text_file.write_text(
        "The **Caspian Ledger** is published by [us](https://ledger.example.org).\n\n"
        "<script>alert(1)</script>\n"
    )
    settings.MEYDAN_PRIVACY_TEXT_FILE = str(text_file)
    body = client.get("/privacy/").content.decode()
    assert "The <strong>Caspian Ledger</strong> is published by" in body
    assert "<script>alert" not in body and "&lt;script&gt;" in body
    assert body.index("Caspian Ledger</strong>") < body.index("What we keep when you comment")
    assert "Caspian Ledger</strong>" in facts(client)["operator_text_html"]

    text_file.write_text("Edited: we moved.\n")
    os.utime(text_file, ns=(1, 2_000_000_000_000_000_000))  # a new mtime, whatever the clock
    assert "Edited: we moved." in page(client)


def test_a_missing_text_file_stops_start_up(settings, tmp_path):
    settings.MEYDAN_PRIVACY_TEXT_FILE = str(tmp_path / "nowhere.md")
    errors = [e for e in run_checks() if e.id == "meydan.E301"]
    assert len(errors) == 1
    assert "nowhere.md" in errors[0].msg and "there is no such file" in errors[0].msg
    (tmp_path / "latin1.md").write_bytes(b"caf\xe9")
    settings.MEYDAN_PRIVACY_TEXT_FILE = str(tmp_path / "latin1.md")
    assert "not UTF-8" in next(e.msg for e in run_checks() if e.id == "meydan.E301")
    (tmp_path / "ok.md").write_text("Fine.")
    settings.MEYDAN_PRIVACY_TEXT_FILE = str(tmp_path / "ok.md")
    assert not [e for e in run_checks() if e.id == "meydan.E301"]


def test_a_text_file_gone_after_start_up_is_logged_not_a_500(
    client, site, settings, tmp_path, caplog
):
    settings.MEYDAN_PRIVACY_TEXT_FILE = str(tmp_path / "gone.md")
    with caplog.at_level(logging.ERROR, logger="meydan.privacy"):
        text = page(client)
    assert "What we keep when you comment" in text
    assert "MEYDAN_PRIVACY_TEXT_FILE cannot be read" in caplog.text


def test_the_manage_cookie_is_told_as_the_link_sets_it(client, site, post):
    from meydan.notifications.models import Delivery
    from meydan.privacy import manage, selfservice

    post("Mine.", email="aynur@example.org")
    selfservice.manage_link_request(site=site, email="aynur@example.org", client_hash="")
    text = Delivery.objects.get(kind="manage-link").message["text"]
    link = "/manage/open/" + text.split("/manage/open/", 1)[1].split("/", 1)[0] + "/"
    cookie = client.post(link, HTTP_ORIGIN="http://testserver").cookies[manage.COOKIE]
    (told,) = [c for c in facts(client)["cookies"] if c["name"] == manage.COOKIE]
    assert told["path"] == cookie["path"] == "/manage/"
    assert abs(told["lifetime_seconds"] - int(cookie["max-age"])) <= 2
    assert told["lifetime"] == "1 hour"
