"""The catalogues are complete and correct for every language Meydan ships.

For each language of settings.LANGUAGES but English (the msgids are English), every
catalogue in meydan/locale/<lang>/LC_MESSAGES/ must:

- exist, say its Language in the header, and not be marked fuzzy;
- have the Plural-Forms of the language (Russian: three forms, one for 1, 21, 31,
  one for 2-4, 22-24, one for 5-20, 25-30 and 0; Azerbaijani, Turkish, Persian: two)
  and pick the right form for sample counts;
- translate every entry, with no fuzzy ones and no obsolete ones left;
- keep every placeholder of the English (%(name)s, %s, %d) in each translation;
- compile with `msgfmt --check-format` (what `make` runs);
- hold every string the code and templates mark (a new string that `make
  makemessages` did not bring in is a string nobody can translate).

This fails while a catalogue is incomplete: that is its purpose (docs/translations.md
says how to complete one).
"""

import gettext
import re
import shutil
import subprocess
from pathlib import Path

import polib
import pytest
from django.conf import settings

LOCALE = Path(__file__).resolve().parents[2] / "meydan" / "locale"
LANGUAGES = [code for code, _name in settings.LANGUAGES if code != "en"]

# nplurals, and {n: form} samples of what the plural expression must choose.
PLURALS = {
    "ru": (3, {0: 2, 1: 0, 2: 1, 4: 1, 5: 2, 11: 2, 12: 2, 14: 2, 21: 0, 22: 1, 25: 2, 101: 0}),
    "az": (2, {1: 0, 2: 1, 5: 1}),
    "tr": (2, {1: 0, 2: 1, 5: 1}),
    "fa": (2, {1: 0, 2: 1, 5: 1}),
}

_PLACEHOLDER = re.compile(r"%\((\w+)\)[#0 +-]*\d*(?:\.\d+)?[sdifr]|%[#0 +-]*\d*(?:\.\d+)?[sdifr]")


def catalogues(language: str) -> list[Path]:
    return sorted((LOCALE / language / "LC_MESSAGES").glob("*.po"))


def placeholders(text: str) -> list[str]:
    """The sorted placeholders of a python-format string ("%%" is a literal %)."""
    found = []
    for match in _PLACEHOLDER.finditer(text.replace("%%", "")):
        found.append(match.group(0) if match.group(1) is None else f"%({match.group(1)})")
    return sorted(found)


def plural_rule(po: polib.POFile) -> tuple[int, object]:
    header = po.metadata.get("Plural-Forms", "")
    found = re.match(r"\s*nplurals\s*=\s*(\d+)\s*;\s*plural\s*=\s*(.+?);?\s*$", header)
    assert found, f"no readable Plural-Forms header: {header!r}"
    return int(found[1]), gettext.c2py(found[2])


def where(entry: polib.POEntry) -> str:
    return f"{entry.msgid[:70]!r} ({', '.join(f for f, _l in entry.occurrences[:2])})"


@pytest.fixture(params=LANGUAGES)
def language(request) -> str:
    return request.param


def test_every_language_but_english_has_its_catalogue(language):
    assert catalogues(language), f"no .po file under {LOCALE / language / 'LC_MESSAGES'}"
    assert set(LANGUAGES) <= set(PLURALS), "add the new language's plural rule to PLURALS"


def test_headers_and_plural_forms(language):
    nplurals, samples = PLURALS[language]
    for path in catalogues(language):
        po = polib.pofile(str(path))
        assert po.metadata.get("Language") == language, f"{path}: Language header"
        assert not po.metadata_is_fuzzy, f"{path}: the header is still marked fuzzy"
        count, rule = plural_rule(po)
        assert count == nplurals, f"{path}: nplurals={count}, {language} has {nplurals}"
        chosen = {n: rule(n) for n in samples}
        assert chosen == samples, f"{path}: the plural expression chooses {chosen}"


def test_a_languages_catalogues_agree_on_plural_forms(language):
    """One Plural-Forms per language, in django.po and djangojs.po alike.

    The widget picks its forms with Intl.PluralRules (CLDR), under which Turkish and
    Azerbaijani take the plural for 0 as gettext's `n != 1` does
    (tests/embed/test_widget_words.py pins djangojs.po to it). Django's own Turkish
    catalogue says `n > 1` instead: it only decides Django's own words, as Django keeps
    a catalogue with other Plural-Forms apart, and Turkish words 0 and 2 alike."""
    headers = {polib.pofile(str(path)).metadata["Plural-Forms"] for path in catalogues(language)}
    assert len(headers) == 1, f"{language}: the catalogues disagree: {headers}"


def test_every_entry_is_translated(language):
    problems = []
    for path in catalogues(language):
        po = polib.pofile(str(path))
        nplurals, _rule = plural_rule(po)
        for entry in po:
            if entry.obsolete:
                problems.append(f"obsolete: {where(entry)}")
            elif "fuzzy" in entry.flags:
                problems.append(f"fuzzy: {where(entry)}")
            elif entry.msgid_plural:
                forms = entry.msgstr_plural
                if len(forms) != nplurals or not all(forms.get(i) for i in range(nplurals)):
                    problems.append(f"untranslated plural: {where(entry)}")
            elif not entry.msgstr:
                problems.append(f"untranslated: {where(entry)}")
    assert not problems, f"{language}: {len(problems)} entries\n" + "\n".join(problems[:40])


def test_placeholders_match(language):
    problems = []
    for path in catalogues(language):
        po = polib.pofile(str(path))
        nplurals, rule = plural_rule(po)
        # A form used for one count only (n == 1 in "n != 1") may say "one" in words.
        counts = {i: [n for n in range(1000) if rule(n) == i] for i in range(nplurals)}
        one_only = [i for i, ns in counts.items() if ns == [1]]
        for entry in po.translated_entries():
            if entry.msgid_plural:
                wanted = placeholders(entry.msgid_plural)
                for i, text in entry.msgstr_plural.items():
                    got = placeholders(text)
                    if got != wanted and not (int(i) in one_only and set(got) <= set(wanted)):
                        problems.append(f"form {i} has {got}, wants {wanted}: {where(entry)}")
            elif placeholders(entry.msgstr) != placeholders(entry.msgid):
                problems.append(
                    f"{placeholders(entry.msgstr)} != {placeholders(entry.msgid)}: {where(entry)}"
                )
    assert not problems, f"{language}:\n" + "\n".join(problems[:40])


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext's msgfmt is not installed")
def test_msgfmt_checks_pass(language, tmp_path):
    for path in catalogues(language):
        result = subprocess.run(  # noqa: S603 - a fixed program on our own files
            ["msgfmt", "--check", "--statistics", "-o", str(tmp_path / "out.mo"), str(path)],  # noqa: S607
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr
        # Header fields left at msginit's defaults (Project-Id-Version…) are cosmetic.
        lines = [line for line in result.stderr.splitlines() if "header field" not in line]
        # "N translated messages." with nothing fuzzy or untranslated after it.
        stats = " ".join(lines).strip()
        assert re.fullmatch(r"\d+ translated messages?\.", stats), f"{path}: {stats}"


# --- the catalogues hold every marked string ------------------------------------------

# The keywords Django's makemessages gives xgettext (django/core/management/commands/
# makemessages.py): run here on a copy, so the test never writes into meydan/locale.
_XGETTEXT = [
    "xgettext", "--language=Python", "--from-code=UTF-8", "--keyword=gettext_noop",
    "--keyword=gettext_lazy", "--keyword=ngettext_lazy:1,2", "--keyword=pgettext:1c,2",
    "--keyword=npgettext:1c,2,3", "--keyword=pgettext_lazy:1c,2",
    "--keyword=npgettext_lazy:1c,2,3",
]  # fmt: skip


def marked_strings(tmp_path: Path) -> set[tuple[str | None, str]]:
    """(context, msgid) of every string the code and templates mark, as makemessages
    would find them (templates through Django's own templatize)."""
    from django.utils.translation.template import templatize

    root = LOCALE.parent
    sources = []
    for path in sorted(root.rglob("*")):
        if path.suffix not in (".py", ".html", ".txt") or "locale" in path.parts:
            continue
        if path.suffix == ".py":
            sources.append(path)
            continue
        converted = tmp_path / (str(path.relative_to(root)).replace("/", "__") + ".py")
        converted.write_text(templatize(path.read_text(encoding="utf-8"), origin=str(path)))
        sources.append(converted)
    listing = tmp_path / "files.txt"
    listing.write_text("\n".join(str(p) for p in sources))
    pot = tmp_path / "all.pot"
    subprocess.run(  # noqa: S603 - a fixed program on our own files
        [*_XGETTEXT, f"--files-from={listing}", f"--output={pot}"], check=True
    )
    return {(e.msgctxt, e.msgid) for e in polib.pofile(str(pot)) if e.msgid}


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("xgettext") is None, reason="gettext's xgettext is missing")
def test_every_marked_string_is_in_every_catalogue(tmp_path):
    marked = marked_strings(tmp_path)
    assert len(marked) > 500  # the extraction worked
    for language in LANGUAGES:
        known = set()
        for path in catalogues(language):
            known |= {(e.msgctxt, e.msgid) for e in polib.pofile(str(path)) if not e.obsolete}
        missing = sorted(marked - known, key=str)
        assert not missing, (
            f"{language}: {len(missing)} marked strings are not in the catalogue; run "
            f"`make makemessages` and translate them:\n" + "\n".join(repr(m) for m in missing[:40])
        )


def test_placeholder_reading():
    assert placeholders("%(n)d new comments on %(title)s") == ["%(n)", "%(title)"]
    assert placeholders("100%% sure, %s of %d") == ["%d", "%s"]
