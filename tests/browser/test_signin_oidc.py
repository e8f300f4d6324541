"""Sign in to comment, end to end, against a real OpenID Provider on loopback
(the npm package oidc-provider, see tests/oidc/): click the icon, "Connecting to …",
sign in at the provider, come back signed in with the comment still typed, post,
log out, post as a guest."""

from urllib.parse import urlparse

import pytest
from django.core.management import call_command

from meydan.accounts.models import Profile
from meydan.comments.models import Comment
from meydan.newsroom.models import Article
from tests.browser.conftest import field
from tests.oidc_fixtures import ACCOUNT_NAME
from tests.sealed import address_of

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PROVIDER_NAME = "Newsroom ID"


@pytest.fixture
def idp(oidc_provider_factory, live_server, settings):
    provider = oidc_provider_factory([f"{live_server.url}/accounts/oidc/oidc/login/callback/"])
    # The other four are configured too, so the page shows every icon; only the
    # loopback provider is clicked (the others would need the Internet).
    dummy = {"APPS": [{"client_id": "not-used", "secret": "not-used"}]}
    settings.SOCIALACCOUNT_PROVIDERS = {
        "wordpress": dummy,
        "google": dummy,
        "twitter_oauth2": dummy,
        "facebook": dummy,
        "openid_connect": {"APPS": [provider.allauth_app(name=PROVIDER_NAME)]},
    }
    return provider


@pytest.fixture
def article_url(live_server):
    call_command("meydan_demo", domain=urlparse(live_server.url).netloc, verbosity=0)
    return live_server.url + Article.objects.get().get_absolute_url()


def sign_in_at_provider(page, login="leyla"):
    page.locator('input[name="login"]').fill(login)
    page.locator('input[name="password"]').fill("any password")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()


def test_sign_in_post_log_out_post_as_guest(page, idp, article_url, screenshot):
    page.goto(article_url + "#respond")
    intro = page.locator(".respond__intro")
    assert "Fill in your details below or click an icon to log in" in intro.inner_text()
    icons = page.locator(".respond__icon")
    assert [icons.nth(i).get_attribute("aria-label") for i in range(icons.count())] == [
        "Log in with WordPress.com",
        "Log in with Google",
        "Log in with X",
        "Log in with Facebook",
        f"Log in with {PROVIDER_NAME}",
    ]
    page.locator("#respond").scroll_into_view_if_needed()
    screenshot(page, "signin-icons.png")

    field(page, "Comment").fill("Written before signing in; it must survive the trip.")
    page.get_by_role("button", name=f"Log in with {PROVIDER_NAME}").click()
    page.get_by_role("heading", name=f"Connecting to {PROVIDER_NAME}…").wait_for()
    page.wait_for_url(f"{idp.issuer}/**")
    sign_in_at_provider(page)

    page.wait_for_url(article_url + "**")
    using = page.locator(".respond__using")
    assert f"You are commenting using your {PROVIDER_NAME} account." in using.inner_text()
    assert page.locator(".respond__name").inner_text() == ACCOUNT_NAME
    picture = page.locator(".respond__picture")
    assert picture.get_attribute("src").startswith("/avatars/p/")
    assert picture.evaluate("img => img.naturalWidth") > 0
    assert field(page, "Email").count() == 0, "no guest fields once signed in"
    assert field(page, "Comment").input_value() == (
        "Written before signing in; it must survive the trip."
    )
    page.locator("#respond").scroll_into_view_if_needed()
    screenshot(page, "signin-signed-in.png")

    page.get_by_role("button", name="Post Comment").click()
    comment = Comment.objects.get(body__startswith="Written before signing in")
    assert comment.user is not None and comment.author_name == ACCOUNT_NAME
    assert comment.author_provider == "oidc" and comment.author_picture
    assert address_of(comment) == "leyla@example.org"
    shown = page.locator(f"#comment-{comment.pk}")
    assert ACCOUNT_NAME in shown.locator(".comment__author").inner_text()
    assert shown.locator(".comment__provider").get_attribute("alt") == f"via {PROVIDER_NAME}"
    assert "leyla@example.org" not in page.content()
    assert Profile.objects.get(user=comment.user).display_name == ACCOUNT_NAME

    page.get_by_role("button", name="Log Out").click()
    page.wait_for_load_state()
    assert field(page, "Email").is_visible()
    field(page, "Comment").fill("Now as a guest.")
    field(page, "Email").fill("guest@example.org")
    field(page, "Name").fill("Guest Reader")
    page.get_by_role("button", name="Post Comment").click()
    guest = Comment.objects.get(body="Now as a guest.")
    assert guest.user is None and guest.author_provider == ""


def test_cancel_at_provider_keeps_the_comment(page, idp, article_url):
    page.goto(article_url)
    field(page, "Comment").fill("Do not lose me.")
    field(page, "Name").fill("Tural")
    page.get_by_role("button", name=f"Log in with {PROVIDER_NAME}").click()
    page.wait_for_url(f"{idp.issuer}/**")
    page.get_by_role("link", name="[ Cancel ]").click()
    page.wait_for_url(article_url + "**")
    assert f"Sign-in with {PROVIDER_NAME} was cancelled" in page.locator(".messages").inner_text()
    assert field(page, "Comment").input_value() == "Do not lose me."
    assert field(page, "Name").input_value() == "Tural"
    assert Comment.objects.filter(body="Do not lose me.").count() == 0
