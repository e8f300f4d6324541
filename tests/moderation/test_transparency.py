"""The transparency report (moderation.transparency): every number checked against a
month of known events made through the real services at controlled times, the
months around it left out; off by default (404); the page, JSON and CSV."""

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from freezegun import freeze_time

from meydan.comments.models import Comment
from meydan.moderation import auditchain, services
from meydan.moderation.models import AuditChain, AuditEntry
from meydan.moderation.transparency import month_parse, month_report, months_until
from meydan.sites.models import Site

pytestmark = pytest.mark.django_db

NOV = datetime(2025, 11, 3, 10, 0, tzinfo=UTC)
LATER = datetime(2025, 11, 20, 9, 0, tzinfo=UTC)
OCT = datetime(2025, 10, 31, 23, 30, tzinfo=UTC)  # the evening before: not November
DEC = datetime(2025, 12, 1, 0, 30, tzinfo=UTC)  # just after: not November
NOW = datetime(2025, 12, 15, 12, 0, tzinfo=UTC)
NAMES = ["Aynur Q", "Tural", "Leyla", "Rasul", "Nigar"]


@pytest.fixture
def november(site, thread_b, post, moderator, make_user):
    """Site A in November 2025 (and a little on either side, and on site B)."""
    site.moderation_words = "casino"
    site.disallowed_words = "pills"
    site.disallowed_action = "spam"
    site.flag_threshold = 3
    site.save()
    c = {}
    with freeze_time(OCT):
        c["october"] = post("Posted in October.", email="oct@example.org")
        services.comment_flag(c["october"], reporter_key="r-oct", reason="spam", channel="form")
        services.ban_create(actor=moderator, site=site, kind="ip", value="abc123")
    with freeze_time(NOV):
        c["ok"] = [
            post(f"Fine comment {i}.", name=NAMES[i], email=f"reader{i}@example.org")
            for i in range(5)
        ]
        c["links"] = post("See https://a.example/1 and https://a.example/2")  # held
        c["word"] = post("Our casino is open.", email="w@example.org")  # held
        c["pills"] = post("Cheap pills here.", email="p@example.org")  # spam on arrival
    with freeze_time(NOV + timedelta(days=1)):
        ok = c["ok"]
        for key, reason, note in [("r1", "illegal", "A threat.")]:
            services.comment_flag(ok[0], reporter_key=key, reason=reason, note=note, channel="api")
        services.comment_flag(ok[3], reporter_key="r2", reason="spam", channel="form")
        services.comment_flag(ok[3], reporter_key="r3", reason="harassment", channel="form")
        services.comment_flag(
            ok[4], reporter_key="r4", reason="other", note="Names me.", channel="form"
        )
    with freeze_time(LATER):
        services.comment_moderate(
            ok[0], "trash", actor=moderator, removal_reason="harassment", removal_note="x"
        )
        services.comment_moderate(ok[1], "spam", actor=moderator)  # default reason: spam
        services.comment_moderate(
            Comment.objects.get(pk=c["links"].pk),
            "trash",
            actor=moderator,
            removal_reason="personal_data",
        )
        services.comment_delete_forever(ok[2], actor=moderator, removal_reason="illegal")
        # Not a removal of a published or held comment: it arrived as spam.
        services.comment_moderate(Comment.objects.get(pk=c["pills"].pk), "trash", actor=moderator)
        services.comment_moderate(Comment.objects.get(pk=c["word"].pk), "approve", actor=moderator)
        services.comment_moderate(Comment.objects.get(pk=ok[4].pk), "unapprove", actor=moderator)
        email_ban = services.ban_create(
            actor=moderator, site=site, kind="email", value="troll@example.org", shadow=True
        )
        services.ban_create(actor=moderator, site=site, kind="ip", value="def456")
        services.ban_create(
            actor=moderator, site=site, kind="user", value=str(make_user("troll").pk)
        )
        services.ban_lift(email_ban, actor=moderator)
    with freeze_time(DEC):
        services.comment_moderate(
            Comment.objects.get(pk=ok[3].pk), "trash", actor=moderator, removal_reason="spam"
        )  # December's removal (the reported comment is removed *now*: see below)
        post("Posted in December.", email="dec@example.org")
        services.ban_create(actor=moderator, site=site, kind="ip", value="ghi789")
        services.comment_flag(
            Comment.objects.get(pk=c["word"].pk), reporter_key="r5", reason="spam", channel="form"
        )
    with freeze_time(NOV):
        post("On site B.", on=thread_b)
    site.transparency_public = True
    site.save()
    return c


EXPECTED = {
    "site": "caspian-ledger",
    "month": "2025-11",
    "comments": {
        # ok[0..4] published at once, less ok[2], deleted forever (its row is gone);
        # the link comment and the casino comment held; the pills comment sent to spam.
        "published": 4,
        "held": 2,
        "spam_on_arrival": 1,
    },
    "removed": {
        "total": 4,
        "by_reason": {
            "spam": 1,
            "harassment": 1,
            "illegal": 1,
            "personal_data": 1,
            "off_topic": 0,
            "other": 0,
            "unspecified": 0,
        },
    },
    "bans": {
        "created": 3,
        "by_kind": {"user": 1, "email": 1, "ip": 1},
        "shadow": 1,
        "lifted": 1,
    },
    "reports": {
        "received": 4,
        "by_reason": {"spam": 1, "harassment": 1, "illegal": 1, "other": 1},
        # ok[0] (trashed), ok[3] (trashed in December: as it is now), ok[4] (held again).
        "comments_reported": 3,
        "then_removed": 2,
        "kept": 0,
        "waiting": 1,
    },
}


def _without_names(data: dict) -> dict:
    return {k: v for k, v in data.items() if k not in ("site_name", "period", "moderation_log")}


def test_every_number_of_the_month(site, november):
    report = month_report(site, date(2025, 11, 1))
    assert _without_names(report.as_dict()) == EXPECTED
    assert report.as_dict()["period"] == {
        "start": "2025-11-01T00:00:00+00:00",
        "end": "2025-12-01T00:00:00+00:00",
    }


def test_the_months_around_it_count_their_own(site, november):
    october = month_report(site, date(2025, 10, 1)).as_dict()
    assert october["comments"] == {"published": 1, "held": 0, "spam_on_arrival": 0}
    assert october["reports"]["received"] == 1 and october["bans"]["created"] == 1
    assert october["removed"]["total"] == 0
    december = month_report(site, date(2025, 12, 1)).as_dict()
    assert december["comments"]["published"] == 1
    assert december["removed"]["by_reason"]["spam"] == 1 and december["removed"]["total"] == 1
    assert december["bans"]["by_kind"] == {"user": 0, "email": 0, "ip": 1}
    assert december["reports"]["by_reason"]["spam"] == 1
    # The casino comment was held, then approved: reported in December, it is kept.
    assert (december["reports"]["kept"], december["reports"]["then_removed"]) == (1, 0)


def test_a_removal_from_before_reasons_existed_is_unspecified(site, post, moderator):
    with freeze_time(NOV):
        comment = post()
        services.comment_moderate(comment, "trash", actor=moderator)
    from meydan.moderation.models import AuditEntry

    entry = AuditEntry.objects.get(action="trash")
    entry.after = {k: v for k, v in entry.after.items() if not k.startswith("removal_")}
    entry.save(update_fields=["after"])
    assert month_report(site, date(2025, 11, 1)).removed_by_reason["unspecified"] == 1


# --- Off by default ---------------------------------------------------------------------


def test_off_by_default_everything_is_not_found(site, post):
    assert Site._meta.get_field("transparency_public").default is False
    post()
    client = Client()
    for path in (
        "/transparency/",
        f"/transparency/{site.slug}/",
        f"/transparency/{site.slug}/2025-11.json",
        f"/transparency/{site.slug}/2025-11.csv",
        "/transparency/no-such-site/",
    ):
        assert client.get(path).status_code == 404, path


def test_one_site_on_another_off(site, site_b, november):
    client = Client()
    assert client.get(f"/transparency/{site_b.slug}/").status_code == 404
    assert client.get(f"/transparency/{site_b.slug}/2025-11.json").status_code == 404
    assert client.get("/transparency/")["Location"] == f"/transparency/{site.slug}/"
    site_b.transparency_public = True
    site_b.save()
    index = client.get("/transparency/").content.decode()
    assert site.name in index and site_b.name in index


# --- The page, JSON and CSV -------------------------------------------------------------


@freeze_time(NOW)
def test_the_json(site, november):
    response = Client().get(f"/transparency/{site.slug}/2025-11.json")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    data = json.loads(response.content)
    assert _without_names(data) == EXPECTED
    assert data["site_name"] == site.name


@freeze_time(NOW)
def test_the_csv(site, november):
    response = Client().get(f"/transparency/{site.slug}/2025-11.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["site", "month", "section", "item", "count"]
    found = {(r[2], r[3]): int(r[4]) for r in rows[1:]}
    assert all(r[:2] == [site.slug, "2025-11"] for r in rows[1:])
    assert found[("comments", "published")] == 4
    assert found[("removed", "by_reason:personal_data")] == 1
    assert found[("bans", "by_kind:email")] == 1
    assert found[("reports", "by_reason:other")] == 1
    assert found[("reports", "then_removed")] == 2
    assert found[("moderation_log", "entries")] > 0
    assert len(found) == 3 + 1 + 7 + 1 + 3 + 2 + 1 + 4 + 4 + 1  # every number, once


def test_the_csv_guards_against_formulas(site, november, monkeypatch):
    from meydan.moderation import transparency

    real = transparency.Report.rows
    monkeypatch.setattr(transparency.Report, "rows", lambda self: [["=cmd", "+x", 1]] + real(self))
    with freeze_time(NOW):
        rows = list(
            csv.reader(
                io.StringIO(Client().get(f"/transparency/{site.slug}/2025-11.csv").content.decode())
            )
        )
    assert rows[1][2:4] == ["'=cmd", "'+x"]


@freeze_time(NOW)
def test_the_page_shows_the_numbers_and_nobody(site, november):
    page = Client().get(f"/transparency/{site.slug}/?month=2025-11")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Transparency report: Caspian Ledger" in text and "November 2025" in text
    caption = "Comments removed by the moderators, by the reason given to their authors"
    assert f"<caption>{caption}</caption>" in text
    assert '<th scope="row">Personal data of others</th><td>1</td>' in text
    assert '<th scope="row">Harassment or hate</th><td>1</td>' in text
    assert '<th scope="row">Comments reported</th><td>3</td>' in text
    assert '<th scope="row">Bans lifted (whenever they were made)</th><td>1</td>' in text
    assert '<option value="2025-11" selected>' in text and '<option value="2025-12"' in text
    assert "<script" not in text and "style=" not in text
    for who in NAMES + ["troll", "reader0@example.org", "example.org", "A threat.", "Names me."]:
        assert who not in text, who
    assert f'href="/transparency/{site.slug}/2025-11.json"' in text
    assert "Content-Security-Policy" in page.headers


@freeze_time(NOW)
def test_the_page_defaults_to_this_month_and_refuses_bad_months(site, november):
    client = Client()
    assert "December 2025" in client.get(f"/transparency/{site.slug}/").content.decode()
    assert client.get(f"/transparency/{site.slug}/?month=2025-13").status_code == 400
    assert client.get(f"/transparency/{site.slug}/?month=nonsense").status_code == 400
    assert client.get(f"/transparency/{site.slug}/?month=2026-01").status_code == 404
    assert client.get(f"/transparency/{site.slug}/2026-01.json").status_code == 404
    assert client.get(f"/transparency/{site.slug}/2025-00.json").status_code == 400
    assert client.get(f"/transparency/{site.slug}/2025-1.json").status_code == 404


def test_months():
    assert month_parse("2025-11") == date(2025, 11, 1)
    assert [month_parse(v) for v in ("2025-13", "25-11", "2025-11-01", "", "1999-01")] == [None] * 5
    assert months_until(date(2024, 11, 20), date(2025, 2, 3)) == [
        date(2025, 2, 1),
        date(2025, 1, 1),
        date(2024, 12, 1),
        date(2024, 11, 1),
    ]


def test_a_report_costs_the_same_few_queries_however_much_happened(
    site, november, django_assert_num_queries
):
    with django_assert_num_queries(7):
        small = month_report(site, date(2025, 11, 1))
    site.flag_threshold = 100  # nothing is held: every report lands on the same comment
    site.save()
    comment = Comment.objects.filter(thread__site=site, status="approved").first()
    with freeze_time(NOV):
        for n in range(20):
            assert services.comment_flag(
                comment, reporter_key=f"more{n}", reason="spam", channel="form"
            )
    with django_assert_num_queries(7):
        big = month_report(site, date(2025, 11, 1))
    assert big.reports_received == small.reports_received + 20


def test_the_report_publishes_the_moderation_log_head_at_the_end_of_its_month(site, november):
    """The head of the month is the last entry written before the month ended (December's
    actions do not move it), and it is what `meydan audit verify --expect` checks."""
    report = month_report(site, date(2025, 11, 1)).as_dict()["moderation_log"]
    last = (
        AuditEntry.objects.filter(site=site, created__lt=datetime(2025, 12, 1, tzinfo=UTC))
        .order_by("-seq")
        .first()
    )
    assert AuditEntry.objects.filter(site=site, seq__gt=last.seq).exists()  # December's
    assert report == {"entries": last.seq, "head": last.entry_hash}
    expect = ("audit", "verify", "--site", site.slug, "--expect", f"{last.seq}:{last.entry_hash}")
    call_command(*expect, stdout=io.StringIO())

    AuditEntry.objects.filter(site=site, seq__gte=last.seq).delete()  # cut back into November
    AuditChain.objects.filter(site=site).update(seq=last.seq - 1)
    with pytest.raises(CommandError) as failed:
        call_command(*expect, stdout=io.StringIO())
    assert failed.value.returncode == 1


def test_a_month_before_any_moderation_publishes_an_empty_log(site, november):
    report = month_report(site, date(2024, 11, 1)).as_dict()["moderation_log"]
    assert report == {"entries": 0, "head": auditchain.GENESIS}
