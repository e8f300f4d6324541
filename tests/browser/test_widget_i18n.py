"""The widget in the reader's language, in Chromium, on a page of another origin:
Russian words and plurals, Persian right to left, the language from the script, the
page, the browser or the site, the `lang` parameter on every API request, and the
reader's own choice (remembered). The words themselves: tests/embed/test_widget_words.py."""

import gettext
import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command

from meydan.comments import services
from meydan.sites.models import Site
from tests.browser.conftest import BLOG_HOST, static_host

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ARTICLE = "/2015/06/baku-rally/"
# Threads with these many comments, shown by <span data-meydan-count>.
COUNTS = (1, 2, 5, 11, 21, 22, 25)
PAGE = """<!doctype html>
<html{html_lang}><head><meta charset="utf-8"><title>{title}</title></head>
<body><h1>{title}</h1>
<p>{spans}</p>
<div id="meydan-thread"></div>
<script src="{meydan}/embed.js" data-meydan-site="{site}"{attrs} async></script>
</body></html>
"""


@pytest.fixture
def host(tmp_path, live_server):
    """host(html_lang=None, attrs="", counts=False) -> the article's URL on a static
    page of another origin (127.0.0.2), registered for the demo site."""
    call_command("meydan_demo", domain=urlparse(live_server.url).netloc, verbosity=0)
    site = Site.objects.get()
    root = tmp_path / "host"
    (root / ARTICLE.strip("/")).mkdir(parents=True)
    with static_host(BLOG_HOST, root) as origin:
        site.origins = origin
        site.save()

        def _page(html_lang=None, attrs="", counts=False, title="Митинг в Баку"):
            spans = ""
            if counts:
                for n in COUNTS:
                    thread = services.thread_get_or_create(
                        site=site, key=f"/n{n}/", url=f"{origin}/n{n}/", title=f"{n}"
                    )
                    for i in range(n):
                        _comment(thread, f"Комментарий {i}.")
                    spans += f'<span data-meydan-count="/n{n}/" id="n{n}"></span> '
            (root / ARTICLE.strip("/") / "index.html").write_text(
                PAGE.format(
                    html_lang=f' lang="{html_lang}"' if html_lang else "",
                    spans=spans,
                    meydan=live_server.url,
                    site=site.slug,
                    attrs=attrs,
                    title=title,
                ),
                encoding="utf-8",
            )
            return origin + ARTICLE

        yield _page


def _comment(thread, body, name="Айнур"):
    return services.comment_post(
        thread=thread,
        author=services.Author(name=name, email="aynur@example.org"),
        body=body,
        channel="command",
        moderate=False,
    ).comment


def _article_thread(url, title="Митинг в Баку"):
    return services.thread_get_or_create(site=Site.objects.get(), key=ARTICLE, url=url, title=title)


def _api_requests(page):
    """Every request the widget makes to the API, as it makes them."""
    seen = []
    page.on("request", lambda r: "/api/v1/" in r.url and seen.append(r.url))
    return seen


def test_russian_page_gets_russian_words_and_plurals(new_page, host, live_server):
    url = host(html_lang="ru", counts=True)
    thread = _article_thread(url)
    _comment(thread, "Первый.")
    _comment(thread, "Второй.", name="Заур")
    page = new_page(viewport={"width": 1000, "height": 900}, locale="en-GB")
    api = _api_requests(page)
    catalogues = []
    page.on("request", lambda r: "/embed/i18n/" in r.url and catalogues.append(r.url))
    page.goto(url)
    widget = page.locator("#meydan-thread")
    widget.get_by_role("heading", name="Добавить комментарий").wait_for()
    assert widget.get_attribute("lang") == "ru" and widget.get_attribute("dir") == "ltr"
    assert widget.locator("h2").inner_text() == "2 комментария к «Митинг в Баку»"
    assert widget.get_by_role("button", name="Отправить комментарий").is_visible()
    assert widget.get_by_role("button", name="Ответить пользователю Заур").is_visible()
    assert widget.get_by_role("textbox", name="Комментарий", exact=True).is_visible()
    assert re.fullmatch(r"сейчас|\d+ \w+ назад", widget.locator("time").first.inner_text())
    shown = {n: page.locator(f"#n{n}").inner_text() for n in COUNTS}
    assert shown == {
        1: "1 комментарий",
        2: "2 комментария",
        5: "5 комментариев",
        11: "11 комментариев",
        21: "21 комментарий",
        22: "22 комментария",
        25: "25 комментариев",
    }
    # Every API request names the language; the words came in one cached request.
    assert api and all(parse_qs(urlparse(u).query).get("lang") == ["ru"] for u in api)
    assert len(catalogues) == 1 and "/embed/i18n/ru.json?v=" in catalogues[0]

    # Intl.PluralRules' categories, in gettext's order, give the catalogue's own forms.
    for lang in ("ru", "az", "tr", "fa"):
        mo = Path(settings.LOCALE_PATHS[0]) / lang / "LC_MESSAGES" / "djangojs.mo"
        with mo.open("rb") as f:
            plural = gettext.GNUTranslations(f).plural
        got = page.evaluate(
            "([l, ns]) => ns.map((n) => ({one: 0, few: 1, many: 2})[new Intl.PluralRules(l)"
            ".select(n)] ?? (l === 'ru' ? 2 : 1))",
            [lang, list(range(0, 250))],
        )
        assert got == [plural(n) for n in range(0, 250)], lang

    # The sign-in popup opens in the widget's language, not the browser's (English).
    with page.expect_popup() as popup_info:
        widget.locator(".meydan-respond__passkeys button").first.click()
    popup = popup_info.value
    popup.wait_for_load_state()
    assert parse_qs(urlparse(popup.url).query).get("lang") == ["ru"]
    assert popup.locator("html").get_attribute("lang") == "ru"
    popup.close()


def test_persian_page_is_right_to_left(new_page, host, screenshot):
    url = host(html_lang="fa", title="تجمع در باکو")
    thread = _article_thread(url, "تجمع در باکو")
    first = _comment(thread, "سلام، این یک دیدگاه است.", name="سمیرا")
    services.comment_post(
        thread=thread,
        author=services.Author(name="زاور", email="z@example.org"),
        body="پاسخ من.",
        parent_id=first.pk,
        channel="command",
        moderate=False,
    )
    page = new_page(viewport={"width": 900, "height": 1100}, locale="en-GB")
    page.goto(url)
    widget = page.locator("#meydan-thread")
    widget.get_by_role("button", name="ارسال دیدگاه").wait_for()
    assert widget.get_attribute("dir") == "rtl" and widget.get_attribute("lang") == "fa"
    assert widget.locator("h2").inner_text().startswith("۲ دیدگاه")  # Persian digits
    # Right to left: the avatar on the right of the words, replies indented from the right.
    item = widget.locator(f"#comment-{first.pk}")
    avatar = item.locator(".meydan-comment__avatar").first.bounding_box()
    content = item.locator(".meydan-comment__content").first.bounding_box()
    assert avatar["x"] > content["x"] + content["width"] - 5
    reply = item.locator(".meydan-children .meydan-comment__content").first.bounding_box()
    assert reply["x"] + reply["width"] < content["x"] + content["width"]
    screenshot(page, "widget-fa.png", full_page=True)


def test_script_attribute_then_readers_choice_is_remembered(new_page, host, screenshot):
    url = host(html_lang="en", attrs=' data-meydan-lang="az"', title="Bakıda mitinq")
    thread = _article_thread(url, "Bakıda mitinq")
    _comment(thread, "Salam! Mitinqdə mən də var idim.", name="Aynur")
    page = new_page(viewport={"width": 900, "height": 1100}, locale="ru-RU")
    api = _api_requests(page)
    page.goto(url)
    widget = page.locator("#meydan-thread")
    widget.get_by_role("button", name="Şərhi göndər").wait_for()  # the attribute wins
    assert widget.locator("h2").inner_text() == "1 şərh — “Bakıda mitinq”"
    # Chromium's ICU has no Azerbaijani relative times: the catalogue's, not "now".
    assert re.fullmatch(r"indicə|indi|\d+ saniyə öncə", widget.locator("time").inner_text())
    screenshot(page, "widget-az.png", full_page=True)

    widget.get_by_role("textbox", name="Şərh", exact=True).fill("Yarımçıq şərh")
    api.clear()
    widget.get_by_label("Dil").select_option("tr")
    widget.get_by_role("button", name="Yorumu gönder").wait_for()
    assert widget.get_attribute("lang") == "tr"
    assert widget.get_by_role("textbox", name="Yorum", exact=True).input_value() == "Yarımçıq şərh"
    assert page.evaluate("document.activeElement.tagName") == "SELECT"
    # The proof of work's challenge has no words: whether it is asked again, and in
    # which language, depends on timing. Everything else follows the reader's choice.
    asked = {urlparse(u).path: parse_qs(urlparse(u).query)["lang"] for u in api}
    asked.pop("/api/v1/challenge", None)
    assert asked and set(map(tuple, asked.values())) == {("tr",)}

    page.reload()  # the reader's choice beats the page's and the script's
    widget.get_by_role("button", name="Yorumu gönder").wait_for()
    assert widget.get_by_label("Dil").input_value() == "tr"


def test_browser_language_then_site_default(new_page, host):
    url = host()  # no <html lang>, no attribute
    _article_thread(url)
    page = new_page(locale="ru-RU")
    page.goto(url)
    page.get_by_role("button", name="Отправить комментарий").wait_for()

    # A reader whose languages the widget does not have: the site's default.
    Site.objects.update(language="tr")
    cache.clear()  # the site is cached for a minute (sites.lookup)
    page = new_page(locale="de-DE")
    api = _api_requests(page)
    page.goto(url)
    page.get_by_role("button", name="Yorumu gönder").wait_for()
    assert "lang" not in parse_qs(urlparse(api[0]).query)  # the question that tells it
    assert all(parse_qs(urlparse(u).query).get("lang") == ["tr"] for u in api[1:])


def test_without_its_catalogue_the_widget_speaks_english(new_page, host):
    url = host(html_lang="ru")
    _article_thread(url)
    page = new_page(locale="ru-RU")
    page.route("**/embed/i18n/**", lambda route: route.abort())
    page.goto(url)
    widget = page.locator("#meydan-thread")
    widget.get_by_role("button", name="Post Comment").wait_for()
    assert widget.locator("h2").inner_text() == "0 comments on “Митинг в Баку”"
    assert widget.get_attribute("lang") == "ru"  # still asked of the API in Russian
