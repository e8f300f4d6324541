"""Signing in from the widget on another origin, in real Chromium with third-party
cookies blocked, against the loopback OpenID provider: the genuine flows (popup and
postMessage, the claim when a provider's COOP cuts the opener, first sign-in and
already signed in, both with the consent step, Log Out revoking the token), and the
attack of a page on an unregistered origin (127.0.0.3), which must fail at the popup
and at the claim."""

import base64
import hashlib
import secrets
import time

import pytest
import requests

from meydan.accounts.models import WidgetToken
from meydan.comments.models import Comment
from tests.browser.conftest import field, static_host
from tests.oidc_fixtures import ACCOUNT_NAME

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PROVIDER = "Newsroom ID"
ATTACKER_HOST = "127.0.0.3"


@pytest.fixture
def idp(oidc_provider_factory, live_server, settings):
    provider = oidc_provider_factory([f"{live_server.url}/accounts/oidc/oidc/login/callback/"])
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {"APPS": [provider.allauth_app(name=PROVIDER)]}
    }
    return provider


@pytest.fixture
def widget_page(strict_browser, new_page, blog, idp):
    page = new_page(on=strict_browser, viewport={"width": 1000, "height": 900})
    page.set_default_timeout(15_000)
    page.goto(blog)
    return page


def through_provider(popup, idp, live_server, *, deadline=25.0):
    """Go through whatever the provider asks (login, its consent; nothing when it
    remembers the reader) until the popup is back on Meydan's consent step."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        url = popup.url
        if url.startswith(f"{live_server.url}/embed/done/"):
            popup.get_by_role("button", name=f"Continue as {ACCOUNT_NAME}").wait_for()
            return
        if url.startswith(idp.issuer):
            login = popup.locator('input[name="login"]')
            if login.count() and login.is_visible():
                login.fill("leyla")
                popup.locator('input[name="password"]').fill("any password")
                popup.get_by_role("button", name="Sign-in").click()
                continue
            again = popup.get_by_role("button", name="Continue", exact=True)
            if again.count() and again.is_visible():
                again.click()
                continue
        popup.wait_for_timeout(200)
    raise AssertionError(f"the popup did not reach the consent step (at {popup.url})")


def sign_in(page, idp, live_server, *, button=f"Log in with {PROVIDER}", screenshot=None):
    widget = page.locator("#meydan-thread")
    with page.expect_popup() as popup_info:
        widget.get_by_role("button", name=button).click()
    popup = popup_info.value
    through_provider(popup, idp, live_server)
    heading = popup.get_by_role(
        "heading", name=f"Sign in to comment on Caspian Ledger as {ACCOUNT_NAME}?"
    )
    heading.wait_for()
    assert "127.0.0.2" in popup.locator(".consent").inner_text()
    if screenshot:
        screenshot(popup, "widget-signin-consent.png")
    assert not WidgetToken.objects.exists(), "no token before the reader agrees"
    popup.get_by_role("button", name=f"Continue as {ACCOUNT_NAME}").click()
    widget.get_by_text(f"You are commenting using your {PROVIDER} account.").wait_for(
        timeout=20_000
    )
    return popup


def post_as_reader(page, text):
    widget = page.locator("#meydan-thread")
    field(widget, "Comment").fill(text)
    widget.get_by_role("button", name="Post Comment").click()
    widget.get_by_text(text).wait_for()
    return Comment.objects.get(body=text)


def test_first_sign_in_asks_posts_and_log_out_revokes_the_token(
    widget_page, idp, live_server, screenshot
):
    page = widget_page
    widget = page.locator("#meydan-thread")
    sign_in(page, idp, live_server, screenshot=screenshot)
    assert ACCOUNT_NAME in widget.inner_text()
    assert field(widget, "Email").count() == 0 or not field(widget, "Email").is_visible()
    comment = post_as_reader(page, "Signed in, on someone else's site.")
    assert comment.user is not None and comment.author_provider == "oidc"
    assert comment.author_name == ACCOUNT_NAME
    token = page.evaluate(
        "() => JSON.parse(Object.entries(sessionStorage)"
        ".find(([k]) => k.endsWith(':auth'))[1]).token"
    )
    bearer = {"Authorization": f"Bearer {token}"}
    assert requests.get(f"{live_server.url}/api/v1/me", headers=bearer, timeout=10).ok

    widget.get_by_role("button", name="Log Out").click()
    field(widget, "Email").wait_for()
    for _ in range(50):
        if not WidgetToken.objects.exists():
            break
        time.sleep(0.1)
    assert (
        requests.get(f"{live_server.url}/api/v1/me", headers=bearer, timeout=10).status_code == 401
    )

    # Already signed in on Meydan (and at the provider): the popup asks again.
    sign_in(page, idp, live_server)
    post_as_reader(page, "Signed in again, after saying yes.")
    assert WidgetToken.objects.count() == 1


@pytest.fixture
def coop_idp(oidc_provider_factory, live_server, settings):
    """A provider whose pages send Cross-Origin-Opener-Policy: same-origin, like Google's."""
    provider = oidc_provider_factory(
        [f"{live_server.url}/accounts/oidc/oidc/login/callback/"], coop="same-origin"
    )
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {"APPS": [provider.allauth_app(name=PROVIDER)]}
    }
    return provider


def test_claim_fallback_when_the_providers_coop_cuts_the_opener(
    strict_browser, new_page, blog, coop_idp, live_server
):
    page = new_page(on=strict_browser, viewport={"width": 1000, "height": 900})
    page.set_default_timeout(15_000)
    claims = []
    page.on("response", lambda r: "/api/v1/signin/claim" in r.url and claims.append(r.status))
    page.goto(blog)
    popup = sign_in(page, coop_idp, live_server)
    assert 200 in claims, "the token came through the claim"
    assert popup.is_closed() or popup.evaluate("() => window.opener") is None
    post_as_reader(page, "Signed in through the claim.")


ATTACK_PAGE = """<!doctype html><html><head><meta charset="utf-8">{meta}
<title>Win a prize</title></head>
<body><button id="go">Claim your prize</button>
<script>
document.getElementById("go").onclick = () => window.open(
  "{meydan}/embed/signin/?site=caspian-ledger&origin=" + encodeURIComponent("{registered}") +
  "&challenge={challenge}", "x", "popup,width=500,height=600");
</script></body></html>"""


@pytest.mark.parametrize("meta", ["", '<meta name="referrer" content="no-referrer">'])
def test_a_page_on_another_origin_gets_no_token(
    widget_page, idp, live_server, blog, tmp_path, meta
):
    page = widget_page
    sign_in(page, idp, live_server)
    own = post_as_reader(page, "My own words, under my own name.")
    before = sorted(Comment.objects.values_list("pk", "body", "status"))
    registered = blog.split("/2015/")[0]
    verifier = secrets.token_urlsafe(32)
    digest = hashlib.sha256(verifier.encode()).digest()
    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    root = tmp_path / "attacker"
    root.mkdir()
    (root / "index.html").write_text(
        ATTACK_PAGE.format(
            meta=meta, meydan=live_server.url, registered=registered, challenge=challenge
        )
    )
    with static_host(ATTACKER_HOST, root) as attacker:
        evil = page.context.new_page()  # the same reader, signed in on Meydan
        evil.goto(attacker + "/")
        with evil.expect_popup() as popup_info:
            evil.get_by_role("button", name="Claim your prize").click()
        popup = popup_info.value
        popup.wait_for_load_state()
        assert "not registered" in popup.content()
        assert popup.get_by_role("button", name=f"Continue as {ACCOUNT_NAME}").count() == 0

        # The attacker's server redeems, with the verifier it made and a forged Origin.
        for secret in (verifier, challenge):
            answer = requests.post(
                f"{live_server.url}/api/v1/signin/claim",
                json={"site": "caspian-ledger", "verifier": secret},
                headers={"Origin": registered},
                timeout=10,
            )
            assert answer.status_code == 404 and "token" not in answer.text

    assert WidgetToken.objects.count() == 1, "only the reader's own sign-in"
    own.refresh_from_db()
    assert own.body == "My own words, under my own name." and own.status == "approved"
    assert sorted(Comment.objects.values_list("pk", "body", "status")) == before
    assert list(Comment.objects.filter(user=own.user)) == [own]
