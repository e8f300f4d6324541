"""Readers' reports carry a reason from a closed list (spam, harassment, illegal
content, other with the reader's words): the service, the API (400 with a clear
message), the no-JS form (radio buttons, the error next to the field), the site's
configuration the widget reads, the queue's counts per reason, and the migration of
the free-text reasons stored before."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from meydan.core.errors import ReasonInvalid
from meydan.moderation import services
from meydan.moderation.models import Flag
from tests.moderation.test_views import QUEUE, html, row_html

pytestmark = pytest.mark.django_db


# --- The service ------------------------------------------------------------------------


def test_a_report_stores_its_code_and_the_readers_words(post):
    comment = post()
    services.comment_flag(comment, reporter_key="r1", reason="harassment", channel="form")
    services.comment_flag(
        comment, reporter_key="r2", reason="other", note="  It names my\nneighbour. ", channel="api"
    )
    stored = {f.reporter: (f.reason, f.note) for f in Flag.objects.all()}
    assert stored == {"r1": ("harassment", ""), "r2": ("other", "It names my neighbour.")}


@pytest.mark.parametrize(
    ("reason", "note", "field"),
    [
        ("", "", "reason"),
        ("insult", "", "reason"),
        ("SPAM", "", "reason"),
        ("other", "", "note"),
        ("other", "   ", "note"),
        ("other", "x" * 501, "note"),
        ("spam", "x" * 501, "note"),
        ("other", "nul \x00 here", "note"),
    ],
)
def test_a_report_off_the_list_is_refused_and_nothing_is_stored(post, reason, note, field):
    comment = post()
    with pytest.raises(ReasonInvalid) as refused:
        services.comment_flag(comment, reporter_key="r1", reason=reason, note=note, channel="form")
    assert refused.value.field == field and refused.value.status == 400
    assert not Flag.objects.exists()
    comment.refresh_from_db()
    assert comment.flag_count == 0


# --- The API -----------------------------------------------------------------------------


def test_api_report_with_a_reason(api, post):
    comment = post()
    ok = api.post(f"/comments/{comment.pk}/flag", {"reason": "illegal", "note": "A threat."})
    assert ok.status_code == 200 and ok.json() == {"counted": True}
    flag = Flag.objects.get()
    assert (flag.reason, flag.note) == ("illegal", "A threat.")


def test_api_refuses_a_reason_off_the_list_with_400_and_says_which(api, post):
    comment = post()
    old_style = api.post(f"/comments/{comment.pk}/flag", {"reason": "he is rude"})
    assert old_style.status_code == 400
    error = old_style.json()["error"]
    assert error["code"] == "invalid_reason"
    assert "spam" in error["message"] and "harassment" in error["message"]
    assert list(error["fields"]) == ["reason"]
    missing = api.post(f"/comments/{comment.pk}/flag", {})
    assert missing.status_code == 400 and list(missing.json()["error"]["fields"]) == ["reason"]
    bare_other = api.post(f"/comments/{comment.pk}/flag", {"reason": "other"})
    assert bare_other.status_code == 400
    assert bare_other.json()["error"]["fields"]["note"] == [
        "For “Other”, say in a few words what is wrong."
    ]
    long_note = api.post(f"/comments/{comment.pk}/flag", {"reason": "other", "note": "x" * 600})
    assert long_note.status_code == 400 and "500 characters" in long_note.json()["error"]["message"]
    assert not Flag.objects.exists()


def test_the_site_configuration_lists_the_reasons_for_the_widget(api, site):
    config = api.get(f"/sites/{site.slug}").json()
    assert config["report_reasons"] == [
        {"code": "spam", "label": "Spam", "needs_note": False},
        {"code": "harassment", "label": "Harassment or hate", "needs_note": False},
        {"code": "illegal", "label": "Illegal content", "needs_note": False},
        {"code": "other", "label": "Other", "needs_note": True},
    ]


# --- The no-JS form ---------------------------------------------------------------------


def test_the_report_page_offers_the_reasons_as_radio_buttons(client, post):
    comment = post()
    page = html(client.get(f"/c/{comment.pk}/report"))
    for code, label in Flag.Reason.choices:
        assert f'type="radio" name="reason" value="{code}"' in page
        assert str(label) in page
    assert "<fieldset" in page and "<legend>Why do you report this comment?</legend>" in page
    assert 'name="note"' in page and 'maxlength="500"' in page


def test_the_form_shows_the_error_next_to_the_field_and_keeps_the_words(client, post):
    comment = post()
    no_reason = client.post(f"/c/{comment.pk}/report", {"note": "Hm."})
    assert no_reason.status_code == 400
    page = html(no_reason)
    assert '<p class="field__error" id="id_reason-error">Choose a reason.</p>' in page
    assert ">Hm.</textarea>" in page  # nothing typed is lost
    bare_other = client.post(f"/c/{comment.pk}/report", {"reason": "other"})
    page = html(bare_other)
    assert bare_other.status_code == 400
    assert 'id="id_note-error">For “Other”, say in a few words what is wrong.</p>' in page
    assert 'aria-invalid="true"' in page
    assert (
        '<input type="radio" name="reason" value="other" id="id_reason_3" required checked>' in page
    )
    bogus = client.post(f"/c/{comment.pk}/report", {"reason": "insult"})
    assert bogus.status_code == 400 and "Select a valid choice" in html(bogus)
    assert not Flag.objects.exists()


def test_the_form_stores_the_reason(client, post):
    comment = post()
    response = client.post(
        f"/c/{comment.pk}/report", {"reason": "other", "note": "Quotes my address."}
    )
    assert response.status_code == 302
    flag = Flag.objects.get()
    assert (flag.reason, flag.note) == ("other", "Quotes my address.")


# --- The queue --------------------------------------------------------------------------


def test_the_queue_shows_the_reports_per_reason_and_the_readers_words(post, mod_client):
    comment = post("Contested words")
    for n, (reason, note) in enumerate(
        [("spam", ""), ("harassment", ""), ("harassment", ""), ("other", "Names my son.")]
    ):
        services.comment_flag(
            comment, reporter_key=f"r{n}", reason=reason, note=note, channel="form"
        )
    row = row_html(html(mod_client.get(QUEUE + "?tab=all")), comment)
    assert (
        '<span class="tag tag--reason" data-reason="harassment">Harassment or hate: 2</span>' in row
    )
    assert 'data-reason="spam">Spam: 1</span>' in row
    assert 'data-reason="other">Other: 1</span>' in row
    assert row.index('data-reason="harassment"') < row.index('data-reason="other"')
    assert "“Names my son.”" in row
    assert "4 reports" in row


# --- The migration ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_free_text_reasons_become_other_with_their_text(site):
    before = ("moderation", "0003_email_bans_hashed")
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate([before])
    apps = executor.loader.project_state(
        [n for n in latest if n[0] != "moderation"] + [before]
    ).apps
    Thread = apps.get_model("comments", "Thread")
    Comment = apps.get_model("comments", "Comment")
    OldFlag = apps.get_model("moderation", "Flag")
    thread = Thread.objects.create(site_id=site.pk, key="/old/")
    comment = Comment.objects.create(
        thread=thread, seq=1, root_seq=1, path="000001", author_name="A", body="x",
        body_html="<p>x</p>", avatar_key="a", created="2025-01-01T00:00:00Z",
    )  # fmt: skip
    OldFlag.objects.create(comment=comment, reporter="r1", reason="he insults people")
    OldFlag.objects.create(comment=comment, reporter="r2", reason="")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(latest)
    stored = {f.reporter: (f.reason, f.note) for f in Flag.objects.all()}
    assert stored == {"r1": ("other", "he insults people"), "r2": ("other", "")}
    Client()  # the database is usable again for the next test
