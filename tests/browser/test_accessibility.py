"""Accessibility, checked: axe-core (tests/browser/axe.py) finds no WCAG 2.2 A/AA
violation on any page a reader or a moderator reaches, in English and in Persian
(right to left), nor in the forms' other states: a reply being written, a form
with errors, the widget on another origin with its reply form open.

The pages are test_third_parties.PAGES (every page a reader, a signed-in reader,
a moderator and a widget reader reach, kept in one list), opened the same way.
"""

import pytest

from tests.browser import axe
from tests.browser.test_third_parties import PAGES, ROLES, STAFF, Visit, World
from tests.browser.test_third_parties import world as world  # noqa: F401 - the fixture

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

LANGUAGES = ["en", "fa"]  # fa: Persian, the right-to-left language

# Not Meydan's own pages: Django's admin and the API's generated documentation
# (Swagger UI) are the frameworks' (they have their own accessibility statements).
NOT_OURS = {"the Django admin", "API documentation"}


POPUP = "the widget's sign-in popup"


def page_urls(visit: Visit, world: World) -> list[str]:
    if visit.name == POPUP:
        return [world.blog]
    urls = visit.url(world)
    urls = [urls] if isinstance(urls, str) else urls
    return [u if u.startswith(("http://", "https://")) else world.base + u for u in urls]


def settle(page, visit: Visit) -> None:
    """Wait until the page shows what a reader sees (the widget draws itself)."""
    page.wait_for_load_state("load")
    if visit.name.startswith("widget"):
        page.locator("#meydan-thread li[id^=comment-]").first.wait_for()


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("who", ROLES)
def test_every_page_meets_wcag_22_aa(browser, world, who, lang):
    visits = [v for v in PAGES if v.who == who and v.name not in NOT_OURS]
    assert visits
    failures = []
    for visit in visits:
        context = axe.axe_context(browser, lang)
        context.add_cookies(world.cookies[who])
        page = context.new_page()
        if not visit.javascript:
            # axe needs scripts; the page's own stay off, as the visit has them.
            page.route("**/*.js", lambda route: route.abort())
        for url in page_urls(visit, world):
            response = page.goto(url)
            assert response.status == visit.status, f"{visit.name}: {url}"
            settle(page, visit)
            checked = page
            if visit.name == POPUP:  # opened by the widget's page, as the widget opens it
                with page.expect_popup() as opened:
                    page.evaluate("url => window.open(url, 'meydan-signin', 'popup')", world.popup)
                checked = opened.value
                checked.wait_for_load_state("load")
                url = checked.url
            on_meydan = url.startswith(world.base)
            if on_meydan:
                # Served in the language asked for (<html lang>), whatever the words are.
                assert checked.evaluate("document.documentElement.lang").startswith(lang), url
            try:
                # The widget: what Meydan draws, not the embedding page around it.
                axe.check(
                    checked, f"{visit.name} [{lang}]", None if on_meydan else "#meydan-thread"
                )
            except AssertionError as failure:
                failures.append(str(failure))
        context.close()
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_forms_in_every_state(browser, world, lang):
    """The comment forms while a reader uses them: a reply open, errors shown, a
    comment awaiting moderation, on the article and in the widget."""
    context = axe.axe_context(browser, lang)
    page = context.new_page()

    page.goto(world.base + world.article)
    page.locator("#respond button.button").click()  # an empty form: every error at once
    page.locator(".field--error").first.wait_for()
    axe.check(page, f"the article's form with errors [{lang}]")

    page.goto(f"{world.base}{world.article}?replyto={world.comment.pk}#respond")
    page.locator("#respond textarea").fill("x")
    page.locator("#respond button.button").click()
    page.locator(".field--error").first.wait_for()
    axe.check(page, f"a reply with errors [{lang}]")

    widget = context.new_page()
    widget.goto(world.blog)
    thread = widget.locator("#meydan-thread")
    thread.locator("li[id^=comment-]").first.wait_for()
    thread.locator("li[id^=comment-] footer button").first.click()  # Reply
    thread.locator("textarea").first.wait_for()
    axe.check(widget, f"the widget with a reply form open [{lang}]", "#meydan-thread")
    thread.locator("form button[type=submit]").last.click()
    thread.locator(".field__error:not(:empty), [role=alert]:not(:empty)").first.wait_for()
    axe.check(widget, f"the widget's form with errors [{lang}]", "#meydan-thread")
    context.close()


def test_the_check_reports_what_it_finds(browser):
    """The helper itself: a page with known faults fails, naming rule, impact, element
    and help page; the same page without them passes."""
    context = axe.axe_context(browser)
    page = context.new_page()
    page.set_content(
        '<html lang="en"><title>t</title><main><h1>Faults</h1><input id="q">'
        '<p style="color:#bbb;background:#fff">Pale text</p><img src="data:,"></main></html>'
    )
    with pytest.raises(AssertionError) as failure:
        axe.check(page, "a faulty page")
    message = str(failure.value)
    for expected in (
        "label (critical)",
        "color-contrast (serious)",
        "image-alt (critical)",
        "at #q",
        "https://dequeuniversity.com/rules/axe/",
    ):
        assert expected in message, message
    page.set_content(
        '<html lang="en"><title>t</title><main><h1>Fine</h1><label for="q">Search</label>'
        '<input id="q"><p style="color:#555;background:#fff">Dark enough</p></main></html>'
    )
    axe.check(page, "a page without faults")
    context.close()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_reflow_at_320_css_pixels(browser, world, lang):
    """WCAG 1.4.10: at 320 CSS pixels wide (1280 px zoomed to 400 %) nothing needs
    scrolling sideways: the article with its comments and form, the privacy page,
    the widget on another origin, and the moderation queue."""
    context = axe.axe_context(browser, lang, viewport={"width": 320, "height": 640})
    page = context.new_page()
    for path in ("/", world.article, f"{world.article}?replyto={world.comment.pk}", "/privacy/"):
        page.goto(world.base + path)
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= 320, f"{path} is {wide} px wide at 320 [{lang}]"
    page.goto(world.blog)
    thread = page.locator("#meydan-thread")
    thread.locator("li[id^=comment-]").first.wait_for()
    wide = thread.evaluate("el => [el.scrollWidth, el.clientWidth]")
    assert wide[0] <= wide[1], f"the widget overflows at 320 px: {wide} [{lang}]"
    context.close()

    # The moderation queue too (its tables elsewhere are data: docs/accessibility.md).
    context = axe.axe_context(browser, lang, viewport={"width": 320, "height": 640})
    context.add_cookies(world.cookies[STAFF])
    page = context.new_page()
    page.goto(world.base + "/moderation/")
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= 320, f"the moderation queue is {wide} px wide at 320 [{lang}]"
    context.close()
