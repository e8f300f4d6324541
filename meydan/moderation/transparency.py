"""The transparency report: what moderation did on one site in one calendar month
(in the installation's time zone, settings.TIME_ZONE), in numbers only — never who
wrote, reported or was banned. docs/transparency.md says the same for readers.

- comments: posted in the month, by what moderation made of them on arrival —
  published, held for a moderator, or sent to spam by the checks. The same count
  as the moderators' dashboard (moderation.dashboard.count_arrivals): imported
  comments and those their authors erased before anyone acted are left out.
- removed: published or held comments a moderator marked spam, trashed or deleted
  in the month (audit entries, by the day of the action), by the reason given
  (Comment.RemovalReason; "unspecified" for removals made before reasons existed).
- bans: created in the month, by kind (account, email, IP) and how many of them
  were shadow bans; and bans lifted in the month (audit entries: a lifted ban's row
  is deleted, its entry stays).
- reports: readers' reports received in the month, by reason (moderation.Flag);
  the comments they reported, and what became of those comments by the time the
  report is read: removed by the moderators (spam or trash), kept (published), or
  still waiting for a moderator (held). Reports of comments erased since (by their
  author, or deleted forever) are gone with them and not counted.

Every number is counted in SQL from the stored rows: six queries per report
however much happened.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.db.models import Count, Q
from django.db.models.fields.json import KT
from django.db.models.functions import Trunc
from django.utils import timezone

from meydan.comments.models import Comment
from meydan.moderation import auditchain, dashboard
from meydan.moderation.models import AuditEntry, Ban, Flag

S = Comment.Status
UNSPECIFIED = "unspecified"
MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def month_parse(value: str) -> date | None:
    """ "2026-11" as the first day of that month; None for anything else."""
    match = MONTH.match(value or "")
    if not match:
        return None
    year, month = int(match[1]), int(match[2])
    if not (1 <= month <= 12 and 2000 <= year <= 9999):
        return None
    return date(year, month, 1)


def month_after(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def months_until(first: date, last: date) -> list[date]:
    """Every month from `first` to `last` (their first days), newest first."""
    months, month = [], date(last.year, last.month, 1)
    first = date(first.year, first.month, 1)
    while month >= first:
        months.append(month)
        month = date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)
    return months


@dataclass
class Report:
    site_slug: str
    site_name: str
    month: date
    start: datetime
    end: datetime
    published: int = 0
    held: int = 0
    spam_on_arrival: int = 0
    removed_by_reason: dict[str, int] = field(default_factory=dict)
    bans_by_kind: dict[str, int] = field(default_factory=dict)
    bans_shadow: int = 0
    bans_lifted: int = 0
    reports_by_reason: dict[str, int] = field(default_factory=dict)
    reported_comments: int = 0
    reported_removed: int = 0
    reported_kept: int = 0
    reported_waiting: int = 0
    # The moderation log's chain head at the end of the month (so far, for the current
    # month): published here, it lets anyone holding this report see later whether the
    # log was cut or rewritten (`meydan audit verify --expect SEQ:HASH`, docs/audit-log.md).
    log_seq: int = 0
    log_hash: str = ""

    @property
    def removed(self) -> int:
        return sum(self.removed_by_reason.values())

    @property
    def bans_created(self) -> int:
        return sum(self.bans_by_kind.values())

    @property
    def reports_received(self) -> int:
        return sum(self.reports_by_reason.values())

    def as_dict(self) -> dict:
        """The JSON document (GET /transparency/<site>/<yyyy-mm>.json)."""
        return {
            "site": self.site_slug,
            "site_name": self.site_name,
            "month": self.month.strftime("%Y-%m"),
            "period": {"start": self.start.isoformat(), "end": self.end.isoformat()},
            "comments": {
                "published": self.published,
                "held": self.held,
                "spam_on_arrival": self.spam_on_arrival,
            },
            "removed": {"total": self.removed, "by_reason": dict(self.removed_by_reason)},
            "bans": {
                "created": self.bans_created,
                "by_kind": dict(self.bans_by_kind),
                "shadow": self.bans_shadow,
                "lifted": self.bans_lifted,
            },
            "reports": {
                "received": self.reports_received,
                "by_reason": dict(self.reports_by_reason),
                "comments_reported": self.reported_comments,
                "then_removed": self.reported_removed,
                "kept": self.reported_kept,
                "waiting": self.reported_waiting,
            },
            "moderation_log": {"entries": self.log_seq, "head": self.log_hash},
        }

    def rows(self) -> list[list]:
        """The CSV's rows after its header: section, item, count."""
        rows: list[list] = []
        for section, values in self.as_dict().items():
            if not isinstance(values, dict) or section == "period":
                continue
            for item, value in values.items():
                if isinstance(value, dict):
                    rows += [[section, f"{item}:{key}", n] for key, n in value.items()]
                elif isinstance(value, int):  # counts only: the log's head is in the JSON
                    rows.append([section, item, value])
        return rows


def month_report(site, month: date) -> Report:
    """The numbers of `site` for the month starting on `month` (its first day)."""
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(month, time.min), tz)
    end = timezone.make_aware(datetime.combine(month_after(month), time.min), tz)
    report = Report(site.slug, site.name, month, start, end)
    report.removed_by_reason = dict.fromkeys([*Comment.RemovalReason.values, UNSPECIFIED], 0)
    report.bans_by_kind = dict.fromkeys(Ban.Kind.values, 0)
    report.reports_by_reason = dict.fromkeys(Flag.Reason.values, 0)

    # Arrivals: the dashboard's count, in one bucket for the month.
    bucket = dashboard.Bucket(month)
    dashboard.count_arrivals(
        [site],
        start,
        lambda name: Trunc(name, "month", tzinfo=tz),
        lambda value: bucket if dashboard._day(value, tz) == month else None,
        {},
        end=end,
    )
    report.published, report.held, report.spam_on_arrival = (
        bucket.published,
        bucket.held,
        bucket.spam,
    )

    audit = AuditEntry.objects.filter(site=site, created__gte=start, created__lt=end)
    removals = (
        audit.filter(
            actor__isnull=False,
            action__in=dashboard.REMOVALS,
            before__status__in=[S.APPROVED, S.PENDING],
        )
        .values(why=KT("after__removal_reason"))
        .annotate(n=Count("pk"))
    )
    for row in removals:
        code = row["why"] if row["why"] in report.removed_by_reason else UNSPECIFIED
        report.removed_by_reason[code] += row["n"]

    for row in (
        audit.filter(action="ban")
        .values(kind=KT("after__kind"))
        .annotate(n=Count("pk"), shadow=Count("pk", filter=Q(after__shadow=True)))
    ):
        if row["kind"] in report.bans_by_kind:
            report.bans_by_kind[row["kind"]] += row["n"]
            report.bans_shadow += row["shadow"]
    report.bans_lifted = audit.filter(action="unban").count()

    flags = Flag.objects.filter(comment__thread__site=site, created__gte=start, created__lt=end)
    for row in flags.values("reason").annotate(n=Count("pk")):
        report.reports_by_reason[row["reason"]] = (
            report.reports_by_reason.get(row["reason"], 0) + row["n"]
        )
    outcome = Comment.objects.filter(pk__in=flags.values("comment_id")).aggregate(
        reported=Count("pk"),
        removed=Count("pk", filter=Q(status__in=[S.SPAM, S.TRASH])),
        kept=Count("pk", filter=Q(status=S.APPROVED)),
        waiting=Count("pk", filter=Q(status=S.PENDING)),
    )
    report.reported_comments = outcome["reported"]
    report.reported_removed = outcome["removed"]
    report.reported_kept = outcome["kept"]
    report.reported_waiting = outcome["waiting"]
    report.log_seq, report.log_hash = auditchain.head_before(site.pk, end)
    return report


def report_months(site, *, now=None) -> list[date]:
    """The months a reader may pick: from the month the site was created (or its
    first comment, if older: imports) to the current one, newest first."""
    tz = timezone.get_current_timezone()
    today = timezone.localtime(now or timezone.now(), tz).date()
    first_comment = (
        Comment.objects.filter(thread__site=site).order_by("created").values("created").first()
    )
    created = getattr(site, "created", None)
    firsts = [timezone.localtime(d, tz).date() for d in (created,) if d is not None]
    if first_comment:
        firsts.append(timezone.localtime(first_comment["created"], tz).date())
    first = min(firsts) if firsts else today
    return months_until(first, today)
