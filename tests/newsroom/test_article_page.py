"""The article page and its server-rendered comment section (no JavaScript)."""

import re

import pytest
from django.test import Client

from meydan.comments import services
from meydan.comments.models import Comment

pytestmark = pytest.mark.django_db


def section(response) -> str:
    html = response.content.decode()
    """The comment section: from its anchor to the end of <main> (the footer has the
    language switcher's form)."""
    start = html.index('id="comments"')
    return html[start : html.index("</main>", start)]


def test_article_page_shows_article_thread_and_form(client, article, post):
    first = post("I was *there*.", name="Aynur")
    post("So was I.", parent=first, name="Tural")
    response = client.get(article.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert '<h1 class="article__title">Thousands rally in Baku</h1>' in html
    assert "2 comments" in html
    assert "Leave a Reply" in html
    assert "<em>there</em>" in html
    # The reply is nested inside the first comment's list item.
    nested = re.search(rf'id="comment-{first.pk}".*?<ol class="children">.*?So was I\.', html, re.S)
    assert nested
    for label in ("Email", "Name", "Website", "Comment"):
        assert f">{label}" in html
    assert 'autocomplete="email"' in html and 'autocomplete="name"' in html
    # The email is never published.
    assert "aynur@example.org" not in html


def test_post_redirects_to_permalink_and_saves(client, article, guest_form):
    response = client.post(article.get_absolute_url(), guest_form(body="**Bold** claim"))
    comment = Comment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{article.get_absolute_url()}#comment-{comment.pk}"
    assert comment.body_html == "<p><strong>Bold</strong> claim</p>"
    assert comment.thread.title == article.title
    page = client.get(article.get_absolute_url())
    assert f'id="comment-{comment.pk}"' in page.content.decode()


def test_errors_show_next_to_fields_and_keep_what_was_typed(client, article, guest_form):
    data = guest_form(email="not-an-email", name="", website="javascript:alert(1)")
    data["body"] = "My carefully written comment"
    response = client.post(article.get_absolute_url(), data)
    html = response.content.decode()
    assert response.status_code == 400
    assert Comment.objects.count() == 0
    assert "Enter a valid email address" in html
    assert "Please enter your name." in html
    assert "http:// or https://" in html
    assert "My carefully written comment</textarea>" in html
    assert 'value="not-an-email"' in html
    # Each error sits inside its field's block.
    assert re.search(r"field--email field--error.*?Enter a valid email", html, re.S)


def test_empty_and_too_long_comment(client, article, guest_form, site):
    site.max_comment_length = 50
    site.save()
    empty = client.post(article.get_absolute_url(), guest_form(body="   "))
    assert "Please write a comment" in empty.content.decode()
    long = client.post(article.get_absolute_url(), guest_form(body="x" * 51))
    assert "at most 50 characters long (this one has 51)" in long.content.decode()
    assert Comment.objects.count() == 0


def test_reply_link_attaches_form_to_comment(client, article, post):
    parent = post("Parent", name="Rəşad")
    response = client.get(f"{article.get_absolute_url()}?replyto={parent.pk}")
    html = section(response)
    assert "Replying to Rəşad" in html
    assert "Cancel reply" in html
    # The form sits inside the parent's list item, with the parent preset.
    block = html[html.index(f'id="comment-{parent.pk}"') :]
    assert block.index('id="respond"') < block.index("</li>")
    assert f'name="parent" value="{parent.pk}"' in html


def test_posting_a_reply_nests_it(client, article, post, guest_form):
    parent = post("Parent")
    response = client.post(article.get_absolute_url(), guest_form(parent=str(parent.pk)))
    reply = Comment.objects.get(parent=parent)
    assert response["Location"].endswith(f"#comment-{reply.pk}")


@pytest.mark.parametrize("parent", ["999999", "abc", "-1", "1" * 30])
def test_unknown_parent_is_a_form_error(client, article, guest_form, parent):
    response = client.post(article.get_absolute_url(), guest_form(parent=parent))
    assert response.status_code == 400
    assert "does not exist on this page" in response.content.decode()
    assert Comment.objects.count() == 0


def test_parent_from_another_thread_is_refused(client, article, site, guest_form):
    other = services.thread_get_or_create(site=site, key="/elsewhere/")
    foreign = services.comment_post(
        thread=other, author=services.Author(name="A", email="a@b.org"), body="x", channel="form"
    ).comment
    response = client.post(article.get_absolute_url(), guest_form(parent=str(foreign.pk)))
    assert response.status_code == 400
    assert "does not exist on this page" in response.content.decode()
    assert Comment.objects.count() == 1


def test_closed_thread_refuses_with_a_clear_page(client, article, thread, guest_form):
    thread.is_open = False
    thread.save()
    response = client.post(article.get_absolute_url(), guest_form())
    assert response.status_code == 403
    assert "Comments are closed" in response.content.decode()
    assert Comment.objects.count() == 0
    page = client.get(article.get_absolute_url()).content.decode()
    assert "Comments are closed." in page and "<form" not in section_of(page)


def section_of(html: str) -> str:
    """The comment section: from its anchor to the end of <main> (the footer has the
    language switcher's form)."""
    start = html.index('id="comments"')
    return html[start : html.index("</main>", start)]


OWN_ORIGIN = "http://testserver"


def test_reading_sets_no_cookie(article, post):
    """A reader who only reads gets no cookie: the guest form carries no CSRF token."""
    post("I was there.")
    browser = Client(enforce_csrf_checks=True)
    response = browser.get(article.get_absolute_url())
    assert "Leave a Reply" in response.content.decode()
    assert "csrfmiddlewaretoken" not in response.content.decode()
    assert not response.cookies and not browser.cookies


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"HTTP_ORIGIN": "https://evil.example"},
        {"HTTP_ORIGIN": "null"},
        {"HTTP_REFERER": "https://evil.example/page"},
        {"HTTP_ORIGIN": "http://testserver.evil.example", "HTTP_REFERER": OWN_ORIGIN + "/"},
    ],
    ids=["no-origin-no-referer", "other-origin", "opaque-origin", "other-referer", "lookalike"],
)
def test_a_guest_post_not_from_this_site_is_a_clear_403(article, guest_form, headers):
    browser = Client(enforce_csrf_checks=True)
    response = browser.post(article.get_absolute_url(), guest_form(), **headers)
    assert response.status_code == 403
    assert "This form did not come from this site" in response.content.decode()
    assert Comment.objects.count() == 0


@pytest.mark.parametrize(
    "headers",
    [{"HTTP_ORIGIN": OWN_ORIGIN}, {"HTTP_REFERER": OWN_ORIGIN + "/baku-rally/"}],
    ids=["origin", "referer"],
)
def test_a_guest_post_from_this_site_needs_no_token(article, guest_form, headers):
    browser = Client(enforce_csrf_checks=True)
    browser.get(article.get_absolute_url())
    response = browser.post(article.get_absolute_url(), guest_form(), **headers)
    assert response.status_code == 302
    assert Comment.objects.get().author_name == "Tural"


def test_trusted_origins_count_as_this_site(article, guest_form, settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://*.example.org"]
    browser = Client(enforce_csrf_checks=True)
    response = browser.post(
        article.get_absolute_url(), guest_form(), HTTP_ORIGIN="https://news.example.org"
    )
    assert response.status_code == 302


def test_a_signed_in_reader_still_needs_the_csrf_token(article, guest_form, django_user_model):
    reader = django_user_model.objects.create_user("aynur", "aynur@example.org")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(reader)
    missing = browser.post(article.get_absolute_url(), guest_form(), HTTP_ORIGIN=OWN_ORIGIN)
    assert missing.status_code == 403
    page = browser.get(article.get_absolute_url()).content.decode()
    forged = browser.post(
        article.get_absolute_url(),
        guest_form(csrfmiddlewaretoken="x" * 64),
        HTTP_ORIGIN=OWN_ORIGIN,
    )
    assert forged.status_code == 403
    assert Comment.objects.count() == 0
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = browser.post(
        article.get_absolute_url(), guest_form(csrfmiddlewaretoken=token), HTTP_ORIGIN=OWN_ORIGIN
    )
    assert response.status_code == 302
    assert Comment.objects.get().user == reader


def test_oversized_body_is_413_not_500(client, article, guest_form):
    response = client.post(article.get_absolute_url(), guest_form(body="x" * 600_000))
    assert response.status_code == 413
    assert "larger than this site accepts" in response.content.decode()
    assert Comment.objects.count() == 0


def test_invalid_utf8_is_refused(client, article):
    body = b"body=caf%C3&email=a%40b.org&name=A&website=&parent="
    response = client.post(
        article.get_absolute_url(), body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert "not valid UTF-8" in response.content.decode()
    assert Comment.objects.count() == 0


def test_nul_byte_is_a_form_error(client, article, guest_form):
    response = client.post(article.get_absolute_url(), guest_form(body="a\x00b"))
    assert response.status_code == 400
    assert "Null characters are not allowed" in response.content.decode()
    assert Comment.objects.count() == 0


def test_held_comment_is_shown_only_to_its_author(client, article, site, guest_form):
    site.hold_all = True
    site.save()
    response = client.post(article.get_absolute_url(), guest_form(body="Pending words"))
    comment = Comment.objects.get()
    assert comment.status == Comment.Status.PENDING
    assert response["Location"].endswith(f"#comment-{comment.pk}")
    mine = client.get(article.get_absolute_url()).content.decode()
    assert "Pending words" in mine and "awaiting moderation" in mine
    assert "0 comments" in mine
    other = Client().get(article.get_absolute_url()).content.decode()
    assert "Pending words" not in other and "awaiting moderation" not in other


def test_remember_me_is_opt_in(client, article, guest_form):
    client.post(article.get_absolute_url(), guest_form())
    assert "meydan_guest" not in client.cookies
    client.post(article.get_absolute_url(), guest_form(remember="on", body="again"))
    cookie = client.cookies["meydan_guest"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    page = client.get(article.get_absolute_url()).content.decode()
    assert 'value="tural@example.org"' in page and 'value="Tural"' in page
    # Unticking forgets.
    client.post(article.get_absolute_url(), guest_form(body="third"))
    assert client.cookies["meydan_guest"].value == ""


def test_tampered_remember_cookie_is_ignored(client, article):
    client.cookies["meydan_guest"] = '{"name": "Mallory"}'
    page = client.get(article.get_absolute_url()).content.decode()
    assert "Mallory" not in page


def test_avatar_is_local_and_author_links_are_safe(client, article, post):
    post("hi", url="https://aynur.example.org")
    before = post("from before")  # stored with a 20-digit key, given as its 6
    Comment.objects.filter(pk=before.pk).update(avatar_key="0123456789abcdef4242")
    html = client.get(article.get_absolute_url()).content.decode()
    avatars = re.findall(r'<img class="comment__avatar" src="([^"]+)"', html)
    assert "/avatars/014242.svg" in avatars
    avatar = avatars[0]
    assert re.fullmatch(r"/avatars/[0-9a-f]{6}\.svg", avatar)
    assert 'href="https://aynur.example.org" rel="nofollow ugc noopener"' in html
    svg = client.get(avatar)
    assert svg["Content-Type"] == "image/svg+xml"
    assert "immutable" in svg["Cache-Control"]
    assert client.get("/avatars/not-hex.svg").status_code == 404


def test_time_is_machine_readable(client, article, post):
    comment = post("hi")
    html = client.get(article.get_absolute_url()).content.decode()
    assert f'<time datetime="{comment.created.isoformat()}' in html or re.search(
        r'<time datetime="\d{4}-\d\d-\d\dT', html
    )
    assert "ago" in html or "now" in html


def test_security_headers(client, article):
    response = client.get(article.get_absolute_url())
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    # No inline script: the only one is live updates' own file (comments/live.js).
    scripts = re.findall(r"<script[^>]*>", response.content.decode())
    assert scripts == ['<script src="/static/comments/live.js" defer>']


def test_heading_count_and_front_page_count(client, article, post):
    post("one")
    post("two")
    assert "2 comments" in client.get(article.get_absolute_url()).content.decode()
    front = client.get("/").content.decode()
    assert article.title in front and "2 comments" in front


def test_unknown_article_is_a_friendly_404(client, site):
    response = client.get("/no-such-story/")
    assert response.status_code == 404
    assert "There is nothing at this address." in response.content.decode()


def test_permalink_redirects_to_page_and_anchor(client, article, site, post):
    site.page_size = 2
    site.save()
    comments = [post(f"c{i}") for i in range(5)]
    response = client.get(f"/c/{comments[4].pk}")
    assert response.status_code == 302
    assert response["Location"] == f"{article.get_absolute_url()}?page=3#comment-{comments[4].pk}"
    assert client.get("/c/99999").status_code == 404


@pytest.mark.parametrize("query", ["?page=abc", "?page=-3", "?page=99999999999", "?order=x",
                                   "?replyto=abc", "?replyto=99999"])  # fmt: skip
def test_odd_query_parameters_do_not_break_the_page(client, article, post, query):
    post("hi")
    response = client.get(article.get_absolute_url() + query)
    assert response.status_code == 200
    assert "Leave a Reply" in response.content.decode()


def test_page_queries_do_not_grow_with_comments(client, article, post):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for size in (3, 30):
        for i in range(size - Comment.objects.count()):
            post(f"comment {i} of {size}")
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            assert client.get(article.get_absolute_url()).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_cached_list_keeps_one_entry_per_page_however_many_comments_arrive(
    client, article, post
):
    """The rendered list is cached with the thread's version in the value: each new
    comment replaces the page's entry instead of adding one beside it (the local-memory
    cache forgets expired entries only when full, so one key per version grew a
    worker's memory with every comment: bench/drills/soak.py)."""
    from django.core.cache import cache

    for number in range(5):
        post(f"Comment number {number}.")
        html = section(client.get(article.get_absolute_url()))
        assert f"Comment number {number}." in html
    list_keys = [key for key in cache._cache if "comment-list" in key]
    assert len(list_keys) == 1
    # A second reader of the same version gets the cached page.
    assert "Comment number 4." in section(client.get(article.get_absolute_url()))
