"""The OpenAPI document is generated from the v1 views; schemathesis checks that
real responses keep its promises: no 5xx, documented status codes and bodies."""

import re
from pathlib import Path

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings

import meydan
from meydan.api.errors import ERROR_CODES, HTTP_CODES
from meydan.comments import services
from meydan.core.errors import domain_errors

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


def test_document_describes_the_api(client):
    document = client.get("/api/v1/openapi.json").json()
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    expected = [
        "/api/v1/threads", "/api/v1/comments", "/api/v1/comments/{comment_id}",
        "/api/v1/counts", "/api/v1/preview", "/api/v1/me", "/api/v1/sites/{site_key}",
        "/api/v1/comments/{comment_id}/vote", "/api/v1/votes",
    ]  # fmt: skip
    for path in expected:
        assert path in paths, path
    assert client.get("/api/v1/docs").status_code == 200


def test_every_error_code_is_documented_and_the_list_is_closed(client):
    """The codes are one list (api/errors.py): every domain error, every HTTP-level
    code, and every code a view writes by hand; the document gives each a meaning."""
    code = client.get("/api/v1/openapi.json").json()["components"]["schemas"]["ErrorBody"][
        "properties"
    ]["code"]
    assert set(code["enum"]) == set(ERROR_CODES)
    assert {kind.code for kind in domain_errors()} <= set(code["enum"])
    assert set(HTTP_CODES.values()) <= set(code["enum"])
    for name in code["enum"]:
        assert f"- `{name}` (" in code["description"], name
    written = set()
    for path in Path(meydan.__file__).parent.rglob("*.py"):
        source = path.read_text()
        written |= set(re.findall(r'error_response\(\s*\w+,\s*"([a-z_]+)"', source))
        written |= set(re.findall(r'\.code = "([a-z_]+)"', source))
    assert written and written <= set(ERROR_CODES), written - set(ERROR_CODES)


@pytest.fixture
def keep_connection():
    """Like Django's test client: the WSGI app must not close the test's DB connection."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def world(site, thread, django_capture_on_commit_callbacks, keep_connection):
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_post(
            thread=thread,
            author=services.Author(name="A", email="a@b.org"),
            body="hello",
            channel="form",
        )
    return site


@pytest.mark.slow
@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_keeps_its_schema(case, world):
    case.call_and_validate()
