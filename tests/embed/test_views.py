"""The widget's server side: script and the no-JS thread page (the sign-in popup is
in test_signin_popup.py)."""

import pytest

from meydan.comments.models import Comment
from meydan.sites.models import Site

pytestmark = pytest.mark.django_db
ORIGIN = "https://blog.example.org"


def test_embed_script_and_css_are_served(client):
    js = client.get("/embed.js")
    assert js.status_code == 200 and js["Content-Type"].startswith("text/javascript")
    assert "max-age=300" in js["Cache-Control"]
    css = client.get("/embed.css")
    assert css.status_code == 200 and css["Content-Type"].startswith("text/css")


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


@pytest.mark.parametrize("first", [True, False])
def test_the_no_js_page_posts_under_the_policy_as_it_is_now(client, site, guest_form, first):
    """The iframe finds its site through a cached copy; the post must not be judged
    by it (the page's first comment used to be, for up to a minute)."""
    url = f"{ORIGIN}/2015/06/baku-rally/"
    if not first:
        client.post(f"/embed/thread/?site={site.slug}&url={url}", guest_form(body="Earlier"))
    assert client.get("/embed/thread/", {"site": site.slug, "url": url}).status_code == 200
    Site.objects.filter(pk=site.pk).update(hold_all=True)  # behind the cache's back
    posted = client.post(f"/embed/thread/?site={site.slug}&url={url}", guest_form(body="Held?"))
    assert posted.status_code == 302
    assert Comment.objects.get(body="Held?").status == Comment.Status.PENDING


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
