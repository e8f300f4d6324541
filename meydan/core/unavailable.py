"""When the database cannot be reached: 503 with Retry-After, never a traceback.

A stopped or restarting PostgreSQL, an SQLite file on a full disk or locked past its
busy timeout all surface as Django's OperationalError (or InterfaceError for a
connection that died under a request). These are conditions of the moment, not bugs:
the reader gets "try again in a few seconds" as JSON on the API and as a page
elsewhere, load balancers and clients get `Retry-After`, and the log gets one line
instead of a traceback per request. The transaction of the failed request was rolled
back, so nothing half-written stays. Once the database answers again the next
request uses a new connection (conn_health_checks), without a restart.

Two doors lead here: the middleware below for errors raised by a view, and the 500
handler (core/views.server_error) for errors raised by middleware around it.
"""

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 10
API_PREFIX = "/api/"
# What a database that cannot be reached raises (also core/tasks.py, the worker).
DATABASE_OUTAGE = (OperationalError, InterfaceError)


def is_database_unavailable(error: BaseException | None) -> bool:
    return isinstance(error, DATABASE_OUTAGE)


def unavailable_response(request, error: BaseException) -> HttpResponse:
    """The 503 for `request`. Rendered without the request's context processors:
    they would ask the database (the session, the user) and fail again."""
    logger.warning(
        "database unavailable (%s) on %s %s",
        type(error).__name__,
        request.method,
        request.path if len(request.path) <= 200 else request.path[:200] + "…",
    )
    message = _(
        "This site cannot reach its database for a moment. Nothing was changed; "
        "try again in a few seconds."
    )
    if request.path.startswith(API_PREFIX):
        response = JsonResponse({"error": {"code": "unavailable", "message": message}}, status=503)
    else:
        html = render_to_string(
            "core/error.html",
            {
                "status": 503,
                "title": _("Back in a moment"),
                "message": message
                + " "
                + _("If you were sending a comment, go back: your text is still in the form."),
            },
        )
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """Turns a view's database outage into the 503 above."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if is_database_unavailable(exception):
            return unavailable_response(request, exception)
        return None
