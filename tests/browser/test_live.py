"""Live updates in real Chromium: two readers on the same thread, a comment published
in between, "1 new comment — show" on the other reader's page within 2 seconds, and
the comment in its place after a click — on the article page Meydan renders, and in
the widget on a foreign page."""

import time
from urllib.parse import urlparse

import pytest
from django.core.management import call_command

from meydan.comments import services
from meydan.comments.models import Comment, Thread
from meydan.newsroom.models import Article
from meydan.sites.models import Site
from tests.browser.conftest import field

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SEEN_WITHIN_MS = 2000


@pytest.fixture
def demo_url(live_server):
    call_command("meydan_demo", domain=urlparse(live_server.url).netloc, verbosity=0)
    return live_server.url + Article.objects.get().get_absolute_url()


def publish(thread, body, parent=None, name="Leyla"):
    return services.comment_post(
        thread=thread,
        author=services.Author(name=name, email="leyla@example.org"),
        body=body,
        parent_id=parent.pk if parent else None,
        moderate=False,
        channel="api",
    ).comment


def open_reader(new_page, url, **options):
    page = new_page(viewport={"width": 1000, "height": 900}, locale="en-GB", **options)
    page.set_default_timeout(10_000)
    page.goto(url)
    return page


def test_the_article_page_shows_new_comments_live(new_page, demo_url):
    writer = open_reader(new_page, demo_url)
    reader = open_reader(new_page, demo_url)
    asked = []
    reader.on("request", lambda r: "/api/v1/live" in r.url and asked.append(time.monotonic()))
    reader.locator("#comments-title").wait_for()
    time.sleep(0.5)  # the readers' first question is asked within a second or two

    # The writer posts through the form; moments later a reply arrives through the API.
    field(writer, "Comment").fill("Streets near the stadium were full.")
    field(writer, "Email").fill("samira@example.org")
    field(writer, "Name").fill("Samira")
    writer.get_by_role("button", name="Post Comment").click()
    writer.wait_for_url("**#comment-*")
    posted = time.monotonic()
    show = reader.get_by_role("button", name="1 new comment — show")
    show.wait_for(timeout=SEEN_WITHIN_MS)
    assert time.monotonic() - posted < SEEN_WITHIN_MS / 1000

    samira = Comment.objects.get(author_name="Samira")
    thread = Thread.objects.get()
    parent = Comment.objects.filter(thread=thread, parent=None).exclude(pk=samira.pk).first()
    reply = publish(thread, "A reply in its place.", parent=parent)
    reader.get_by_role("button", name="2 new comments — show").wait_for(timeout=SEEN_WITHIN_MS)

    reader.get_by_role("button", name="2 new comments — show").click()
    reader.locator(f"#comment-{samira.pk}").wait_for()
    nested = reader.locator(f"#comment-{parent.pk} > ol.children > #comment-{reply.pk}")
    assert nested.inner_text().count("A reply in its place.") == 1
    reader.get_by_role("status").filter(has_text="2 new comments shown.").wait_for(state="attached")
    focused = reader.evaluate("document.activeElement.closest('li.comment').id")
    assert focused in {f"comment-{samira.pk}", f"comment-{reply.pk}"}
    assert "10 comments" in reader.locator("#comments-title").inner_text()
    assert not reader.get_by_role("button", name="new comment").is_visible()
    assert reader.locator(f"#comment-{samira.pk}").count() == 1  # nothing twice

    # One question at a time, about every 1.4 s: not a storm.
    start = asked[0]
    calm = [t for t in asked if t - start < 6]
    assert 2 <= len(calm) <= 8


def test_a_held_comment_counts_when_it_is_approved(new_page, demo_url):
    site = Site.objects.get()
    site.hold_all = True
    site.save()
    reader = open_reader(new_page, demo_url)
    reader.locator("#comments-title").wait_for()
    thread = Thread.objects.get()
    held = services.comment_post(
        thread=thread,
        author=services.Author(name="Rasul", email="rasul@example.org"),
        body="Held first.",
        channel="api",
    ).comment
    assert held.status == Comment.Status.PENDING
    time.sleep(2.5)
    assert not reader.get_by_role("button", name="new comment").is_visible()
    services.comment_set_status(held, Comment.Status.APPROVED, channel="moderation")
    reader.get_by_role("button", name="1 new comment — show").wait_for(timeout=SEEN_WITHIN_MS)


def test_without_javascript_nothing_changes(new_page, demo_url):
    reader = open_reader(new_page, demo_url, java_script_enabled=False)
    assert "8 comments" in reader.locator("#comments-title").inner_text()
    assert not reader.locator(".comments__live-show").is_visible()
    assert reader.get_by_role("heading", name="Leave a Reply").is_visible()


def test_the_widget_shows_new_comments_live(strict_browser, new_page, blog):
    first = open_reader(new_page, blog)
    second = new_page(on=strict_browser, viewport={"width": 1000, "height": 900})
    second.set_default_timeout(10_000)
    second.goto(blog)
    for page in (first, second):
        page.locator("#meydan-thread").get_by_text("Leave a Reply").wait_for()
    time.sleep(0.5)

    widget = first.locator("#meydan-thread")
    field(widget, "Comment").fill("Posted from the widget.")
    field(widget, "Email").fill("samira@example.org")
    field(widget, "Name").fill("Samira")
    widget.get_by_role("button", name="Post Comment").click()
    widget.get_by_text("Your comment was posted.").wait_for(state="attached")
    posted = time.monotonic()
    other = second.locator("#meydan-thread")
    other.get_by_role("button", name="1 new comment — show").wait_for(timeout=SEEN_WITHIN_MS)
    assert time.monotonic() - posted < SEEN_WITHIN_MS / 1000
    # The author's own page does not call their comment new.
    assert not widget.get_by_role("button", name="new comment").is_visible()

    samira = Comment.objects.get(author_name="Samira")
    reply = publish(samira.thread, "Answered in place.", parent=samira)
    other.get_by_role("button", name="2 new comments — show").wait_for(timeout=SEEN_WITHIN_MS)
    other.get_by_role("button", name="2 new comments — show").click()
    other.locator(f"#comment-{samira.pk} > ol > #comment-{reply.pk}").wait_for()
    assert other.locator(f"#comment-{samira.pk}").count() == 1
    other.get_by_role("status").filter(has_text="2 new comments shown.").wait_for(state="attached")
    focused = second.evaluate("document.activeElement.closest('li').id")
    assert focused == f"comment-{samira.pk}"
    assert not other.get_by_role("button", name="new comment").is_visible()
    assert other.locator("#meydan-comments-title").inner_text().startswith("2 comments")


def test_the_first_comment_on_an_empty_article_appears_too(new_page, demo_url, live_server):
    site = Site.objects.get()
    article = Article.objects.create(
        site=site, title="A quiet page", slug="quiet-page", body="Nothing yet."
    )
    reader = open_reader(new_page, live_server.url + article.get_absolute_url())
    assert "0 comments" in reader.locator("#comments-title").inner_text()
    key = article.get_absolute_url()
    thread = services.thread_get_or_create(site=site, key=key, url=key, title=article.title)
    first = publish(thread, "The very first word.")
    reader.get_by_role("button", name="1 new comment — show").wait_for(timeout=SEEN_WITHIN_MS)
    reader.get_by_role("button", name="1 new comment — show").click()
    reader.locator(f"#comment-{first.pk}").get_by_text("The very first word.").wait_for()
    assert "1 comment" in reader.locator("#comments-title").inner_text()
    focused = reader.evaluate("document.activeElement.closest('li.comment').id")
    assert focused == f"comment-{first.pk}"
