"""Every word a template shows goes through the catalogue.

Each template Meydan ships (HTML pages, HTML and plain-text emails) is read as text:
comments, {% blocktranslate %} blocks, template tags and {{ variables }} are taken
out, and what is left of the page — text between HTML tags and the attributes people
see or hear (title, alt, placeholder, aria-label, a button's value) — must hold no
word. A word left there reached readers in English whatever their language: wrap it
in {% translate %} or {% blocktranslate %}.
"""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "meydan"
TEMPLATES = sorted(
    p for p in ROOT.glob("**/templates/**/*") if p.suffix in (".html", ".txt") and p.is_file()
)

# Not words to translate: names and symbols that read the same in every language.
ALLOWED = {
    *("Meydan", "RSS", "Atom", "OpenID", "Akismet", "WordPress", "Disqus", "Isso"),
    *("JSON", "CSV", "IP"),  # technical abbreviations, written so in every language
}

_BLOCKS = re.compile(
    r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}"
    r"|{%\s*blocktrans(late)?\b.*?{%\s*endblocktrans(late)?\s*%}"
    r"|{#.*?#}",
    re.S,
)
_TAGS = re.compile(r"{%.*?%}|{{.*?}}", re.S)
_WORD = re.compile(r"[^\W\d_]{2,}")
_SEEN_ATTRS = {"title", "alt", "placeholder", "aria-label", "aria-description", "label"}


class _Visible(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._hidden += 1
        attrs = dict(attrs)
        for name, value in attrs.items():
            if value and (name in _SEEN_ATTRS):
                self.texts.append(value)
        if tag == "input" and attrs.get("type") in ("submit", "button", "reset"):
            self.texts.append(attrs.get("value") or "")

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.texts.append(data)


def untranslated_words(source: str, *, html: bool) -> list[str]:
    text = _TAGS.sub(" ", _BLOCKS.sub(" ", source))
    if html:
        parser = _Visible()
        parser.feed(text)
        parser.close()
        pieces = parser.texts
    else:
        pieces = [text]
    words = [w for piece in pieces for w in _WORD.findall(piece)]
    return [w for w in words if w not in ALLOWED]


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_words_outside_translate(path):
    words = untranslated_words(path.read_text(), html=path.suffix == ".html")
    assert not words, f"{path.relative_to(ROOT)} shows words outside the catalogue: {words}"


def test_the_checker_sees_what_it_should():
    page = (
        '{% load i18n %}<p title="Hover me">{% translate "Fine" %} Oops</p>'
        '<input type="submit" value="Send">{# a note #}{% comment %}ok{% endcomment %}'
        "{% blocktranslate %}Fine {{ x }}{% endblocktranslate %}<script>var nope;</script>"
        '<img alt="{% translate "Fine" %}"> · 42 — {{ name }} Meydan'
    )
    assert untranslated_words(page, html=True) == ["Hover", "me", "Oops", "Send"]
    assert untranslated_words("{{ a }} on {{ b }}", html=False) == ["on"]
