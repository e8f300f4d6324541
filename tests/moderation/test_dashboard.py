"""The dashboard's numbers (moderation.dashboard), checked against a known history made
through the real services: comments posted through the moderation checks, held,
approved, marked spam, trashed and reported, at controlled times (freezegun)."""

from datetime import UTC, date, datetime, timedelta

import pytest
from freezegun import freeze_time

from meydan.comments.models import Comment
from meydan.comments.reasons import Reason
from meydan.moderation import services
from meydan.moderation.dashboard import RANGES, bucket_starts, dashboard_numbers
from meydan.sites.models import Site

pytestmark = pytest.mark.django_db

S = Comment.Status

NOW = datetime(2025, 3, 12, 12, 0, tzinfo=UTC)  # a Wednesday
D2 = datetime(2025, 3, 10, 10, 0, tzinfo=UTC)  # two days ago
D1 = datetime(2025, 3, 11, 10, 0, tzinfo=UTC)  # yesterday
HOUR = 3600


@pytest.fixture
def spam_filter_scores(monkeypatch):
    """The learned filter as if trained: "WINNER" scores 0.99, other text has no score
    (the check and its thresholds are the real ones)."""

    def score(site, draft):
        return 0.99 if "WINNER" in draft.body else None

    monkeypatch.setattr("meydan.moderation.checks.spam.spam_score", score)


@pytest.fixture
def history(site, thread_b, post, moderator, spam_filter_scores):
    """Site A: on D2, three comments published, one held for links, one held for a
    moderation word, one sent to spam for a disallowed word, one by the spam filter.
    Then moderators decide, and readers report one published comment on D1.
    Site B: one comment (not the moderator's)."""
    site.moderation_words = "casino"
    site.disallowed_words = "pills"
    site.disallowed_action = "spam"
    site.flag_threshold = 3
    site.save()
    c = {}
    with freeze_time(D2):
        c["ok"] = [post(f"Fine comment {i}.", email=f"r{i}@example.org") for i in range(3)]
        c["links"] = post("See https://a.example/1 and https://a.example/2")
        c["word"] = post("Our casino is open.", email="w@example.org")
        c["pills"] = post("Cheap pills here.", email="p@example.org")
        c["winner"] = post("WINNER WINNER", email="x@example.org")
    with freeze_time(D2 + timedelta(hours=2)):
        services.comment_moderate(c["word"], "spam", actor=moderator)  # waited 2 h
    with freeze_time(D1 - timedelta(hours=1)):
        for n in range(3):
            services.comment_flag(
                c["ok"][0], reporter_key=f"reader{n}", reason="spam", channel="form"
            )
    with freeze_time(D1):
        services.comment_moderate(c["links"], "approve", actor=moderator)  # waited 24 h
        services.comment_moderate(c["winner"], "not_spam", actor=moderator)
        services.comment_moderate(c["pills"], "trash", actor=moderator)
    with freeze_time(D1 + timedelta(hours=5)):
        reported = Comment.objects.get(pk=c["ok"][0].pk)
        services.comment_moderate(reported, "trash", actor=moderator)  # held 6 h before
    with freeze_time(D2):
        post("On site B.", on=thread_b)
    return c


def by_day(dashboard) -> dict[date, object]:
    return {b.start: b for b in dashboard.buckets}


def test_the_arrivals_per_day_count_what_moderation_made_of_each_comment(site, history):
    board = dashboard_numbers(Site.objects.filter(pk=site.pk), "14d", now=NOW)
    assert len(board.buckets) == 14
    assert board.buckets[-1].start == date(2025, 3, 12)
    day = by_day(board)[date(2025, 3, 10)]
    # Whatever moderators did later, the arrival is what the checks decided.
    assert (day.published, day.held, day.spam) == (3, 2, 2)
    assert day.spam_by == {"disallowed_words": 1, "spam_filter": 1}
    assert board.total("published") == 3
    assert board.spam_checks == ["disallowed_words", "spam_filter"]
    quiet = by_day(board)[date(2025, 3, 9)]
    assert (quiet.published, quiet.held, quiet.spam, quiet.reports) == (0, 0, 0, 0)


def test_removals_and_reports_count_on_the_day_they_happened(site, history):
    days = by_day(dashboard_numbers(Site.objects.filter(pk=site.pk), "14d", now=NOW))
    # D2: the held "casino" comment marked spam. D1: the reported comment trashed.
    # Trashing what already sat in spam removes nothing readers could see.
    assert days[date(2025, 3, 10)].removed == 1
    assert days[date(2025, 3, 11)].removed == 1
    assert days[date(2025, 3, 11)].reports == 3
    assert days[date(2025, 3, 10)].reports == 0


def test_median_wait_from_hold_to_decision_per_day_of_the_decision(site, history):
    days = by_day(dashboard_numbers(Site.objects.filter(pk=site.pk), "14d", now=NOW))
    # D1: the links comment waited 24 h since posted, the reported one 6 h since
    # readers' reports held it: median 15 h. D2: one decision after 2 h.
    assert days[date(2025, 3, 11)].decisions == 2
    assert days[date(2025, 3, 11)].median_wait == 15 * HOUR
    assert days[date(2025, 3, 10)].median_wait == 2 * HOUR
    assert days[date(2025, 3, 9)].median_wait is None


def test_precision_by_check_follows_moderators_first_decision(site, history):
    board = dashboard_numbers(Site.objects.filter(pk=site.pk), "14d", now=NOW)
    checks = {c.code: c for c in board.checks}
    assert set(checks) == {"links", "moderation_words", "disallowed_words", "spam_filter"}
    # The spam filter sent one comment to spam and a moderator published it.
    assert (board.spam_filter.catches, board.spam_filter.decisions) == (1, 1)
    assert board.spam_filter.precision == 0.0
    assert (checks["disallowed_words"].kept_out, checks["disallowed_words"].precision) == (1, 1.0)
    assert checks["moderation_words"].precision == 1.0
    assert (checks["links"].held, checks["links"].published, checks["links"].precision) == (
        1,
        1,
        0.0,
    )
    # Readers' reports are not a check: their held comment is no catch of anyone's.
    assert "reports" not in checks


def test_precision_with_no_decisions_is_unknown_not_zero(site, post, spam_filter_scores):
    with freeze_time(D2):
        post("WINNER again", email="y@example.org")
    board = dashboard_numbers(Site.objects.filter(pk=site.pk), "14d", now=NOW)
    assert (board.spam_filter.catches, board.spam_filter.decisions) == (1, 0)
    assert board.spam_filter.precision is None


def test_busiest_threads_in_the_range(site, history, post, article):
    from meydan.comments import services as comment_services

    other = comment_services.thread_get_or_create(site=site, key="/other/", title="Other")
    with freeze_time(D1):
        post("Elsewhere.", on=other)
    board = dashboard_numbers(Site.objects.filter(pk=site.pk), "14d", now=NOW)
    assert [(t.thread.title, t.comments) for t in board.threads] == [
        (article.title, 7),
        ("Other", 1),
    ]
    # Published now: two fine comments, the approved links one, the "not spam" one.
    assert board.threads[0].published == 4


def test_another_sites_numbers_are_not_counted(site, site_b, history):
    board_b = dashboard_numbers(Site.objects.filter(pk=site_b.pk), "14d", now=NOW)
    assert board_b.total("published") == 1
    assert board_b.total("held") == board_b.total("reports") == board_b.total("removed") == 0
    assert [t.thread.site_id for t in board_b.threads] == [site_b.pk]


def test_weeks_start_on_monday_and_reach_back_twelve_weeks(site, post):
    with freeze_time(datetime(2025, 1, 1, 9, 0, tzinfo=UTC)):  # ten weeks before NOW's week
        post("An old comment.")
    with freeze_time(datetime(2024, 12, 1, 9, 0, tzinfo=UTC)):  # before the range
        post("Older still.", email="old@example.org")
    board = dashboard_numbers(Site.objects.filter(pk=site.pk), "12w", now=NOW)
    assert len(board.buckets) == 12
    assert board.buckets[-1].start == date(2025, 3, 10)
    assert board.buckets[0].start == date(2024, 12, 23)
    assert by_day(board)[date(2024, 12, 30)].published == 1
    assert board.total("published") == 1
    assert (
        dashboard_numbers(Site.objects.filter(pk=site.pk), "14d", now=NOW).total("published") == 0
    )


def test_days_are_the_sites_local_days(site, post, settings):
    settings.TIME_ZONE = "Asia/Baku"  # UTC+4
    with freeze_time(datetime(2025, 3, 10, 21, 30, tzinfo=UTC)):  # 01:30 on the 11th in Baku
        post("Late in London, early in Baku.")
    board = dashboard_numbers(Site.objects.filter(pk=site.pk), "14d", now=NOW)
    days = by_day(board)
    assert days[date(2025, 3, 11)].published == 1
    assert days[date(2025, 3, 10)].published == 0


def test_bucket_starts():
    now = datetime(2025, 3, 16, 23, 0, tzinfo=UTC)  # a Sunday
    assert bucket_starts(RANGES["12w"], now, UTC)[-1] == date(2025, 3, 10)
    assert bucket_starts(RANGES["14d"], now, UTC)[0] == date(2025, 3, 3)


def test_imported_comments_are_not_counted_as_posted(site, thread):
    from meydan.comments import services as comment_services

    with freeze_time(D2):  # as the importers write (interchange.engine): no checks, a reason
        comment = comment_services.comment_post(
            thread=thread,
            author=comment_services.Author(name="Old", email="old@example.org"),
            body="From the old system.",
            moderate=False,
            channel="import",
        ).comment
    comment.set_reason(Reason.of("imported", source="wxr"))
    comment.save(update_fields=["moderation_reason", "reason_code", "reason_params"])
    board = dashboard_numbers(Site.objects.filter(pk=site.pk), "14d", now=NOW)
    assert board.total("published") == 0


def test_arrivals_are_counted_by_the_stored_code(site, post, monkeypatch):
    """Spam at three scores and holds for two link counts: three texts, one check
    each. The code is read as stored, not parsed from the text."""
    scores = iter([0.99, 0.98, 0.97])
    monkeypatch.setattr(
        "meydan.moderation.checks.spam.spam_score",
        lambda site, draft: next(scores) if "WINNER" in draft.body else None,
    )
    site.hold_links = 1
    site.save()
    with freeze_time(D2):
        for i in range(3):
            post(f"WINNER {i}", email=f"w{i}@example.org")
        post("https://a.example/1", email="l1@example.org")
        post("https://a.example/1 https://a.example/2", email="l2@example.org")
    spam = Comment.objects.filter(status=S.SPAM)
    assert spam.values("moderation_reason").distinct().count() == 3
    sites = Site.objects.filter(pk=site.pk)
    board = dashboard_numbers(sites, "14d", now=NOW)
    assert by_day(board)[D2.date()].spam_by == {"spam_filter": 3}
    assert {c.code: (c.held, c.spam) for c in board.checks} == {
        "links": (2, 0),
        "spam_filter": (0, 3),
    }
    spam.filter(moderation_reason="spam filter: 0.97").update(
        reason_code="akismet", reason_params={"blatant": False}
    )
    board = dashboard_numbers(sites, "14d", now=NOW)
    assert by_day(board)[D2.date()].spam_by == {"spam_filter": 2, "akismet": 1}
