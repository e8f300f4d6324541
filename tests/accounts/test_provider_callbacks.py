"""Sign in with WordPress.com, Google, X and Facebook through allauth's real login and
callback views, with the providers' HTTP APIs played from recorded responses.

No Internet is needed: `requests.Session.request` (which allauth's requests session and
`requests.get` in meydan.accounts.pictures both end in) is replaced by `FakeProviderAPI`,
which answers the provider's token endpoint, its profile endpoint and its picture CDN
with the documented response shapes kept in tests/fixtures/providers/<provider>/, and
checks what a real provider would check (the code, the client's credentials, the PKCE
verifier, the bearer token). Anything else that tries to leave the machine fails the test.

Fixtures: token.json (the token endpoint's answer) and profile.json (WordPress.com
/rest/v1.1/me, X /2/users/me, Facebook Graph /me, Google's v2 userinfo); for Google also
id_token.json, the claims of the id_token JWT that the test signs into token.json (Google
gives the profile in the id_token, so userinfo is only asked when there is none).

The flow is the reader's: the sign-in icon submits the comment form to /signin/<provider>/,
allauth shows "Connecting to …" (SOCIALACCOUNT_LOGIN_ON_GET is False), its POST sends the
browser to the provider, and the provider sends it back to the callback with a code.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import re
import struct
import time
import zlib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import requests
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from meydan import settings as meydan_settings
from meydan.accounts.models import Picture, Profile
from meydan.comments.models import Comment
from meydan.core import sealing
from meydan.core.sealing import email_hash
from tests.sealed import address_of

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "providers"
ARTICLE_PATH = "/baku-rally/"
CODE = "4/0AeanS0Zx-authorization-code"


def _png_1x1() -> bytes:
    """A valid 1x1 RGB PNG (what the picture CDN serves)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xc8\x10\x2e")  # filter byte, then one RGB pixel
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


PNG = _png_1x1()


def load_fixture(provider: str, name: str) -> dict:
    return json.loads((FIXTURES / provider / f"{name}.json").read_text(encoding="utf-8"))


# --- What each provider is and what its recorded reader should become ----------------


@dataclass(frozen=True)
class ProviderCase:
    id: str
    label: str  # as the comment form names it
    token_method: str
    token_url: str
    profile_url: str
    client_auth: str  # "body", "basic" (HTTP Basic) or "query" (Facebook's GET)
    pkce: bool

    def expected(self, profile: dict, claims: dict | None = None) -> Expected:
        return EXPECTED[self.id](profile, claims)


@dataclass(frozen=True)
class Expected:
    uid: str
    name: str
    email: str  # "" when the provider gives none
    email_verified: bool
    picture_url: str


EXPECTED = {
    # WordPress.com /rest/v1.1/me says itself whether the address is verified.
    "wordpress": lambda p, _: Expected(
        str(p["ID"]), p["display_name"], p["email"], p["email_verified"], p["avatar_URL"]
    ),
    # Google: the id_token's claims are the profile; email_verified is Google's word.
    "google": lambda _, c: Expected(
        c["sub"], c["name"], c["email"], c["email_verified"], c["picture"]
    ),
    # X gives no email address at all.
    "twitter_oauth2": lambda p, _: Expected(
        p["data"]["id"], p["data"]["name"], "", False, p["data"]["profile_image_url"]
    ),
    # Facebook does not say whether the address is verified, so it never counts as such.
    "facebook": lambda p, _: Expected(
        p["id"], p["name"], p["email"], False, p["picture"]["data"]["url"]
    ),
}

CASES = {
    "wordpress": ProviderCase(
        "wordpress",
        "WordPress.com",
        "POST",
        "https://public-api.wordpress.com/oauth2/token",
        "https://public-api.wordpress.com/rest/v1.1/me",
        "body",
        pkce=False,
    ),
    "google": ProviderCase(
        "google",
        "Google",
        "POST",
        "https://oauth2.googleapis.com/token",
        "https://www.googleapis.com/oauth2/v2/userinfo",
        "body",
        pkce=True,
    ),
    "twitter_oauth2": ProviderCase(
        "twitter_oauth2",
        "X",
        "POST",
        "https://api.x.com/2/oauth2/token",
        "https://api.x.com/2/users/me",
        "basic",
        pkce=True,
    ),
    "facebook": ProviderCase(
        "facebook",
        "Facebook",
        "GET",
        "https://graph.facebook.com/v19.0/oauth/access_token",
        "https://graph.facebook.com/v19.0/me",
        "query",
        pkce=False,
    ),
}
PROVIDERS = list(CASES)


# --- The provider's side of the wire -------------------------------------------------


@cache
def _google_signing_key():
    """An RSA key standing in for Google's: allauth does not check the signature of an
    id_token it fetched itself over TLS, so any well-formed RS256 JWT is what it gets."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def google_id_token(claims: dict) -> str:
    return jwt.encode(
        claims, _google_signing_key(), algorithm="RS256", headers={"kid": "meydan-test-key"}
    )


def _response(method: str, url: str, status: int, body, content_type="application/json"):
    response = requests.Response()
    response.status_code = status
    response.reason = {200: "OK", 400: "Bad Request", 401: "Unauthorized"}.get(status, "")
    response.headers["Content-Type"] = content_type
    response._content = body if isinstance(body, bytes) else json.dumps(body).encode()
    response._content_consumed = True
    response.encoding = "utf-8"
    response.url = url
    response.request = requests.Request(method, url).prepare()
    return response


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


@dataclass
class FakeProviderAPI:
    """One provider's token endpoint, profile endpoint and picture CDN."""

    case: ProviderCase
    client_id: str
    secret: str
    token: dict
    profile: dict
    claims: dict | None = None  # Google's id_token claims
    picture_bytes: bytes = PNG
    code: str = CODE
    code_challenge: str = ""
    calls: list = field(default_factory=list)
    problems: list = field(default_factory=list)

    @property
    def expected(self) -> Expected:
        return self.case.expected(self.profile, self.claims)

    @property
    def callback_url(self) -> str:
        return "http://testserver" + reverse(f"{self.case.id}_callback")

    def authorized(self, location: str) -> dict:
        """Check the redirect to the provider's authorize URL; return its parameters."""
        query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        if query.get("client_id") != self.client_id:
            self.problems.append(f"authorize: client_id {query.get('client_id')!r}")
        if query.get("redirect_uri") != self.callback_url:
            self.problems.append(f"authorize: redirect_uri {query.get('redirect_uri')!r}")
        if self.case.pkce:
            if query.get("code_challenge_method") != "S256":
                self.problems.append("authorize: PKCE missing")
            self.code_challenge = query.get("code_challenge", "")
        return query

    def __call__(self, session, method, url, params=None, data=None, headers=None, **kw):
        method = method.upper()
        self.calls.append((method, url))
        if method == self.case.token_method and url == self.case.token_url:
            return self._token(method, url, params or {}, data or {}, kw.get("auth"))
        if method == "GET" and url == self.case.profile_url:
            return self._profile(method, url, params or {}, headers or {})
        if method == "GET" and url == self.expected.picture_url:
            return _response(method, url, 200, self.picture_bytes, "image/png")
        raise AssertionError(f"unexpected outbound request: {method} {url}")

    def _refuse(self, method, url, status, problem):
        self.problems.append(problem)
        return _response(method, url, status, {"error": "invalid_request", "message": problem})

    def _token(self, method, url, params, data, auth):
        sent = params if self.case.client_auth == "query" else data
        if sent.get("code") != self.code:
            return self._refuse(method, url, 400, f"token: code {sent.get('code')!r}")
        if sent.get("redirect_uri") != self.callback_url:
            return self._refuse(method, url, 400, f"token: redirect_uri {sent.get('redirect_uri')}")
        if self.case.client_auth == "basic":
            credentials = (getattr(auth, "username", None), getattr(auth, "password", None))
        else:
            credentials = (sent.get("client_id"), sent.get("client_secret"))
        if credentials != (self.client_id, self.secret):
            return self._refuse(method, url, 401, f"token: client credentials {credentials}")
        if self.case.pkce and _s256(sent.get("code_verifier", "")) != self.code_challenge:
            return self._refuse(method, url, 400, "token: PKCE code_verifier does not match")
        body = copy.deepcopy(self.token)
        if self.claims is not None and "id_token" in body:
            body["id_token"] = google_id_token(self.claims)
        return _response(method, url, 200, body)

    def _profile(self, method, url, params, headers):
        access_token = self.token["access_token"]
        if self.case.id == "facebook":
            proof = hmac.new(
                self.secret.encode(), access_token.encode(), hashlib.sha256
            ).hexdigest()
            if params.get("access_token") != access_token or params.get("appsecret_proof") != proof:
                return self._refuse(method, url, 400, "profile: bad access token or proof")
            # The Graph API returns the fields asked for (and the id), nothing else.
            wanted = set(params.get("fields", "").split(",")) | {"id"}
            return _response(
                method, url, 200, {k: v for k, v in self.profile.items() if k in wanted}
            )
        if headers.get("Authorization") != f"Bearer {access_token}":
            return self._refuse(method, url, 401, "profile: bad bearer token")
        if self.case.id == "twitter_oauth2":
            # X returns id, name and username, plus the user.fields asked for.
            wanted = set(params.get("user.fields", "").split(",")) | {"id", "name", "username"}
            data = {k: v for k, v in self.profile["data"].items() if k in wanted}
            return _response(method, url, 200, {"data": data})
        return _response(method, url, 200, self.profile)


def provider_settings(monkeypatch) -> dict:
    """SOCIALACCOUNT_PROVIDERS exactly as settings._social_providers() builds it from
    the MEYDAN_*_CLIENT_ID / MEYDAN_*_SECRET environment variables."""
    for prefix, client_id in [
        ("GOOGLE", "407408718192-meydan.apps.googleusercontent.com"),
        ("FACEBOOK", "1458392017763542"),
        ("TWITTER", "Y2xpZW50LWlkLWZvci1tZXlkYW4"),
        ("WORDPRESS", "91827"),
    ]:
        monkeypatch.setenv(f"MEYDAN_{prefix}_CLIENT_ID", client_id)
        monkeypatch.setenv(f"MEYDAN_{prefix}_SECRET", f"{prefix.lower()}-test-secret")
    monkeypatch.delenv("MEYDAN_OIDC_ISSUER", raising=False)
    return meydan_settings._social_providers()


@pytest.fixture
def social_providers(settings, monkeypatch) -> dict:
    settings.SOCIALACCOUNT_PROVIDERS = provider_settings(monkeypatch)
    return settings.SOCIALACCOUNT_PROVIDERS


@pytest.fixture
def provider_api(social_providers, monkeypatch):
    """provider_api("google", profile=...) -> the FakeProviderAPI now answering requests."""

    def _install(provider: str, *, profile: dict | None = None, claims: dict | None = None):
        app = social_providers[provider]["APPS"][0]
        if provider == "google" and claims is None:
            claims = load_fixture("google", "id_token")
        if claims is not None:
            now = int(time.time())
            claims = {
                **claims,
                "aud": app["client_id"],
                "azp": app["client_id"],
                "iat": now,
                "exp": now + 3600,
            }
        api = FakeProviderAPI(
            case=CASES[provider],
            client_id=app["client_id"],
            secret=app["secret"],
            token=load_fixture(provider, "token"),
            profile=profile if profile is not None else load_fixture(provider, "profile"),
            claims=claims,
        )

        def request(session, method, url, *args, **kwargs):  # a function: binds as a method
            return api(session, method, url, *args, **kwargs)

        monkeypatch.setattr(requests.Session, "request", request)
        return api

    return _install


# --- The reader's side ---------------------------------------------------------------


def go_to_provider(client, api: FakeProviderAPI, *, next_path: str = ARTICLE_PATH) -> str:
    """POST allauth's login view, as the "Continue to …" button does; return the state."""
    url = reverse(f"{api.case.id}_login") + "?" + urlencode({"process": "login", "next": next_path})
    response = client.post(url)
    assert response.status_code == 302, response.content[:500]
    query = api.authorized(response["Location"])
    assert query.get("state"), response["Location"]
    return query["state"]


def come_back(client, api: FakeProviderAPI, state: str, **extra):
    """The provider sends the browser back to the callback with a code."""
    return client.get(
        reverse(f"{api.case.id}_callback"), {"code": api.code, "state": state, **extra}
    )


def sign_in(client, api: FakeProviderAPI, *, next_path: str = ARTICLE_PATH):
    """The whole trip; returns the callback's response."""
    return come_back(client, api, go_to_provider(client, api, next_path=next_path))


def logged_in_user_id(client):
    return client.session.get(SESSION_KEY)


def form_text(html: str) -> str:
    """The text of the comment form's "respond" block, tags removed, spaces squeezed."""
    block = html.split('id="respond"', 1)[1]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", block))


# --- Tests ---------------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
def test_sign_in_from_the_comment_form_then_comment(client, article, provider_api, provider):
    api = provider_api(provider)
    expected = api.expected
    case = api.case

    # The sign-in icon submits the comment form: the draft is kept, allauth takes over.
    typed = "Written before signing in; it must survive the trip."
    response = client.post(
        reverse("accounts:signin-start", args=[provider]),
        {"body": typed, "name": "", "email": "", "website": "", "parent": "", "next": ARTICLE_PATH},
    )
    assert response.status_code == 302
    login_url = response["Location"]
    assert urlsplit(login_url).path == reverse(f"{provider}_login")

    # A GET only shows "Connecting to …"; nothing leaves for the provider yet.
    connecting = client.get(login_url)
    assert connecting.status_code == 200
    assert f"Connecting to {case.label}…" in connecting.content.decode()
    assert api.calls == []

    # Its "Continue" button POSTs the same URL, which sends the browser to the provider.
    response = client.post(login_url)
    assert response.status_code == 302
    state = api.authorized(response["Location"])["state"]

    # Back from the provider with a code: signed in, and back on the article.
    response = come_back(client, api, state)
    assert api.problems == []
    assert response.status_code == 302, response.content[:1000]
    assert response["Location"] == ARTICLE_PATH

    account = SocialAccount.objects.get(provider=provider)
    assert account.uid == expected.uid
    assert str(logged_in_user_id(client)) == str(account.user_id)
    user = account.user
    assert Profile.objects.get(user=user).display_name == expected.name

    # The address is kept on the Profile only, hashed and sealed; allauth keeps none.
    assert not EmailAddress.objects.filter(user=user).exists() and user.email == ""
    assert expected.email.lower() not in str(account.extra_data).lower() or not expected.email
    profile = Profile.objects.get(user=user)
    if expected.email:
        assert profile.email_hash == email_hash(expected.email)
        assert sealing.unseal(profile.email_sealed) == expected.email
        assert profile.email_verified == expected.email_verified
    else:
        assert profile.email_hash == "" and profile.email_sealed == ""

    # The article greets the reader by name and provider; no guest fields, draft restored.
    page = client.get(ARTICLE_PATH).content.decode()
    text = form_text(page)
    assert f"You are commenting using your {case.label} account." in text
    assert f'<p class="respond__name">{expected.name}</p>' in page
    assert 'name="email"' not in page and 'name="name"' not in page
    assert typed in page

    # (The picture is checked in test_profile_picture_is_copied_and_shown.)
    # Post as that reader.
    response = client.post(ARTICLE_PATH, {"body": "Signed-in comment.", "parent": ""})
    assert response.status_code == 302
    comment = Comment.objects.get(body="Signed-in comment.")
    assert comment.user_id == user.pk
    assert comment.author_name == expected.name
    assert comment.author_provider == provider
    assert address_of(comment) == expected.email

    page = client.get(ARTICLE_PATH).content.decode()
    assert f'id="{comment.anchor}"' in page
    shown = page.split(f'id="{comment.anchor}"', 1)[1].split("</article>", 1)[0]
    assert expected.name in shown
    assert f"via {case.label}" in shown
    if expected.email:
        assert expected.email not in page


@pytest.mark.parametrize(
    "provider",
    [
        "wordpress",
        "google",
        "twitter_oauth2",
        "facebook",
    ],
)
def test_profile_picture_is_copied_and_shown(client, article, provider_api, provider):
    api = provider_api(provider)
    response = sign_in(client, api)
    assert response.status_code == 302 and api.problems == []

    user = SocialAccount.objects.get(provider=provider).user
    profile = Profile.objects.select_related("picture").get(user=user)
    assert profile.picture is not None, "no picture stored"
    assert bytes(profile.picture.data) == PNG
    assert profile.picture.content_type == "image/png"
    assert ("GET", api.expected.picture_url) in api.calls

    picture_url = reverse("accounts:picture", args=[profile.picture.key])
    assert picture_url.startswith("/avatars/p/")
    page = client.get(ARTICLE_PATH).content.decode()
    assert f'class="respond__picture" src="{picture_url}"' in page
    served = client.get(picture_url)
    assert served.status_code == 200 and served.content == PNG

    client.post(ARTICLE_PATH, {"body": "With my picture.", "parent": ""})
    comment = Comment.objects.get(body="With my picture.")
    assert comment.author_picture == profile.picture.key
    page = client.get(ARTICLE_PATH).content.decode()
    assert f'class="comment__avatar" src="{picture_url}"' in page


@pytest.mark.parametrize("provider", PROVIDERS)
def test_signing_in_again_updates_the_name_and_keeps_one_account(
    client, article, provider_api, provider
):
    """A second sign-in finds the same SocialAccount and refreshes the display name."""
    api = provider_api(provider)
    assert sign_in(client, api).status_code == 302
    client.post(reverse("account_logout"))
    assert logged_in_user_id(client) is None

    profile = copy.deepcopy(api.profile)
    claims = copy.deepcopy(api.claims)
    renamed = "Renamed Reader"
    if provider == "wordpress":
        profile["display_name"] = renamed
    elif provider == "google":
        claims["name"] = renamed
    elif provider == "twitter_oauth2":
        profile["data"]["name"] = renamed
    else:
        profile["name"] = renamed
    api = provider_api(provider, profile=profile, claims=claims)
    assert sign_in(client, api).status_code == 302

    assert SocialAccount.objects.filter(provider=provider).count() == 1
    user = SocialAccount.objects.get(provider=provider).user
    assert str(logged_in_user_id(client)) == str(user.pk)
    assert Profile.objects.get(user=user).display_name == renamed


def test_google_userinfo_is_used_when_the_token_has_no_id_token(client, article, provider_api):
    """allauth falls back to Google's userinfo endpoint (v2: verified_email, not
    email_verified) when the token response carries no id_token."""
    api = provider_api("google")
    api.token = {k: v for k, v in api.token.items() if k != "id_token"}
    userinfo = api.profile
    response = sign_in(client, api)
    assert response.status_code == 302 and api.problems == []
    assert ("GET", CASES["google"].profile_url) in api.calls

    account = SocialAccount.objects.get(provider="google")
    assert account.uid == userinfo["id"]
    assert Profile.objects.get(user=account.user).display_name == userinfo["name"]
    assert Profile.objects.get(user=account.user).picture is not None
    profile = Profile.objects.get(user=account.user)
    assert sealing.unseal(profile.email_sealed) == userinfo["email"]
    assert profile.email_verified == userinfo["verified_email"]


def test_a_picture_that_is_not_an_image_is_not_stored(client, article, provider_api):
    """The CDN answering with HTML (or an SVG) leaves the reader with the identicon."""
    api = provider_api("wordpress")
    api.picture_bytes = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"
    assert sign_in(client, api).status_code == 302
    user = SocialAccount.objects.get(provider="wordpress").user
    assert Profile.objects.get(user=user).picture is None
    assert not Picture.objects.exists()
    page = client.get(ARTICLE_PATH).content.decode()
    assert re.search(r'class="respond__picture" src="/avatars/[0-9a-f]+\.svg"', page)
