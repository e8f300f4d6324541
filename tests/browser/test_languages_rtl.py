"""The demo article in Persian (right to left) and Azerbaijani, in real Chromium:
the switcher at the foot of the page sets the language, and the layout mirrors."""

from urllib.parse import urlparse

import pytest
from django.core.management import call_command

from meydan.newsroom.models import Article

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_url(live_server):
    call_command("meydan_demo", domain=urlparse(live_server.url).netloc, verbosity=0)
    return live_server.url + Article.objects.get().get_absolute_url()


def box(locator) -> dict:
    return locator.first.bounding_box()


def test_persian_mirrors_the_page_and_azerbaijani_does_not(browser, demo_url, screenshot):
    context = browser.new_context(viewport={"width": 1000, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.goto(demo_url)
    assert page.locator("html").get_attribute("dir") == "ltr"

    # The switcher: one button per language, each named in its own language.
    page.get_by_role("button", name="فارسی").click()
    page.wait_for_load_state()
    assert page.url == demo_url  # back on the same article
    html = page.locator("html")
    assert (html.get_attribute("lang"), html.get_attribute("dir")) == ("fa", "rtl")
    assert page.get_by_role("button", name="فارسی").get_attribute("aria-current") == "true"

    # Mirrored: the avatar sits at the right of its comment's text, replies are
    # indented from the right, and their rule is on their right edge.
    avatar, text = box(page.locator(".comment__avatar")), box(page.locator(".comment__content"))
    assert avatar["x"] > text["x"] + text["width"] - 1
    child = page.locator(".comment-list .children").first
    parent_list = box(page.locator(".comment-list"))
    child_box = child.bounding_box()
    assert child_box["x"] + child_box["width"] < parent_list["x"] + parent_list["width"] - 10
    assert child.evaluate("e => getComputedStyle(e).borderRightWidth") != "0px"
    assert child.evaluate("e => getComputedStyle(e).borderLeftWidth") == "0px"
    screenshot(page, "article-fa.png", full_page=True)

    page.get_by_role("button", name="Azərbaycanca").click()
    page.wait_for_load_state()
    assert (html.get_attribute("lang"), html.get_attribute("dir")) == ("az", "ltr")
    avatar, text = box(page.locator(".comment__avatar")), box(page.locator(".comment__content"))
    assert avatar["x"] + avatar["width"] <= text["x"] + 1
    child = page.locator(".comment-list .children").first
    assert child.evaluate("e => getComputedStyle(e).borderLeftWidth") != "0px"
    screenshot(page, "article-az.png", full_page=True)
    context.close()


def test_the_article_language_outranks_the_browsers(browser, demo_url):
    article = Article.objects.get()
    article.language = "fa"
    article.save()
    context = browser.new_context(locale="ru-RU")
    page = context.new_page()
    page.goto(demo_url)
    assert page.locator("html").get_attribute("dir") == "rtl"
    context.close()
