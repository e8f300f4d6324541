"""The widget's sign-in popup and its claim, tried as an attacker would.

The attack this pins down: a page on an origin no site registered opens
`/embed/signin/?site=KEY&origin=<a registered origin>&nonce=<its own>` for a reader
who is signed in on Meydan; the popup used to finish at once, and the attacker's
server redeemed the claim with a forged `Origin` header. Now the popup starts only
when the browser's own headers say a registered page opened it, a signed-in reader
is asked before any token is issued, and the claim needs the widget's verifier.
"""

import re
import time

import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model
from django.test import Client

from meydan.accounts.identity import SESSION_PROVIDER_KEY
from meydan.accounts.models import Profile, WidgetToken
from meydan.accounts.tokens import challenge_for, widget_token_verify
from meydan.embed.views import PENDING_COOKIE

pytestmark = pytest.mark.django_db
ORIGIN = "https://blog.example.org"
OTHER_REGISTERED = "http://127.0.0.2:8001"
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"  # RFC 7636, appendix B
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
BROWSER = {
    "Sec-Fetch-Site": "cross-site",
    "Sec-Fetch-Mode": "navigate",
    "Sec-Fetch-Dest": "document",
}


@pytest.fixture
def reader():
    user = get_user_model().objects.create_user("aynur", email="aynur@example.org")
    user.set_unusable_password()
    user.save()
    SocialAccount.objects.create(user=user, provider="google", uid="1", extra_data={})
    Profile.objects.create(user=user, display_name="Aynur")
    return user


def sign_in(client, user, provider="google"):
    client.force_login(user)
    session = client.session
    session[SESSION_PROVIDER_KEY] = provider
    session.save()


def open_popup(
    client, site, *, origin=ORIGIN, referer=f"{ORIGIN}/2015/06/baku-rally/", lang=None, **extra
):
    headers = {**BROWSER, **extra}
    if referer is not None:
        headers["Referer"] = referer
    query = {"site": site.slug, "origin": origin, "challenge": CHALLENGE}
    if lang is not None:
        query["lang"] = lang
    return client.get("/embed/signin/", query, headers=headers)


def claim(verifier=VERIFIER, site="caspian-ledger", origin=ORIGIN, client=None):
    return (client or Client()).post(
        "/api/v1/signin/claim",
        {"site": site, "verifier": verifier},
        content_type="application/json",
        headers={"Origin": origin},
    )


def token_in(html: str) -> str:
    return re.search(r'data-token="([^"]*)"', html).group(1)


def allow(client):
    return client.post("/embed/done/", {"decision": "allow"}).content.decode()


# --- The popup starts only for a page on a registered origin ---------------------


def test_the_reported_attack_fails_at_the_popup_and_at_the_claim(client, site, reader):
    sign_in(client, reader)
    # The attacker's page on an unregistered origin opens the popup, naming the
    # site's registered origin in the address.
    popup = open_popup(client, site, referer="http://127.0.0.3:9001/landing")
    assert popup.status_code == 403 and "not registered" in popup.content.decode()
    done = client.get("/embed/done/").content.decode()
    assert 'data-token=""' in done and 'data-origin=""' in done
    # The attacker's server redeems with the challenge it chose, or anything else.
    for guess in (CHALLENGE, VERIFIER, "A" * 43):
        answer = claim(guess)
        assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_ready"
    assert not WidgetToken.objects.exists()


@pytest.mark.parametrize(
    ("origin", "referer", "extra"),
    [
        (ORIGIN, None, {}),  # Referrer-Policy: no-referrer, or a typed address
        (ORIGIN, "http://127.0.0.3:9001/", {}),  # another page, claiming ORIGIN
        (ORIGIN, f"{OTHER_REGISTERED}/post/", {}),  # registered, but not the one named
        ("https://evil.example", "https://evil.example/", {}),  # unregistered all through
        (ORIGIN, f"{ORIGIN}/", {"Sec-Fetch-Site": "none"}),  # not opened by any page
        (ORIGIN, f"{ORIGIN}/", {"Sec-Fetch-Dest": "iframe"}),  # framed, not a popup
        (ORIGIN, "https://reader@blog.example.org/", {}),  # userinfo: not a browser's
        (ORIGIN, "https://blog.example.org\\@evil.example/", {}),
        ("", f"{ORIGIN}/", {}),
    ],  # fmt: skip
)
def test_popup_refuses_unless_a_registered_page_opened_it(
    client, site, reader, origin, referer, extra
):
    sign_in(client, reader)
    response = open_popup(client, site, origin=origin, referer=referer, **extra)
    assert response.status_code == 403
    assert "not registered" in response.content.decode()
    assert PENDING_COOKIE not in response.cookies
    assert client.get("/embed/done/").content.decode().count('data-origin=""') == 1


def test_popup_refuses_an_unknown_site(client, site):
    response = client.get(
        "/embed/signin/", {"site": "nope", "origin": ORIGIN}, headers={"Referer": ORIGIN + "/"}
    )
    assert response.status_code == 403


def test_popup_lists_providers_or_goes_straight_to_one(client, site, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {"google": {"APPS": [{"client_id": "i", "secret": "s"}]}}
    listing = open_popup(client, site)
    assert listing.status_code == 200 and "Sign in with Google" in listing.content.decode()
    direct = client.get(
        "/embed/signin/",
        {"site": site.slug, "origin": ORIGIN, "provider": "google"},
        headers={**BROWSER, "Referer": ORIGIN + "/"},
    )
    assert direct.status_code == 302
    assert direct["Location"].startswith("/accounts/google/login/")
    assert "next=%2Fembed%2Fdone%2F" in direct["Location"]
    unknown = client.get(
        "/embed/signin/",
        {"site": site.slug, "origin": ORIGIN, "provider": "myspace"},
        headers={"Referer": ORIGIN + "/"},
    )
    assert unknown.status_code == 404


def test_the_other_registered_origin_works_too(client, site, reader):
    response = open_popup(client, site, origin=OTHER_REGISTERED, referer=OTHER_REGISTERED + "/p/")
    assert response.status_code == 200
    sign_in(client, reader)
    assert f'data-origin="{OTHER_REGISTERED}"' in allow(client)


# --- A signed-in reader is asked first ------------------------------------------------


def test_a_signed_in_reader_is_asked_before_any_token_exists(client, site, reader):
    sign_in(client, reader)
    assert open_popup(client, site).status_code == 200
    page = client.get("/embed/done/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Sign in to comment on <em>Caspian Ledger</em> as Aynur?" in html
    assert "blog.example.org" in html and "Continue as Aynur" in html
    assert "data-token" not in html and "mwt_" not in html
    assert page["X-Frame-Options"] == "DENY"
    assert not WidgetToken.objects.exists()
    assert claim().status_code == 404, "nothing to claim before the reader agrees"


def test_continue_hands_the_token_to_that_origin_and_to_the_claim_once(client, site, reader):
    sign_in(client, reader)
    open_popup(client, site)
    html = allow(client)
    assert f'data-origin="{ORIGIN}"' in html and 'data-status="signed-in"' in html
    token = token_in(html)
    claims = widget_token_verify(token)
    assert claims.user == reader and claims.site_id == site.pk and claims.provider == "google"
    assert 'data-name="Aynur"' in html and "aynur@example.org" not in html
    row = WidgetToken.objects.get()
    assert row.origin == ORIGIN and token not in row.key_hash

    redeemed = claim()
    assert redeemed.status_code == 200
    body = redeemed.json()
    assert body["status"] == "signed-in" and body["token"] == token
    assert body["me"]["name"] == "Aynur" and body["expires_in"] == 12 * 3600
    assert claim().status_code == 404, "one use"
    # The bridge is single-use too: a second visit hands out nothing.
    again = client.get("/embed/done/").content.decode()
    assert 'data-token=""' in again and 'data-origin=""' in again


def test_cancel_at_the_question_issues_nothing(client, site, reader):
    sign_in(client, reader)
    open_popup(client, site)
    html = client.post("/embed/done/", {"decision": "deny"}).content.decode()
    assert 'data-status="cancelled"' in html and 'data-token=""' in html
    assert not WidgetToken.objects.exists()
    assert claim().json() == {
        "status": "cancelled",
        "token": None,
        "expires_in": None,
        "me": {"signed_in": False, "name": None, "picture": None, "provider": None,
               "provider_name": None, "moderator": False},
    }  # fmt: skip


def test_the_question_cannot_be_answered_from_another_page(site, reader):
    browser = Client(enforce_csrf_checks=True)
    sign_in(browser, reader)
    open_popup(browser, site)
    forged = browser.post("/embed/done/", {"decision": "allow"}, headers={"Origin": ORIGIN})
    assert forged.status_code == 403
    assert not WidgetToken.objects.exists()


def test_done_without_sign_in_reports_cancelled(client, site):
    open_popup(client, site)
    html = client.get("/embed/done/").content.decode()
    assert 'data-status="cancelled"' in html and 'data-token=""' in html
    assert "Not signed in" in html
    assert claim().json()["status"] == "cancelled"


def test_a_sign_in_left_open_for_too_long_is_cancelled(client, site, reader, monkeypatch):
    sign_in(client, reader)
    open_popup(client, site)
    later = time.time() + 31 * 60
    monkeypatch.setattr(time, "time", lambda: later)
    html = client.post("/embed/done/", {"decision": "allow"}).content.decode()
    assert 'data-token=""' in html and not WidgetToken.objects.exists()


def test_use_another_account_lists_providers_only_during_a_sign_in(client, site, reader, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {"google": {"APPS": [{"client_id": "i", "secret": "s"}]}}
    sign_in(client, reader)
    assert client.get("/embed/signin/choose/").status_code == 403
    open_popup(client, site)
    page = client.get("/embed/signin/choose/").content.decode()
    assert "Sign in with Google" in page and "You are signed in as Aynur" in page


# --- The claim needs the verifier -----------------------------------------------------


def test_challenge_is_base64url_sha256_as_rfc_7636_computes_it():
    assert challenge_for(VERIFIER) == CHALLENGE


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"verifier": "x" * 43}, "another verifier"),
        ({"site": "another-site"}, "another site"),
        ({"origin": "http://127.0.0.3:9001"}, "another origin"),
    ],  # fmt: skip
)
def test_claim_refuses_anything_but_the_verifier_for_that_site(client, site, reader, change, why):
    sign_in(client, reader)
    open_popup(client, site)
    allow(client)
    answer = claim(**change)
    assert answer.status_code == 404, why
    assert "token" not in answer.content.decode()
    assert claim().status_code == 200, "a wrong try does not use the claim up"


def test_claim_by_nonce_as_before_is_a_clear_error(site):
    answer = Client().post(
        "/api/v1/signin/claim",
        {"site": site.slug, "nonce": CHALLENGE},
        content_type="application/json",
        headers={"Origin": ORIGIN},
    )
    assert answer.status_code == 422 and "verifier" in answer.json()["error"]["fields"]


def test_a_claim_expires_after_two_minutes(client, site, reader, monkeypatch):
    sign_in(client, reader)
    open_popup(client, site)
    allow(client)
    later = time.time() + 121

    class Later:
        @staticmethod
        def time():
            return later

    monkeypatch.setattr("django.core.cache.backends.locmem.time", Later)
    assert claim().status_code == 404


# --- Tokens can be taken back --------------------------------------------------------


def issued_token(client, site, reader) -> str:
    sign_in(client, reader)
    open_popup(client, site)
    return token_in(allow(client))


def me(token):
    return Client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})


def test_the_widgets_log_out_revokes_its_token(client, site, reader):
    token = issued_token(client, site, reader)
    assert me(token).json()["signed_in"] is True
    out = Client().post("/api/v1/signout", headers={"Authorization": f"Bearer {token}"})
    assert out.status_code == 204
    assert me(token).status_code == 401
    # Nothing to revoke (none, or already revoked) answers the same.
    assert Client().post("/api/v1/signout").status_code == 204


def test_logging_out_of_meydan_revokes_every_widget_token(client, site, reader):
    first = issued_token(client, site, reader)
    elsewhere = Client()
    second = issued_token(elsewhere, site, reader)
    client.post("/accounts/logout/")
    assert me(first).status_code == 401 and me(second).status_code == 401


def test_sign_out_everywhere_ends_sessions_and_tokens(client, site, reader):
    token = issued_token(client, site, reader)
    other_device = Client()
    sign_in(other_device, reader)
    assert other_device.get("/account/").status_code == 200
    response = client.post("/account/sign-out-everywhere/")
    assert response.status_code == 302
    assert me(token).status_code == 401
    assert other_device.get("/account/").status_code == 302, "the other session ended"
    assert client.get("/account/").status_code == 302


def test_the_account_page_lists_where_the_reader_is_signed_in(client, site, reader):
    issued_token(client, site, reader)
    html = client.get("/account/").content.decode()
    assert "Signed in to comment on" in html
    assert f'Caspian Ledger <span class="muted">({ORIGIN}' in html


def test_deleting_the_account_revokes_its_tokens(client, site, reader):
    token = issued_token(client, site, reader)
    client.post("/account/delete/", {"comments": "remove", "confirm": "yes"})
    assert me(token).status_code == 401 and not WidgetToken.objects.exists()


def test_an_expired_token_stops_working_and_is_cleaned_up(client, site, reader):
    from datetime import timedelta

    from django.utils import timezone

    token = issued_token(client, site, reader)
    WidgetToken.objects.update(expires=timezone.now() - timedelta(seconds=1))
    assert me(token).status_code == 401
    issued_token(client, site, reader)
    assert WidgetToken.objects.count() == 1, "the expired one went when a new one came"


def test_a_token_works_only_from_the_page_it_was_handed_to(client, site, reader):
    token = issued_token(client, site, reader)
    bearer = {"Authorization": f"Bearer {token}"}
    api = Client()
    assert api.get("/api/v1/me", headers={**bearer, "Origin": ORIGIN}).json()["signed_in"]
    other = api.get("/api/v1/me", headers={**bearer, "Origin": OTHER_REGISTERED})
    assert other.status_code == 401 and other.json()["error"]["code"] == "token_invalid"
    # Outside a browser there may be no Origin at all: the token is the secret.
    assert api.get("/api/v1/me", headers=bearer).json()["signed_in"] is True


# --- The popup speaks the widget's language ---------------------------------------


def test_the_popup_keeps_the_widgets_language_to_the_question(client, site, reader, settings):
    """The widget on an Azerbaijani page opens the popup with lang=az; the provider
    list and the question after sign-in are in Azerbaijani, although the browser asks
    for English and those later pages are asked without `lang`."""
    english = {"Accept-Language": "en-GB,en;q=0.9"}
    first = open_popup(client, site, lang="az", **english)
    assert first.status_code == 200 and first["Content-Language"] == "az"
    sign_in(client, reader)
    question = client.get("/embed/done/", headers=english)
    assert question["Content-Language"] == "az"
    assert "Sign in to comment on" not in question.content.decode()
    chooser = client.get("/embed/signin/choose/", headers=english)
    assert chooser["Content-Language"] == "az"

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"  # chosen on Meydan's own pages
    assert client.get("/embed/done/", headers=english)["Content-Language"] == "ru"


def test_a_language_the_server_does_not_ship_is_ignored(client, site, reader):
    sign_in(client, reader)
    turkish = {"Accept-Language": "tr"}
    assert open_popup(client, site, lang="xx'><script>", **turkish).status_code == 200
    assert client.get("/embed/done/", headers=turkish)["Content-Language"] == "tr"
