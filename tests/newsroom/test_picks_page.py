"""Editor's picks and the pinned comment on the article page (no JavaScript): the
badges, the pinned block, the Picks view, and moderators' buttons that never reach
the list every reader is served from the cache."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from meydan.comments import services
from meydan.comments.models import Comment, Thread
from meydan.moderation.models import AuditEntry
from meydan.sites.models import Site

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(site):
    user = get_user_model().objects.create_user("editor", "editor@example.org", "pw", is_staff=True)
    site.moderators.add(user)
    return user


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def three(post):
    first = post("The first, and a thoughtful one.", name="Aynur")
    reply = post("A reply worth picking.", parent=first, name="Tural")
    last = post("The last one.", name="Samira")
    return first, reply, last


def section(response) -> str:
    assert response.status_code == 200
    html = response.content.decode()
    return html[html.index('id="comments"') :]


def test_readers_see_badges_the_pinned_block_and_a_picks_link(
    client, article, three, editor, committed
):
    first, reply, last = three
    with committed():
        services.comment_set_pick(reply, True, channel="moderation", actor=editor)
        services.thread_pin(first.thread, last, channel="moderation", actor=editor)
    html = section(client.get(article.get_absolute_url()))
    pinned = re.search(r'<aside class="comments__pinned".*?</aside>', html, re.S).group(0)
    assert "Pinned by the editors" in pinned and "The last one." in pinned
    assert f'id="pinned-comment-{last.pk}"' in pinned and f'id="comment-{last.pk}"' not in pinned
    assert f'href="/c/{last.pk}"' in pinned
    # ... and still in its place in the list, with a badge.
    in_list = html[html.index('<ol class="comment-list">') :]
    assert f'id="comment-{last.pk}"' in in_list
    assert html.count(f'id="comment-{last.pk}"') == 1  # anchors stay unique
    item = re.search(rf'id="comment-{last.pk}".*?</article>', in_list, re.S).group(0)
    assert "comment__badge--pinned" in item
    picked = re.search(rf'id="comment-{reply.pk}".*?</article>', in_list, re.S).group(0)
    assert "Editor&#x27;s pick" in picked or "Editor's pick" in picked
    plain = re.search(rf'id="comment-{first.pk}".*?</article>', in_list, re.S).group(0)
    assert "comment__badge" not in plain
    assert 'href="?view=picks#comments">Picks (1)</a>' in html
    # Readers get no moderators' buttons, and no CSRF token in the list.
    assert "comment__moderate" not in html and "csrfmiddlewaretoken" not in in_list


def test_the_pinned_block_is_on_the_first_page_only(client, article, site, post, editor):
    site.page_size = 1
    site.save()
    first = post("Page one.")
    post("Page two.")
    services.thread_pin(first.thread, first, channel="moderation", actor=editor)
    assert "Pinned by the editors" in section(client.get(article.get_absolute_url()))
    assert "Pinned by the editors" not in section(
        client.get(article.get_absolute_url() + "?page=2")
    )
    newest = section(client.get(article.get_absolute_url() + "?order=newest"))
    assert "Pinned by the editors" in newest  # every order's first page


def test_the_picks_view_lists_picks_oldest_first(client, article, three, editor):
    first, reply, last = three
    for comment in (last, reply):
        services.comment_set_pick(comment, True, channel="moderation", actor=editor)
    html = section(client.get(article.get_absolute_url() + "?view=picks"))
    assert "Picks (2)</span>" in html and 'href="?#comments">All comments</a>' in html
    listed = re.findall(r'id="pick-comment-(\d+)"', html)
    assert listed == [str(reply.pk), str(last.pk)]
    assert "The first, and a thoughtful one." not in html
    assert f'href="/c/{reply.pk}"' in html  # to its place in the discussion
    assert "In reply to Aynur" in html


def test_a_thread_without_picks_says_so_in_the_picks_view(client, article, three):
    html = section(client.get(article.get_absolute_url()))
    assert "?view=picks" not in html  # no link to an empty view
    picks = section(client.get(article.get_absolute_url() + "?view=picks"))
    assert "The editors have not picked any comments here yet." in picks


def test_a_pick_shows_on_the_next_read_of_a_cached_page(client, article, three, editor, committed):
    url = article.get_absolute_url()
    assert "comment__badge" not in section(client.get(url))  # now cached
    with committed():
        services.comment_set_pick(three[0], True, channel="moderation", actor=editor)
    assert "comment__badge--pick" in section(client.get(url))
    with committed():
        services.comment_set_status(three[0], Comment.Status.PENDING, channel="moderation")
    html = section(client.get(url))
    assert "comment__badge" not in html and "Picks (" not in html


def buttons_of(html, comment) -> str:
    """The moderators' buttons under `comment` in the list."""
    start = html.index(f'id="comment-{comment.pk}"')
    start = html.index('class="comment__moderate"', start)
    return html[start : html.index("</div>", start)]


def test_a_moderator_sees_buttons_and_picks_and_pins_from_the_page(
    article, three, editor, committed
):
    first, reply, last = three
    url = article.get_absolute_url()
    reader = Client()
    reader.get(url)  # the list every reader gets is cached now
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(editor)
    page = browser.get(url)
    html = section(page)
    assert html.count('class="comment__moderate"') == 3
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    item = buttons_of(html, reply)
    assert f'action="/moderation/comments/{reply.pk}/pick/"' in item
    assert 'name="picked" value="1"' in item and ">Pick</button>" in item

    with committed():
        done = browser.post(
            f"/moderation/comments/{reply.pk}/pick/",
            {"picked": "1", "next": f"{url}#comment-{reply.pk}", "csrfmiddlewaretoken": token},
        )
        assert done.status_code == 302 and done["Location"] == f"{url}#comment-{reply.pk}"
        browser.post(
            f"/moderation/comments/{last.pk}/pin/",
            {"pinned": "1", "next": url, "csrfmiddlewaretoken": token},
        )
    assert Comment.objects.get(pk=reply.pk).is_pick
    assert Thread.objects.get().pinned_id == last.pk
    assert list(AuditEntry.objects.order_by("pk").values_list("action", flat=True)) == [
        "pick",
        "pin",
    ]
    page = browser.get(url).content.decode()
    assert "Pinned to the top of the discussion." in page  # the message of the last action
    again = section(browser.get(url))
    mine = buttons_of(again, reply)
    assert ">Unpick</button>" in mine and 'name="picked" value="0"' in mine
    assert ">Unpin</button>" in buttons_of(again, last)
    assert ">Pin</button>" in buttons_of(again, first)
    # The reader's cached list never got the buttons, and shows the change.
    html = section(reader.get(url))
    assert "comment__moderate" not in html and "csrfmiddlewaretoken" not in html
    assert "Pinned by the editors" in html and "comment__badge--pick" in html


def test_the_forms_need_csrf_and_a_moderator_of_the_site(article, three, editor, site):
    reply = three[1]
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(editor)
    assert (
        browser.post(f"/moderation/comments/{reply.pk}/pick/", {"picked": "1"}).status_code == 403
    )
    other = Site.objects.create(name="Other", slug="other", domain="other.example")
    stranger = get_user_model().objects.create_user("s", "s@example.org", is_staff=True)
    other.moderators.add(stranger)
    client = Client()
    client.force_login(stranger)
    assert client.post(f"/moderation/comments/{reply.pk}/pick/", {"picked": "1"}).status_code == 404
    reader = get_user_model().objects.create_user("r", "r@example.org")
    client.force_login(reader)
    assert client.post(f"/moderation/comments/{reply.pk}/pin/", {"pinned": "1"}).status_code == 403
    assert not Comment.objects.filter(is_pick=True).exists()
    assert Thread.objects.get().pinned_id is None
    # A reader who is signed in but moderates nothing sees no buttons.
    assert "comment__moderate" not in section(client.get(article.get_absolute_url()))


def test_picking_a_held_comment_says_why_not(client, article, three, editor):
    held = three[2]
    Comment.objects.filter(pk=held.pk).update(status=Comment.Status.PENDING)
    client.force_login(editor)
    response = client.post(
        f"/moderation/comments/{held.pk}/pick/", {"picked": "1", "next": "/x/"}, follow=False
    )
    assert response.status_code == 302
    page = client.get(article.get_absolute_url())
    assert "Only published comments can be picked or pinned." in page.content.decode()
    assert not Comment.objects.get(pk=held.pk).is_pick


def test_the_no_js_thread_page_has_the_same_badges_and_buttons(article, three, editor, site):
    first, reply, last = three
    services.comment_set_pick(reply, True, channel="moderation", actor=editor)
    services.thread_pin(first.thread, first, channel="moderation", actor=editor)
    url = f"/embed/thread/?site={site.slug}&url=/baku-rally/"
    reader = section(Client().get(url))
    assert "Pinned by the editors" in reader and "comment__badge--pick" in reader
    assert "comment__moderate" not in reader
    client = Client()
    client.force_login(editor)
    assert section(client.get(url)).count('class="comment__moderate"') == 3
    link = re.search(r'<a href="([^"]+)">Picks \(1\)</a>', reader).group(1).replace("&amp;", "&")
    assert link == "?site=caspian-ledger&url=%2Fbaku-rally%2F&view=picks#comments"
    picks = section(Client().get("/embed/thread/" + link.split("#")[0]))
    assert re.findall(r'id="pick-comment-(\d+)"', picks) == [str(reply.pk)]


def test_more_than_a_page_of_picks_pages_on(client, article, post, editor):
    from meydan.comments.queries import PICKS_PAGE_SIZE

    for i in range(PICKS_PAGE_SIZE + 1):
        services.comment_set_pick(post(f"Pick {i}."), True, channel="moderation", actor=editor)
    first = section(client.get(article.get_absolute_url() + "?view=picks&utm_source=x"))
    assert len(re.findall(r'id="pick-comment-\d+"', first)) == PICKS_PAGE_SIZE
    start = first.index('<ol class="comment-list comment-list--picks">')
    cached_list = first[start : first.index("</nav>", start)]  # the list and its pager
    assert 'href="?view=picks&amp;page=2#comments"' in cached_list
    assert "utm_source" not in cached_list  # the list is shared: nothing of this request
    second = section(client.get(article.get_absolute_url() + "?view=picks&page=2"))
    assert re.findall(r'id="pick-comment-\d+"', second) and "Pick 50." in second
