"""The guest forms' CSRF protection without a cookie (meydan/core/csrf.py): every view
that takes the guest form checks the browser's Origin (or Referer); a signed-in
session still needs Django's token."""

from urllib.parse import urlencode

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from meydan.comments.models import Comment
from meydan.core.csrf import sent_from_this_site

pytestmark = pytest.mark.django_db

OWN = "http://testserver"
EVIL = "https://evil.example"


@pytest.fixture(params=["article", "no-js thread page", "sign-in start"])
def guest_form_view(request, article, site, social_providers):
    """(the URL a guest form posts to, what a guest's post there does)."""
    if request.param == "article":
        return article.get_absolute_url()
    if request.param == "no-js thread page":
        return "/embed/thread/?" + urlencode({"site": site.slug, "url": "/baku-rally/"})
    return reverse("accounts:signin-start", args=["google"])


@pytest.fixture
def social_providers(settings):
    settings.SOCIALACCOUNT_PROVIDERS = {"google": {"APPS": [{"client_id": "id", "secret": "s"}]}}


def test_a_guest_form_from_another_site_is_refused_everywhere(guest_form_view, guest_form):
    browser = Client(enforce_csrf_checks=True)
    for headers in ({"HTTP_ORIGIN": EVIL}, {}, {"HTTP_REFERER": EVIL + "/"}):
        response = browser.post(guest_form_view, guest_form(), **headers)
        assert response.status_code == 403, headers
        assert "This form did not come from this site" in response.content.decode()
    assert Comment.objects.count() == 0
    assert not browser.session.keys()


def test_a_guest_form_from_this_site_goes_through_everywhere(guest_form_view, guest_form):
    browser = Client(enforce_csrf_checks=True)
    response = browser.post(guest_form_view, guest_form(), HTTP_ORIGIN=OWN)
    assert response.status_code == 302  # posted, or gone on to the provider


def test_a_signed_in_session_still_needs_the_token(guest_form_view, guest_form, django_user_model):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(django_user_model.objects.create_user("leyla", "leyla@example.org"))
    response = browser.post(guest_form_view, guest_form(), HTTP_ORIGIN=OWN)
    assert response.status_code == 403
    assert Comment.objects.count() == 0


@pytest.mark.parametrize(
    ("headers", "secure", "trusted", "expected"),
    [
        ({"HTTP_ORIGIN": OWN}, False, [], True),
        ({"HTTP_ORIGIN": "https://testserver"}, False, [], False),  # scheme differs
        ({"HTTP_ORIGIN": "https://testserver"}, True, [], True),  # behind our TLS proxy
        ({"HTTP_ORIGIN": "null"}, False, [], False),
        ({"HTTP_ORIGIN": "http://testserver:8080"}, False, [], False),
        ({"HTTP_REFERER": OWN + "/baku-rally/?page=2"}, False, [], True),
        ({"HTTP_REFERER": "not a url"}, False, [], False),
        ({"HTTP_ORIGIN": EVIL, "HTTP_REFERER": OWN + "/"}, False, [], False),  # Origin wins
        ({"HTTP_ORIGIN": "https://news.example.org"}, False, ["https://news.example.org"], True),
        ({"HTTP_ORIGIN": "https://a.example.org"}, False, ["https://*.example.org"], True),
        ({"HTTP_ORIGIN": "http://a.example.org"}, False, ["https://*.example.org"], False),
        ({"HTTP_ORIGIN": "https://example.org.evil"}, False, ["https://*.example.org"], False),
    ],
)
def test_sent_from_this_site(settings, headers, secure, trusted, expected):
    settings.CSRF_TRUSTED_ORIGINS = trusted
    request = RequestFactory().post("/", secure=secure, **headers)
    assert sent_from_this_site(request) is expected
