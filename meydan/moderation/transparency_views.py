"""The public transparency report (moderation.transparency), for readers:

GET /transparency/                          the sites that publish one (one: its page)
GET /transparency/<site>/?month=YYYY-MM     a site's month as a page (no script)
GET /transparency/<site>/<YYYY-MM>.json     the same numbers as JSON
GET /transparency/<site>/<YYYY-MM>.csv      … and as CSV (section, item, count)

Off by default: a site publishes it when its operator ticks "publish the
transparency report" (Site.transparency_public) in the admin. Any other site, or
none, is "not found". Numbers only: nothing here names a commenter.
"""

import csv
import json

from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from meydan.comments.models import Comment
from meydan.core.views import error_page
from meydan.moderation import transparency
from meydan.moderation.dashboard_views import csv_cell
from meydan.moderation.models import Ban, Flag
from meydan.sites.models import Site

CACHE_SECONDS = 300


def _public_site(slug: str) -> Site | None:
    return Site.objects.filter(slug=slug, transparency_public=True).first()


def _not_found(request):
    return error_page(
        request,
        404,
        _("No transparency report here"),
        _("This site does not publish a transparency report, or there is no such site."),
    )


def _cached(response):
    response["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    return response


@require_safe
def index(request):
    """GET /transparency/ — the sites that publish a report."""
    sites = list(Site.objects.filter(transparency_public=True).order_by("name"))
    if not sites:
        return _not_found(request)
    if len(sites) == 1:
        return HttpResponseRedirect(reverse("transparency:site", args=[sites[0].slug]))
    return _cached(render(request, "moderation/transparency_index.html", {"sites": sites}))


def _month(request, site, raw: str):
    """(month, months a reader may pick) or an error response."""
    months = transparency.report_months(site)
    if not raw:
        return months[0], months, None
    month = transparency.month_parse(raw)
    if month is None:
        return (
            None,
            months,
            error_page(
                request, 400, _("Not a month"), _("Give the month as YYYY-MM, e.g. 2026-11.")
            ),
        )
    if month > months[0]:
        return (
            None,
            months,
            error_page(
                request, 404, _("Not yet"), _("There is no report for a month still to come.")
            ),
        )
    return month, months, None


@require_safe
def site_page(request, slug: str):
    """GET /transparency/<site>/?month=YYYY-MM — one month, the current by default."""
    site = _public_site(slug)
    if site is None:
        return _not_found(request)
    month, months, error = _month(request, site, request.GET.get("month", ""))
    if error is not None:
        return error
    report = transparency.month_report(site, month)
    key = month.strftime("%Y-%m")
    context = {
        "site": site,
        "report": report,
        "months": [(m.strftime("%Y-%m"), m) for m in months],
        "chosen": key,
        "removed": [
            (label, report.removed_by_reason.get(code, 0))
            for code, label in Comment.RemovalReason.choices
        ]
        + [
            (
                _("Unspecified (removed before reasons were recorded)"),
                report.removed_by_reason.get(transparency.UNSPECIFIED, 0),
            )
        ],  # fmt: skip
        "bans": [(label, report.bans_by_kind.get(code, 0)) for code, label in Ban.Kind.choices],
        "reports": [
            (label, report.reports_by_reason.get(code, 0)) for code, label in Flag.Reason.choices
        ],
        "json_url": reverse("transparency:json", args=[site.slug, key]),
        "csv_url": reverse("transparency:csv", args=[site.slug, key]),
        "is_current": month == months[0],
        "now": timezone.now(),
    }
    return _cached(render(request, "moderation/transparency.html", context))


def _report_or_error(request, slug: str, month: str):
    site = _public_site(slug)
    if site is None:
        return None, _not_found(request)
    chosen, _months, error = _month(request, site, month)
    if error is not None:
        return None, error
    return transparency.month_report(site, chosen), None


@require_safe
def report_json(request, slug: str, month: str):
    """GET /transparency/<site>/<YYYY-MM>.json"""
    report, error = _report_or_error(request, slug, month)
    if error is not None:
        return error
    body = json.dumps(report.as_dict(), ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Access-Control-Allow-Origin"] = "*"  # public numbers, no credentials
    return _cached(response)


@require_safe
def report_csv(request, slug: str, month: str):
    """GET /transparency/<site>/<YYYY-MM>.csv — one row per number: section, item,
    count; cells a spreadsheet could run as a formula are quoted (csv_cell)."""
    report, error = _report_or_error(request, slug, month)
    if error is not None:
        return error
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"transparency-{report.site_slug}-{month}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    writer.writerow(["site", "month", "section", "item", "count"])
    for section, item, count in report.rows():
        writer.writerow([csv_cell(v) for v in (report.site_slug, month, section, item, count)])
    return _cached(response)
