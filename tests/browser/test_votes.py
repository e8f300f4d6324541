"""Up-votes and "most voted" in real Chromium: on the article page without JavaScript,
and in the widget on another origin's static page."""

from urllib.parse import urlparse

import pytest
from django.core.management import call_command

from meydan.comments import services
from meydan.comments.models import Comment, Thread, Vote
from meydan.newsroom.models import Article
from meydan.sites.models import Site

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_article_page_vote_and_most_voted_without_javascript(browser, live_server):
    call_command("meydan_demo", domain=urlparse(live_server.url).netloc, verbosity=0)
    url = live_server.url + Article.objects.get().get_absolute_url()
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1000, "height": 900}
    )
    page = context.new_page()
    page.goto(url)
    assert context.cookies() == []  # reading sets no cookie
    roots = Comment.objects.filter(parent=None, status="approved").order_by("seq")
    last = roots.last()
    assert last != roots.first()
    button = page.get_by_role("button", name=f"Up-vote comment by {last.author_name}, 0 votes")
    button.click()
    page.wait_for_url(f"**voted={last.pk}**")
    taken = page.get_by_role(
        "button", name=f"Take back your up-vote of the comment by {last.author_name}, 1 vote"
    )
    assert taken.is_visible() and taken.get_attribute("aria-pressed") == "true"
    (cookie,) = context.cookies()
    assert cookie["name"] == "meydan_voter" and cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    last.refresh_from_db()
    assert last.vote_count == 1
    page.get_by_role("link", name="Most voted").click()
    page.wait_for_url("**order=top**")
    first_shown = page.locator(".comment-list > li").first
    assert first_shown.get_attribute("id") == f"comment-{last.pk}"
    # Without the marker the page is the one everybody gets: the count, no "take back".
    page.get_by_role("button", name=f"Up-vote comment by {last.author_name}, 1 vote").wait_for()
    context.close()


def test_widget_vote_takes_back_and_sorts(strict_browser, new_page, blog, live_server):
    site = Site.objects.get()
    thread = services.thread_get_or_create(site=site, key="/2015/06/baku-rally/", url=blog)
    for name, text in (("Xanim", "First."), ("Zaur", "Second."), ("Vusala", "Third.")):
        services.comment_post(
            thread=thread, author=services.Author(name=name, email=f"{name}@example.org"),
            body=text, channel="command", moderate=False,
        )  # fmt: skip
    tural = Comment.objects.get(thread=thread, author_name="Zaur")
    taken_back = "Take back your up-vote of the comment by Zaur, 1 vote"
    page = new_page(on=strict_browser, viewport={"width": 1000, "height": 900})
    page.goto(blog)
    widget = page.locator("#meydan-thread")
    up = widget.get_by_role("button", name="Up-vote comment by Zaur, 0 votes")
    up.focus()
    page.keyboard.press("Enter")  # by keyboard, as any button
    voted = widget.get_by_role("button", name=taken_back)
    voted.wait_for()
    assert voted.get_attribute("aria-pressed") == "true" and voted.inner_text() == "▲ 1"
    assert page.evaluate("document.activeElement.getAttribute('aria-pressed')") == "true"
    widget.get_by_role("status").filter(has_text="Your vote was counted.").wait_for()
    tural.refresh_from_db()
    assert tural.vote_count == 1 and Vote.objects.get().voter.startswith("g:")
    keys = page.evaluate("Object.keys(localStorage)")
    assert any(key.endswith(":voter") for key in keys)
    assert strict_browser.contexts[-1].cookies() == []  # no cookie, on either origin

    # Another visit: the widget asks which comments this reader voted for.
    page.reload()
    widget.get_by_role("button", name=taken_back).wait_for()
    widget.get_by_role("button", name="Most voted").click()
    widget.get_by_role("button", name="Most voted", pressed=True).wait_for()
    assert widget.locator(".meydan-comment-list > li").first.get_attribute("id") == (
        f"comment-{tural.pk}"
    )
    assert page.evaluate("document.activeElement.textContent") == "Most voted"

    widget.get_by_role("button", name=taken_back).click()
    widget.get_by_role("button", name="Up-vote comment by Zaur, 0 votes").wait_for()
    tural.refresh_from_db()
    assert tural.vote_count == 0 and not Vote.objects.exists()
    assert Thread.objects.get(pk=thread.pk).comment_count == 3
