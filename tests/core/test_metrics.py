"""GET /metrics: only with the token, in the Prometheus text format, counting what
happened — requests by route (never the raw path), the fast read path, comments by
outcome, moderation actions, mail, the read cache, the task queue — and adding up
several processes' counts through PROMETHEUS_MULTIPROC_DIR."""

import io
import os
import subprocess
import sys
from pathlib import Path
from wsgiref.util import setup_testing_defaults

import pytest
from django.contrib.auth import get_user_model
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from prometheus_client.parser import text_string_to_metric_families

from meydan.api.fastpath import FastReads
from meydan.comments.models import Comment
from meydan.core import metrics, metricsdir
from meydan.core.errors import CommentRejected
from meydan.moderation.services import comment_moderate
from meydan.notifications.mail import mail_enqueue

pytestmark = pytest.mark.django_db

TOKEN = "a-metrics-token-of-some-length"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def token(settings):
    settings.MEYDAN_METRICS_TOKEN = TOKEN
    return TOKEN


def scrape(client) -> dict[str, dict[tuple, float]]:
    """{sample name: {sorted label pairs: value}} from GET /metrics."""
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    return parse(response.content.decode())


def parse(text: str) -> dict[str, dict[tuple, float]]:
    samples: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = tuple(sorted(sample.labels.items()))
            samples.setdefault(sample.name, {})[labels] = sample.value
    return samples


def value(samples, name, **labels) -> float:
    return samples.get(name, {}).get(tuple(sorted(labels.items())), 0.0)


# --- Who may read them -------------------------------------------------------------


def test_without_a_token_configured_there_is_no_metrics_page(client, settings):
    settings.MEYDAN_METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer wrong-token-wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x"],
)
def test_a_missing_or_wrong_token_is_refused(client, token, authorization):
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"meydan_" not in response.content


def test_the_right_token_gets_the_text_format_never_cached_and_without_cookies(client, token):
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert "no-store" in response["Cache-Control"]
    assert not response.cookies
    assert "Cookie" not in response.get("Vary", "")
    names = {family.name for family in text_string_to_metric_families(response.content.decode())}
    assert {
        "meydan_http_requests",
        "meydan_http_request_duration_seconds",
        "meydan_comments_posted",
        "meydan_moderation_actions",
        "meydan_email_deliveries",
        "meydan_deliveries_swept",
        "meydan_read_cache_lookups",
        "meydan_task_queue_depth",
    } <= names
    assert client.post("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 405


# --- What they count ---------------------------------------------------------------


def test_published_held_and_refused_comments_are_counted_by_outcome(client, token, post, site):
    before = scrape(client)
    post("Published at once.")
    site.hold_all = True
    site.save()
    held = post("Waits for a moderator.", on=Comment.objects.get().thread)
    assert held.status == Comment.Status.PENDING
    with pytest.raises(CommentRejected):
        post("Waits for a moderator.")  # the same text again: a duplicate, refused
    after = scrape(client)
    name = "meydan_comments_posted_total"
    for status, added in [("published", 1), ("held", 1), ("rejected", 1), ("spam", 0)]:
        moved = value(after, name, status=status, channel="form") - value(
            before, name, status=status, channel="form"
        )
        assert moved == added, status


def test_moderation_actions_and_mail_outcomes_are_counted(
    client, token, post, work, django_capture_on_commit_callbacks
):
    comment = post("Something to approve.")
    moderator = get_user_model().objects.create(username="ana", is_staff=True)
    before = scrape(client)
    with django_capture_on_commit_callbacks(execute=True):
        comment_moderate(comment, "unapprove", actor=moderator)
        mail_enqueue(to="reader@example.org", subject="A reply", text="Hello")
    work()
    after = scrape(client)
    moved = value(after, "meydan_moderation_actions_total", action="unapprove") - value(
        before, "meydan_moderation_actions_total", action="unapprove"
    )
    assert moved == 1
    sent = "meydan_email_deliveries_total"
    assert value(after, sent, outcome="sent") - value(before, sent, outcome="sent") == 1


def test_the_task_queue_depth_is_read_when_scraped(
    client, token, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        mail_enqueue(to="reader@example.org", subject="A reply", text="Hello")
    samples = scrape(client)
    assert value(samples, "meydan_task_queue_depth", queue="email", state="due") == 1
    assert value(samples, "meydan_task_queue_depth", queue="default", state="due") == 0


# --- Requests through the WSGI application ------------------------------------------


@pytest.fixture
def wsgi():
    """meydan.wsgi's composition, built afresh (the fast path remembers sites), called
    as granian calls it. As the test client does, the test's transaction is kept."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    application = metrics.CountRequests(FastReads(WSGIHandler()))

    def get(path, query="", **headers):
        # Again before each call: the test client connects them back after its own.
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        environ = {"PATH_INFO": path, "QUERY_STRING": query, "REQUEST_METHOD": "GET"}
        environ["wsgi.input"] = io.BytesIO(b"")
        setup_testing_defaults(environ)
        environ["HTTP_HOST"] = "testserver"
        for name, header in headers.items():
            environ["HTTP_" + name.upper()] = header
        seen = {}

        def start_response(status, response_headers, exc_info=None):
            seen["status"] = status

        b"".join(application(environ, start_response))
        return seen["status"]

    yield get
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_meydan_wsgi_counts_every_request_around_the_fast_path():
    from meydan.core.health import HealthChecks
    from meydan.wsgi import application

    # /healthz and /readyz are answered outside: a load balancer's probes are not traffic.
    assert isinstance(application, HealthChecks)
    counting = application.application
    assert isinstance(counting, metrics.CountRequests)
    assert isinstance(counting.application, FastReads)


def test_requests_are_labelled_by_route_and_fast_path_reads_by_handler(client, token, post, wsgi):
    comment = post("A comment to link to.")
    query = "site=caspian-ledger&url=/baku-rally/"
    before = scrape(client)
    assert wsgi("/api/v1/threads", query).startswith("200")  # Django builds and caches it
    assert wsgi("/api/v1/threads", query).startswith("200")  # the fast path answers
    assert wsgi(f"/c/{comment.pk}").startswith("302")
    assert wsgi("/c/98765").startswith("404")
    assert wsgi("/no-such-page/12345/").startswith("404")
    after = scrape(client)

    def moved(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    requests = "meydan_http_requests_total"
    read = {"route": "/api/v1/threads", "method": "GET", "status": "200"}
    assert moved(requests, **read, handler="django") == 1
    assert moved(requests, **read, handler="fastpath") == 1
    permalink = {"route": "/c/<int:comment_id>", "method": "GET", "handler": "django"}
    assert moved(requests, **permalink, status="302") == 1
    assert moved(requests, **permalink, status="404") == 1
    assert moved(requests, route="unmatched", method="GET", status="404", handler="django") == 1
    duration = "meydan_http_request_duration_seconds_count"
    assert moved(duration, route="/api/v1/threads", method="GET", handler="fastpath") == 1
    lookups = "meydan_read_cache_lookups_total"
    # Once per request: the fast path's miss went on to Django, which counted it.
    assert (moved(lookups, result="hit"), moved(lookups, result="miss")) == (1, 1)
    # No route label holds a reader's path, id or query: only patterns.
    routes = {label for series in after.values() for labels in series for name, label in labels
              if name == "route"}  # fmt: skip
    assert "/c/<int:comment_id>" in routes
    for route in routes:
        assert not any(segment.isdigit() for segment in route.split("/")), route
        assert "?" not in route and "baku" not in route and "no-such-page" not in route


# --- Several processes ---------------------------------------------------------------

COUNT_IN_A_PROCESS = """
from meydan.core import metrics
metrics.read_cache_lookup(hit=True)
metrics.comment_posted("published", "api")
request = {"meydan.route": "/c/<int:comment_id>", "REQUEST_METHOD": "GET"}
metrics._http_observe(request, "302", 0.002)
"""


def test_processes_sharing_a_directory_are_added_up(client, token, tmp_path, monkeypatch):
    env = {**os.environ, metricsdir.ENV: str(tmp_path), "PYTHONPATH": str(ROOT)}
    workers = [
        subprocess.Popen([sys.executable, "-c", COUNT_IN_A_PROCESS], env=env)  # noqa: S603
        for _ in range(2)
    ]
    assert [worker.wait(timeout=60) for worker in workers] == [0, 0]
    assert len(list(tmp_path.glob("counter_*.db"))) == 2  # one file per process

    monkeypatch.setenv(metricsdir.ENV, str(tmp_path))
    samples = scrape(client)  # this process reads both files
    assert value(samples, "meydan_read_cache_lookups_total", result="hit") == 2
    assert value(samples, "meydan_comments_posted_total", status="published", channel="api") == 2
    route = {"route": "/c/<int:comment_id>", "method": "GET", "handler": "django"}
    assert value(samples, "meydan_http_requests_total", **route, status="302") == 2
    assert value(samples, "meydan_http_request_duration_seconds_count", **route) == 2
    assert "meydan_task_queue_depth" in samples  # read by the scraping process


def test_serve_clears_only_the_files_of_processes_that_are_gone(tmp_path):
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],  # noqa: S603
                          capture_output=True, text=True, check=True)  # fmt: skip
    dead_pid = int(gone.stdout)
    for name in [f"counter_{dead_pid}.db", f"histogram_{dead_pid}.db", f"counter_{os.getpid()}.db"]:
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "notes.txt").write_text("not ours")
    assert metricsdir.clear_stale(tmp_path) == 2
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        f"counter_{os.getpid()}.db",
        "notes.txt",
    ]
    assert metricsdir.clear_stale(tmp_path, also=os.getpid()) == 1


def test_serve_and_worker_share_var_metrics_unless_the_operator_chose(tmp_path, monkeypatch):
    monkeypatch.delenv(metricsdir.ENV, raising=False)
    assert metricsdir.use_shared_dir(tmp_path) == tmp_path / "metrics"
    assert os.environ[metricsdir.ENV] == str(tmp_path / "metrics")
    assert (tmp_path / "metrics").is_dir()
    monkeypatch.setenv(metricsdir.ENV, str(tmp_path / "chosen"))
    assert metricsdir.use_shared_dir(tmp_path) == tmp_path / "chosen"
