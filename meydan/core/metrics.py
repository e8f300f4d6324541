"""Metrics in the Prometheus text format (prometheus_client), served at /metrics to
whoever holds MEYDAN_METRICS_TOKEN. docs/metrics.md lists every metric.

- Every metric is defined here, so that the list is in one place; the apps that
  see something happen call the helpers below (core sits under every app).
- `meydan serve` runs several worker processes: with PROMETHEUS_MULTIPROC_DIR set
  (meydan/core/metricsdir.py), each process writes its counts to its own small file
  there and a scrape adds them up. Without it (tests, runserver), counts stay in
  this process's memory.
- HTTP requests are counted by `CountRequests`, the outermost WSGI wrapper (it sees
  the fast read path's answers too), under the URL pattern that matched — never
  the path a reader sent, so the label's values are as few as the routes.
- The task queue's depth is read when scraped (`TaskQueueCollector`).

A request pays for one dictionary lookup, a counter and a histogram (a few
microseconds with the per-process files; numbers in docs/metrics.md).
"""

import hmac
import logging
import os
import time

from django.conf import settings
from django.db import transaction
from django.http import Http404, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from meydan.core.metricsdir import ENV

logger = logging.getLogger("meydan.metrics")

# The text format every Prometheus version reads (prometheus_client's own default,
# version=1.0.0, is newer than some servers still in use).
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# What serves /metrics without a multiprocess directory; with one, each scrape
# builds a registry that reads every process's files.
_REGISTRY = CollectorRegistry(auto_describe=True)

# --- HTTP --------------------------------------------------------------------------

ROUTE_KEY = "meydan.route"  # the WSGI environ's entry naming the matched route
HANDLER_KEY = "meydan.handler"  # "fastpath" when api/fastpath.py answered
FAST_PATH = "fastpath"
UNMATCHED = "unmatched"  # no URL pattern matched (404s, redirects before routing)
STATIC = "static"  # files WhiteNoise served
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

HTTP_REQUESTS = Counter(
    "meydan_http_requests",
    "HTTP requests answered, by URL pattern (route), method, status code and handler "
    "(django, or fastpath: answered by the cached read path before Django).",
    ["route", "method", "status", "handler"],
    registry=_REGISTRY,
)
HTTP_DURATION = Histogram(
    "meydan_http_request_duration_seconds",
    "Time from a request's arrival at the application to its response's start.",
    ["route", "method", "handler"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=_REGISTRY,
)
# (route, method, status, handler) -> the two children: labels() costs more than inc().
_http_children: dict[tuple[str, str, str, str], tuple] = {}


def _http_observe(environ, status: str, seconds: float) -> None:
    route = environ.get(ROUTE_KEY) or UNMATCHED
    handler = environ.get(HANDLER_KEY) or "django"
    method = environ.get("REQUEST_METHOD", "")
    if method not in _METHODS:
        method = "other"  # a client may send any word here
    key = (route, method, status, handler)
    children = _http_children.get(key)
    if children is None:
        children = _http_children[key] = (
            HTTP_REQUESTS.labels(route, method, status, handler),
            HTTP_DURATION.labels(route, method, handler),
        )
    children[0].inc()
    children[1].observe(seconds)


class CountRequests:
    """The outermost WSGI wrapper: counts and times every request, whoever answers.

    The time ends when the application returns its response (a streamed body's
    transfer is not included)."""

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        status = "500"  # unless the application starts a response

        def counting_start_response(status_line, headers, exc_info=None):
            nonlocal status
            status = status_line[:3]
            return start_response(status_line, headers, exc_info)

        try:
            return self.application(environ, counting_start_response)
        finally:
            try:
                _http_observe(environ, status, time.perf_counter() - started)
            except Exception:  # counting must never cost a reader their answer
                logger.exception("could not count a request")


class RouteLabelMiddleware:
    """Puts the matched URL pattern (`/c/<int:comment_id>`, not `/c/123`) in the WSGI
    environ for CountRequests. First in MIDDLEWARE, so it sees every answer."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.static_prefix = settings.STATIC_URL or "/static/"

    def __call__(self, request):
        response = self.get_response(request)
        match = request.resolver_match
        if match is not None:
            request.META[ROUTE_KEY] = "/" + match.route
        elif request.path_info.startswith(self.static_prefix):
            request.META[ROUTE_KEY] = STATIC
        return response


# --- What readers, moderators and the mail queue did ------------------------------

COMMENTS_POSTED = Counter(
    "meydan_comments_posted",
    "Comments posted, by outcome (published, held, spam, shadow, trash; rejected and "
    "rate_limited: refused, nothing stored) and channel (form, api, …).",
    ["status", "channel"],
    registry=_REGISTRY,
)
MODERATION_ACTIONS = Counter(
    "meydan_moderation_actions",
    "Moderation actions written to the audit log, by action (approve, spam, trash, "
    "ban, edit, delete, …).",
    ["action"],
    registry=_REGISTRY,
)
EMAIL_DELIVERIES = Counter(
    "meydan_email_deliveries",
    "Emails handled by the mail queue, by outcome: sent, retried (a temporary failure, "
    "tried again later), failed, suppressed, withdrawn.",
    ["outcome"],
    registry=_REGISTRY,
)
DELIVERIES_SWEPT = Counter(
    "meydan_deliveries_swept",
    "Deliveries the periodic sweep queued again (core/sweep.py), by queue (email, "
    "webhook) and reason: not_queued (the hand-over to the task queue failed), lost "
    "(queued long ago, never run), stalled (its worker died during a try).",
    ["queue", "reason"],
    registry=_REGISTRY,
)
READ_CACHE = Counter(
    "meydan_read_cache_lookups",
    "Lookups of a thread page's cached JSON on the read path, by result (hit, miss).",
    ["result"],
    registry=_REGISTRY,
)
_READ_HIT = READ_CACHE.labels("hit")
_READ_MISS = READ_CACHE.labels("miss")


def read_cache_lookup(hit: bool) -> None:
    (_READ_HIT if hit else _READ_MISS).inc()


READ_PAGE_BUILDS = Counter(
    "meydan_read_page_builds",
    "Thread pages (API JSON) built from the database and cached with their "
    "compressed forms: one per thread version and page, however many readers ask",
    registry=_REGISTRY,
)


def read_page_built() -> None:
    READ_PAGE_BUILDS.inc()


READ_PAGES_BEFORE = Counter(
    "meydan_read_pages_before",
    "Thread pages answered with the version before while another reader built the "
    "new one (comments/caching.py: a busy thread's readers do not wait for it)",
    registry=_REGISTRY,
)


def read_page_before() -> None:
    READ_PAGES_BEFORE.inc()


READ_PAGES_SETTLED = Counter(
    "meydan_read_pages_settled",
    "Thread pages a worker compressed again at Brotli's slowest quality once they had "
    "settled (core/compression.py), by result: smaller (sent from then on) or kept "
    "(the first bytes were as small, or the page too long to be worth it)",
    ["result"],
    registry=_REGISTRY,
)


def read_page_settled(smaller: bool) -> None:
    READ_PAGES_SETTLED.labels("smaller" if smaller else "kept").inc()


FAST_PATH_ERRORS = Counter(
    "meydan_fast_path_errors",
    "Requests the fast read path (api/fastpath.py) failed on and handed to Django, "
    "which answered them: none is expected; each one is logged too.",
    registry=_REGISTRY,
)


def fast_path_error() -> None:
    FAST_PATH_ERRORS.inc()


def comment_posted(status: str, channel: str) -> None:
    COMMENTS_POSTED.labels(status, str(channel)).inc()


def moderation_action(action: str) -> None:
    """Counted once the action's transaction commits (at once outside one)."""
    label = action.replace(" ", "_")
    transaction.on_commit(lambda: MODERATION_ACTIONS.labels(label).inc())


def email_delivery(outcome: str, count: int = 1) -> None:
    """Counted once the delivery's transaction commits (at once outside one)."""
    if count:
        transaction.on_commit(lambda: EMAIL_DELIVERIES.labels(outcome).inc(count))


def delivery_swept(queue: str, reason: str) -> None:
    DELIVERIES_SWEPT.labels(queue, reason).inc()


# --- The task queue, read when scraped --------------------------------------------


def task_queue_depths() -> dict[tuple[str, str], int]:
    """{(queue, state): tasks} for every configured queue; state "due" (waiting for a
    worker now) or "scheduled" (waiting for a later time: retries, digests)."""
    queues = list(getattr(settings, "MEYDAN_TASK_QUEUES", ["default"]))
    depths = {(queue, state): 0 for queue in queues for state in ("due", "scheduled")}
    backend = settings.TASKS["default"]["BACKEND"]
    if backend == "django_tasks_rq.RQBackend":
        import django_rq

        for queue in queues:
            rq_queue = django_rq.get_queue(queue)
            depths[(queue, "due")] = rq_queue.count
            depths[(queue, "scheduled")] = rq_queue.scheduled_job_registry.count
        return depths
    if backend == "django_tasks_db.DatabaseBackend":
        from django.db.models import Count, Q
        from django.utils import timezone
        from django_tasks.base import TaskResultStatus
        from django_tasks_db.models import DBTaskResult, get_date_max

        due = Q(run_after__lte=timezone.now()) | Q(run_after=get_date_max())
        rows = (
            DBTaskResult.objects.filter(status=TaskResultStatus.READY)
            .values("queue_name")
            .annotate(all=Count("pk"), due=Count("pk", filter=due))
        )
        for row in rows:
            depths[(row["queue_name"], "due")] = row["due"]
            depths[(row["queue_name"], "scheduled")] = row["all"] - row["due"]
    return depths


class TaskQueueCollector(Collector):
    """meydan_task_queue_depth, read from the queue (database or Redis) at each scrape.
    If the queue cannot be read, the metric is left out (and the failure logged)."""

    def describe(self):
        return [self._family()]

    @staticmethod
    def _family():
        return GaugeMetricFamily(
            "meydan_task_queue_depth",
            "Background tasks waiting in the queue: due (a worker should take them now) "
            "or scheduled (retries and digests waiting for their time).",
            labels=["queue", "state"],
        )

    def collect(self):
        try:
            depths = task_queue_depths()
        except Exception:
            logger.warning("could not read the task queue's depth", exc_info=True)
            return
        family = self._family()
        for (queue, state), count in sorted(depths.items()):
            family.add_metric([queue, state], count)
        yield family


_REGISTRY.register(TaskQueueCollector())


# --- Exposition -------------------------------------------------------------------


def multiprocess_dir() -> str | None:
    return os.environ.get(ENV) or None


def exposition() -> bytes:
    """Every metric in the Prometheus text format: all processes' sum when they share
    a directory, else this process's own."""
    if multiprocess_dir() is None:
        return generate_latest(_REGISTRY)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    registry.register(TaskQueueCollector())
    return generate_latest(registry)


def token_matches(header: str) -> bool:
    """Whether an Authorization header carries MEYDAN_METRICS_TOKEN as a bearer token
    (compared in constant time)."""
    scheme, _, given = header.partition(" ")
    token = settings.MEYDAN_METRICS_TOKEN
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode("utf-8", "surrogateescape"), token.encode()
    )


@never_cache
@require_safe
def metrics_view(request):
    """GET /metrics. Not there (404) unless MEYDAN_METRICS_TOKEN is set; then only with
    `Authorization: Bearer <token>` (401 otherwise). Sets no cookie: it reads no
    session and no CSRF token."""
    if not settings.MEYDAN_METRICS_TOKEN:
        raise Http404("metrics are off")
    if not token_matches(request.META.get("HTTP_AUTHORIZATION", "")):
        response = HttpResponse(
            "A bearer token is needed.\n", status=401, content_type="text/plain"
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(exposition(), content_type=CONTENT_TYPE)
