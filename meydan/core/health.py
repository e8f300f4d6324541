"""`GET /healthz` and `GET /readyz`, for load balancers and supervisors.

- `/healthz`: the process is alive and answers. It touches nothing else, so a
  supervisor never restarts a healthy process because the database is down.
- `/readyz`: this process can serve: the database answers, the cache answers, and
  every migration is applied. 200 when all three hold, 503 (with which one failed)
  otherwise, so a load balancer sends readers elsewhere until it is ready.

Both are answered by a WSGI wrapper in front of Django (meydan/wsgi.py), not by a
view: a load balancer asks by IP address or container name, which ALLOWED_HOSTS would
refuse, and the answer must not depend on sessions, middleware or the page caches.
Neither is ever cached (Cache-Control: no-store) and neither sets a cookie. The
answer names the failing part but never the error's text (host names, paths).
"""

import json
import logging
import time

from django.core.cache import caches
from django.core.signals import request_finished, request_started
from django.db import DEFAULT_DB_ALIAS, connections

logger = logging.getLogger(__name__)

HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
_HEADERS = [
    ("Content-Type", "application/json"),
    ("Cache-Control", "no-store"),
    ("X-Content-Type-Options", "nosniff"),
]
_READY_KEY = "meydan:readyz"


def check_database(alias: str = DEFAULT_DB_ALIAS) -> None:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_cache() -> None:
    """A round trip through the default cache. The Redis cache swallows outages for
    the read path (core/cache.py); here they must show, so it is asked directly."""
    backend = caches["default"]
    ping = getattr(backend, "ping", None)
    if ping is not None:
        ping()
        return
    token = str(time.monotonic_ns())
    backend.set(_READY_KEY, token, 10)
    if backend.get(_READY_KEY) != token and type(backend).__name__ != "DummyCache":
        raise RuntimeError("the cache did not keep a value")


class _Migrations:
    """Whether every migration is applied. Once true it stays true for this process
    (its code cannot gain migrations while it runs), so only the first ready check
    after a start loads the migration graph."""

    applied = False

    def check(self, alias: str = DEFAULT_DB_ALIAS) -> None:
        if self.applied:
            return
        from django.db.migrations.executor import MigrationExecutor

        executor = MigrationExecutor(connections[alias])
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            raise RuntimeError("migrations are not applied: run `meydan migrate`")
        self.applied = True


migrations = _Migrations()


def readiness() -> tuple[bool, dict[str, str]]:
    checks: dict[str, str] = {}
    for name, check in (
        ("database", check_database),
        ("cache", check_cache),
        ("migrations", migrations.check),
    ):
        if name == "migrations" and checks["database"] != "ok":
            checks[name] = "unknown"
            continue
        try:
            check()
            checks[name] = "ok"
        except Exception as error:  # any failure means "not ready"; the log says which
            logger.warning("readyz: %s check failed (%s)", name, type(error).__name__)
            checks[name] = "pending" if name == "migrations" else "unavailable"
    return all(value == "ok" for value in checks.values()), checks


class HealthChecks:
    """WSGI middleware: answers the two paths, passes everything else on."""

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path not in (HEALTH_PATH, READY_PATH):
            return self.application(environ, start_response)
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return self._answer(start_response, 405, {"status": "method not allowed"})
        if path == HEALTH_PATH:
            return self._answer(start_response, 200, {"status": "ok"}, environ)
        # As Django does around every request (a dead connection is dropped before,
        # an obsolete one closed after): its own handler sends these signals too.
        request_started.send(sender=self.__class__, environ=environ)
        try:
            ready, checks = readiness()
        finally:
            request_finished.send(sender=self.__class__)
        status = "ok" if ready else "unavailable"
        return self._answer(
            start_response, 200 if ready else 503, {"status": status, "checks": checks}, environ
        )

    @staticmethod
    def _answer(start_response, status: int, body: dict, environ=None):
        reason = {200: "OK", 405: "Method Not Allowed", 503: "Service Unavailable"}[status]
        data = json.dumps(body).encode()
        headers = [*_HEADERS, ("Content-Length", str(len(data)))]
        if status == 503:
            headers.append(("Retry-After", "5"))
        if status == 405:
            headers.append(("Allow", "GET, HEAD"))
        start_response(f"{status} {reason}", headers)
        if environ is not None and environ.get("REQUEST_METHOD") == "HEAD":
            return [b""]
        return [data]
