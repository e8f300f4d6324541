"""meydan.core.languages and the middleware around it: which language a request is
answered in. The order: the reader's choice (cookie) > the page's language (an
article's, or the API's `lang`) > Accept-Language > the site's default > "en"."""

import pytest
from django.conf import settings

from meydan.core.languages import choose_language, from_accept_language, supported

COOKIE = settings.LANGUAGE_COOKIE_NAME


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("az", "az"),
        ("ru-RU", "ru"),
        ("fa-IR", "fa"),
        ("fa_IR", "fa"),
        ("TR", "tr"),
        ("en-GB", "en"),
        ("de", None),
        ("", None),
        (None, None),
        ("<script>", None),
        ("ru;drop", None),
        ("x" * 500, None),
        ("az-" + "a" * 40, None),
        ("\u0430\u0437", None),  # Cyrillic letters that look like "az"
    ],
)
def test_supported_reads_bcp47_tags_loosely_and_refuses_the_rest(tag, expected):
    assert supported(tag) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("de-DE,de;q=0.9,ru;q=0.8,en;q=0.5", "ru"),
        ("tr;q=0.4,az;q=0.9", "az"),
        ("fa-IR", "fa"),
        ("*", None),
        ("de, fr", None),
        ("garbage;;;q=x", None),
        ("", None),
    ],
)
def test_accept_language_gives_the_first_shipped_language_by_weight(header, expected):
    assert from_accept_language(header) == expected


def test_the_order():
    everything = dict(chosen="tr", page="fa", accept_language="ru", site_default="az")
    assert choose_language(**everything) == "tr"
    assert choose_language(**{**everything, "chosen": None}) == "fa"
    assert choose_language(**{**everything, "chosen": None, "page": None}) == "ru"
    assert choose_language(site_default="az") == "az"
    assert choose_language() == settings.LANGUAGE_CODE == "en"


def test_garbage_at_any_step_falls_through_quietly():
    assert choose_language(chosen="klingon", page="!!", accept_language="q=;", site_default="az")
    assert choose_language(chosen="xx", page="ru-RU") == "ru"
    assert choose_language(site_default="nonsense") == "en"


def test_the_site_default_is_asked_only_when_needed():
    asked = []

    def site_default():
        asked.append(1)
        return "az"

    assert choose_language(accept_language="fa", site_default=site_default) == "fa"
    assert asked == []
    assert choose_language(accept_language="de", site_default=site_default) == "az"
    assert asked == [1]


# --- requests -----------------------------------------------------------------------


def html_tag(response) -> str:
    html = response.content.decode()
    return html[html.index("<html") : html.index(">", html.index("<html")) + 1]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("cookie", "header", "site_language", "article_language", "expected"),
    [
        (None, None, "en", "", "en"),
        (None, None, "az", "", "az"),  # the site's default
        (None, "ru", "az", "", "ru"),  # the browser outranks the site
        (None, "ru", "az", "fa", "fa"),  # the article outranks the browser
        ("tr", "ru", "az", "fa", "tr"),  # the reader's choice outranks everything
        ("nonsense", "de", "az", "", "az"),  # garbage falls through
    ],
)
def test_an_article_page_speaks_by_the_order(
    client, site, article, cookie, header, site_language, article_language, expected
):
    site.language = site_language
    site.save()
    article.language = article_language
    article.save()
    if cookie:
        client.cookies[COOKIE] = cookie
    headers = {"HTTP_ACCEPT_LANGUAGE": header} if header else {}
    response = client.get(article.get_absolute_url(), **headers)
    assert response.status_code == 200
    assert response["Content-Language"] == expected
    direction = "rtl" if expected == "fa" else "ltr"
    assert html_tag(response) == f'<html lang="{expected}" dir="{direction}">'


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/baku-rally/",
        "/privacy/",
        "/manage/",
        "/accounts/login/",
        "/moderation/",
        "/transparency/",
        "/transparency/caspian-ledger/",
        "/embed/thread/?site=caspian-ledger&url=/baku-rally/",
        "/embed/signin/choose/?site=caspian-ledger",
        "/email/manage/x/",
        "/nowhere/",
    ],
)
def test_every_server_page_says_its_language_and_direction(client, site, article, path):
    site.transparency_public = True
    site.save()
    response = client.get(path, HTTP_ACCEPT_LANGUAGE="fa", follow=True)
    assert '<html lang="fa" dir="rtl">' in response.content.decode(), path


@pytest.mark.django_db
def test_the_switcher_sets_the_cookie_and_returns_to_the_page(client, site, article):
    page = client.get(article.get_absolute_url()).content.decode()
    assert 'action="/i18n/setlang/"' in page
    for code, _name in settings.LANGUAGES:
        assert f'name="language" value="{code}" lang="{code}"' in page
    response = client.post("/i18n/setlang/", {"language": "fa", "next": article.get_absolute_url()})
    assert response.status_code == 302
    assert response["Location"] == article.get_absolute_url()
    assert response.cookies[COOKIE].value == "fa"
    again = client.get(article.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="ru")
    assert again["Content-Language"] == "fa"
    assert "Cookie" in again["Vary"]
    assert 'aria-current="true" class="langs__current">فارسی' in again.content.decode()


@pytest.mark.django_db
def test_the_switcher_refuses_foreign_next_and_unknown_languages(client, site):
    response = client.post("/i18n/setlang/", {"language": "xx", "next": "https://evil.example/"})
    assert response.status_code in (204, 302)
    assert COOKIE not in response.cookies
    if response.status_code == 302:
        assert not response["Location"].startswith("https://evil.example")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "header", "expected"),
    [
        ("&lang=fa-IR", "ru", "fa"),
        ("&lang=az", None, "az"),
        ("&lang=%3Cscript%3E", "tr", "tr"),
        ("&lang=" + "x" * 300, None, "en"),
        ("", "ru-RU,ru;q=0.9", "ru"),
    ],
)
def test_the_api_reads_lang_from_the_query_string(client, site, thread, query, header, expected):
    headers = {"HTTP_ACCEPT_LANGUAGE": header} if header else {}
    response = client.get(f"/api/v1/threads?site={site.slug}&url=/baku-rally/{query}", **headers)
    assert response.status_code == 200
    assert response["Content-Language"] == expected


@pytest.mark.django_db
def test_lang_on_a_post_query_string_words_its_errors(client, site, thread):
    response = client.post(
        f"/api/v1/threads/{thread.pk}/comments?lang=ru",
        data="{}",
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="az",
    )
    assert 400 <= response.status_code < 500
    assert response["Content-Language"] == "ru"


@pytest.mark.django_db
def test_the_site_default_language_is_the_api_answer_without_other_hints(client, site, thread):
    site.language = "tr"
    site.save()
    from django.core.cache import cache

    cache.clear()
    response = client.get(f"/api/v1/threads?site={site.slug}&url=/baku-rally/")
    assert response["Content-Language"] == "tr"


@pytest.mark.django_db
def test_the_site_settings_for_the_widget_use_the_sites_language(client, site):
    site.language = "ru"
    site.save()
    response = client.get(f"/api/v1/sites/{site.slug}")
    assert response.status_code == 200
    assert response["Content-Language"] == "ru"
    assert (response.json()["language"], response.json()["direction"]) == ("ru", "ltr")
    persian = client.get(f"/api/v1/sites/{site.slug}?lang=fa-IR")
    assert (persian.json()["language"], persian.json()["direction"]) == ("fa", "rtl")
    assert client.get(f"/api/v1/sites/{site.slug}?lang=tr")["Content-Language"] == "tr"
    assert client.get("/api/v1/sites/no-such-site")["Content-Language"] == "en"


@pytest.mark.django_db
def test_an_article_keeps_its_own_language_inside_a_page_in_the_readers(client, article):
    article.language = "fa"
    article.save()
    client.cookies[COOKIE] = "az"
    page = client.get(article.get_absolute_url()).content.decode()
    assert '<html lang="az" dir="ltr">' in page
    assert '<article class="article" lang="fa" dir="rtl">' in page
