"""Up-votes and sorting on the server-rendered section (no JavaScript): the article
page and the no-JS thread page, through the Django test client."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from meydan.comments.models import Comment, Vote
from meydan.sites.services import site_update

pytestmark = pytest.mark.django_db
OWN_ORIGIN = "http://testserver"


@pytest.fixture(autouse=True)
def _commits(django_capture_on_commit_callbacks):
    global _capture
    _capture = django_capture_on_commit_callbacks


def press(browser, comment, *, action="vote", referer=None, **headers):
    """What a browser sends when the reader presses the up-vote button."""
    headers.setdefault("HTTP_ORIGIN", OWN_ORIGIN)
    if referer is not None:
        headers["HTTP_REFERER"] = referer
    with _capture(execute=True):
        return browser.post(f"/c/{comment.pk}/vote", {"action": action}, **headers)


def texts(html: str) -> list[str]:
    return re.findall(r'<div class="comment__content"><p>(.*?)</p>', html)


def test_the_button_counts_sets_one_cookie_and_returns_to_the_page(article, post):
    comment = post("Worth reading.", name="Aynur")
    browser = Client()
    page = browser.get(article.get_absolute_url())
    html = page.content.decode()
    assert not page.cookies  # reading sets no cookie
    assert f'action="/c/{comment.pk}/vote"' in html
    assert 'aria-label="Up-vote comment by Aynur, 0 votes"' in html
    assert "csrfmiddlewaretoken" not in html
    response = press(browser, comment, referer=f"{OWN_ORIGIN}/baku-rally/?order=newest")
    assert response.status_code == 302
    anchor = f"#comment-{comment.pk}"
    assert response["Location"] == f"/baku-rally/?order=newest&voted={comment.pk}{anchor}"
    cookie = response.cookies["meydan_voter"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["max-age"]
    assert Comment.objects.get().vote_count == 1
    # Right after the redirect the reader sees their vote, and may take it back.
    after = browser.get(response["Location"].split("#")[0]).content.decode()
    assert 'aria-label="Take back your up-vote of the comment by Aynur, 1 vote"' in after
    assert 'name="action" value="unvote"' in after
    # Anyone else (and the cached list) shows the count only.
    other = Client().get(article.get_absolute_url()).content.decode()
    assert 'aria-label="Up-vote comment by Aynur, 1 vote"' in other and "unvote" not in other
    # Pressing again (a replay of the same form) counts nothing and sets no new cookie.
    again = press(browser, comment, referer=f"{OWN_ORIGIN}/baku-rally/")
    assert again.status_code == 302 and "meydan_voter" not in again.cookies
    assert Comment.objects.get().vote_count == 1 and Vote.objects.count() == 1
    # Take it back.
    back = press(browser, comment, action="unvote", referer=f"{OWN_ORIGIN}/baku-rally/?voted=1")
    assert back["Location"] == f"/baku-rally/#comment-{comment.pk}"
    assert Comment.objects.get().vote_count == 0 and not Vote.objects.exists()


def test_a_voted_marker_for_someone_elses_vote_shows_nothing(article, post):
    comment = post("Worth reading.", name="Aynur")
    press(Client(), comment)
    html = Client().get(f"{article.get_absolute_url()}?voted={comment.pk}").content.decode()
    assert "unvote" not in html and "1 vote" in html


def test_a_vote_from_another_site_is_refused(article, post):
    comment = post("Worth reading.")
    for headers in ({"HTTP_ORIGIN": "https://evil.example"}, {"HTTP_ORIGIN": "null"}):
        response = press(Client(), comment, **headers)
        assert response.status_code == 403
        assert "not sent from a page of this site" in response.content.decode()
    no_origin = Client().post(f"/c/{comment.pk}/vote", {"action": "vote"})
    assert no_origin.status_code == 403
    assert Comment.objects.get().vote_count == 0


def test_refusals_are_pages_with_a_message(article, post, thread):
    own_browser = Client()
    own_browser.post(
        article.get_absolute_url(),
        {"body": "My own.", "name": "Tural", "email": "t@example.org", "website": "", "parent": ""},
        HTTP_ORIGIN=OWN_ORIGIN,
    )
    mine = Comment.objects.get()
    refused = press(own_browser, mine)
    assert refused.status_code == 403
    assert "You cannot up-vote your own comment." in refused.content.decode()
    assert press(Client(), mine, action="vote").status_code == 302
    Comment.objects.filter(pk=mine.pk).update(status="pending")
    assert press(Client(), mine).status_code == 404
    Comment.objects.filter(pk=mine.pk).update(status="approved")
    thread.is_open = False
    thread.save()
    closed = press(Client(), mine)
    assert closed.status_code == 403 and "Comments are closed" in closed.content.decode()
    # A closed thread shows the count, without a button.
    html = Client().get(article.get_absolute_url()).content.decode()
    assert '<span class="comment__votes">1 vote</span>' in html
    assert f'action="/c/{mine.pk}/vote"' not in html
    assert Client().get(f"/c/{mine.pk}/vote").status_code == 405


def test_signed_in_reader_votes_by_account(article, post):
    comment = post("Worth reading.")
    user = get_user_model().objects.create_user("leyla", password="pw-long-enough-1")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    response = press(browser, comment, referer=f"{OWN_ORIGIN}/baku-rally/")
    assert response.status_code == 302 and "meydan_voter" not in response.cookies
    assert Vote.objects.get().voter == f"u:{user.pk}"


def test_without_a_referer_the_vote_leads_to_the_permalink(article, post):
    comment = post("Worth reading.")
    response = press(Client(), comment)
    assert response["Location"] == f"/c/{comment.pk}"
    # A Referer from elsewhere is not followed either.
    other = press(Client(), comment, referer="https://evil.example/phish", HTTP_ORIGIN=OWN_ORIGIN)
    assert other["Location"] == f"/c/{comment.pk}"


def test_sort_links_and_most_voted_order(article, post, site):
    _a, b, c = post("First."), post("Second."), post("Third.")
    for _ in range(2):
        press(Client(), b)
    press(Client(), c)
    browser = Client()
    html = browser.get(article.get_absolute_url()).content.decode()
    assert texts(html) == ["First.", "Second.", "Third."]
    assert '<a href="?order=top#comments">Most voted</a>' in html
    assert '<a href="?order=newest#comments">Newest first</a>' in html
    top = browser.get(f"{article.get_absolute_url()}?order=top").content.decode()
    assert texts(top) == ["Second.", "Third.", "First."]
    assert '<span aria-current="true">Most voted</span>' in top
    with _capture(execute=True):
        site.default_order = "top"
        site_update(site, channel="admin")
    assert texts(browser.get(article.get_absolute_url()).content.decode())[0] == "Second."


def test_permalink_finds_the_page_in_every_order(article, post, site):
    site.page_size = 2
    site.save()
    roots = [post(f"Root {i}.") for i in range(5)]
    for _ in range(3):
        press(Client(), roots[4])
    press(Client(), roots[0])
    browser = Client()
    expected = {"oldest": 3, "newest": 1, "top": 1}
    for order, page in expected.items():
        html = browser.get(f"{article.get_absolute_url()}?order={order}&replyto={roots[4].pk}")
        assert f'id="comment-{roots[4].pk}"' in html.content.decode(), order
        assert f"Page {page} of 3" in html.content.decode(), order
    # Most voted: Root 4 (3 votes), Root 0 (1), then Root 1, 2, 3 oldest first.
    top2 = browser.get(f"{article.get_absolute_url()}?order=top&page=2").content.decode()
    assert texts(top2) == ["Root 1.", "Root 2."]
    with _capture(execute=True):
        site.default_order = "top"
        site_update(site, channel="admin")
    permalink = browser.get(f"/c/{roots[3].pk}")
    assert permalink["Location"] == f"/baku-rally/?page=3#comment-{roots[3].pk}"
    landed = browser.get(permalink["Location"].split("#")[0]).content.decode()
    assert f'id="comment-{roots[3].pk}"' in landed


def test_the_no_js_thread_page_votes_too(site, post, thread):
    comment = post("On the embed page.")
    path = f"/embed/thread/?site={site.slug}&url=/baku-rally/"
    browser = Client()
    html = browser.get(path).content.decode()
    assert f'action="/c/{comment.pk}/vote"' in html
    response = press(browser, comment, referer=f"{OWN_ORIGIN}{path}")
    assert response["Location"].startswith("/embed/thread/?site=")
    assert f"voted={comment.pk}" in response["Location"]
    after = browser.get(response["Location"].split("#")[0]).content.decode()
    assert "Take back your up-vote" in after
