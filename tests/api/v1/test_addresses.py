"""Every address Meydan stores or links is read the way a browser reads it.

Tried as an attacker would: a comment posted through the API for the page
`/\\127.0.0.3:9001/landing` was stored, and the moderation queue's link to it then
sent the moderator to that foreign host (browsers read `/\\` as `//`). A website of
`http://example.com\\@evil.example` was accepted although Python and the browser
disagree about its host.
"""

import pytest
from django.core.exceptions import ValidationError

from meydan.comments.models import Comment, Thread
from meydan.comments.validation import clean_website
from meydan.sites.services import site_create
from tests.api.conftest import ORIGIN

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/\\127.0.0.3:9001/landing",
        "\\\\127.0.0.3:9001/landing",
        "/\t/127.0.0.3:9001/landing",
        "//127.0.0.3:9001/landing",
        "http://reader@blog.example.org/2015/06/baku-rally/",
        "http://127.0.0.3:9001/landing",
    ],  # fmt: skip
)
def test_a_page_address_that_leaves_the_site_is_refused(api, new_comment, url):
    response = api.post("/comments", new_comment(url=url), Origin=ORIGIN)
    assert response.status_code == 400, response.content
    assert "url" in response.json()["error"]["fields"]
    assert not Comment.objects.exists() and not Thread.objects.exists()


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("/2015/06/./baku-rally/?utm_source=x#top", "/2015/06/baku-rally/"),
        ("/2015/06/x/../baku-rally/", "/2015/06/baku-rally/"),
        ("HTTPS://Blog.Example.org:443/2015/06/baku-rally/", "/2015/06/baku-rally/"),
    ],  # fmt: skip
)
def test_page_addresses_are_stored_as_a_browser_resolves_them(api, new_comment, url, key):
    response = api.post("/comments", new_comment(url=url), Origin=ORIGIN)
    assert response.status_code == 201, response.content
    assert Thread.objects.get().key == key


def test_a_stored_address_that_would_leave_the_site_is_never_linked(site):
    """Rows stored before addresses were checked this way link to the site's front page."""
    sneaky = Thread.objects.create(site=site, key="/\\127.0.0.3:9001/landing", url="")
    assert sneaky.get_absolute_url() == "/"
    foreign = Thread.objects.create(site=site, key="/x/", url="https://evil.example/x/")
    assert foreign.get_absolute_url() == "/"
    fine = Thread.objects.create(site=site, key="/y/", url=f"{ORIGIN}/y/")
    assert fine.get_absolute_url() == f"{ORIGIN}/y/"


@pytest.mark.parametrize(
    "website",
    [
        "http://example.com\\@evil.example",
        "http:\\\\evil.example",
        "http://exa\tmple.com/",
        "https://example.com:99999/",
        "https://exa mple.com/",
    ],  # fmt: skip
)
def test_a_website_browsers_and_python_read_differently_is_refused(website):
    with pytest.raises(ValidationError):
        clean_website(website)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("ellison-notes.example.com", "https://ellison-notes.example.com"),
        ("https://bücher.example/", "https://bücher.example/"),
        ("http://javascript:alert(1)@example.org/", "http://javascript:alert(1)@example.org/"),
    ],  # fmt: skip
)
def test_websites_that_browsers_read_as_we_do_are_kept_as_typed(typed, stored):
    assert clean_website(typed) == stored


def test_origins_are_normalised_and_checked_the_same_way(site):
    site.origins = "HTTPS://Blog.Example.org:443/\nhttp://127.0.0.2:8001"
    site.full_clean()
    assert site.origins == "https://blog.example.org\nhttp://127.0.0.2:8001"
    assert site.allows_origin("https://BLOG.example.org")
    assert not site.allows_origin("https://blog.example.org.evil.example")
    for bad in ("https://blog.example.org/news/", "https://user@blog.example.org", "blog"):
        site.origins = bad
        with pytest.raises(ValidationError) as error:
            site.full_clean()
        assert "origins" in error.value.message_dict
    with pytest.raises(ValidationError):
        site_create(name="X", origins=["http://a@b.example"])
