"""The widget's server side: script, popup bridge, no-JS thread page."""

import re

import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model

from meydan.accounts.identity import SESSION_PROVIDER_KEY
from meydan.accounts.models import Profile
from meydan.accounts.tokens import widget_token_verify
from meydan.comments.models import Comment

pytestmark = pytest.mark.django_db
ORIGIN = "https://blog.example.org"


def test_embed_script_and_css_are_served(client):
    js = client.get("/embed.js")
    assert js.status_code == 200 and js["Content-Type"].startswith("text/javascript")
    assert "max-age=300" in js["Cache-Control"]
    css = client.get("/embed.css")
    assert css.status_code == 200 and css["Content-Type"].startswith("text/css")


@pytest.mark.parametrize(
    "query",
    [
        "?site=nope&origin=https://blog.example.org",
        "?site=caspian-ledger&origin=https://evil.example",
        "?site=caspian-ledger",
    ],  # fmt: skip
)
def test_popup_refuses_unregistered_sites_and_origins(client, site, query):
    response = client.get(f"/embed/signin/{query}")
    assert response.status_code == 403
    assert "not registered" in response.content.decode()


def test_popup_lists_providers_or_goes_straight_to_one(client, site, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {"google": {"APPS": [{"client_id": "i", "secret": "s"}]}}
    listing = client.get(f"/embed/signin/?site={site.slug}&origin={ORIGIN}")
    assert listing.status_code == 200 and "Sign in with Google" in listing.content.decode()
    direct = client.get(f"/embed/signin/?site={site.slug}&origin={ORIGIN}&provider=google")
    assert direct.status_code == 302
    assert direct["Location"].startswith("/accounts/google/login/")
    assert "next=%2Fembed%2Fdone%2F" in direct["Location"]
    unknown = client.get(f"/embed/signin/?site={site.slug}&origin={ORIGIN}&provider=myspace")
    assert unknown.status_code == 404


def test_done_hands_a_token_to_the_registered_origin_only(client, site):
    user = get_user_model().objects.create_user("leyla", email="leyla@example.org")
    SocialAccount.objects.create(user=user, provider="google", uid="1", extra_data={})
    Profile.objects.create(user=user, display_name="Leyla Q.")
    client.get(f"/embed/signin/?site={site.slug}&origin={ORIGIN}")
    client.force_login(user)
    session = client.session
    session[SESSION_PROVIDER_KEY] = "google"
    session.save()
    html = client.get("/embed/done/").content.decode()
    assert f'data-origin="{ORIGIN}"' in html and 'data-status="signed-in"' in html
    token = re.search(r'data-token="([^"]+)"', html).group(1)
    claims = widget_token_verify(token)
    assert claims.user == user and claims.site_id == site.pk and claims.provider == "google"
    assert 'data-name="Leyla Q."' in html and "leyla@example.org" not in html
    # The bridge is single-use: a second visit hands out nothing.
    again = client.get("/embed/done/").content.decode()
    assert 'data-token=""' in again and 'data-origin=""' in again


def test_done_without_sign_in_reports_cancelled(client, site):
    client.get(f"/embed/signin/?site={site.slug}&origin={ORIGIN}")
    html = client.get("/embed/done/").content.decode()
    assert 'data-status="cancelled"' in html and 'data-token=""' in html
    assert "Not signed in" in html


def test_no_js_thread_page_reads_and_posts(client, site, guest_form):
    url = f"{ORIGIN}/2015/06/baku-rally/"
    page = client.get("/embed/thread/", {"site": site.slug, "url": url})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Leave a Reply" in html and f'href="{url}"' in html
    posted = client.post(
        f"/embed/thread/?site={site.slug}&url={url}", guest_form(body="Without JavaScript")
    )
    assert posted.status_code == 302
    comment = Comment.objects.get()
    assert comment.thread.key == "/2015/06/baku-rally/" and comment.thread.url == url
    assert "Without JavaScript" in client.get(posted["Location"].split("#")[0]).content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {"site": "nope", "url": "/x/"},
        {"site": "caspian-ledger", "url": "https://evil.example/"},
        {"site": "caspian-ledger"},
    ],  # fmt: skip
)
def test_no_js_thread_page_refuses_unknown(client, site, params):
    response = client.get("/embed/thread/", params)
    assert response.status_code in (400, 404)
    assert "No comments here" in response.content.decode()
