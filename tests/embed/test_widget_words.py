"""The widget in the reader's language: every word of embed.js goes through gettext,
each shipped djangojs.po translates all of them, and /embed/i18n/LANG.json serves
them (cached, versioned). The widget itself in Chromium: tests/browser/test_widget_i18n.py."""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings

from meydan.embed.views import words_version

STATIC = Path(settings.BASE_DIR) / "embed" / "static" / "embed"
SOURCE = (STATIC / "embed.js").read_text(encoding="utf-8")
LOCALE = Path(settings.BASE_DIR) / "locale"
SHIPPED = [code for code, _name in settings.LANGUAGES if code != "en"]
PLURAL_FORMS = {
    "az": "nplurals=2; plural=(n != 1);",
    "ru": "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && "
    "(n%100<12 || n%100>14) ? 1 : 2);",
    "tr": "nplurals=2; plural=(n != 1);",
    "fa": "nplurals=2; plural=(n > 1);",
}

STR = r'"((?:[^"\\\n]|\\.)*)"'


def code_only(source: str) -> str:
    """embed.js without its comments (they quote English on purpose)."""
    source = re.sub(r"/\*.*?\*/", "", source, flags=re.S)
    return "\n".join(line for line in source.splitlines() if not line.strip().startswith("//"))


CODE = code_only(SOURCE)


def msgids() -> set:
    """What embed.js asks for: "msgid", or (singular, plural)."""
    found = set(re.findall(r"(?<![\w.])gettext\(" + STR + r"\)", CODE))
    found |= set(re.findall(r"(?<![\w.])ngettext\(" + STR + r",\s*" + STR, CODE))
    return found


def parse_po(path: Path) -> tuple[dict, list]:
    """A .po file as ({msgid or (singular, plural): [msgstr…]}, [fuzzy msgids])."""
    entries, fuzzy = {}, []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        fields, key, flags = {}, None, ""
        for line in block.strip().splitlines():
            if line.startswith("#,"):
                flags += line
            elif line.startswith("#"):
                continue
            elif m := re.match(r"^(msgid_plural|msgid|msgstr(?:\[\d\])?) " + STR + "$", line):
                key = m.group(1)
                fields[key] = m.group(2)
            elif line.startswith('"'):
                fields[key] += line[1:-1]
        if "msgid" not in fields:
            continue
        msgid = fields["msgid"]
        if "msgid_plural" in fields:
            msgid = (msgid, fields["msgid_plural"])
        entries[msgid] = [v for k, v in sorted(fields.items()) if k.startswith("msgstr")]
        if "fuzzy" in flags:
            fuzzy.append(msgid)
    return entries, fuzzy


# Literals the widget shows that are not words: punctuation between links, the
# vote arrow, the required-field star; and the languages' own names in the switcher.
NOT_WORDS = {"", " ", "·", " · ", " (", " / ", ")", "▲ ", "*"}
LANGS = re.search(r"const LANGS = \{([^}]*)\}", CODE).group(1)
NOT_WORDS |= set(re.findall(r'"([^"]+)",?\s', LANGS))
# …and code that looks like words: the directive, headers, a key's name, a storage area.
NOT_WORDS |= {"use strict", "Bearer ", "Content-Type", "Retry-After", "Escape", "Storage", "url"}
# Class names, link relations and selectors are not shown.
CODE_WORDS = r'(\bc:\s*|\brel:\s*|\bbutton\(|querySelector(?:All)?\()"[^"]*"'


def test_every_visible_literal_goes_through_gettext():
    shown = []
    code = re.sub(CODE_WORDS, r"\1", CODE)
    for pattern in (
        r"(?:text|title|alt|placeholder|\"aria-label\"|message):\s*" + STR,
        r"\bbutton\([^,()]*,\s*" + STR,  # button(classes, "label", …)
        r"\.textContent\s*=\s*" + STR,
        r"\b(?:announce|confirm|append|replaceChildren)\(" + STR,
        r"\bfield\(\"\w+\",\s*" + STR,  # field(name, "Label", …)
        r"\bbox\(\"[\w-]+\",\s*" + STR,
    ):
        shown += re.findall(pattern, code)
    # Any other literal that reads like English: a capital ("Pick", "A sentence."), or
    # words ("all new comments") — in ternaries, concatenations, arguments.
    shown += [s for s in re.findall(STR, code) if re.search(r"^[A-Z][a-z]|[a-z]{2,} [a-z]{2,}", s)]
    marked = {m if isinstance(m, str) else m[0] for m in msgids()}
    marked |= {m[1] for m in msgids() if isinstance(m, tuple)}
    unmarked = sorted({s for s in shown if s not in NOT_WORDS and s not in marked})
    assert unmarked == [], "words in embed.js without gettext()"


def test_the_scan_finds_an_unmarked_word():
    """The scan above is not blind: an unmarked label is caught."""
    sample = code_only('x = button("link", "Report abuse", go);\ny.textContent = "Thanks";')
    found = re.findall(r"\bbutton\([^,()]+,\s*" + STR, sample)
    found += re.findall(r"\.textContent\s*=\s*" + STR, sample)
    assert found == ["Report abuse", "Thanks"]


def test_embed_js_has_the_words_it_should():
    ids = msgids()
    assert len(ids) > 100
    assert ("%(n)s comment", "%(n)s comments") in ids and "Leave a Reply" in ids


@pytest.mark.parametrize("lang", SHIPPED)
def test_each_language_translates_every_word(lang):
    po = LOCALE / lang / "LC_MESSAGES" / "djangojs.po"
    entries, fuzzy = parse_po(po)
    header = entries.pop("")[0]
    assert f"Language: {lang}\\n" in header
    assert f"Plural-Forms: {PLURAL_FORMS[lang]}\\n" in header
    assert fuzzy == []
    missing = sorted(map(str, msgids() - set(entries)))
    assert missing == [], f"not in {po}: run `make makemessages` and translate"
    nplurals = 3 if lang == "ru" else 2
    for msgid, forms in entries.items():
        assert all(forms), f"{lang}: {msgid!r} is not translated"
        english = msgid if isinstance(msgid, str) else msgid[1]
        for form in forms:  # the same %(name)s placeholders as the English
            assert set(re.findall(r"%\(\w+\)s", form)) == set(re.findall(r"%\(\w+\)s", english))
        if isinstance(msgid, tuple):
            assert len(forms) == nplurals
    assert not set(entries) - msgids(), "obsolete words: run `make makemessages`"


def test_the_switcher_offers_the_shipped_languages():
    assert re.findall(r"(\w+):", LANGS) == [code for code, _name in settings.LANGUAGES]


@pytest.mark.django_db
def test_catalogue_in_russian(client):
    r = client.get("/embed/i18n/ru.json")
    assert r.status_code == 200 and r["Content-Type"] == "application/json"
    data = json.loads(r.content)
    assert set(data) == {"catalog", "plural"}  # no "formats": the widget uses Intl
    assert data["catalog"]["Reply"] == "Ответить"
    assert data["catalog"]["%(n)s comment"] == [
        "%(n)s комментарий",
        "%(n)s комментария",
        "%(n)s комментариев",
    ]
    assert "January" not in data["catalog"]  # only Meydan's words, not Django's own
    assert r["Access-Control-Allow-Origin"] == "*"
    assert "max-age=300" in r["Cache-Control"] and r["ETag"]
    assert len(r.content) < 12_000


@pytest.mark.django_db
def test_catalogue_versioned_url_is_cached_for_good_and_revalidates(client):
    v = words_version()
    r = client.get(f"/embed/i18n/fa.json?v={v}")
    assert "immutable" in r["Cache-Control"] and "max-age=31536000" in r["Cache-Control"]
    again = client.get(f"/embed/i18n/fa.json?v={v}", HTTP_IF_NONE_MATCH=r["ETag"])
    assert again.status_code == 304 and again["Access-Control-Allow-Origin"] == "*"
    assert json.loads(r.content)["catalog"]["Language"] == "زبان"


@pytest.mark.django_db
def test_catalogue_of_an_unknown_language_is_404(client):
    assert client.get("/embed/i18n/de.json").status_code == 404
    assert client.get("/embed/i18n/..json").status_code == 404
    assert client.post("/embed/i18n/ru.json").status_code == 405


@pytest.mark.django_db
def test_embed_js_carries_the_catalogues_version(client):
    body = client.get("/embed.js").content.decode()
    assert "__MEYDAN_WORDS__" not in body
    assert f'const WORDS = "{words_version()}";' in body
