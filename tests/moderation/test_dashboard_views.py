"""GET /moderation/dashboard/: who may see it and which sites' numbers, the charts and
tables on the page, the CSV download, bad input, and a bounded number of queries."""

import csv
import io
import re
import xml.etree.ElementTree as ET
from datetime import datetime, time, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from freezegun import freeze_time

from meydan.comments import services as comment_services
from meydan.moderation import services

pytestmark = pytest.mark.django_db

URL = "/moderation/dashboard/"
HOSTILE = '<script>alert("t")</script> & Sons'


def html(response) -> str:
    return response.content.decode()


def svgs(page: str) -> list[ET.Element]:
    return [
        ET.fromstring(m)  # noqa: S314 - our own page, parsed to check it
        for m in re.findall(r"<svg\b.*?</svg>", page, flags=re.S)
    ]


def csv_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


@pytest.fixture
def activity(site, thread, thread_b, post, moderator):
    """Yesterday on site A: two comments published, one held for links and approved;
    on site B, a thread with a title that tries to be markup."""
    day = timezone.localdate() - timedelta(days=1)
    yesterday = timezone.make_aware(datetime.combine(day, time(10)))  # 10:00 and 13:00
    with freeze_time(yesterday):
        post("First.")
        post("Second.", email="second@example.org")
        held = post("Links https://a.example/1 https://a.example/2", email="l@example.org")
    with freeze_time(yesterday + timedelta(hours=3)):
        services.comment_moderate(held, "approve", actor=moderator)
    thread_b.title = HOSTILE
    thread_b.save()
    with freeze_time(yesterday):
        post("On B.", on=thread_b)


# --- Who may see it -----------------------------------------------------------------------


def test_anonymous_is_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={URL}"


@pytest.mark.parametrize("staff", [False, True])
def test_who_moderates_no_site_is_refused(make_user, staff):
    client = Client()
    client.force_login(make_user("reader", staff=staff))
    assert client.get(URL).status_code == 403


def test_a_moderator_sees_their_sites_numbers_only(mod_client, activity, site_b, thread):
    response = mod_client.get(URL)
    assert response.status_code == 200
    board = response.context["board"]
    assert board.totals["published"] == 2 and board.totals["held"] == 1
    assert [t.thread for t in board.threads] == [thread]
    assert "Sons" not in html(response)
    # Asking for another site's numbers by its number: not found, as for its comments.
    assert mod_client.get(URL, {"site": site_b.pk}).status_code == 404
    assert mod_client.get(URL, {"site": site_b.pk, "format": "csv"}).status_code == 404


def test_staff_superuser_sees_every_site_and_can_choose_one(make_user, activity, site_b):
    client = Client()
    client.force_login(make_user("chief", superuser=True))
    assert client.get(URL).context["board"].totals["published"] == 3
    only_b = client.get(URL, {"site": site_b.pk}).context["board"]
    assert only_b.totals["published"] == 1
    assert only_b.threads[0].thread.title == HOSTILE


def test_the_workspace_nav_links_to_it(mod_client):
    assert f'href="{URL}"' in html(mod_client.get("/moderation/"))


# --- The page -----------------------------------------------------------------------------


def test_charts_are_inline_svg_with_a_table_and_no_script(make_user, activity):
    client = Client()
    client.force_login(make_user("chief", superuser=True))
    response = client.get(URL, {"range": "12w"})
    page = html(response)
    charts = svgs(page)
    assert len(charts) == 5
    for chart in charts:
        assert chart.get("role") == "img"
        assert chart.get("aria-labelledby")
    # A thread's title is text in the SVG and the table, never markup.
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt; &amp; Sons" in page
    threads_chart = next(c for c in charts if "Busiest" in c.findtext("{*}title"))
    assert HOSTILE in [t.text for t in threads_chart.iter("{http://www.w3.org/2000/svg}text")]
    # Strict CSP: no inline style or script, and the policy says so.
    assert "style=" not in page and "<script>" not in page
    assert "style-src 'self'" in response["Content-Security-Policy"]
    assert page.count("<caption>") >= 4 and 'scope="row"' in page and 'scope="col"' in page
    assert response.context["board"].range.key == "12w"


def test_the_spam_filters_precision_is_spelled_out(mod_client, site, post, monkeypatch, moderator):
    monkeypatch.setattr(
        "meydan.moderation.checks.spam.spam_score",
        lambda site, draft: 0.99 if "WINNER" in draft.body else None,
    )
    caught = [post(f"WINNER {i}", email=f"w{i}@example.org") for i in range(4)]
    services.comment_moderate(caught[0], "not_spam", actor=moderator)
    for c in caught[1:3]:
        services.comment_moderate(c, "trash", actor=moderator)
    page = html(mod_client.get(URL))
    assert (
        "The spam filter caught 4 comments in this period. Of the ones moderators decided, "
        "they kept 2 out and published the rest: precision 67%, from 3 decisions." in page
    )


@pytest.mark.parametrize(
    "query,message",
    [
        ({"range": "1y"}, "Choose a range of 14d or 12w"),
        ({"format": "pdf"}, "a format of html or csv"),
        ({"format": "csv", "table": "users"}, "a table of buckets, threads, checks"),
        ({"site": "abc"}, "The site is given by its number."),
        ({"site": "9" * 30}, "The site is given by its number."),
    ],
)
def test_bad_input_is_a_400_with_a_message(mod_client, query, message):
    response = mod_client.get(URL, query)
    assert response.status_code == 400
    assert message in html(response)


def test_the_page_costs_the_same_queries_however_much_happened(mod_client, site, post, moderator):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert mod_client.get(URL).status_code == 200
        return len(captured)

    post("Just one.")
    few = queries()
    for n in range(12):
        thread = comment_services.thread_get_or_create(site=site, key=f"/t{n}/", title=f"T{n}")
        with freeze_time(timezone.now() - timedelta(days=n)):
            for i in range(3):
                c = post(f"Links {n} {i} https://a.example/1 https://b.example/", on=thread,
                         email=f"p{n}{i}@example.org")  # fmt: skip
                services.comment_flag(c, reporter_key=f"r{n}{i}", reason="spam", channel="form")
                services.comment_moderate(c, ["approve", "spam", "trash"][i], actor=moderator)
    many = queries()
    assert many == few
    assert many <= 16, many


# --- CSV ----------------------------------------------------------------------------------


def test_csv_has_one_row_per_bucket_with_the_pages_numbers(mod_client, activity):
    response = mod_client.get(URL, {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="meydan-buckets-14d-all-sites.csv"'
    )
    header, *rows = csv_of(response)
    assert header == [
        "period_start", "published", "held", "spam", "removed", "reports",
        "decisions_on_held", "median_wait_seconds",
    ]  # fmt: skip
    assert len(rows) == 14
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    row = dict(zip(header, next(r for r in rows if r[0] == yesterday), strict=True))
    assert (row["published"], row["held"], row["spam"]) == ("2", "1", "0")
    assert (row["decisions_on_held"], row["median_wait_seconds"]) == ("1", "10800")
    board = mod_client.get(URL).context["board"]
    assert [int(r[1]) for r in rows] == [b.published for b in board.buckets]


def test_csv_of_threads_cannot_run_formulas(make_user, site, thread, post):
    client = Client()
    client.force_login(make_user("chief", superuser=True))
    titles = ['=HYPERLINK("http://evil.example")', "+1+1", "-2", "@SUM(A1)", 'Plain, "quoted"']
    for n, title in enumerate(titles):
        t = comment_services.thread_get_or_create(site=site, key=f"/f{n}/", title=title)
        for i in range(len(titles) - n):  # a stable order: most comments first
            post(f"c {n} {i}", on=t, email=f"f{n}{i}@example.org")
    response = client.get(URL, {"format": "csv", "table": "threads", "site": site.pk})
    assert response["Content-Disposition"] == (
        'attachment; filename="meydan-threads-14d-caspian-ledger.csv"'
    )
    header, *rows = csv_of(response)
    assert header == ["rank", "title", "key", "site", "comments", "published"]
    assert [r[1] for r in rows] == [
        "'=HYPERLINK(\"http://evil.example\")", "'+1+1", "'-2", "'@SUM(A1)", "Plain, \"quoted\"",
    ]  # fmt: skip
    assert [r[4] for r in rows] == ["5", "4", "3", "2", "1"]


def test_csv_of_checks(mod_client, site, post, moderator):
    held = post("Links https://a.example/1 https://a.example/2")
    services.comment_moderate(held, "spam", actor=moderator)
    header, *rows = csv_of(mod_client.get(URL, {"format": "csv", "table": "checks"}))
    assert header[-1] == "precision"
    assert rows == [["links", "1", "0", "1", "1", "1", "0", "1.000"]]


def test_precision_without_decisions_is_called_unknown(mod_client, post, monkeypatch):
    monkeypatch.setattr(
        "meydan.moderation.checks.spam.spam_score",
        lambda site, draft: 0.99 if "WINNER" in draft.body else None,
    )
    post("WINNER")
    page = html(mod_client.get(URL))
    assert "The spam filter caught 1 comment in this period; moderators have decided none" in page
    assert "<td>–</td>" in page


def test_csv_by_week_has_twelve_mondays(mod_client, activity):
    from datetime import date

    header, *rows = csv_of(mod_client.get(URL, {"format": "csv", "range": "12w"}))
    starts = [date.fromisoformat(r[0]) for r in rows]
    assert len(starts) == 12 and {d.weekday() for d in starts} == {0}
    assert sum(int(r[1]) for r in rows) == 2
