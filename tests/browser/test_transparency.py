"""Report reasons and the transparency report in real Chromium: the no-JS report
form (radio buttons, errors next to the field), the widget's Report on another
origin's page, and the public transparency page (no script, strict CSP)."""

from datetime import timedelta
from urllib.parse import urlparse

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone
from freezegun import freeze_time

from meydan.comments import services
from meydan.comments.models import Comment
from meydan.moderation import services as moderation
from meydan.moderation.models import Flag
from meydan.newsroom.models import Article
from meydan.sites.models import Site
from tests.browser.test_moderation_queue import post_as_guest, sign_in_as_editor

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _csp_errors(page) -> list[str]:
    errors: list[str] = []
    page.on(
        "console",
        lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None,
    )
    return errors


def test_report_form_without_javascript(browser, live_server, screenshot):
    call_command("meydan_demo", domain=urlparse(live_server.url).netloc, verbosity=0)
    comment = Comment.objects.filter(status="approved").order_by("pk").first()
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 900, "height": 900}, locale="en-GB"
    )
    page = context.new_page()
    errors = _csp_errors(page)
    page.goto(f"{live_server.url}/c/{comment.pk}/report")
    group = page.get_by_role("group", name="Why do you report this comment?")
    assert [r.get_attribute("value") for r in group.get_by_role("radio").all()] == [
        "spam",
        "harassment",
        "illegal",
        "other",
    ]
    page.get_by_role("button", name="Report to the moderators").click()
    page.locator("#id_reason-error").filter(has_text="Choose a reason.").wait_for()
    # "Other" without words: the error sits under the text box, the choice is kept.
    page.get_by_role("radio", name="Other").check()
    page.get_by_role("button", name="Report to the moderators").click()
    note_error = page.locator("#id_note-error")
    note_error.wait_for()
    assert "say in a few words" in note_error.inner_text()
    assert page.get_by_role("radio", name="Other").is_checked()
    box = page.get_by_role("textbox", name="In your words")
    assert box.get_attribute("aria-invalid") == "true"
    screenshot(page, "report-form.png", full_page=True)
    box.fill("It gives a neighbour's home address.")
    page.get_by_role("button", name="Report to the moderators").click()
    page.get_by_text("Thank you. A moderator will look at this comment.").wait_for()
    flag = Flag.objects.get()
    assert (flag.comment_id, flag.reason, flag.note) == (
        comment.pk,
        "other",
        "It gives a neighbour's home address.",
    )
    assert errors == []
    context.close()


def test_widget_report_with_a_reason(strict_browser, new_page, blog):
    site = Site.objects.get()
    thread = services.thread_get_or_create(site=site, key="/2015/06/baku-rally/", url=blog)
    services.comment_post(
        thread=thread, author=services.Author(name="Zaur", email="zaur@example.org"),
        body="Something hateful.", channel="command", moderate=False,
    )  # fmt: skip
    zaur = Comment.objects.get(thread=thread, author_name="Zaur")
    page = new_page(on=strict_browser, viewport={"width": 1000, "height": 900})
    page.goto(blog)
    widget = page.locator("#meydan-thread")
    widget.get_by_role("button", name="Report the comment by Zaur").click()
    group = widget.get_by_role("group", name="Why do you report this comment?")
    labels = [r.get_attribute("value") for r in group.get_by_role("radio").all()]
    assert labels == ["spam", "harassment", "illegal", "other"]
    # Other without words: the server's message lands under the text box.
    group.get_by_role("radio", name="Other").check()
    widget.get_by_role("button", name="Report to the moderators").click()
    widget.locator(f"#meydan-report-{zaur.pk}-note-error").filter(
        has_text="say in a few words"
    ).wait_for()
    assert not Flag.objects.exists()
    group.get_by_role("radio", name="Harassment or hate").check()
    widget.get_by_role("button", name="Report to the moderators").click()
    widget.get_by_role("status").filter(
        has_text="Thank you. A moderator will look at this comment."
    ).wait_for()
    flag = Flag.objects.get()
    assert (flag.comment_id, flag.reason) == (zaur.pk, "harassment")


def test_the_transparency_page(browser, live_server, screenshot):
    call_command("meydan_demo", domain=urlparse(live_server.url).netloc, verbosity=0)
    site = Site.objects.get()
    moderator = get_user_model().objects.create_user("editor", "editor@example.org", is_staff=True)
    site.moderators.add(moderator)
    thread = Comment.objects.first().thread
    comments = [
        services.comment_post(
            thread=thread, author=services.Author(name=f"Reader {n}", email=f"r{n}@example.org"),
            body=f"Comment number {n}.", channel="form", moderate=False,
        ).comment
        for n in range(6)
    ]  # fmt: skip
    published = len(comments)
    # This month: the demo's comments, two reports, two removals, a ban.
    moderation.comment_flag(comments[0], reporter_key="r1", reason="spam", channel="form")
    moderation.comment_flag(comments[1], reporter_key="r2", reason="harassment", channel="form")
    moderation.comment_moderate(comments[0], "spam", actor=moderator)
    moderation.comment_moderate(comments[1], "trash", actor=moderator, removal_reason="harassment")
    moderation.ban_create(actor=moderator, site=site, kind="ip", value="abc")
    # Last month: a removal for "other".
    last_month = (timezone.now().replace(day=1) - timedelta(days=1)).replace(hour=12)
    with freeze_time(last_month):
        moderation.comment_moderate(
            comments[2], "trash", actor=moderator, removal_reason="other", removal_note="Ads"
        )
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 900, "height": 900}, locale="en-GB"
    )
    page = context.new_page()
    errors = _csp_errors(page)
    assert page.goto(f"{live_server.url}/transparency/").status == 404  # off by default
    site.transparency_public = True
    site.save()
    page.goto(f"{live_server.url}/transparency/")
    assert page.url.endswith(f"/transparency/{site.slug}/")
    caption = "Comments removed by the moderators, by the reason given to their authors"
    removed = page.get_by_role("table", name=caption)
    # This month by default; the comments posted count (the demo posts them now).
    arrivals = page.get_by_role("table", name="Comments posted, by what happened on arrival")
    assert arrivals.get_by_role("row", name=f"Published at once {published}").is_visible()
    assert removed.get_by_role("row", name="Harassment or hate 1").is_visible()
    assert removed.get_by_role("row", name="Spam 1").is_visible()
    assert removed.get_by_role("row", name="Other 0").is_visible()
    reports = page.get_by_role("table", name="Reports from readers, by reason")
    assert reports.get_by_role("row", name="Total 2").is_visible()
    assert page.locator("script").count() == 0
    screenshot(page, "transparency.png", full_page=True)
    # The month picker, without JavaScript: a plain GET form.
    page.get_by_label("Month", exact=True).select_option(last_month.strftime("%Y-%m"))
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(f"**month={last_month:%Y-%m}")
    assert page.get_by_role("table", name=caption).get_by_role("row", name="Other 1").is_visible()
    assert removed.get_by_role("row", name="Spam 0").is_visible()
    page.get_by_role("link", name="JSON").click()
    assert '"other": 1' in page.content() and '"then_removed": 0' in page.content()
    assert errors == []
    context.close()


@pytest.fixture
def held_newsroom(live_server):
    """The demo article with every comment held, and "editor" moderating its site (as
    tests/browser/test_moderation_queue.py signs in)."""
    call_command("meydan_demo", domain=urlparse(live_server.url).netloc, verbosity=0)
    site = Site.objects.get()
    site.hold_all = True
    site.save()
    editor = get_user_model().objects.create_user(
        "editor", "editor@example.org", "a long editor password", is_staff=True
    )
    site.moderators.add(editor)
    return live_server.url + Article.objects.get().get_absolute_url()


def test_removal_reason_from_the_keyboard_and_the_author_sees_it(
    new_page, held_newsroom, live_server
):
    guest = new_page(viewport={"width": 900, "height": 900})
    post_as_guest(guest, held_newsroom, "My neighbour lives at 5 Nizami Street.", "Rauf")
    comment = Comment.objects.get(author_name="Rauf")
    editor = new_page(viewport={"width": 1100, "height": 900})
    sign_in_as_editor(editor, live_server.url)
    editor.wait_for_load_state("load")
    editor.get_by_label("Reason for removing, shown to the author").select_option("personal_data")
    editor.get_by_role("textbox", name="Note to the author (required for “Other”)").fill(
        "Please do not post addresses."
    )
    editor.locator("h1").click()  # out of the form fields: the keys work again
    editor.keyboard.press("j")
    editor.locator(".mod__row.is-current").wait_for()
    editor.keyboard.press("d")
    editor.get_by_text("1 comment: removed.").wait_for()
    comment.refresh_from_db()
    assert (comment.status, comment.removal_reason) == ("trash", "personal_data")
    # The author's browser (its session posted it) sees why; nobody else does.
    guest.goto(f"{live_server.url}/c/{comment.pk}")
    statement = guest.locator(f"#removal-{comment.pk}")
    assert "Reason: Personal data of others. Please do not post addresses." in (
        statement.inner_text()
    )
    stranger = new_page()
    assert stranger.goto(f"{live_server.url}/c/{comment.pk}").status == 404
