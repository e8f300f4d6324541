"""The purge (meydan.privacy.purge): what it removes, what it leaves, that a second run
removes nothing, that a dry run changes nothing, what it logs and prints, and that
the worker keeps it running daily without cron."""

import io
import logging
from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from meydan.accounts.models import WidgetToken
from meydan.accounts.tokens import widget_token_issue
from meydan.comments import services
from meydan.comments.models import Comment
from meydan.core import periodic
from meydan.core.models import HashKey
from meydan.moderation.models import Ban
from meydan.notifications.mail import mail_enqueue
from meydan.notifications.models import Delivery, Subscription
from meydan.notifications.services import CONFIRM_DAYS, subscribe, subscription_confirm
from meydan.privacy.purge import REMOVED, _comment_ip_hashes, purge
from meydan.privacy.tasks import purge_daily
from meydan.sites.models import Site

pytestmark = pytest.mark.django_db

IP = "203.0.113.9"
DAY = timedelta(days=1)


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def site_b(db):
    return Site.objects.create(name="B", slug="b", domain="b.example.org", ip_hash_days=90)


@pytest.fixture
def thread_b(site_b):
    return services.thread_get_or_create(site=site_b, key="/b/", title="On B")


@pytest.fixture
def comments(site, post, thread_b, age_comment, now):
    """Two comments past their site's ip_hash_days, three within."""
    made = {
        "A, 31 days": age_comment(post("A old.", ip=IP), 31, now=now),
        "A, 29 days": age_comment(post("A recent.", ip=IP), 29, now=now),
        "A, no IP, 40 days": age_comment(post("A without IP."), 40, now=now),
        "B, 91 days": age_comment(post("B old.", ip=IP, on=thread_b), 91, now=now),
        "B, 60 days": age_comment(post("B recent.", ip=IP, on=thread_b), 60, now=now),
    }
    return made


def ip_hash_of(comment) -> str:
    return Comment.objects.values_list("ip_hash", flat=True).get(pk=comment.pk)


@pytest.fixture
def subscriptions(site, thread, now):
    def subscription(email, *, days, confirmed=False):
        [made] = subscribe(site=site, kinds=["thread"], email=email, thread=thread)
        if confirmed:
            made = subscription_confirm(made)
        Subscription.objects.filter(pk=made.pk).update(created=now - timedelta(days=days))
        return made

    return {
        "unconfirmed, too old": subscription("late@example.org", days=CONFIRM_DAYS + 1),
        "unconfirmed, in time": subscription("soon@example.org", days=CONFIRM_DAYS - 1),
        "confirmed, old": subscription("reader@example.org", days=400, confirmed=True),
    }


@pytest.fixture
def tokens(site, now):
    user = get_user_model().objects.create_user("reader", "reader@example.org")
    for _ in range(2):
        widget_token_issue(user, site_id=site.pk, provider="google")
    expired, live = WidgetToken.objects.order_by("pk")
    WidgetToken.objects.filter(pk=expired.pk).update(expires=now - timedelta(seconds=1))
    return {"expired": expired, "live": live}


@pytest.fixture
def sessions(now):
    made = {}
    for name, expires in [("expired", now - DAY), ("live", now + DAY)]:
        store = SessionStore()
        store["x"] = 1
        store.create()
        Session.objects.filter(pk=store.session_key).update(expire_date=expires)
        made[name] = store.session_key
    return made


@pytest.fixture
def bans(site, now):
    def ban(value, expires):
        return Ban.objects.create(site=site, kind="email", value=value, expires=expires)

    return {
        "expired": ban("gone@example.org", now - DAY),
        "lasting": ban("later@example.org", now + DAY),
        "for good": ban("never@example.org", None),
    }


@pytest.fixture
def deliveries(settings, now):
    days = settings.MEYDAN_DELIVERY_DAYS

    def delivery(status, finished_days_ago):
        made = mail_enqueue(to="reader@example.org", subject="Hello", text="Hi", kind="test")
        finished = now - timedelta(days=finished_days_ago) if finished_days_ago else None
        Delivery.objects.filter(pk=made.pk).update(status=status, finished=finished)
        return made

    return {
        "sent long ago": delivery(Delivery.Status.SENT, days + 1),
        "failed long ago": delivery(Delivery.Status.FAILED, days + 1),
        "sent lately": delivery(Delivery.Status.SENT, days - 1),
        "still queued": delivery(Delivery.Status.QUEUED, None),
    }


@pytest.fixture
def task_results(settings, now):
    old = now - timedelta(days=settings.MEYDAN_DELIVERY_DAYS + 1)

    def result(status, finished_at):
        made = purge_daily.enqueue()
        DBTaskResult.objects.filter(pk=made.id).update(status=status, finished_at=finished_at)
        return made.id

    return {
        "succeeded long ago": result(TaskResultStatus.SUCCESSFUL, old),
        "failed long ago": result(TaskResultStatus.FAILED, old),
        "succeeded lately": result(TaskResultStatus.SUCCESSFUL, now - DAY),
        "waiting": result(TaskResultStatus.READY, None),
    }


@pytest.fixture
def everything(comments, subscriptions, tokens, sessions, bans, deliveries, task_results):
    return locals()


EXPECTED = {
    "ip_hashes": 2,
    "emails": 0,  # the sites keep addresses (email_days unset): tests/privacy/test_purge_emails.py
    "manage_links": 0,
    "subscriptions": 1,
    "widget_tokens": 1,
    "sessions": 1,
    "bans": 1,
    "deliveries": 2,
    "task_results": 2,
    "webhook_deliveries": 0,  # tests/webhooks/test_delivery.py
    "ip_keys": 0,
}


def stored() -> dict:
    """What the database holds, in the terms of the purge's counts."""
    return {
        "ip_hashes": sorted(Comment.objects.exclude(ip_hash="").values_list("pk", flat=True)),
        "subscriptions": sorted(Subscription.objects.values_list("pk", flat=True)),
        "widget_tokens": sorted(WidgetToken.objects.values_list("pk", flat=True)),
        "sessions": sorted(Session.objects.values_list("pk", flat=True)),
        "bans": sorted(Ban.objects.values_list("pk", flat=True)),
        "deliveries": sorted(Delivery.objects.values_list("pk", flat=True)),
        "task_results": sorted(str(pk) for pk in DBTaskResult.objects.values_list("pk", flat=True)),
        "ip_keys": sorted(HashKey.objects.values_list("pk", flat=True)),
    }


# --- What goes and what stays ---------------------------------------------------------


def test_ip_hashes_go_after_their_sites_days(comments, now):
    assert purge(now=now)["ip_hashes"] == 2
    kept = {name for name, comment in comments.items() if ip_hash_of(comment)}
    assert kept == {"A, 29 days", "B, 60 days"}
    # Only the hash: the comment itself is as it was.
    old = Comment.objects.get(pk=comments["A, 31 days"].pk)
    assert (old.body, old.author_name, old.status) == ("A old.", "Aynur", Comment.Status.APPROVED)


def test_ip_hashes_are_cleared_with_one_update_per_site(comments, now):
    with CaptureQueriesContext(connection) as captured:
        _comment_ip_hashes(now, dry_run=False)
    # The sites' retention, then one UPDATE for each of the two sites.
    verbs = [q["sql"].split()[0] for q in captured.captured_queries]
    assert verbs == ["SELECT", "UPDATE", "UPDATE"], captured.captured_queries


def test_unconfirmed_subscriptions_go_after_the_confirmation_window(subscriptions, now):
    assert purge(now=now)["subscriptions"] == 1
    left = set(Subscription.objects.values_list("pk", flat=True))
    assert left == {subscriptions["unconfirmed, in time"].pk, subscriptions["confirmed, old"].pk}


def test_expired_widget_tokens_go(tokens, now):
    assert purge(now=now)["widget_tokens"] == 1
    assert list(WidgetToken.objects.values_list("pk", flat=True)) == [tokens["live"].pk]


def test_expired_sessions_go(sessions, now):
    assert purge(now=now)["sessions"] == 1
    assert list(Session.objects.values_list("pk", flat=True)) == [sessions["live"]]


def test_expired_bans_go_and_the_others_stay(bans, now):
    assert purge(now=now)["bans"] == 1
    left = set(Ban.objects.values_list("pk", flat=True))
    assert left == {bans["lasting"].pk, bans["for good"].pk}


def test_deliveries_go_some_days_after_they_finished(deliveries, now, settings):
    assert purge(now=now)["deliveries"] == 2
    left = set(Delivery.objects.values_list("pk", flat=True))
    assert left == {deliveries["sent lately"].pk, deliveries["still queued"].pk}
    settings.MEYDAN_DELIVERY_DAYS = settings.MEYDAN_DELIVERY_DAYS - 2
    assert purge(now=now)["deliveries"] == 1  # the setting decides


def test_finished_task_results_go_the_same_days_later(task_results, now):
    assert purge(now=now)["task_results"] == 2
    left = {str(pk) for pk in DBTaskResult.objects.values_list("pk", flat=True)}
    assert left == {str(task_results["succeeded lately"]), str(task_results["waiting"])}


def test_everything_at_once(everything, now):
    assert purge(now=now) == EXPECTED
    assert list(purge(now=now)) == list(REMOVED)  # every count has its description


# --- Running it again, and dry ----------------------------------------------------------


def test_a_second_run_removes_nothing(everything, now):
    assert purge(now=now) == EXPECTED
    after_first = stored()
    assert purge(now=now) == dict.fromkeys(EXPECTED, 0)
    assert stored() == after_first


def test_a_dry_run_counts_and_changes_nothing(everything, now):
    before = stored()
    assert purge(now=now, dry_run=True) == EXPECTED
    assert stored() == before
    assert purge(now=now) == EXPECTED  # what the dry run said


def test_it_logs_counts_and_nothing_about_anyone(everything, now, caplog):
    hashes = set(Comment.objects.exclude(ip_hash="").values_list("ip_hash", flat=True))
    with caplog.at_level(logging.INFO, logger="meydan.privacy"):
        purge(now=now)
    [record] = [r for r in caplog.records if r.name == "meydan.privacy"]
    message = record.getMessage()
    assert "ip_hashes 2" in message and "sessions 1" in message
    assert "@" not in message and IP not in message
    assert not any(value in message or value.split(".")[-1] in message for value in hashes)


# --- `meydan purge` -------------------------------------------------------------------


def test_the_command_prints_the_counts(everything):
    out = io.StringIO()
    call_command("purge", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "Removed:"
    assert f"{2:>9}  {REMOVED['ip_hashes']}" in lines
    assert f"{1:>9}  {REMOVED['sessions']}" in lines
    assert len(lines) == 1 + len(REMOVED)
    out = io.StringIO()
    call_command("purge", stdout=out)
    assert all(line.startswith(f"{0:>9}  ") for line in out.getvalue().splitlines()[1:])


def test_the_command_dry_run_removes_nothing(everything):
    before = stored()
    out = io.StringIO()
    call_command("purge", "--dry-run", stdout=out)
    assert out.getvalue().startswith("Would remove (dry run):\n")
    assert f"{1:>9}  {REMOVED['bans']}" in out.getvalue().splitlines()
    assert stored() == before


def test_the_command_can_be_quiet_for_cron(everything):
    out = io.StringIO()
    call_command("purge", "--quiet", stdout=out)
    assert out.getvalue() == ""
    assert not Ban.objects.filter(pk=everything["bans"]["expired"].pk).exists()


# --- Daily, without cron ----------------------------------------------------------------


def waiting_purges():
    return DBTaskResult.objects.filter(
        task_path=purge_daily.module_path, status=TaskResultStatus.READY
    )


def test_the_worker_queues_one_purge_at_start_never_two():
    with mock.patch("meydan.core.management.commands.worker.call_command") as run_queue:
        call_command("worker", verbosity=0)
        call_command("worker", verbosity=0)  # a second worker, or a restart
    assert run_queue.call_count == 2  # the queue itself ran after it
    [waiting] = waiting_purges()
    assert DBTaskResult.objects.ready().filter(pk=waiting.pk).exists()  # due now


def test_a_batch_worker_queues_nothing(work):
    work()  # `meydan worker --batch`: cron runs `meydan purge` itself
    assert not waiting_purges().exists()


def test_each_run_queues_the_next_a_day_later(work, comments):
    assert periodic.ensure_scheduled(purge_daily)
    assert not periodic.ensure_scheduled(purge_daily)  # one is waiting already
    work()
    [done] = DBTaskResult.objects.filter(
        task_path=purge_daily.module_path, status=TaskResultStatus.SUCCESSFUL
    )
    assert done.return_value["ip_hashes"] == 2
    [following] = waiting_purges()
    due = following.run_after - timezone.now()
    assert timedelta(hours=23) < due <= timedelta(days=1)
    work()  # not due yet: nothing runs, nothing more is queued
    assert waiting_purges().count() == 1
    assert ip_hash_of(comments["A, 29 days"])


def test_a_failing_run_still_queues_the_next(work):
    periodic.ensure_scheduled(purge_daily)
    with mock.patch("meydan.privacy.tasks.purge", side_effect=RuntimeError("disk full")):
        work()
    assert DBTaskResult.objects.filter(status=TaskResultStatus.FAILED).count() == 1
    assert waiting_purges().count() == 1
