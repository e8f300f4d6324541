"""/healthz and /readyz, as a load balancer and a supervisor ask them: through the
WSGI application (by any Host), never cached, never a cookie, and /readyz naming the
part that is not ready."""

import io
import json
from unittest import mock
from wsgiref.util import setup_testing_defaults

import pytest
from django.core.signals import request_finished, request_started
from django.db import OperationalError, close_old_connections

from meydan.core import health
from meydan.wsgi import application

pytestmark = pytest.mark.django_db


def call(path, method="GET", host="10.1.2.3:8000"):
    environ = {"PATH_INFO": path, "REQUEST_METHOD": method, "QUERY_STRING": ""}
    environ["wsgi.input"] = io.BytesIO(b"")
    setup_testing_defaults(environ)
    environ["HTTP_HOST"] = host  # a load balancer asks by address: not an allowed host
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"], seen["headers"] = int(status.split()[0]), dict(headers)

    body = b"".join(application(environ, start_response))
    return seen["status"], seen["headers"], body


@pytest.fixture(autouse=True)
def _migrations_unknown():
    health.migrations.applied = False
    yield
    health.migrations.applied = False


@pytest.fixture(autouse=True)
def _keep_the_test_transaction():
    """As the test client does: the request's connection is the test's, in its
    transaction, so it must not be closed around the request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_healthz_answers_by_any_host_and_is_never_cached():
    status, headers, body = call("/healthz")
    assert status == 200
    assert json.loads(body) == {"status": "ok"}
    assert headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in headers


def test_healthz_does_not_ask_the_database():
    with mock.patch.object(health, "check_database", side_effect=OperationalError("down")):
        status, _, _ = call("/healthz")
    assert status == 200


def test_readyz_is_ready_when_database_cache_and_migrations_are():
    status, headers, body = call("/readyz")
    assert status == 200, body
    assert json.loads(body) == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "migrations": "ok"},
    }
    assert headers["Cache-Control"] == "no-store" and "Set-Cookie" not in headers
    assert health.migrations.applied  # the graph is loaded once per process


def test_readyz_says_the_database_is_unavailable_without_its_error():
    secret = "could not connect to server db.internal.example:5432"
    with mock.patch.object(health, "check_database", side_effect=OperationalError(secret)):
        status, headers, body = call("/readyz")
    assert status == 503
    assert headers["Retry-After"] == "5"
    data = json.loads(body)
    assert data["status"] == "unavailable"
    assert data["checks"] == {"database": "unavailable", "cache": "ok", "migrations": "unknown"}
    assert b"db.internal" not in body


def test_readyz_says_the_cache_is_unavailable(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "meydan.core.cache.ResilientRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }  # fmt: skip
    }
    status, _, body = call("/readyz")
    assert status == 503
    assert json.loads(body)["checks"]["cache"] == "unavailable"


def test_readyz_waits_for_migrations():
    with mock.patch(
        "django.db.migrations.executor.MigrationExecutor.migration_plan",
        return_value=[("a migration", False)],
    ):
        status, _, body = call("/readyz")
    assert status == 503
    assert json.loads(body)["checks"]["migrations"] == "pending"
    assert not health.migrations.applied


def test_head_and_other_methods():
    status, _, body = call("/healthz", method="HEAD")
    assert status == 200 and body == b""
    status, headers, _ = call("/readyz", method="POST")
    assert status == 405 and headers["Allow"] == "GET, HEAD"


def test_other_paths_reach_django():
    status, _, _ = call("/healthz/more", host="testserver")
    assert status == 404
