"""Shared fixtures. Tests run on SQLite by default, on PostgreSQL when DATABASE_URL is set."""

import os
import shutil
import socket
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.utils import translation

from meydan.comments import services
from meydan.newsroom.models import Article
from meydan.sites.models import Site

# The loopback OpenID provider (oidc_provider_factory) for sign-in tests.
pytest_plugins = ["tests.oidc_fixtures"]

REQUIRE_ALL = os.environ.get("MEYDAN_REQUIRE_ALL") == "1"


def require_tool(available: bool, reason: str):
    """Skip when a tool is missing on a developer's machine; fail under MEYDAN_REQUIRE_ALL=1."""
    if available:
        return
    if REQUIRE_ALL:
        pytest.fail(f"{reason} (MEYDAN_REQUIRE_ALL=1 demands it)")
    pytest.skip(reason)


def require_redis():
    """Redis on 127.0.0.1:6379 (the cache and live-update tests), as require_tool."""
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return
    except OSError:
        require_tool(False, "Redis is not listening on 127.0.0.1:6379")


class RedisSends(list):
    """What the Redis cache sent: one list of commands (tuples) per round trip."""

    def verbs(self) -> list[list]:
        return [[command[0] for command in commands] for commands in self]


@pytest.fixture
def redis_sends(monkeypatch) -> RedisSends:
    """Records every round trip of the Redis cache's client (core.cache.DirectClient)."""
    from meydan.core.cache import DirectClient

    sent = RedisSends()
    original = DirectClient.send

    def recording(self, *commands, **kwargs):
        sent.append([tuple(command) for command in commands])
        return original(self, *commands, **kwargs)

    monkeypatch.setattr(DirectClient, "send", recording)
    return sent


def chromium_path() -> str | None:
    return shutil.which("chromium") or (
        "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None
    )


@pytest.fixture(autouse=True)
def _no_speed_limits(settings):
    """Tests post faster than people: form age and rate limits are off unless a test
    turns them on (tests/moderation/ does)."""
    settings.MEYDAN_MIN_FORM_SECONDS = 0
    settings.MEYDAN_RATELIMIT_COMMENTS = None
    settings.MEYDAN_RATELIMIT_SITE_COMMENTS = None
    settings.MEYDAN_RATELIMIT_REPORTS = None
    settings.MEYDAN_RATELIMIT_PREVIEWS = None
    settings.MEYDAN_RATELIMIT_SIGNIN_CLAIMS = None
    settings.MEYDAN_RATELIMIT_VOTES = None
    # Proof of work: tests that post as a guest would otherwise be held; the tests of
    # the check (tests/moderation/test_pow.py, browser/test_pow.py) turn it on.
    settings.MEYDAN_POW = False
    # One test process: its local-memory cache is shared by everything that runs.
    settings.MEYDAN_SHARED_CACHE = True


@pytest.fixture(scope="session", autouse=True)
def _static_files_from_the_apps():
    """`make run` collects static files into var/static, and with their manifest there
    Django would name them by content hash. The tests serve them from the apps, as on
    a fresh checkout, whether or not the demo was run here first."""
    from django.test import override_settings

    storages = {
        **django_settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages, WHITENOISE_USE_FINDERS=True):
        yield


@pytest.fixture(autouse=True)
def _english_after_each_test():
    """A request activates its language in the thread (as LocaleMiddleware does) and
    leaves it there; the next test starts in settings.LANGUAGE_CODE again."""
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _clear_cache():
    """Each test starts with an empty cache (ids and versions repeat across tests)."""
    from django.core.cache import cache

    from meydan.comments import caching
    from meydan.core.compression import pieces

    cache.clear()
    caching.local_payloads.clear()
    caching.pages_forget()
    caching.counts_forget()
    pieces.clear()
    yield
    cache.clear()
    caching.local_payloads.clear()
    caching.pages_forget()
    caching.counts_forget()


@pytest.fixture
def site(db):
    return Site.objects.create(
        name="Caspian Ledger",
        slug="caspian-ledger",
        domain="testserver",
        origins="https://blog.example.org\nhttp://127.0.0.2:8001",
    )


@pytest.fixture
def article(site):
    return Article.objects.create(
        site=site,
        title="Thousands rally in Baku",
        slug="baku-rally",
        body="Several thousand people gathered in Baku.",
    )


@pytest.fixture
def thread(site, article):
    key = article.get_absolute_url()
    return services.thread_get_or_create(site=site, key=key, url=key, title=article.title)


@pytest.fixture
def post(thread, django_capture_on_commit_callbacks):
    """Post a comment through the service: post("text", parent=..., name=...).

    As after a real commit, the on-commit work (signals, cache invalidation) runs.
    """

    def _post(body="A comment.", *, parent=None, name="Aynur", email="aynur@example.org", **kw):
        with django_capture_on_commit_callbacks(execute=True):
            result = services.comment_post(
                thread=kw.pop("on", thread),
                author=services.Author(name=name, email=email, url=kw.pop("url", "")),
                body=body,
                parent_id=parent.pk if parent is not None else None,
                channel=kw.pop("channel", "form"),
                **kw,
            )
        return result.comment

    return _post


@pytest.fixture
def guest_form():
    """Valid POST data for the guest form; override fields with keyword arguments."""

    def _form(**overrides):
        data = {
            "body": "I was there too.",
            "email": "tural@example.org",
            "name": "Tural",
            "website": "",
            "parent": "",
        }
        data.update(overrides)
        return data

    return _form


@pytest.fixture
def work(django_capture_on_commit_callbacks):
    """Run the worker over what is queued now (`meydan worker --batch`)."""
    from django.core.management import call_command

    def _work():
        # As in production, what a task queues once its own work commits (a
        # notification queues its messages) is run too: rounds until nothing is due.
        # The worker closes connections it thinks stale between tasks; here it runs
        # inside the test's transaction (not autocommit), which it would take for one.
        with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
            for _ in range(5):
                with django_capture_on_commit_callbacks(execute=True) as callbacks:
                    call_command("worker", batch=True, verbosity=0)
                if not callbacks:
                    break

    return _work
