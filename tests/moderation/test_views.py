"""The moderators' workspace at /moderation/, the readers' report page and the
API's report endpoint: access, tabs, filters, actions, bans, the audit log,
CSRF and framing."""

import re
from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.messages import get_messages
from django.test import Client, RequestFactory
from django.utils import timezone

from meydan.comments import services as comment_services
from meydan.comments.models import Comment
from meydan.comments.reasons import Reason
from meydan.core.privacy import ip_hash
from meydan.core.sealing import email_hash
from meydan.moderation import services
from meydan.moderation.models import AuditEntry, Ban, Flag

pytestmark = pytest.mark.django_db

S = Comment.Status
QUEUE = "/moderation/"


def html(response) -> str:
    return response.content.decode()


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def row_html(page: str, comment) -> str:
    start = page.index(f'id="row-{comment.pk}"')
    return page[start : page.index("</li>", start)]


def shown_ids(response) -> set[int]:
    return {row["comment"].pk for row in response.context["rows"]}


@pytest.fixture
def held(post, site):
    """held("text", ...) — a comment on site A waiting for a moderator."""

    def _held(body="Held for review.", **kw):
        comment = post(body, moderate=False, **kw)
        return comment_services.comment_set_status(
            comment, S.PENDING, reason=Reason.other("held: test"), channel="moderation"
        )

    return _held


@pytest.fixture
def on_b(thread_b):
    """A held comment on site B (which the moderator of A does not moderate)."""
    comment = comment_services.comment_post(
        thread=thread_b,
        author=comment_services.Author(name="Bob", email="bob@example.org"),
        body="A comment on site B.",
        moderate=False,
        channel="form",
    ).comment
    return comment_services.comment_set_status(
        comment, S.PENDING, reason=Reason.other("held: b"), channel="moderation"
    )


# --- Who may enter ------------------------------------------------------------------------


@pytest.mark.parametrize("path", [QUEUE, "/moderation/bans/", "/moderation/log/"])
def test_anonymous_is_sent_to_log_in(client, path, db):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={path}"


def test_anonymous_cannot_act(client, held):
    comment = held()
    response = client.post("/moderation/act/", {"one": f"approve:{comment.pk}"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert Comment.objects.get(pk=comment.pk).status == S.PENDING


@pytest.mark.parametrize("who", ["reader", "reader-listed-as-moderator", "staff-of-no-site"])
def test_non_moderators_are_refused(client, make_user, site, held, who):
    comment = held()
    user = make_user(
        "someone",
        staff=who == "staff-of-no-site",
        moderates=[site] if who == "reader-listed-as-moderator" else [],
    )
    client.force_login(user)
    for path in (QUEUE, "/moderation/bans/", "/moderation/log/"):
        assert client.get(path).status_code == 403
    assert client.get(f"/moderation/comments/{comment.pk}/edit/").status_code == 403
    assert client.post("/moderation/act/", {"one": f"approve:{comment.pk}"}).status_code == 403
    assert Comment.objects.get(pk=comment.pk).status == S.PENDING


def test_inactive_staff_are_refused(make_user, site, client):
    editor = make_user("editor", staff=True, moderates=[site])
    client.force_login(editor)
    editor.is_active = False
    editor.save()
    assert client.get(QUEUE).status_code in (302, 403)


def test_superuser_moderates_every_site(make_user, client, held, on_b):
    client.force_login(make_user("root", superuser=True))
    mine = held()
    response = client.get(QUEUE)
    assert shown_ids(response) == {mine.pk, on_b.pk}


# --- One site's moderator and another site's comments -------------------------------------


def test_moderator_sees_only_their_sites(mod_client, held, on_b):
    mine = held()
    for params in ({}, {"tab": "all"}, {"site": on_b.thread.site_id}, {"author": "bob"}):
        response = mod_client.get(QUEUE, params)
        assert on_b.pk not in shown_ids(response)
        assert "A comment on site B." not in html(response)
    assert shown_ids(mod_client.get(QUEUE)) == {mine.pk}
    # The site filter offers only their sites.
    assert [s.name for s in mod_client.get(QUEUE).context["sites"]] == ["Caspian Ledger"]


def test_actions_silently_skip_other_sites(mod_client, held, on_b):
    mine = held()
    response = mod_client.post("/moderation/act/", {"action": "approve", "ids": [mine.pk, on_b.pk]})
    assert response.status_code == 302
    assert Comment.objects.get(pk=mine.pk).status == S.APPROVED
    assert Comment.objects.get(pk=on_b.pk).status == S.PENDING
    assert messages_of(response) == ["1 comment: approved."]
    # A row button and "delete forever" with B's id do nothing either.
    mod_client.post("/moderation/act/", {"one": f"spam:{on_b.pk}"})
    mod_client.post("/moderation/act/", {"action": "delete", "ids": [on_b.pk]})
    assert Comment.objects.get(pk=on_b.pk).status == S.PENDING
    assert list(AuditEntry.objects.values_list("comment_ref", flat=True)) == [mine.pk]


def test_edit_and_reply_on_another_site_are_404(mod_client, on_b):
    assert mod_client.get(f"/moderation/comments/{on_b.pk}/edit/").status_code == 404
    edit = mod_client.post(f"/moderation/comments/{on_b.pk}/edit/", {"body": "hijacked"})
    assert edit.status_code == 404
    reply = mod_client.post(f"/moderation/comments/{on_b.pk}/reply/", {"body": "hello"})
    assert reply.status_code == 404
    assert Comment.objects.get(pk=on_b.pk).body == "A comment on site B."
    assert Comment.objects.count() == 1
    assert mod_client.get("/moderation/comments/999999/edit/").status_code == 404


def test_cannot_ban_or_lift_on_another_site(mod_client, site_b):
    response = mod_client.post(
        "/moderation/bans/", {"kind": "email", "value": "x@example.org", "site": site_b.pk}
    )
    assert response.status_code == 200  # the form again, with an error
    assert response.context["form"].errors["site"]
    assert not Ban.objects.exists()
    theirs = Ban.objects.create(site=site_b, kind="email", value=email_hash("y@example.org"))
    assert "y@example.org" not in html(mod_client.get("/moderation/bans/"))
    mod_client.post("/moderation/bans/", {"lift": theirs.pk})
    assert Ban.objects.filter(pk=theirs.pk).exists()
    assert not AuditEntry.objects.exists()


def test_log_shows_only_their_sites(mod_client, make_user, held, on_b):
    root = make_user("root", superuser=True)
    services.comment_moderate(on_b, "approve", actor=root)
    services.comment_moderate(held(), "spam", actor=root)
    entries = list(mod_client.get("/moderation/log/").context["page"])
    assert [e.action for e in entries] == ["spam"]


# --- The queue: tabs, filters, rows -------------------------------------------------------


@pytest.fixture
def one_of_each(post, held):
    approved = post("Approved one", moderate=False)
    pending = held("Pending one")
    spam = comment_services.comment_set_status(
        post("Spam one", moderate=False), S.SPAM, channel="moderation"
    )
    trash = comment_services.comment_set_status(
        post("Trash one", moderate=False), S.TRASH, channel="moderation"
    )
    return {"approved": approved, "pending": pending, "spam": spam, "trash": trash}


@pytest.mark.parametrize(
    ("tab", "expected"),
    [
        (None, {"pending"}),
        ("pending", {"pending"}),
        ("spam", {"spam"}),
        ("trash", {"trash"}),
        ("all", {"approved", "pending", "spam", "trash"}),
        ("bogus", {"pending"}),
    ],
)
def test_tabs(mod_client, one_of_each, tab, expected):
    response = mod_client.get(QUEUE, {"tab": tab} if tab else {})
    assert response.status_code == 200
    assert shown_ids(response) == {one_of_each[name].pk for name in expected}
    assert response.context["counts"] == {"pending": 1, "spam": 1}
    page = html(response)
    for label in ("Pending", "Spam", "Trash", "All"):
        assert f">{label}" in page


def test_filters(mod_client, post, site, held, make_user):
    other_thread = comment_services.thread_get_or_create(site=site, key="/other/")
    by_aynur = held("From Aynur", name="Aynur Aliyeva", email="Aynur@Example.org", ip="203.0.113.1")
    by_tural = held("From Tural", name="Tural", email="tural@example.org", on=other_thread)
    reader = make_user("leyla")
    by_leyla = comment_services.comment_set_status(
        comment_services.comment_post(
            thread=other_thread,
            author=comment_services.Author(name="Leyla", email=reader.email, user=reader),
            body="From Leyla",
            channel="form",
        ).comment,
        S.PENDING,
        channel="moderation",
    )
    every = {by_aynur.pk, by_tural.pk, by_leyla.pk}
    assert shown_ids(mod_client.get(QUEUE)) == every
    assert shown_ids(mod_client.get(QUEUE, {"site": site.pk})) == every
    assert shown_ids(mod_client.get(QUEUE, {"thread": other_thread.pk})) == {
        by_tural.pk,
        by_leyla.pk,
    }
    for author in ("aliyeva", "aynur@example.org", ip_hash("203.0.113.1")):
        assert shown_ids(mod_client.get(QUEUE, {"author": author})) == {by_aynur.pk}
    assert shown_ids(mod_client.get(QUEUE, {"author": "leyla"})) == {by_leyla.pk}
    assert shown_ids(mod_client.get(QUEUE, {"thread": "abc", "site": "x"})) == every


def test_row_shows_reason_score_history_and_link(mod_client, post, held, site, thread):
    site.hold_links = 1
    site.save()
    # Aynur's history: two approved (one with a differently cased address), one held.
    post("Earlier", moderate=False, email="aynur@example.org")
    post("Earlier again", moderate=False, email="AYNUR@example.org")
    comment = post("See https://example.org", email="Aynur@Example.org")
    Comment.objects.filter(pk=comment.pk).update(spam_score=0.4567)
    response = mod_client.get(QUEUE)
    row = row_html(html(response), comment)
    assert '<span class="mod__reason">held: 1 link</span>' in row
    assert "spam score 0.46" in row
    assert f'href="{thread.get_absolute_url()}#comment-{comment.pk}"' in row
    assert f'href="/moderation/comments/{comment.pk}/edit/"' in row
    assert 'class="mod__history"' in row
    (data,) = response.context["rows"]
    assert data["history"] == {"approved": 2, "pending": 1}
    # Per-row buttons name the action and the comment.
    assert f'name="one" value="approve:{comment.pk}"' in row
    assert f'name="one" value="spam:{comment.pk}"' in row


def test_history_of_a_guest_without_email_is_by_ip(mod_client, post, site):
    site.require_name_email = False
    site.hold_all = True
    site.save()
    post("One", name="", email="", ip="203.0.113.4", moderate=False)
    held = post("Two", name="", email="", ip="203.0.113.4")
    post("Three", name="", email="", ip="203.0.113.5")  # someone else
    rows = {r["comment"].pk: r["history"] for r in mod_client.get(QUEUE).context["rows"]}
    assert rows[held.pk] == {"approved": 1, "pending": 1}


def test_history_of_a_signed_in_reader(mod_client, thread, make_user):
    reader = make_user("leyla")
    author = comment_services.Author(name="Leyla", email=reader.email, user=reader)
    comment_services.comment_post(thread=thread, author=author, body="One", channel="form")
    held = comment_services.comment_post(
        thread=thread, author=author, body="Two", channel="form"
    ).comment
    comment_services.comment_set_status(held, S.PENDING, channel="moderation")
    (row,) = mod_client.get(QUEUE).context["rows"]
    assert row["history"] == {"approved": 1, "pending": 1}
    assert "account leyla" in html(mod_client.get(QUEUE))


# --- Acting -------------------------------------------------------------------------------


def test_bulk_action_on_a_selection(mod_client, held, thread):
    comments = [held(f"c{n}") for n in range(3)]
    response = mod_client.post(
        "/moderation/act/",
        {"action": "spam", "ids": [comments[0].pk, comments[2].pk], "next": "/moderation/?tab=all"},
    )
    assert response.status_code == 302 and response["Location"] == "/moderation/?tab=all"
    statuses = [Comment.objects.get(pk=c.pk).status for c in comments]
    assert statuses == [S.SPAM, S.PENDING, S.SPAM]
    assert AuditEntry.objects.filter(action="spam", note="bulk").count() == 2
    assert messages_of(response) == ["2 comments: marked as spam."]


def test_row_button_acts_on_that_comment_alone(mod_client, held, thread, moderator):
    first, second = held("first"), held("second")
    response = mod_client.post(
        "/moderation/act/",
        # The row button wins over a bulk action and selection sent with it.
        {"one": f"approve:{second.pk}", "action": "trash", "ids": [first.pk]},
    )
    assert response.status_code == 302
    assert Comment.objects.get(pk=first.pk).status == S.PENDING
    assert Comment.objects.get(pk=second.pk).status == S.APPROVED
    thread.refresh_from_db()
    assert thread.comment_count == 1
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action, entry.comment_ref) == (moderator, "approve", second.pk)


def test_every_action_through_the_view(mod_client, held):
    comment = held()
    for action, status in [
        ("approve", S.APPROVED),
        ("unapprove", S.PENDING),
        ("spam", S.SPAM),
        ("not_spam", S.APPROVED),
        ("trash", S.TRASH),
        ("restore", S.APPROVED),
    ]:
        mod_client.post("/moderation/act/", {"one": f"{action}:{comment.pk}"})
        assert Comment.objects.get(pk=comment.pk).status == status, action
    assert AuditEntry.objects.count() == 6


@pytest.mark.parametrize(
    "data",
    [{"action": "approve"}, {"action": "approve", "ids": ["x"]}, {"one": "approve:abc"}],
)
def test_nothing_selected(mod_client, held, data):
    comment = held()
    response = mod_client.post("/moderation/act/", data)
    assert response.status_code == 302
    assert messages_of(response) == ["Select at least one comment."]
    assert Comment.objects.get(pk=comment.pk).status == S.PENDING


def test_unknown_action_is_a_message(mod_client, held):
    comment = held()
    response = mod_client.post("/moderation/act/", {"one": f"publish:{comment.pk}"})
    assert messages_of(response) == ["Unknown moderation action."]
    assert Comment.objects.get(pk=comment.pk).status == S.PENDING


def test_next_must_be_on_this_site(mod_client, held):
    comment = held()
    response = mod_client.post(
        "/moderation/act/", {"one": f"approve:{comment.pk}", "next": "https://evil.example/"}
    )
    assert response["Location"] == QUEUE


def test_delete_forever(mod_client, held, post):
    lonely = held("Lonely")
    parent = post("Parent", moderate=False)
    post("Reply", parent=parent, moderate=False)
    response = mod_client.post(
        "/moderation/act/", {"action": "delete", "ids": [lonely.pk, parent.pk]}
    )
    assert messages_of(response) == ["2 comments: deleted."]
    assert not Comment.objects.filter(pk=lonely.pk).exists()
    placeholder = Comment.objects.get(pk=parent.pk)
    assert placeholder.status == S.TRASH and placeholder.body == ""
    assert sorted(AuditEntry.objects.values_list("comment_ref", flat=True)) == sorted(
        [lonely.pk, parent.pk]
    )


def test_edit_as_moderator(mod_client, held, moderator):
    comment = held("Teh typo")
    page = mod_client.get(f"/moderation/comments/{comment.pk}/edit/")
    assert page.status_code == 200 and "Teh typo</textarea>" in html(page)
    assert "Reply as moderator" in html(page)
    response = mod_client.post(f"/moderation/comments/{comment.pk}/edit/", {"body": "The typo"})
    assert response.status_code == 302
    assert response["Location"] == f"/moderation/comments/{comment.pk}/edit/"
    comment.refresh_from_db()
    assert comment.body == "The typo" and comment.edited
    assert AuditEntry.objects.get().action == "edit"


def test_edit_errors_are_shown(mod_client, held, site):
    site.max_comment_length = 10
    site.save()
    comment = held("Short")
    empty = mod_client.post(f"/moderation/comments/{comment.pk}/edit/", {"body": ""})
    assert empty.status_code == 200 and empty.context["form"].errors
    long = mod_client.post(f"/moderation/comments/{comment.pk}/edit/", {"body": "x" * 11})
    assert long.status_code == 200
    assert "at most 10 characters" in html(long)
    assert Comment.objects.get(pk=comment.pk).body == "Short"
    assert not AuditEntry.objects.exists()


def test_reply_as_moderator(mod_client, held, moderator):
    comment = held()
    response = mod_client.post(
        f"/moderation/comments/{comment.pk}/reply/", {"body": "Thanks, approved soon."}
    )
    assert response["Location"] == f"/moderation/comments/{comment.pk}/edit/"
    reply = Comment.objects.get(parent=comment)
    assert (reply.status, reply.user, reply.body) == (
        S.APPROVED, moderator, "Thanks, approved soon.",
    )  # fmt: skip
    assert AuditEntry.objects.get().action == "reply"
    empty = mod_client.post(f"/moderation/comments/{comment.pk}/reply/", {"body": ""})
    assert "Write a reply first." in messages_of(empty)
    assert mod_client.get(f"/moderation/comments/{comment.pk}/reply/").status_code == 405


# --- Bans page ----------------------------------------------------------------------------


def test_ban_form_is_prefilled_from_the_row_link(mod_client, site, held):
    comment = held()
    page = html(mod_client.get(QUEUE))
    link = re.search(r'href="(/moderation/bans/\?[^"]+)"', row_html(page, comment)).group(1)
    form = mod_client.get(link.replace("&amp;", "&")).context["form"]
    # The link carries the address's keyed hash, never the address.
    assert form.initial == {
        "kind": "email", "value": email_hash("aynur@example.org"), "site": str(site.pk),
    }  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "value", "stored"),
    [
        ("email", "Spammer@Example.org", email_hash("spammer@example.org")),
        ("ip", "IPHASH", "IPHASH"),
        ("user", "USER", "USER"),
    ],
)
def test_ban_create(mod_client, site, moderator, make_user, kind, value, stored):
    if value == "IPHASH":
        value = stored = ip_hash("203.0.113.9")
    if value == "USER":
        value = stored = str(make_user("troll").pk)
    response = mod_client.post(
        "/moderation/bans/",
        {"kind": kind, "value": value, "site": site.pk, "days": 7, "shadow": "on",
         "reason": "flood"},
    )  # fmt: skip
    assert response.status_code == 302 and response["Location"] == "/moderation/bans/"
    ban = Ban.objects.get()
    assert (ban.kind, ban.value, ban.site, ban.shadow, ban.reason, ban.created_by) == (
        kind, stored, site, True, "flood", moderator,
    )  # fmt: skip
    assert abs(ban.expires - (timezone.now() + timedelta(days=7))) < timedelta(minutes=1)
    assert AuditEntry.objects.get().action == "ban"
    listing = html(mod_client.get("/moderation/bans/"))
    shown = ban.shown if kind == "email" else stored  # an address is listed masked
    assert shown in listing and f'name="lift" value="{ban.pk}"' in listing


def test_ban_without_expiry_lasts_until_lifted(mod_client, site):
    mod_client.post("/moderation/bans/", {"kind": "email", "value": "a@b.org", "site": site.pk})
    ban = Ban.objects.get()
    assert ban.expires is None and ban.shadow is False
    assert "lifted by hand" in html(mod_client.get("/moderation/bans/"))


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "email", "value": ""}, "value"),
        ({"kind": "email", "value": "   "}, "value"),
        ({"kind": "phone", "value": "x"}, "kind"),
        ({"kind": "ip", "value": "x", "days": 0}, "days"),
        ({"kind": "ip", "value": "x", "days": 99999}, "days"),
    ],
)
def test_ban_form_errors(mod_client, site, data, field):
    response = mod_client.post("/moderation/bans/", {**data, "site": site.pk})
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Ban.objects.exists() and not AuditEntry.objects.exists()


def test_ban_lift(mod_client, site, moderator):
    ban = services.ban_create(actor=moderator, site=site, kind="email", value="a@b.org")
    response = mod_client.post("/moderation/bans/", {"lift": ban.pk})
    assert response.status_code == 302
    assert not Ban.objects.exists()
    assert AuditEntry.objects.filter(action="unban", actor=moderator).count() == 1
    assert messages_of(response) == ["Ban lifted."]


# --- Audit log ----------------------------------------------------------------------------


def test_log_lists_entries(mod_client, held, moderator):
    comment = held()
    mod_client.post("/moderation/act/", {"one": f"approve:{comment.pk}"})
    mod_client.post("/moderation/act/", {"action": "delete", "ids": [comment.pk]})
    page = html(mod_client.get("/moderation/log/"))
    assert page.count(f"#{comment.pk}<") == 2
    assert "approve" in page and "delete" in page and "editor" in page
    assert "Nobody can edit this log here." in page
    # The log is read-only: no form to change it (the footer's is the language
    # switcher), and no other method.
    assert "<form" not in page[page.index("<h1>") : page.index("</main>")]
    assert mod_client.post("/moderation/log/").status_code == 405


def test_admin_cannot_change_or_delete_audit_entries(make_user, held):
    root = make_user("root", superuser=True)
    services.comment_moderate(held(), "approve", actor=root)
    entry = AuditEntry.objects.get()
    model_admin = admin.site._registry[AuditEntry]
    request = RequestFactory().get("/admin/")
    request.user = root
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, entry)
    assert not model_admin.has_delete_permission(request, entry)
    client = Client()
    client.force_login(root)
    base = "/admin/moderation/auditentry"
    view = client.get(f"{base}/{entry.pk}/change/")
    assert view.status_code == 200 and 'name="_save"' not in html(view)
    assert client.post(f"{base}/{entry.pk}/change/", {"note": "rewritten"}).status_code == 403
    assert client.post(f"{base}/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get(f"{base}/add/").status_code == 403
    entry.refresh_from_db()
    assert entry.note == "" and AuditEntry.objects.count() == 1


# --- CSRF and framing ---------------------------------------------------------------------


def test_every_post_needs_csrf(moderator, held, site):
    comment = held()
    client = Client(enforce_csrf_checks=True)
    client.force_login(moderator)
    posts = [
        ("/moderation/act/", {"one": f"approve:{comment.pk}"}),
        (f"/moderation/comments/{comment.pk}/edit/", {"body": "changed"}),
        (f"/moderation/comments/{comment.pk}/reply/", {"body": "reply"}),
        ("/moderation/bans/", {"kind": "email", "value": "a@b.org", "site": site.pk}),
    ]
    for path, data in posts:
        assert client.post(path, data).status_code == 403, path
    comment.refresh_from_db()
    assert (comment.status, comment.body) == (S.PENDING, "Held for review.")
    assert not Ban.objects.exists() and not AuditEntry.objects.exists()
    assert Comment.objects.count() == 1
    # With the token from the page, the same request goes through.
    client.get(QUEUE)
    token = client.cookies["csrftoken"].value
    ok = client.post("/moderation/act/", {"one": f"approve:{comment.pk}"}, HTTP_X_CSRFTOKEN=token)
    assert ok.status_code == 302
    assert Comment.objects.get(pk=comment.pk).status == S.APPROVED


SPAM = {"reason": "spam"}


def test_report_needs_csrf(post):
    comment = post()
    client = Client(enforce_csrf_checks=True)
    assert client.post(f"/c/{comment.pk}/report", SPAM).status_code == 403
    assert not Flag.objects.exists()


def test_pages_may_not_be_framed(mod_client, held, post):
    comment = held()
    public = post("Public")
    for path in (
        QUEUE,
        "/moderation/bans/",
        "/moderation/log/",
        f"/moderation/comments/{comment.pk}/edit/",
    ):
        response = mod_client.get(path)
        assert response.status_code == 200 and response["X-Frame-Options"] == "DENY", path
    assert Client().get(f"/c/{public.pk}/report")["X-Frame-Options"] == "DENY"


# --- Readers report a comment -------------------------------------------------------------


def test_report_page_asks_first(client, post):
    comment = post("Rude words")
    page = client.get(f"/c/{comment.pk}/report")
    assert page.status_code == 200
    assert "Report this comment?" in html(page)
    assert "Rude words" in html(page) and 'method="post"' in html(page)
    assert not Flag.objects.exists()


def test_report_counts_once_per_reader(client, post, make_user):
    comment = post()
    response = client.post(f"/c/{comment.pk}/report", {"reason": "harassment"})
    assert response.status_code == 302 and response["Location"] == f"/c/{comment.pk}"
    assert messages_of(response) == ["Thank you. A moderator will look at this comment."]
    client.post(f"/c/{comment.pk}/report", SPAM)
    Client().post(f"/c/{comment.pk}/report", SPAM)  # same address, no session: the same reader
    comment.refresh_from_db()
    assert comment.flag_count == 1
    assert Flag.objects.get().reason == "harassment"
    Client(REMOTE_ADDR="203.0.113.20").post(f"/c/{comment.pk}/report", SPAM)
    signed_in = Client()
    signed_in.force_login(make_user("leyla"))
    signed_in.post(f"/c/{comment.pk}/report", SPAM)
    signed_in.post(f"/c/{comment.pk}/report", SPAM)
    comment.refresh_from_db()
    assert comment.flag_count == 3


def test_a_reader_counts_once_whichever_door_they_report_through(client, api, post):
    comment = post("Reported twice")
    client.post(f"/c/{comment.pk}/report", {"reason": "harassment"})
    again = api.post(f"/comments/{comment.pk}/flag", {"reason": "harassment"})
    assert again.json() == {"counted": False}  # the same address, through the API
    comment.refresh_from_db()
    assert comment.flag_count == 1


def test_reports_hold_the_comment_at_the_threshold(post, site, mod_client):
    site.flag_threshold = 2
    site.save()
    comment = post("Contested")
    Client(REMOTE_ADDR="203.0.113.1").post(f"/c/{comment.pk}/report", SPAM)
    Client(REMOTE_ADDR="203.0.113.2").post(f"/c/{comment.pk}/report", SPAM)
    comment.refresh_from_db()
    assert comment.status == S.PENDING
    assert comment.moderation_reason == "held: 2 reader reports"
    row = row_html(html(mod_client.get(QUEUE)), comment)
    assert "held: 2 reader reports" in row and "2 reports" in row
    # A comment that is not published cannot be reported.
    assert Client().get(f"/c/{comment.pk}/report").status_code == 404
    assert (
        Client(REMOTE_ADDR="203.0.113.3").post(f"/c/{comment.pk}/report", SPAM).status_code == 404
    )


def test_api_flag(api, post, site):
    site.flag_threshold = 2
    site.save()
    comment = post("Contested")
    first = api.post(f"/comments/{comment.pk}/flag", {"reason": "spam"})
    assert first.status_code == 200 and first.json() == {"counted": True}
    assert api.post(f"/comments/{comment.pk}/flag", SPAM).json() == {"counted": False}
    other = api.post(f"/comments/{comment.pk}/flag", SPAM, REMOTE_ADDR="203.0.113.7")
    assert other.json() == {"counted": True}
    comment.refresh_from_db()
    assert (comment.flag_count, comment.status) == (2, S.PENDING)
    assert comment.moderation_reason == "held: 2 reader reports"
    gone = api.post(f"/comments/{comment.pk}/flag", SPAM, REMOTE_ADDR="203.0.113.8")
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "not_found"
    assert api.post("/comments/999999/flag", SPAM).status_code == 404


def test_api_flag_from_another_origin(api, post):
    comment = post()
    evil = api.post(f"/comments/{comment.pk}/flag", SPAM, HTTP_ORIGIN="https://evil.example")
    assert evil.status_code == 403
    ok = api.post(f"/comments/{comment.pk}/flag", SPAM, HTTP_ORIGIN="https://blog.example.org")
    assert ok.status_code == 200
    assert Comment.objects.get(pk=comment.pk).flag_count == 1


def test_the_queue_says_what_the_spam_filter_has_learned(mod_client, post, settings):
    settings.MEYDAN_SPAM_MIN_LEARNED = 2
    page = mod_client.get("/moderation/").content.decode()
    assert "learned from 0 spam and 0 genuine comments" in page
    assert "once it has 2 of each" in page
    for n in range(2):
        mod_client.post("/moderation/act/", {"action": "spam", "ids": [post(f"Buy {n}").pk]})
        mod_client.post("/moderation/act/", {"action": "approve", "ids": [post(f"Fine {n}").pk]})
    page = mod_client.get("/moderation/").content.decode()
    assert (
        "learned from 2 spam and 2 genuine comments you judged; it scores every new comment" in page
    )
