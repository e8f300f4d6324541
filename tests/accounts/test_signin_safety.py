"""Sign-in under bad input: forged and replayed state, open redirects, email collisions,
the sign-in start endpoint, and Log Out. Each is refused with a clear message and
links nothing.

The providers' HTTP APIs are played by tests.accounts.test_provider_callbacks.
"""

import copy
import re

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from meydan.accounts import drafts
from meydan.accounts.redirects import is_same_site_path
from tests.accounts import test_provider_callbacks as flows

ARTICLE_PATH = flows.ARTICLE_PATH
PROVIDERS = flows.PROVIDERS
LABELS = {case.id: case.label for case in flows.CASES.values()}

social_providers = flows.social_providers
provider_api = flows.provider_api

FAILED = "Sign-in with {label} did not work. Try again, or comment as a guest."
CANCELLED = "Sign-in with {label} was cancelled. You can comment as a guest."


def messages_shown(html: str) -> list[str]:
    block = re.search(r'<div class="messages"[^>]*>(.*?)</div>', html, re.S)
    return (
        [m.strip() for m in re.findall(r"<p[^>]*>(.*?)</p>", block.group(1), re.S)] if block else []
    )


def start_from_comment_form(client, provider: str, body: str = "Keep me.", next_path=ARTICLE_PATH):
    """Click a sign-in icon of the comment form; returns the response."""
    return client.post(
        reverse("accounts:signin-start", args=[provider]),
        {
            "body": body,
            "name": "Tural",
            "email": "",
            "website": "",
            "parent": "",
            "next": next_path,
        },
    )


def assert_nobody_signed_in(client):
    assert client.session.get(flows.SESSION_KEY) is None
    assert not SocialAccount.objects.exists()


# --- state ---------------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
def test_forged_state_is_refused_and_the_reader_is_back_on_the_page(
    client, article, provider_api, provider
):
    api = provider_api(provider)
    start_from_comment_form(client, provider, body="Do not lose me.")
    real_state = flows.go_to_provider(client, api)

    response = flows.come_back(client, api, "forged-" + real_state)

    assert response.status_code == 302
    assert response["Location"] == ARTICLE_PATH
    assert api.calls == [], "a forged state must not reach the provider's token endpoint"
    assert_nobody_signed_in(client)
    page = client.get(ARTICLE_PATH).content.decode()
    assert messages_shown(page) == [FAILED.format(label=LABELS[provider])]
    assert "Do not lose me." in page, "the draft is put back into the form"
    assert 'name="email"' in page, "still the guest form"


def test_a_state_from_another_browser_is_refused(client, article, provider_api):
    """Login CSRF: an attacker's own code and state, sent to a victim's browser."""
    api = provider_api("google")
    attacker = Client()
    state = flows.go_to_provider(attacker, api)

    response = flows.come_back(client, api, state)

    assert response.status_code == 302 and response["Location"] == "/"
    assert api.calls == []
    assert_nobody_signed_in(client)
    assert messages_shown(client.get("/").content.decode()) == [FAILED.format(label="Google")]


def test_a_state_for_another_provider_is_refused(client, article, provider_api):
    flows.go_to_provider(client, provider_api("google"))
    google_state = client.session["socialaccount_states"].copy().popitem()[0]
    api = provider_api("wordpress")

    response = flows.come_back(client, api, google_state)

    assert response.status_code == 302
    assert api.calls == []
    assert_nobody_signed_in(client)
    assert messages_shown(client.get("/").content.decode()) == [
        FAILED.format(label="WordPress.com")
    ]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_state_used_once_for_a_cancel_cannot_be_replayed_with_a_code(
    client, article, provider_api, provider
):
    api = provider_api(provider)
    start_from_comment_form(client, provider)
    state = flows.go_to_provider(client, api)

    cancelled = client.get(
        reverse(f"{provider}_callback"), {"error": "access_denied", "state": state}
    )
    assert cancelled.status_code == 302 and cancelled["Location"] == ARTICLE_PATH
    assert messages_shown(client.get(ARTICLE_PATH).content.decode()) == [
        CANCELLED.format(label=LABELS[provider])
    ]

    replayed = flows.come_back(client, api, state)

    assert replayed.status_code == 302
    assert api.calls == []
    assert_nobody_signed_in(client)
    assert messages_shown(client.get("/").content.decode()) == [
        FAILED.format(label=LABELS[provider])
    ]


def test_a_state_used_for_a_sign_in_cannot_be_used_again(client, article, provider_api):
    api = provider_api("twitter_oauth2")
    state = flows.go_to_provider(client, api)
    assert flows.come_back(client, api, state)["Location"] == ARTICLE_PATH
    token_calls = [call for call in api.calls if call[1] == api.case.token_url]
    assert len(token_calls) == 1

    replayed = flows.come_back(client, api, state)

    assert replayed.status_code == 302
    assert [call for call in api.calls if call[1] == api.case.token_url] == token_calls
    assert SocialAccount.objects.count() == 1
    assert FAILED.format(label="X") in messages_shown(client.get("/").content.decode())


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_code_the_provider_refuses_links_nothing(client, article, provider_api, provider):
    api = provider_api(provider)
    start_from_comment_form(client, provider)
    state = flows.go_to_provider(client, api)

    response = flows.come_back(client, api, state, code="not-the-code-the-provider-issued")

    assert api.problems and api.problems[0].startswith("token: code")
    assert response.status_code == 302 and response["Location"] == ARTICLE_PATH
    assert_nobody_signed_in(client)
    assert messages_shown(client.get(ARTICLE_PATH).content.decode()) == [
        FAILED.format(label=LABELS[provider])
    ]


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"aud": "someone-elses-client.apps.googleusercontent.com"}, id="audience"),
        pytest.param({"iss": "https://accounts.google.example"}, id="issuer"),
        pytest.param({"exp": 1_000_000_000}, id="expired"),
    ],
)
def test_a_google_id_token_for_someone_else_is_refused(client, article, provider_api, change):
    api = provider_api("google")
    state = flows.go_to_provider(client, api)
    api.claims = {**api.claims, **change}

    response = flows.come_back(client, api, state)

    assert response.status_code == 302
    assert_nobody_signed_in(client)
    assert messages_shown(client.get("/").content.decode()) == [FAILED.format(label="Google")]


def test_signing_in_gives_a_new_session_key(client, article, provider_api):
    """No session fixation: the key a visitor had before signing in is not the one after."""
    api = provider_api("wordpress")
    client.get(ARTICLE_PATH)
    start_from_comment_form(client, "wordpress")
    before = client.session.session_key
    assert before
    flows.sign_in(client, api)
    assert client.session.session_key != before


# --- Where the reader is sent afterwards -----------------------------------------------

EVIL_NEXT = [
    "//evil.example",
    "https://evil.example",
    "/\\evil.example",
    "/\\\\evil.example",
    "http:evil.example",
    "javascript:alert(1)",
    "https://testserver/baku-rally/",
    "///evil.example",
    "\t//evil.example",
]


def assert_same_site(location: str):
    assert is_same_site_path(location), location
    assert "evil" not in location
    assert url_has_allowed_host_and_scheme(location, allowed_hosts={"testserver"})


@pytest.mark.parametrize("evil", EVIL_NEXT)
def test_next_on_the_login_view_cannot_send_the_reader_away(client, article, provider_api, evil):
    api = provider_api("google")
    response = flows.sign_in(client, api, next_path=evil)
    assert api.problems == [] and client.session.get(flows.SESSION_KEY)
    assert response.status_code == 302
    assert_same_site(response["Location"])
    assert response["Location"] == "/"


@pytest.mark.parametrize("evil", EVIL_NEXT)
def test_next_on_the_comment_form_cannot_send_the_reader_away(client, article, provider_api, evil):
    api = provider_api("wordpress")
    started = start_from_comment_form(client, "wordpress", next_path=evil)
    assert started.status_code == 302
    assert_same_site(started["Location"])
    assert client.session[drafts.SESSION_KEY]["return_path"] == "/"

    client.post(started["Location"])  # "Continue to WordPress.com"
    state = client.session["socialaccount_states"].copy().popitem()[0]
    response = flows.come_back(client, api, state)
    assert client.session.get(flows.SESSION_KEY)
    assert_same_site(response["Location"])


@pytest.mark.parametrize("evil", EVIL_NEXT)
def test_next_added_to_the_callback_cannot_send_the_reader_away(
    client, article, provider_api, evil
):
    api = provider_api("facebook")
    response = client.post(reverse("facebook_login") + "?process=login")
    state = api.authorized(response["Location"])["state"]
    response = flows.come_back(client, api, state, next=evil)
    assert client.session.get(flows.SESSION_KEY)
    assert_same_site(response["Location"])
    assert response["Location"] == "/"


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/baku-rally/",
        "/baku-rally/?replyto=12#respond",
        "/baku-rally/?order=oldest&page=2",
        "/search/?q=http://example.org",  # a colon in the query string is fine
        "/%2F%2Fevil.example",  # percent-encoded: still a path on this site
        "/c/42",
    ],
)
def test_same_site_paths_are_accepted(url):
    assert is_same_site_path(url)


@pytest.mark.parametrize(
    "url",
    [
        None,
        "",
        "baku-rally/",
        "//evil.example",
        "///evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "\\/evil.example",
        "https://evil.example",
        "https://testserver/baku-rally/",  # absolute, even to this host
        "http:evil.example",
        "http:/evil.example",
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        " /baku-rally/",
        "\t//evil.example",
        "/baku\r\nLocation: https://evil.example",
        "/baku\nrally",
        "/baku\x00rally",
        "/ba ku",
        "/\t/evil.example",
        "/a:b/",
    ],
)
def test_other_urls_are_refused(url):
    assert not is_same_site_path(url)


# --- An email address that is already someone's -------------------------------------


def _with_email(provider: str, api, email: str, verified: bool):
    """The provider's recorded reader, now with `email` (verified or not)."""
    profile, claims = copy.deepcopy(api.profile), copy.deepcopy(api.claims)
    if provider == "google":
        claims.update(email=email, email_verified=verified)
    elif provider == "wordpress":
        profile.update(email=email, email_verified=verified)
    else:  # Facebook never says whether an address is verified
        profile.update(email=email)
    return profile, claims


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def editor(db):
    """A local (staff) account with x@example.org."""
    user = get_user_model().objects.create_user(
        "editor", "x@example.org", "correct horse battery staple", is_staff=True
    )
    EmailAddress.objects.create(user=user, email="x@example.org", verified=True, primary=True)
    return user


def _assert_editor_untouched(client, editor):
    editor.refresh_from_db()
    assert client.session.get(flows.SESSION_KEY) != str(editor.pk)
    assert not SocialAccount.objects.filter(user=editor).exists()
    assert editor.has_usable_password()
    assert editor.check_password("correct horse battery staple")


@pytest.mark.parametrize(
    ("provider", "verified"),
    [
        ("wordpress", False),
        ("google", False),
        ("facebook", False),
        ("wordpress", True),
        ("google", True),
    ],
)
def test_an_email_that_belongs_to_an_existing_account_never_signs_into_it(
    client, article, provider_api, editor, provider, verified
):
    api = provider_api(provider)
    profile, claims = _with_email(provider, api, "x@example.org", verified)
    api = provider_api(provider, profile=profile, claims=claims)

    response = flows.sign_in(client, api, next_path=ARTICLE_PATH)

    assert api.problems == []
    # Refused at once, back on the page with the reason; nothing linked.
    assert response.status_code == 302
    assert response["Location"] == ARTICLE_PATH
    _assert_editor_untouched(client, editor)
    assert client.session.get(flows.SESSION_KEY) is None
    assert not SocialAccount.objects.exists()
    page = client.get(response["Location"]).content.decode()
    assert (
        f"The email address of your {LABELS[provider]} account is already used by another "
        "account here, so we did not sign you in."
    ) in page


def test_without_an_email_address_record_the_account_is_still_not_used(
    client, article, provider_api
):
    """A local account made with createsuperuser has User.email but no EmailAddress row."""
    editor = get_user_model().objects.create_user(
        "editor", "x@example.org", "correct horse battery staple", is_staff=True
    )
    api = provider_api("google")
    profile, claims = _with_email("google", api, "x@example.org", True)
    api = provider_api("google", profile=profile, claims=claims)

    response = flows.sign_in(client, api, next_path=ARTICLE_PATH)

    assert response["Location"] == ARTICLE_PATH
    _assert_editor_untouched(client, editor)
    assert not SocialAccount.objects.exists()


# --- The sign-in start endpoint -------------------------------------------------------


def test_sign_in_start_keeps_the_draft_and_goes_to_allauth(client, article, social_providers):
    response = client.post(
        reverse("accounts:signin-start", args=["google"]),
        {
            "body": "Half a comment",
            "name": "Tural",
            "email": "tural@example.org",
            "website": "https://tural.example",
            "parent": "",
            "next": "/baku-rally/?replyto=3",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == (
        reverse("google_login") + "?process=login&next=%2Fbaku-rally%2F%3Freplyto%3D3"
    )
    assert client.session[drafts.SESSION_KEY] == {
        "body": "Half a comment",
        "name": "Tural",
        "website": "https://tural.example",  # not the address: no clear copy in the session
        "parent": "",
        "return_path": "/baku-rally/?replyto=3",
    }
    connecting = client.get(response["Location"])
    assert connecting.status_code == 200
    assert "Connecting to Google…" in connecting.content.decode()


@pytest.mark.parametrize("provider_id", ["myspace", "github", "openid_connect", "oidc", "..%2F"])
def test_sign_in_start_with_an_unknown_provider_is_404(
    client, article, social_providers, provider_id
):
    response = client.post(
        reverse("accounts:signin-start", args=[provider_id]), {"body": "x", "next": ARTICLE_PATH}
    )
    assert response.status_code == 404
    assert drafts.SESSION_KEY not in client.session


def test_sign_in_start_with_a_provider_that_is_not_configured_is_404(client, article, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {}
    response = client.post(reverse("accounts:signin-start", args=["google"]), {"body": "x"})
    assert response.status_code == 404


def test_sign_in_start_only_takes_post(client, article, social_providers):
    response = client.get(reverse("accounts:signin-start", args=["google"]))
    assert response.status_code == 405
    assert drafts.SESSION_KEY not in client.session


@pytest.mark.parametrize("origin", [None, "https://evil.example"])
def test_sign_in_start_needs_this_site_and_continue_the_csrf_token(
    article, social_providers, origin
):
    """Another site cannot start a sign-in (or plant a draft) in a reader's browser:
    the start is checked by origin (the guest form has no token), allauth's step by
    CSRF token."""
    browser = Client(enforce_csrf_checks=True)
    headers = {"HTTP_ORIGIN": origin} if origin else {}
    started = browser.post(
        reverse("accounts:signin-start", args=["google"]), {"body": "x"}, **headers
    )
    assert started.status_code == 403
    assert "This form did not come from this site" in started.content.decode()
    assert drafts.SESSION_KEY not in browser.session
    continued = browser.post(reverse("google_login") + "?process=login")
    assert continued.status_code == 403
    assert "socialaccount_states" not in browser.session


# --- Log Out ---------------------------------------------------------------------------


@pytest.fixture
def signed_in_browser(article, provider_api):
    """A browser that enforces CSRF, signed in with Google through the real flow."""
    browser = Client(enforce_csrf_checks=True)
    api = provider_api("google")
    # The guest form has no CSRF token (no cookie for readers who only read): its
    # sign-in buttons are checked by origin; allauth's own step needs the token.
    browser.post(
        reverse("accounts:signin-start", args=["google"]),
        {"body": "", "next": ARTICLE_PATH},
        HTTP_ORIGIN="http://testserver",
    )
    page = browser.get(reverse("accounts:signin")).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = browser.post(
        reverse("google_login") + "?process=login&next=%2Fbaku-rally%2F",
        {"csrfmiddlewaretoken": token},
    )
    state = api.authorized(response["Location"])["state"]
    assert flows.come_back(browser, api, state)["Location"] == ARTICLE_PATH
    assert browser.session.get(flows.SESSION_KEY)
    return browser


def _logout_token(browser) -> str:
    page = browser.get(ARTICLE_PATH).content.decode()
    form = page.split('id="meydan-logout"', 1)[1].split("</form>", 1)[0]
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)


def test_log_out_by_get_only_asks(signed_in_browser):
    response = signed_in_browser.get(reverse("account_logout"))
    assert response.status_code == 200
    assert "Are you sure you want to sign out?" in response.content.decode()
    assert signed_in_browser.session.get(flows.SESSION_KEY)


def test_log_out_without_the_csrf_token_is_refused(signed_in_browser):
    response = signed_in_browser.post(reverse("account_logout"), {"next": ARTICLE_PATH})
    assert response.status_code == 403
    assert "This form has expired" in response.content.decode()
    assert signed_in_browser.session.get(flows.SESSION_KEY)


def test_log_out_with_the_form_signs_out_and_returns_to_the_page(signed_in_browser):
    token = _logout_token(signed_in_browser)
    response = signed_in_browser.post(
        reverse("account_logout"), {"csrfmiddlewaretoken": token, "next": ARTICLE_PATH}
    )
    assert response.status_code == 302 and response["Location"] == ARTICLE_PATH
    assert signed_in_browser.session.get(flows.SESSION_KEY) is None
    page = signed_in_browser.get(ARTICLE_PATH).content.decode()
    assert 'name="email"' in page and "You are commenting using" not in page


@pytest.mark.parametrize("evil", ["//evil.example", "https://evil.example", "/\\evil.example"])
def test_log_out_next_cannot_send_the_reader_away(signed_in_browser, evil):
    token = _logout_token(signed_in_browser)
    response = signed_in_browser.post(
        reverse("account_logout"), {"csrfmiddlewaretoken": token, "next": evil}
    )
    assert response.status_code == 302
    assert_same_site(response["Location"])
    assert signed_in_browser.session.get(flows.SESSION_KEY) is None


def test_signing_in_again_keeps_the_readers_widget_sign_ins(client, article, provider_api):
    """allauth logs a reader out and in again when they sign in once more (on another
    site's widget, say); that is not the reader logging out, so their widget tokens
    elsewhere keep working. Logging out for real revokes them."""
    from meydan.accounts.tokens import widget_token_issue, widget_token_verify

    api = provider_api("google")
    flows.sign_in(client, api)
    user = get_user_model().objects.get(pk=flows.logged_in_user_id(client))
    token = widget_token_issue(user, site_id=article.site_id, provider="google")
    flows.sign_in(client, api)
    assert int(flows.logged_in_user_id(client)) == user.pk
    assert widget_token_verify(token) is not None
    client.post(reverse("account_logout"))
    assert widget_token_verify(token) is None
