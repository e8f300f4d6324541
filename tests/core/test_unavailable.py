"""A database that cannot be reached gives 503 with Retry-After and a message a person
understands (JSON on the API, a page elsewhere), whether a view or a middleware met
the outage, and nothing is written."""

import json
from unittest import mock

import pytest
from django.db import InterfaceError, OperationalError
from django.test import Client

from meydan.comments.models import Comment

pytestmark = pytest.mark.django_db

DOWN = OperationalError("connection to server at 127.0.0.1, port 5432 failed: refused")


@pytest.fixture
def client():
    return Client(raise_request_exception=False)


def test_api_read_gets_json_503(client, thread):
    with mock.patch("meydan.api.v1.threads.site_for_slug", side_effect=DOWN):
        response = client.get("/api/v1/threads", {"site": "caspian-ledger", "url": "/x/"})
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert response["Cache-Control"] == "no-store"
    error = response.json()["error"]
    assert error["code"] == "unavailable"
    assert "try again" in error["message"]
    assert "5432" not in response.content.decode()


def test_api_post_gets_json_503_and_stores_nothing(client, thread, article):
    before = Comment.objects.count()
    with mock.patch("meydan.api.v1.comments.services.comment_submit", side_effect=DOWN):
        response = client.post(
            "/api/v1/comments",
            json.dumps(
                {
                    "site": "caspian-ledger",
                    "url": article.get_absolute_url(),
                    "body": "Hello",
                    "name": "Aynur",
                    "email": "aynur@example.org",
                }
            ),  # fmt: skip
            content_type="application/json",
        )
    assert response.status_code == 503, response.content
    assert response.json()["error"]["code"] == "unavailable"
    assert Comment.objects.count() == before


def test_page_gets_html_503(client, article):
    with mock.patch("meydan.newsroom.views.render", side_effect=InterfaceError("closed")):
        response = client.get(article.get_absolute_url())
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "Back in a moment" in page and "try again in a few seconds" in page
    assert "Traceback" not in page


class FailingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        raise DOWN


def test_an_outage_in_a_middleware_is_a_503_too(client, settings, article):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "tests.core.test_unavailable.FailingMiddleware"]
    response = client.get(article.get_absolute_url())
    assert response.status_code == 503
    assert "Back in a moment" in response.content.decode()
    response = client.get("/api/v1/threads", {"site": "caspian-ledger", "url": "/x/"})
    assert response.status_code == 503 and response.json()["error"]["code"] == "unavailable"


def test_other_database_errors_stay_500(client, article, settings):
    from django.db import IntegrityError

    with mock.patch("meydan.newsroom.views.render", side_effect=IntegrityError("bug")):
        response = client.get(article.get_absolute_url())
    assert response.status_code == 500
