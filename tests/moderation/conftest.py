"""Fixtures for the moderation tests: a second site, staff, JSON and form helpers.

The autouse `_no_speed_limits` (tests/conftest.py) turns form age and rate limits
off; tests of those turn them on with the `settings` fixture.
"""

import base64
import json
import time

import altcha
import pytest
from django.contrib.auth import get_user_model
from django.core import signing
from django.test import Client

from meydan.comments import services
from meydan.comments.form_token import SALT
from meydan.sites.models import Site
from tests.mail import mailbox, smtp_server  # noqa: F401 - fixtures
from tests.privacy.test_manage import ask, opened  # noqa: F401 - fixtures

ORIGIN = "https://blog.example.org"


def aged_token(seconds: float) -> str:
    """A form token issued `seconds` ago (as the form guard signs them)."""
    return signing.dumps(int((time.time() - seconds) * 1000), salt=SALT)


def altcha_solve(issued: dict) -> str:
    """Solve a challenge from GET /api/v1/challenge as the widget does, and return
    what it sends as `altcha`: the ALTCHA payload, base64 JSON."""
    found = altcha.solve_challenge_v1(
        issued["challenge"], issued["salt"], issued["algorithm"], issued["maxnumber"]
    )
    assert found is not None, "the challenge has no solution"
    payload = {
        "algorithm": issued["algorithm"], "challenge": issued["challenge"],
        "number": found.number, "salt": issued["salt"], "signature": issued["signature"],
    }  # fmt: skip
    return base64.b64encode(json.dumps(payload).encode()).decode()


@pytest.fixture
def make_user(db):
    """make_user("name", staff=True, moderates=[site]) — without a password (fast)."""

    def _make(username, *, staff=False, superuser=False, moderates=(), email=None):
        user = get_user_model().objects.create_user(
            username,
            email or f"{username}@example.org",
            is_staff=staff or superuser,
            is_superuser=superuser,
        )
        for s in moderates:
            s.moderators.add(user)
        return user

    return _make


@pytest.fixture
def site_b(db):
    return Site.objects.create(
        name="Tbilisi Times", slug="tbilisi-times", domain="b.example.org", origins=""
    )


@pytest.fixture
def thread_b(site_b):
    return services.thread_get_or_create(site=site_b, key="/b/story/", title="Story on B")


@pytest.fixture
def moderator(make_user, site):
    """Staff who moderate `site` (site A) only."""
    return make_user("editor", staff=True, moderates=[site])


@pytest.fixture
def mod_client(moderator):
    client = Client()
    client.force_login(moderator)
    return client


@pytest.fixture
def article_url(article):
    return article.get_absolute_url()


@pytest.fixture
def api():
    """JSON calls to /api/v1: api.post(path, body, client=None, **headers)."""

    class Api:
        def __init__(self):
            self.client = Client()

        def get(self, path, params=None, *, client=None, **headers):
            return (client or self.client).get(f"/api/v1{path}", params or {}, headers=headers)

        def post(self, path, body, *, client=None, **extra):
            return (client or self.client).post(
                f"/api/v1{path}", json.dumps(body), content_type="application/json", **extra
            )

    return Api()


@pytest.fixture
def api_comment(site):
    """The JSON body of POST /api/v1/comments for the article's page on `site`."""

    def _body(**overrides):
        body = {
            "site": site.slug,
            "url": f"{ORIGIN}/2015/06/baku-rally/",
            "title": "Thousands rally in Baku",
            "body": "Posted from the widget.",
            "name": "Aynur",
            "email": "aynur@example.org",
            "website": "",
        }
        body.update(overrides)
        return body

    return _body
