"""Reads for the moderators' dashboard (/moderation/dashboard/): what happened on a
moderator's sites, per day (the last 14 days) or per week (the last 12 weeks).

What each number means — the page, the CSV and the tests use these words:

- published / held / spam: comments posted in the bucket, by what moderation made
  of them *on arrival*. A moderator's later action overwrites the comment's status
  and reason, but the first audit entry keeps both as they were ("before"), so the
  arrival is that snapshot when there is one, else the comment as it is. Imported
  comments (moderated elsewhere, dated in the past) and rows erased by their author
  before anyone acted are not counted.
- spam by check: the spam column split by the check whose reason was stored
  (Comment.reason_code; for a comment a moderator acted on since, the code of the
  reason its first audit entry kept).
- removed: published or held comments a moderator trashed, marked spam or deleted,
  by the day of the action.
- reports: readers' reports received (moderation.Flag), by the day they came.
- median wait: for each moderator decision (approve, spam, trash, delete) on a held
  comment, the time since it was held — since it was posted, or since readers'
  reports or a moderator held it later — by the day of the decision.
- precision by check: of the decisions moderators made in the range on comments a
  check had held or sent to spam, the share that kept them out (spam, trash,
  delete) rather than publishing them (approve, not spam). The spam filter's row is
  the filter's precision as moderators' decisions show it.

Every number is counted in SQL, grouped on dates truncated in the site's time zone
(settings.TIME_ZONE), with Django's Trunc so that SQLite and PostgreSQL agree. The
page costs the same few queries however much happened; only the median reads one
row per decision (what moderators did by hand, capped at MEDIAN_SAMPLE).
"""

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, F, OuterRef, Q, Subquery, TextField
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce, Trunc
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from meydan.comments.models import Comment, Thread
from meydan.comments.reasons import CHECKS, reason_code
from meydan.moderation.models import AuditEntry, Flag

S = Comment.Status

# Actions by which a moderator decides a held comment, and which of them keep it out.
DECISIONS = ("approve", "not_spam", "spam", "trash", "delete")
KEEP_OUT = frozenset({"spam", "trash", "delete"})
REMOVALS = ("spam", "trash", "delete")
MEDIAN_SAMPLE = 50_000
BUSIEST = 10


@dataclass(frozen=True)
class Range:
    key: str
    kind: str  # the Trunc kind: "day" or "week"
    count: int
    label: str


RANGES = {
    r.key: r
    for r in [
        Range("14d", "day", 14, _("Last 14 days, by day")),
        Range("12w", "week", 12, _("Last 12 weeks, by week")),
    ]
}
DEFAULT_RANGE = "14d"


@dataclass
class Bucket:
    start: date
    published: int = 0
    held: int = 0
    spam: int = 0
    spam_by: dict[str, int] = field(default_factory=dict)
    removed: int = 0
    reports: int = 0
    decisions: int = 0  # decisions on held comments (the median's sample)
    median_wait: float | None = None  # seconds


@dataclass
class BusyThread:
    thread: Thread
    comments: int
    published: int


@dataclass
class CheckScore:
    code: str
    held: int = 0  # caught on arrival in the range
    spam: int = 0
    kept_out: int = 0  # moderators' decisions in the range
    published: int = 0

    @property
    def catches(self) -> int:
        return self.held + self.spam

    @property
    def decisions(self) -> int:
        return self.kept_out + self.published

    @property
    def precision(self) -> float | None:
        return self.kept_out / self.decisions if self.decisions else None

    @property
    def precision_percent(self) -> int | None:
        return None if self.precision is None else round(self.precision * 100)


@dataclass
class Dashboard:
    range: Range
    start: datetime
    buckets: list[Bucket]
    spam_checks: list[str]  # the checks that sent something to spam, most first
    threads: list[BusyThread]
    checks: list[CheckScore]  # every check that caught or was judged, most catches first

    @property
    def spam_filter(self) -> CheckScore:
        return next((c for c in self.checks if c.code == "spam_filter"), CheckScore("spam_filter"))

    def total(self, name: str) -> int:
        return sum(getattr(b, name) for b in self.buckets)

    @property
    def totals(self) -> dict[str, int]:
        return {n: self.total(n) for n in ("published", "held", "spam", "removed", "reports")}


def bucket_starts(range_: Range, now: datetime, tz) -> list[date]:
    """The first day of each bucket, oldest first, ending with the current one."""
    today = timezone.localtime(now, tz).date()
    if range_.kind == "week":
        monday = today - timedelta(days=today.weekday())  # TruncWeek's weeks start on Monday
        return [monday - timedelta(weeks=n) for n in range(range_.count - 1, -1, -1)]
    return [today - timedelta(days=n) for n in range(range_.count - 1, -1, -1)]


def _day(value, tz) -> date:
    """A truncated value from the database as the local date it starts."""
    if isinstance(value, datetime):
        return timezone.localtime(value, tz).date() if timezone.is_aware(value) else value.date()
    return value


def dashboard_numbers(sites, range_key: str = DEFAULT_RANGE, *, now=None) -> Dashboard:
    """Everything the dashboard shows for `sites` (a queryset or list the caller has
    checked the user may moderate) over the range RANGES[range_key]."""
    range_ = RANGES[range_key]
    tz = timezone.get_current_timezone()
    now = now or timezone.now()
    starts = bucket_starts(range_, now, tz)
    start = timezone.make_aware(datetime.combine(starts[0], time.min), tz)
    buckets = {day: Bucket(day) for day in starts}
    checks: dict[str, CheckScore] = {}

    def bucket(value) -> Bucket | None:
        return buckets.get(_day(value, tz))

    def truncated(name: str):
        return Trunc(name, range_.kind, tzinfo=tz)

    count_arrivals(sites, start, truncated, bucket, checks)
    audit = AuditEntry.objects.filter(site__in=sites, created__gte=start, actor__isnull=False)
    _count_removals(audit, truncated, bucket)
    _count_decisions(audit, checks)
    _median_waits(audit, truncated, bucket, buckets)
    for row in (
        Flag.objects.filter(comment__thread__site__in=sites, created__gte=start)
        .annotate(bucket=truncated("created"))
        .values("bucket")
        .annotate(n=Count("pk"))
    ):
        if (b := bucket(row["bucket"])) is not None:
            b.reports += row["n"]

    ordered = [buckets[day] for day in starts]
    spam_totals: dict[str, int] = {}
    for b in ordered:
        for code, n in b.spam_by.items():
            spam_totals[code] = spam_totals.get(code, 0) + n
    return Dashboard(
        range=range_,
        start=start,
        buckets=ordered,
        spam_checks=sorted(spam_totals, key=lambda c: (-spam_totals[c], c)),
        threads=busiest_threads(sites, start),
        checks=sorted(checks.values(), key=lambda c: (-c.catches, -c.decisions, c.code)),
    )


def count_arrivals(sites, start, truncated, bucket, checks, *, end=None) -> None:
    """published / held / spam on arrival, and each check's catches (one query), for
    comments posted from `start` (to `end`, when given: the transparency report's
    month)."""
    first = AuditEntry.objects.filter(comment=OuterRef("pk"), before__has_key="status").order_by(
        "created", "pk"
    )
    first_status = Subquery(first.values(v=KT("before__status"))[:1])
    first_reason = Subquery(first.values(v=KT("before__reason"))[:1])
    posted = Comment.objects.filter(thread__site__in=sites, created__gte=start)
    if end is not None:
        posted = posted.filter(created__lt=end)
    rows = (
        posted.annotate(
            bucket=truncated("created"),
            arrived=Coalesce(first_status, F("status"), output_field=TextField()),
            # The arrival's reason: the first audit snapshot's text when a moderator
            # acted since (read by its code below), else the stored code.
            why=first_reason,
        )
        .values("bucket", "arrived", "why", "reason_code")
        .annotate(n=Count("pk"))
    )
    for row in rows:
        b = bucket(row["bucket"])
        code = row["reason_code"] if row["why"] is None else reason_code(row["why"])
        if b is None or code in ("imported", "erased"):
            continue
        n = row["n"]
        if row["arrived"] == S.APPROVED:
            b.published += n
        elif row["arrived"] == S.PENDING:
            b.held += n
            if code in CHECKS:
                checks.setdefault(code, CheckScore(code)).held += n
        elif row["arrived"] == S.SPAM:
            code = code if code in CHECKS else "other"
            b.spam += n
            b.spam_by[code] = b.spam_by.get(code, 0) + n
            checks.setdefault(code, CheckScore(code)).spam += n


def _count_removals(audit, truncated, bucket) -> None:
    rows = (
        audit.filter(action__in=REMOVALS, before__status__in=[S.APPROVED, S.PENDING])
        .annotate(bucket=truncated("created"))
        .values("bucket")
        .annotate(n=Count("pk"))
    )
    for row in rows:
        if (b := bucket(row["bucket"])) is not None:
            b.removed += row["n"]


def _count_decisions(audit, checks) -> None:
    """Moderators' first word on what a check caught: kept out, or published."""
    rows = (
        audit.filter(action__in=DECISIONS, before__status__in=[S.PENDING, S.SPAM])
        .values("action", why=KT("before__reason"))
        .annotate(n=Count("pk"))
    )
    for row in rows:
        code = reason_code(row["why"])
        if code not in CHECKS:
            continue  # a decision on a decision (a moderator's, readers' reports)
        score = checks.setdefault(code, CheckScore(code))
        if row["action"] in KEEP_OUT:
            score.kept_out += row["n"]
        else:
            score.published += row["n"]


def _median_waits(audit, truncated, bucket, bucket_by_day) -> None:
    """The median time from hold to decision, per bucket of the decision."""
    held_later = (
        AuditEntry.objects.filter(
            comment=OuterRef("comment"), created__lt=OuterRef("created"), after__status=S.PENDING
        )
        .order_by("-created", "-pk")
        .values("created")[:1]
    )
    rows = (
        audit.filter(action__in=DECISIONS, before__status=S.PENDING, comment__isnull=False)
        .annotate(bucket=truncated("created"), held=Coalesce(held_later, F("comment__created")))
        .order_by("-created")
        .values_list("bucket", "created", "held")[:MEDIAN_SAMPLE]
    )
    waits: dict[date, list[float]] = {}
    for value, decided, held in rows:
        b = bucket(value)
        if b is None or held is None:
            continue
        waits.setdefault(b.start, []).append(max(0.0, (decided - held).total_seconds()))
    for day, sample in waits.items():
        b = bucket_by_day[day]
        b.decisions = len(sample)
        b.median_wait = statistics.median(sample)


def busiest_threads(sites, start) -> list[BusyThread]:
    """The threads with the most comments posted since `start` (two queries)."""
    rows = list(
        Comment.objects.filter(thread__site__in=sites, created__gte=start)
        .values("thread")
        .annotate(n=Count("pk"), published=Count("pk", filter=Q(status=S.APPROVED)))
        .order_by("-n", "thread")[:BUSIEST]
    )
    threads = Thread.objects.select_related("site").in_bulk([r["thread"] for r in rows])
    return [BusyThread(threads[r["thread"]], r["n"], r["published"]) for r in rows]
