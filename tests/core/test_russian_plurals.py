"""A Russian reader gets Russian plural forms: 1, 21 and 101 take one form, 2-4 and
22-24 another, 5-20 and 25-30 a third.

Written against the real catalogue (meydan/locale/ru): the expected words are the
catalogue's own msgstr for each form, chosen by the catalogue's Plural-Forms, and
must differ between the three kinds of number. Until the Russian catalogue is
translated this fails, as it should.
"""

import gettext
import re
from pathlib import Path

import polib
import pytest
from django.utils import translation
from django.utils.translation import ngettext

from meydan.comments import services
from meydan.moderation.dashboard_views import wait_text
from meydan.newsroom.models import Article

PO = Path(__file__).resolve().parents[2] / "meydan/locale/ru/LC_MESSAGES/django.po"
COUNTS = (1, 2, 5, 21, 22, 25, 11)


def russian_forms(msgid: str) -> tuple[dict[int, str], object]:
    po = polib.pofile(str(PO))
    found = [e for e in po if e.msgid == msgid and e.msgid_plural]
    assert found, f"{msgid!r} is not in {PO}: run `make makemessages` and translate it"
    [entry] = found
    header = po.metadata["Plural-Forms"]
    rule = gettext.c2py(re.search(r"plural\s*=\s*(.+?);?\s*$", header)[1])
    forms = {int(i): text for i, text in entry.msgstr_plural.items()}
    return forms, rule


def test_the_catalogue_has_three_different_forms_for_comments():
    forms, rule = russian_forms("%(counter)s comment")
    assert [rule(n) for n in (1, 2, 5, 21, 22, 25, 11)] == [0, 1, 2, 0, 1, 2, 2]
    words = {i: re.sub(r"%\(counter\)s\s*", "", forms.get(i, "")).strip() for i in range(3)}
    assert all(words.values()) and len(set(words.values())) == 3, words


@pytest.mark.django_db
def test_the_front_page_counts_comments_in_russian(client, site):
    forms, rule = russian_forms("%(counter)s comment")
    for n in COUNTS:
        article = Article.objects.create(site=site, title=f"Story {n}", slug=f"story-{n}", body="x")
        key = article.get_absolute_url()
        thread = services.thread_get_or_create(site=site, key=key, url=key, title=article.title)
        type(thread).objects.filter(pk=thread.pk).update(comment_count=n)
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    for n in COUNTS:
        expected = forms[rule(n)] % {"counter": n}
        assert expected and expected in page, (n, expected)


def test_ngettext_in_python_takes_the_russian_forms():
    forms, rule = russian_forms("%(n)d new comment on %(title)s")
    with translation.override("ru"):
        for n in COUNTS:
            shown = translation.ngettext(
                "%(n)d new comment on %(title)s", "%(n)d new comments on %(title)s", n
            )
            assert shown == forms[rule(n)] != "", (n, shown)


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (
            lambda n: (
                ngettext(
                    "Import undone: %(n)d comment removed.",
                    "Import undone: %(n)d comments removed.",
                    n,
                )
                % {"n": n}
            ),
            {
                1: "Импорт отменён: удалён 1 комментарий.",
                2: "Импорт отменён: удалено 2 комментария.",
                5: "Импорт отменён: удалено 5 комментариев.",
            },
        ),
        (
            lambda n: (
                ngettext(
                    "Please try again in %(minutes)d minute.",
                    "Please try again in %(minutes)d minutes.",
                    n,
                )
                % {"minutes": n}
            ),
            {
                1: "Попробуйте, пожалуйста, ещё раз через 1 минуту.",
                2: "Попробуйте, пожалуйста, ещё раз через 2 минуты.",
                5: "Попробуйте, пожалуйста, ещё раз через 5 минут.",
            },
        ),
        (
            # The dashboard's median wait, from two days up (under that it says hours).
            lambda n: wait_text(n * 86400),
            {2: "2 дня", 5: "5 дней", 21: "21 день"},
        ),
    ],
)
def test_counted_messages_take_the_russian_forms(words, expected):
    with translation.override("ru"):
        assert {n: words(n) for n in expected} == expected
