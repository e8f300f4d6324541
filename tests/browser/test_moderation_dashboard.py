"""The moderators' dashboard in Chromium: the charts draw under the strict CSP with no
violation in the console, and the page works without JavaScript."""

from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from meydan.comments import services
from meydan.comments.models import Comment, Thread
from meydan.moderation import services as moderation
from meydan.sites.models import Site

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PASSWORD = "a long editor password"


@pytest.fixture
def newsroom(live_server):
    """The demo site with two weeks of comments posted through the checks (links
    held, disallowed words sent to spam), decisions, reports, and a second thread."""
    call_command("meydan_demo", domain=urlparse(live_server.url).netloc, verbosity=0)
    site = Site.objects.get()
    site.disallowed_words = "casino"
    site.disallowed_action = "spam"
    site.save()
    editor = get_user_model().objects.create_user(
        "editor", "editor@example.org", PASSWORD, is_staff=True
    )
    site.moderators.add(editor)
    article = Thread.objects.filter(site=site).first()
    other = services.thread_get_or_create(
        site=site, key="/2015/06/budget/", title="Budget <cuts> & the opposition's reply"
    )
    now = timezone.now()
    held = []
    for day in range(14):
        for n in range(2 + (day * 7) % 5):
            thread = other if (day + n) % 3 == 0 else article
            body = f"Day {day}, reader {n}: a thoughtful remark."
            if (day + n) % 4 == 0:
                body += " https://a.example/1 https://a.example/2"
            elif (day + n) % 5 == 0:
                body += " Best casino bonus!"
            result = services.comment_post(
                thread=thread,
                author=services.Author(name=f"Reader {day}-{n}", email=f"r{day}-{n}@example.org"),
                body=body,
                created=now - timedelta(days=day, hours=n),
                channel="form",
            )
            if result.comment.status == "pending":
                held.append(result.comment)
    for i, comment in enumerate(held):
        moderation.comment_moderate(comment, "approve" if i % 3 else "spam", actor=editor)
    for i, comment in enumerate(Comment.objects.filter(thread=other, status="approved")[:4]):
        for n in range(i + 1):
            moderation.comment_flag(
                comment, reporter_key=f"reader{n}", reason="spam", channel="form"
            )
    return live_server.url


def sign_in(page, base):
    page.goto(f"{base}/moderation/dashboard/")
    page.locator('input[name="login"]').fill("editor")
    page.locator('input[name="password"]').fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.get_by_role("heading", name="Dashboard").wait_for()


def test_dashboard_draws_under_the_strict_csp(new_page, newsroom, screenshot):
    page = new_page(viewport={"width": 1100, "height": 1000}, locale="en-GB")
    console = []
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    sign_in(page, newsroom)
    page.wait_for_load_state("load")
    charts = page.locator("svg.chart")
    assert charts.count() == 5
    assert page.get_by_role("img", name="Comments posted: published, held and spam").count() == 1
    box = charts.first.bounding_box()
    assert box["width"] > 500 and box["height"] > 150
    assert page.locator("svg.chart rect").count() > 14
    labels = page.locator("svg.chart:has(#chart-threads-title) text").all_text_contents()
    assert "Budget <cuts> & the opposition's reply" in labels
    page.get_by_text("The numbers as a table").first.click()
    expect(page.get_by_role("table").first).to_be_visible()
    assert not [m for m in console if "Content Security Policy" in m or m.startswith("error")]
    screenshot(page, "moderation-dashboard.png", full_page=True)


def test_without_javascript_the_filters_work(new_page, newsroom):
    page = new_page(java_script_enabled=False)
    sign_in(page, newsroom)
    assert page.locator("svg.chart").count() == 5
    page.get_by_label("Period").select_option("12w")
    page.get_by_role("button", name="Show").click()
    page.get_by_role("heading", name="Dashboard").wait_for()
    assert parse_qs(urlparse(page.url).query)["range"] == ["12w"]
    assert page.get_by_label("Period").input_value() == "12w"
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").first.click()
    assert download.value.suggested_filename.startswith("meydan-buckets-12w-")
