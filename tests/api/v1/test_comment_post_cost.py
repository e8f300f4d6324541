"""What posting a comment costs the database, and that the lean reads and writes of
the posting path (core.sqlrows) store and return what the ORM would.

The query counts are exact on purpose: a query that comes back into the path of
every post fails here, with the list of statements that ran.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from meydan.comments import caching, services
from meydan.comments.models import Comment, Thread
from meydan.moderation.models import SpamModel
from meydan.notifications.services import site_has_subscriptions
from meydan.sites.models import Site
from meydan.webhooks.queries import site_webhook_events

pytestmark = pytest.mark.django_db

ORIGIN = "https://blog.example.org"
PAGE = f"{ORIGIN}/2015/06/baku-rally/"


def statements(captured) -> list[str]:
    """The statements that did work (transaction control left out)."""
    skip = ("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT")
    return [q["sql"] for q in captured.captured_queries if not q["sql"].startswith(skip)]


def tables(sqls) -> list[str]:
    """Which table each statement starts with, e.g. 'SELECT comments_thread'."""
    names = [
        "comments_thread", "comments_comment", "moderation_ban", "moderation_spamtoken",
        "moderation_spammodel",
    ]  # fmt: skip
    out = []
    for sql in sqls:
        verb = sql.split()[0]
        found = min(
            ((sql.find(f'"{name}"'), name) for name in names if f'"{name}"' in sql),
            default=(0, "?"),
        )[1]
        out.append(f"{verb} {found}")
    return out


@pytest.fixture
def posting(api, site, new_comment):
    """post(**fields) -> (response, statements): one POST /api/v1/comments, after a
    first one that warms the site cache and creates the thread."""
    assert api.post("/comments", new_comment(body="First, to make the thread.")).status_code == 201

    def _post(**fields):
        with CaptureQueriesContext(connection) as captured:
            response = api.post("/comments", new_comment(**fields))
        return response, statements(captured)

    return _post


def test_a_comment_costs_five_statements_without_a_shared_cache(posting, settings):
    settings.MEYDAN_SHARED_CACHE = False
    response, sqls = posting(body="A second comment.")
    assert response.status_code == 201
    assert tables(sqls) == [
        # The thread and its site's policy. (The spam filter's totals rode on this
        # query until the comment domain stopped reading moderation's tables; they
        # come from the cache, read once after each change: see the trained test.)
        "SELECT comments_thread",
        "SELECT moderation_ban",  # has the site any ban? (no flag can be trusted)
        "SELECT comments_comment",  # the same text from the same author?
        # Lock the thread's row and bump version, sequence, count and date: one
        # statement, which returns what the live publisher announces after commit.
        "UPDATE comments_thread",
        "INSERT comments_comment",
    ], sqls


def test_a_shared_cache_answers_has_bans(posting, settings):
    settings.MEYDAN_SHARED_CACHE = True
    response, sqls = posting(body="A second comment.")
    assert response.status_code == 201
    assert "SELECT moderation_ban" not in tables(sqls), sqls
    assert len(sqls) == 4, sqls


def test_a_reply_adds_only_the_parent(posting, settings):
    settings.MEYDAN_SHARED_CACHE = False
    parent = Comment.objects.get()
    response, sqls = posting(body="A reply.", parent=parent.pk)
    assert response.status_code == 201
    assert tables(sqls).count("SELECT comments_comment") == 2, sqls
    assert len(sqls) == 6, sqls


def test_a_trained_filter_adds_the_author_and_new_words(posting, site, settings):
    settings.MEYDAN_SHARED_CACHE = True
    settings.MEYDAN_SPAM_MIN_LEARNED = 1
    SpamModel.objects.create(site=site, spam_docs=1, ham_docs=1)
    response, sqls = posting(body="Words the filter has not seen yet.")
    assert response.status_code == 201
    assert tables(sqls).count("SELECT moderation_spamtoken") == 1, sqls
    # + first comment by this author?, + the words' counts, + the filter's totals,
    # read into the shared cache once after they changed (here: created)
    assert tables(sqls).count("SELECT moderation_spammodel") == 1, sqls
    assert len(sqls) == 7, sqls
    response, sqls = posting(body="Words the filter has not seen.")
    assert response.status_code == 201
    assert "SELECT moderation_spamtoken" not in tables(sqls), sqls  # all known to this process
    assert "SELECT moderation_spammodel" not in tables(sqls), sqls  # from the shared cache
    assert len(sqls) == 5, sqls


def test_nothing_is_queried_after_the_commit(
    site, thread, settings, django_capture_on_commit_callbacks
):
    # With a shared cache, whether anyone follows the site (and which events its
    # webhooks want) is a flag there (read once); without one, see the next test.
    settings.MEYDAN_SHARED_CACHE = True
    assert not site_has_subscriptions(site.pk)
    assert not site_webhook_events(site.pk)
    with django_capture_on_commit_callbacks() as callbacks:
        services.comment_post(
            thread=thread,
            author=services.Author(name="A", email="a@example.org"),
            body="Hi",
            channel="form",
        )
    with CaptureQueriesContext(connection) as captured:
        for callback in callbacks:
            callback()
    assert captured.captured_queries == []


def test_without_a_shared_cache_the_only_queries_after_the_commit_ask_who_listens(
    site, thread, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        services.comment_post(
            thread=thread,
            author=services.Author(name="A", email="a@example.org"),
            body="Hi",
            channel="form",
        )
    with CaptureQueriesContext(connection) as captured:
        for callback in callbacks:
            callback()
    subscribers, webhooks = sorted(
        (q["sql"] for q in captured.captured_queries), key=lambda sql: "webhooks_webhook" in sql
    )
    assert 'FROM "notifications_subscription"' in subscribers and "LIMIT 1" in subscribers
    assert 'FROM "webhooks_webhook"' in webhooks and "JOIN" not in webhooks


def test_the_thread_state_is_forgotten_after_a_post(site, thread, post, settings):
    settings.MEYDAN_SHARED_CACHE = True
    before = caching.thread_state(site.pk, thread.key)
    post("Bumps the version.")
    after = caching.thread_state(site.pk, thread.key)
    assert after.version == before.version + 1
    assert after.count == before.count + 1


def test_thread_for_posting_reads_what_the_orm_reads(site, thread):
    site.close_after_days = 3
    site.hold_links = 0
    site.save()
    SpamModel.objects.create(site=site, spam_docs=4, ham_docs=5, vocabulary=7)
    found = services.thread_for_posting(site=site, key=thread.key)
    expected = Thread.objects.select_related("site").get(pk=thread.pk)
    for field in Thread._meta.concrete_fields:
        assert getattr(found, field.attname) == getattr(expected, field.attname), field.name
    for field in Site._meta.concrete_fields:
        assert getattr(found.site, field.attname) == getattr(expected.site, field.attname)
    assert found.created.tzinfo is not None and found.is_open is True
    assert found.site.require_name_email is True and found.site.hold_first_comment is False
    assert found.accepts_comments


def test_thread_for_posting_creates_a_missing_thread(site):
    found = services.thread_for_posting(site=site, key="/new/", url=f"{ORIGIN}/new/", title="New")
    assert (found.key, found.url, found.title, found.site_id) == (
        "/new/", f"{ORIGIN}/new/", "New", site.pk
    )  # fmt: skip
    assert Thread.objects.filter(site=site, key="/new/").count() == 1


def test_a_posted_comment_is_stored_as_the_orm_would(site, thread, post):
    parent = post("Parent.")
    comment = post("Child **bold**.", parent=parent, url="https://aynur.example.org/")
    stored = Comment.objects.get(pk=comment.pk)
    for field in Comment._meta.concrete_fields:
        assert getattr(stored, field.attname) == getattr(comment, field.attname), field.name
    assert stored.created.tzinfo is not None
    thread.refresh_from_db()
    assert (thread.last_seq, thread.comment_count, thread.last_comment_at) == (
        2, 2, stored.created
    )  # fmt: skip


def test_a_held_comment_moves_the_sequence_not_the_count(site, thread, post):
    site.hold_all = True
    site.save()
    thread.refresh_from_db()
    version = thread.version
    comment = post("Waits for a moderator.")
    assert comment.status == Comment.Status.PENDING
    thread.refresh_from_db()
    assert (thread.last_seq, thread.comment_count, thread.last_comment_at) == (1, 0, None)
    assert thread.version == version + 1


def test_first_comment_is_looked_up_once_for_every_check_that_asks(posting, site, settings):
    settings.MEYDAN_SPAM_MIN_LEARNED = 1
    site.hold_first_comment = True
    site.save()
    SpamModel.objects.create(site=site, spam_docs=1, ham_docs=1)
    response, sqls = posting(body="Asked by two checks.", email="new@example.org")
    assert response.status_code == 202  # held: the first comment of this author
    # the duplicate check, and one look for an approved comment by this author
    assert tables(sqls).count("SELECT comments_comment") == 2, sqls
