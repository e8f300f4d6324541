"""Why an import failed, kept as a code with parameters and worded in the reader's
language when shown (interchange.wording); the English message stays for the CLI."""

import re
from pathlib import Path

import pytest
from django.utils import translation

import meydan.interchange
from meydan.interchange import services
from meydan.interchange.readers import remark42
from meydan.interchange.records import ImportFileError
from meydan.interchange.wording import ERRORS, import_error_display
from tests.interchange.test_hostile_files import CASES
from tests.interchange.test_readers_remark42 import META

SOURCE = Path(meydan.interchange.__file__).parent

pytestmark = pytest.mark.django_db


def test_every_code_the_readers_raise_has_words():
    raised = set()
    for path in SOURCE.rglob("*.py"):
        raised |= set(re.findall(r'\bcode="(\w+)"', path.read_text()))
        raised |= set(re.findall(r'error_code="(\w+)"', path.read_text()))
    assert len(raised) > 20
    assert raised - {"stopped"} <= set(ERRORS), raised - set(ERRORS)


def shown(error: ImportFileError, language: str) -> str:
    params = error.params | {"line": error.line, "column": error.column}
    with translation.override(language):
        return import_error_display(error.code, params, str(error))


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_files_are_refused_in_the_moderators_language(site, tmp_path, name):
    data, message = CASES[name]
    path = tmp_path / "export.xml"
    path.write_bytes(data)
    with pytest.raises(ImportFileError, match=message) as refused:
        services.import_file(path, site, fmt="wordpress" if b"wordpress" in data[:600] else None)
    error = refused.value
    assert error.code in {"xml_doctype", "xml_xinclude", "bad_xml"}
    assert shown(error, "en") != shown(error, "ru")
    if error.code == "bad_xml":
        # lxml's own words stay, after ours; where it is, in the reader's words.
        assert shown(error, "ru").startswith("Файл не является корректным XML: ")
        assert error.params["detail"] in shown(error, "ru")
        assert f"(строка {error.line}, столбец {error.column})" in shown(error, "ru")
        assert f"(satır {error.line}, sütun {error.column})" in shown(error, "tr")


@pytest.mark.parametrize(
    ("data", "code", "russian"),
    [
        (b"", "empty", "Файл пуст."),
        (b'{"version":3,"users":[],"posts":[]}\n', "version",
         "Файл в версии 3 формата экспорта Remark42, а эту версию Meydan не читает. (строка 1)"),
        (META + b'\n{"id":"a","time":"2020-01-01T00:00:00Z"}\n', "missing",
         "В записи нет «locator, user». (строка 2)"),
        (META + b'\n{"id":5,"user":{},"locator":{"url":"u"},"time":"2020-01-01T00:00:00Z"}\n',
         "bad_value", "У «id» значение, недопустимое в этом формате: 5 (строка 2)"),
        (META + b'\n\n{"id":"\xff"}\n', "not_utf8",
         "Строка не является текстом в UTF-8. (строка 3)"),
    ],
)  # fmt: skip
def test_a_code_and_its_parameters_are_worded(tmp_path, data, code, russian):
    path = tmp_path / "backup"
    path.write_bytes(data)
    with pytest.raises(ImportFileError) as caught:
        list(remark42.read(path))
    assert caught.value.code == code
    assert shown(caught.value, "ru") == russian


def test_without_a_code_the_stored_english_is_shown():
    with translation.override("ru"):
        assert import_error_display("", {}, "Old words") == "Old words"
        assert import_error_display("from a later release", {}, "Old words") == "Old words"
        # Parameters that no longer fit the wording: the English, not a crash.
        assert import_error_display("bad_date", {}, "Old words") == "Old words"


@pytest.mark.parametrize(
    ("done", "russian"),
    [(1, "после 1 комментария"), (3, "после 3 комментариев"), (21, "после 21 комментария")],
)
def test_an_import_stopped_is_counted_in_russian(done, russian):
    with translation.override("ru"):
        words = import_error_display("stopped", {"done": done, "detail": "X"}, "")
    assert russian in words and "(X)" in words
