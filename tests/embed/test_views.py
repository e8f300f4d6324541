"""The widget's server side: script and the no-JS thread page (the sign-in popup is
in test_signin_popup.py)."""

import pytest

from meydan.comments.models import Comment

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
