"""GET /moderation/dashboard/ — the moderators' dashboard: the numbers of
moderation.dashboard as SVG charts drawn here (moderation.charts), a table under each
chart, and the same numbers as CSV (`?format=csv&table=…`). Staff who moderate a
site; `?site=` is one of theirs (any other is "not found"), `?range=` 14d or 12w."""

import csv

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_safe

from meydan.comments.reasons import label
from meydan.core.views import error_page
from meydan.moderation import access, charts
from meydan.moderation import dashboard as numbers
from meydan.moderation.views import moderator_required

TABLES = ("buckets", "threads", "checks")


@moderator_required
@require_safe
def dashboard(request):
    """GET /moderation/dashboard/?site=&range=&format=&table="""
    query = request.GET
    range_key = query.get("range") or numbers.DEFAULT_RANGE
    fmt, table = query.get("format") or "html", query.get("table") or "buckets"
    raw_site = query.get("site") or ""
    if range_key not in numbers.RANGES or fmt not in ("html", "csv") or table not in TABLES:
        return error_page(
            request,
            400,
            _("Not a dashboard view"),
            _("Choose a range of 14d or 12w, a format of html or csv, and a table of %s.")
            % ", ".join(TABLES),
        )
    if raw_site and not (raw_site.isdigit() and len(raw_site) < 12):
        return error_page(request, 400, _("Not a site"), _("The site is given by its number."))
    sites = access.sites_moderated_by(request.user)
    chosen = access.access_site_for_moderation(request.user, int(raw_site)) if raw_site else None
    board = numbers.dashboard_numbers([chosen] if chosen else sites, range_key)
    if fmt == "csv":
        return _csv(board, table, chosen)
    return render(
        request,
        "moderation/dashboard.html",
        {
            "board": board,
            "rows": _rows(board),
            "charts": _charts(board),
            "sites": sites,
            "chosen": chosen,
            "ranges": numbers.RANGES.values(),
            "checks": [(c, label(c.code)) for c in board.checks],
            "spam_labels": [label(code) for code in board.spam_checks],
            "query": f"site={chosen.pk if chosen else ''}&range={board.range.key}",
        },
    )


def _day(day) -> str:
    return formats.date_format(day, "j M")


def wait_text(seconds: float | None) -> str:
    """How long a comment waited, as a person says it."""
    if seconds is None:
        return "–"
    if seconds < 60:
        return _("under a minute")
    if seconds < 3600:
        minutes = round(seconds / 60)
        return ngettext("%(n)d min", "%(n)d min", minutes) % {"n": minutes}
    if seconds < 48 * 3600:
        return _("%(n)s h") % {"n": formats.number_format(seconds / 3600, 1)}
    # Whole days, so that the plural form fits the number (Russian words 2,5 and 5
    # apart, which a count cannot say for a fraction).
    days = round(seconds / 86400)
    return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}


def _rows(board) -> list[dict]:
    return [
        {
            "bucket": b,
            "label": _day(b.start),
            "spam_by": [b.spam_by.get(code, 0) for code in board.spam_checks],
            "wait": wait_text(b.median_wait),
        }
        for b in board.buckets
    ]


def _charts(board) -> dict:
    labels = [_day(b.start) for b in board.buckets]
    B = board.buckets
    period = board.range.label
    return {
        "posted": charts.bar_chart(
            "chart-posted",
            _("Comments posted: published, held and spam on arrival"),
            labels,
            [
                charts.Series(_("published"), [b.published for b in B]),
                charts.Series(_("held"), [b.held for b in B]),
                charts.Series(_("spam"), [b.spam for b in B]),
            ],
            desc=str(period),
        ),
        "spam": charts.bar_chart(
            "chart-spam",
            _("Spam caught, by check"),
            labels,
            [
                charts.Series(label(code), [b.spam_by.get(code, 0) for b in B])
                for code in board.spam_checks
            ]
            or [charts.Series(_("spam"), [0 for b in B])],
            desc=str(period),
        ),
        "removed": charts.bar_chart(
            "chart-removed",
            _("Removed by moderators, and readers' reports"),
            labels,
            [
                charts.Series(_("removed"), [b.removed for b in B]),
                charts.Series(_("reports"), [b.reports for b in B]),
            ],
            stacked=False,
            desc=str(period),
        ),
        "wait": charts.line_chart(
            "chart-wait",
            _("Median time from held to a moderator's decision (hours)"),
            labels,
            [
                charts.Series(
                    _("median wait, hours"),
                    [None if b.median_wait is None else b.median_wait / 3600 for b in B],
                )
            ],
            desc=str(period),
            whole=False,
            fmt=lambda v: formats.number_format(v, 0 if v == int(v) else 1),
        ),
        "threads": charts.hbar_chart(
            "chart-threads",
            _("Busiest threads: comments posted"),
            [t.thread.title or t.thread.key for t in board.threads],
            [t.comments for t in board.threads],
            desc=str(period),
        ),
    }


def csv_cell(value):
    """A cell a spreadsheet will not run: text starting with =, +, -, @ (or a tab or
    carriage return) gets a leading quote (OWASP's advice on CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def csv_rows(board, table: str) -> list[list]:
    """The rows of one table, header first: the page's numbers, unformatted."""
    if table == "threads":
        rows = [["rank", "title", "key", "site", "comments", "published"]]
        for rank, t in enumerate(board.threads, 1):
            rows.append(
                [rank, t.thread.title, t.thread.key, t.thread.site.slug, t.comments, t.published]
            )
        return rows
    if table == "checks":
        rows = [["check", "held", "spam", "catches", "decisions", "kept_out", "published"]]
        rows[0].append("precision")
        for c in board.checks:
            precision = "" if c.precision is None else f"{c.precision:.3f}"
            rows.append(
                [c.code, c.held, c.spam, c.catches, c.decisions, c.kept_out, c.published, precision]
            )
        return rows
    rows = [
        ["period_start", "published", "held", "spam"]
        + [f"spam_by_{code}" for code in board.spam_checks]
        + ["removed", "reports", "decisions_on_held", "median_wait_seconds"]
    ]
    for b in board.buckets:
        wait = "" if b.median_wait is None else round(b.median_wait)
        rows.append(
            [b.start.isoformat(), b.published, b.held, b.spam]
            + [b.spam_by.get(code, 0) for code in board.spam_checks]
            + [b.removed, b.reports, b.decisions, wait]
        )
    return rows


def _csv(board, table: str, site) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"meydan-{table}-{board.range.key}-{site.slug if site else 'all-sites'}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    for row in csv_rows(board, table):
        writer.writerow([csv_cell(v) for v in row])
    return response
