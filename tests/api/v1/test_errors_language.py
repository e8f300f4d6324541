"""API errors speak the request's language: `lang` in the query string (what the
widget sends), else Accept-Language. The words pydantic would say in English only
are Django's own (translated in Django's catalogues) or ours."""

import pytest
from django.test import Client
from django.utils import translation

from tests.api.conftest import ORIGIN

pytestmark = pytest.mark.django_db


def post(body, query="", **headers):
    return Client().post(
        f"/api/v1/comments{query}", body, content_type="application/json",
        headers={"Origin": ORIGIN, **headers},
    )  # fmt: skip


def test_a_missing_field_is_said_in_the_widgets_language(site):
    english = post({"site": site.slug, "url": "/baku-rally/"})
    assert english.status_code == 422
    assert english.json()["error"]["fields"]["body"] == ["This field is required."]
    russian = post({"site": site.slug, "url": "/baku-rally/"}, "?lang=ru-RU")
    assert russian["Content-Language"] == "ru"
    with translation.override("ru"):
        expected = translation.gettext("This field is required.")
    assert expected != "This field is required."  # Django's Russian catalogue
    assert russian.json()["error"]["fields"]["body"] == [expected]


def test_too_long_and_wrong_kinds_are_worded_by_us_not_pydantic(site):
    answer = post({"site": site.slug, "url": "/baku-rally/", "body": "x", "name": 5})
    assert answer.status_code == 422
    for messages in answer.json()["error"]["fields"].values():
        for message in messages:
            assert "Input should" not in message and "String should" not in message


def test_a_body_that_is_not_json_is_said_in_the_language_asked(site):
    answer = Client().post(
        "/api/v1/comments?lang=az", "body=x", content_type="text/plain",
        headers={"Origin": ORIGIN, "Accept-Language": "ru"},
    )  # fmt: skip
    assert answer.status_code == 415
    assert answer["Content-Language"] == "az"


@pytest.mark.parametrize(
    ("field", "value", "english"),
    [
        ("email", "not an address", "Enter a valid email address, like name@example.org."),
        ("website", "ftp://example.org", "Enter a web address starting with http:// or https://."),
    ],
)
def test_a_bad_address_is_said_in_the_readers_language(site, field, value, english):
    body = {"site": site.slug, "url": "/baku-rally/", "body": "Salam.", "name": "Aynur",
            "email": "aynur@example.org", field: value}  # fmt: skip
    for language in ("ru", "az"):
        answer = post(body, f"?lang={language}")
        assert answer.status_code == 422
        with translation.override(language):
            expected = translation.gettext(english)
        assert expected != english
        assert answer.json()["error"]["fields"][field] == [expected]
