"""The no-JS thread page (/embed/thread/?site=…&url=…) is its parameters: every link
in its comment section keeps them (order, pager, reply, vote, picks), while the
article page's relative links stay as they are, though both may show one thread
from the same cache. Through the Django test client."""

import html as htmllib
import re
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from meydan.comments import queries, services
from meydan.comments.models import Comment

pytestmark = pytest.mark.django_db
ORIGIN = "https://blog.example.org"
PAGE_URL = f"{ORIGIN}/2015/06/baku-rally/"
OWN_ORIGIN = "http://testserver"


@pytest.fixture
def embedded(site):
    """The thread of a page on the blog (not an article of the newsroom)."""
    return services.thread_get_or_create(
        site=site, key="/2015/06/baku-rally/", url=PAGE_URL, title=""
    )


@pytest.fixture
def roots(site, embedded, post):
    """Five discussions, two a page: three pages (the second root has a reply)."""
    site.page_size = 2
    site.save()
    made = [post(f"Discussion {n}.", name=f"Reader {n}", on=embedded) for n in range(1, 6)]
    post("A reply to the second.", parent=made[1], name="Tural", on=embedded)
    return made


def embed_path(**extra) -> str:
    return "/embed/thread/?" + urlencode({"site": "caspian-ledger", "url": PAGE_URL, **extra})


def section(response) -> str:
    assert response.status_code == 200, response.content[:300]
    html = response.content.decode()
    return html[html.index('id="comments"') :]


def link(html: str, text: str) -> str:
    """The href of the link whose text (or accessible name) starts with `text`."""
    for attrs, inner in re.findall(r"<a ([^>]*)>(.*?)</a>", html, re.S):
        label = re.search(r'aria-label="([^"]*)"', attrs)
        name = htmllib.unescape(label.group(1) if label else re.sub(r"<[^>]+>", "", inner))
        if name.strip().startswith(text):
            return htmllib.unescape(re.search(r'href="([^"]*)"', attrs).group(1))
    raise AssertionError(f"no link {text!r}")


def follow(client, href: str, path: str = "/embed/thread/"):
    """GET the link as a browser resolves it against `path` (its anchor dropped)."""
    href = href.split("#")[0]
    return client.get(href if href.startswith("/") else path + href)


def params(href: str) -> dict:
    return dict(parse_qsl(urlsplit(href).query))


def relative_links(html: str) -> list[str]:
    return [htmllib.unescape(h) for h in re.findall(r'href="(\?[^"]*)"', html)]


def texts(html: str) -> list[str]:
    return re.findall(r'<div class="comment__content"><p>(.*?)</p>', html)


def test_every_relative_link_keeps_the_site_and_the_url(client, roots):
    html = section(client.get(embed_path()))
    found = relative_links(html)
    assert len(found) == 7  # 2 orders, "More comments" above and below, 3 Reply
    for href in found:
        assert params(href)["site"] == "caspian-ledger" and params(href)["url"] == PAGE_URL
    query = urlencode({"site": "caspian-ledger", "url": PAGE_URL}).replace("&", "&amp;")
    # Where the form posts (no #fragment: a form with errors puts the focus on the
    # first field to fix, which a fragment's target would take instead).
    assert f'action="/embed/thread/?{query}"' in html


def test_order_links_lead_to_the_thread_in_that_order(client, site, embedded, post):
    post("Quiet.", name="Aynur", on=embedded)
    popular = post("Popular.", name="Tural", on=embedded)
    Comment.objects.filter(pk=popular.pk).update(vote_count=3)
    html = section(client.get(embed_path()))
    top = link(html, "Most voted")
    assert params(top) == {"site": "caspian-ledger", "url": PAGE_URL, "order": "top"}
    after = section(follow(client, top))
    assert "No comments here" not in after
    assert '<span aria-current="true">Most voted</span>' in after
    newest = section(follow(client, link(after, "Newest first")))
    assert texts(newest)[:2] == ["Popular.", "Quiet."]


def test_the_pager_keeps_the_page_and_the_order(client, roots):
    first = section(client.get(embed_path()))
    assert "Page 1 of 3" in first and texts(first) == [
        "Discussion 1.",
        "Discussion 2.",
        "A reply to the second.",
    ]
    nxt = link(first, "More comments")
    assert params(nxt) == {"site": "caspian-ledger", "url": PAGE_URL, "page": "2"}
    second = section(follow(client, nxt))
    assert "Page 2 of 3" in second and texts(second) == ["Discussion 3.", "Discussion 4."]
    back = section(follow(client, link(second, "← Previous comments")))
    assert "Page 1 of 3" in back
    newest = section(follow(client, link(first, "Newest first")))
    assert texts(newest)[:2] == ["Discussion 5.", "Discussion 4."]
    older = link(newest, "More comments")
    assert params(older) == {
        "site": "caspian-ledger",
        "url": PAGE_URL,
        "order": "newest",
        "page": "2",
    }
    assert texts(section(follow(client, older)))[:1] == ["Discussion 3."]


def test_reply_opens_the_form_under_the_comment_and_the_reply_lands_on_its_page(
    client, roots, guest_form
):
    second_page = section(client.get(embed_path(page=2)))
    target = roots[3]  # "Discussion 4.", on page 2
    reply = link(second_page, "Reply to Reader 4")
    assert params(reply) == {"site": "caspian-ledger", "url": PAGE_URL, "replyto": str(target.pk)}
    html = section(follow(client, reply))
    assert "Page 2 of 3" in html and "Replying to Reader 4" in html
    item = html[html.index(f'id="comment-{target.pk}"') :]
    assert item.index('id="respond"') < item.index("</li>")  # the form is under it
    cancel = link(html, "Cancel reply")
    assert params(cancel) == {"site": "caspian-ledger", "url": PAGE_URL}
    action = htmllib.unescape(re.search(r'class="respond__form" [^>]*action="([^"]*)"', html)[1])
    assert action.startswith("/embed/thread/?") and params(action)["url"] == PAGE_URL
    assert f'name="parent" value="{target.pk}"' in html

    posted = client.post(
        action.split("#")[0], guest_form(body="Replying without JS.", parent=target.pk)
    )
    assert posted.status_code == 302
    reply_comment = Comment.objects.get(body="Replying without JS.")
    assert reply_comment.parent_id == target.pk
    location = posted["Location"]
    assert location.endswith(f"#comment-{reply_comment.pk}")
    assert params(location) == {"site": "caspian-ledger", "url": PAGE_URL, "page": "2"}
    landed = section(follow(client, location))
    assert "Replying without JS." in texts(landed)


def test_a_reply_link_in_another_order_keeps_it(client, roots):
    html = section(client.get(embed_path(order="newest")))
    reply = link(html, "Reply to Reader 5")
    assert params(reply) == {
        "site": "caspian-ledger",
        "url": PAGE_URL,
        "order": "newest",
        "replyto": str(roots[4].pk),
    }
    assert "Replying to Reader 5" in section(follow(client, reply))


def test_a_vote_returns_to_the_same_page_with_its_parameters(
    roots, django_capture_on_commit_callbacks
):
    browser = Client()
    path = embed_path(order="newest", page=2)
    html = section(browser.get(path))
    target = roots[2]  # "Discussion 3.", page 2 newest first
    assert f'action="/c/{target.pk}/vote"' in html
    with django_capture_on_commit_callbacks(execute=True):
        voted = browser.post(
            f"/c/{target.pk}/vote",
            {"action": "vote"},
            HTTP_ORIGIN=OWN_ORIGIN,
            HTTP_REFERER=f"{OWN_ORIGIN}{path}",
        )
    assert voted.status_code == 302
    location = voted["Location"]
    assert location.startswith("/embed/thread/?") and location.endswith(f"#comment-{target.pk}")
    assert params(location) == {
        "site": "caspian-ledger",
        "url": PAGE_URL,
        "order": "newest",
        "page": "2",
        "voted": str(target.pk),
    }
    after = section(follow(browser, location))
    assert "Take back your up-vote of the comment by Reader 3" in after
    # The page rendered for this reader alone keeps the parameters in its links too.
    for href in relative_links(after):
        assert params(href)["url"] == PAGE_URL


@pytest.fixture
def editor(site):
    user = get_user_model().objects.create_user("editor", "editor@example.org", "pw", is_staff=True)
    site.moderators.add(user)
    return user


def test_the_picks_view_its_pager_and_back(client, roots, editor, monkeypatch):
    monkeypatch.setattr(queries, "PICKS_PAGE_SIZE", 1)
    for comment in (roots[0], roots[3]):
        services.comment_set_pick(comment, True, channel="moderation", actor=editor)
    html = section(client.get(embed_path()))
    picks = link(html, "Picks (2)")
    assert params(picks) == {"site": "caspian-ledger", "url": PAGE_URL, "view": "picks"}
    first = section(follow(client, picks))
    assert re.findall(r'id="pick-comment-(\d+)"', first) == [str(roots[0].pk)]
    nxt = link(first, "More comments")
    assert params(nxt) == {"site": "caspian-ledger", "url": PAGE_URL, "view": "picks", "page": "2"}
    second = section(follow(client, nxt))
    assert re.findall(r'id="pick-comment-(\d+)"', second) == [str(roots[3].pk)]
    # "Go to this comment" stays on this page and opens the page the comment is on.
    goto = link(second, "Go to this comment in the discussion")
    assert params(goto) == {"site": "caspian-ledger", "url": PAGE_URL, "comment": str(roots[3].pk)}
    placed = section(follow(client, goto))
    assert "Page 2 of 3" in placed and f'id="comment-{roots[3].pk}"' in placed
    everything = link(second, "All comments")
    assert params(everything) == {"site": "caspian-ledger", "url": PAGE_URL}
    assert "Page 1 of 3" in section(follow(client, everything))


@pytest.mark.parametrize("shown", ["abc", "99999999", "-1", "1" * 12])
def test_a_bad_or_foreign_comment_parameter_shows_the_first_page(client, roots, post, shown):
    html = section(client.get(embed_path(comment=shown)))
    assert "Page 1 of 3" in html


def test_a_comment_of_another_thread_does_not_move_the_page(client, roots, thread, post):
    elsewhere = post("On the newsroom article.")
    assert "Page 1 of 3" in section(client.get(embed_path(comment=elsewhere.pk)))


@pytest.mark.parametrize("embed_first", [True, False])
def test_the_article_page_keeps_its_own_links_from_the_shared_cache(
    client, site, article, thread, post, editor, embed_first
):
    """One thread, two front doors: the newsroom article and /embed/thread/ with the
    article's path. Whichever renders first, each gets its own links."""
    site.page_size = 1
    site.save()
    first = post("Article comment one.")
    post("Article comment two.")
    services.thread_pin(thread, first, channel="moderation", actor=editor)
    embed = "/embed/thread/?" + urlencode({"site": site.slug, "url": "/baku-rally/"})
    pages = [embed, "/baku-rally/"] if embed_first else ["/baku-rally/", embed]
    got = {path: section(client.get(path)) for path in pages}
    on_article = got["/baku-rally/"]
    assert 'href="?order=newest#comments"' in on_article
    assert 'href="?page=2#comments"' in on_article
    assert f'href="?replyto={first.pk}#id_body"' in on_article
    assert f'href="/c/{first.pk}"' in on_article  # the pinned card's link
    assert f'href="/c/{first.pk}/report"' in on_article
    assert 'action="/baku-rally/"' in on_article
    assert "site=" not in " ".join(relative_links(on_article))
    on_embed = got[embed]
    for href in relative_links(on_embed):
        assert params(href)["site"] == site.slug and params(href)["url"] == "/baku-rally/"
    assert not re.search(r'href="/c/\d+"', on_embed)  # no permalink out to the blog


def test_moderators_buttons_say_whose_comment_they_act_on(client, roots, editor):
    services.comment_set_pick(roots[0], True, channel="moderation", actor=editor)
    services.thread_pin(roots[0].thread, roots[1], channel="moderation", actor=editor)
    client.force_login(editor)
    html = section(client.get(embed_path()))
    assert 'aria-label="Unpick the comment by Reader 1">Unpick</button>' in html
    assert 'aria-label="Pin the comment by Reader 1">Pin</button>' in html
    assert 'aria-label="Pick the comment by Reader 2">Pick</button>' in html
    assert 'aria-label="Unpin the comment by Reader 2">Unpin</button>' in html
    nexts = re.findall(r'name="next" value="([^"]*)"', html)
    assert nexts and all("url=" in htmllib.unescape(n) for n in nexts)


def test_report_leads_back_to_the_page_the_comment_is_on(client, roots):
    html = section(client.get(embed_path(page=2)))
    target = roots[3]  # on page 2
    report = link(html, "Report the comment by Reader 4")
    assert report.startswith(f"/c/{target.pk}/report?next=")
    back = params(report)["next"]
    assert back == embed_path(comment=target.pk) + f"#comment-{target.pk}"
    page = client.get(report)
    assert f'href="{htmllib.escape(back)}">Cancel</a>' in page.content.decode()
    reported = client.post(report, {"reason": "harassment"})
    assert reported.status_code == 302 and reported["Location"] == back
    target.refresh_from_db()
    assert target.flag_count == 1
    landed = client.get(back.split("#")[0]).content.decode()
    assert "Thank you. A moderator will look at this comment." in landed
    assert "Page 2 of 3" in landed and f'id="comment-{target.pk}"' in landed


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "/\\evil.example/", "javascript:x"]
)
def test_report_goes_back_only_to_a_path_on_this_server(client, roots, target):
    comment = roots[0]
    page = client.get(f"/c/{comment.pk}/report", {"next": target})
    assert page.status_code == 200
    assert f'href="/c/{comment.pk}">Cancel</a>' in page.content.decode()
    reported = client.post(
        f"/c/{comment.pk}/report?" + urlencode({"next": target}), {"reason": "spam"}
    )
    assert reported["Location"] == f"/c/{comment.pk}"
