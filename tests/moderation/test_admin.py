"""The Django admin runs the same actions as the moderation queue and the services:
audited, training the spam filter, keeping replies under a placeholder, and leaving
no cached page or CORS answer stale.

Each of these was found by reading the code: the admin wrote around the services.
"""

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client

from meydan.api.cors import known_origins
from meydan.comments.models import Comment, Thread
from meydan.core.errors import NotFound
from meydan.core.sealing import email_hash
from meydan.moderation.models import AuditEntry, Ban, SpamModel
from meydan.sites.lookup import site_for_slug
from tests.sealed import address_of

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/comments/comment/"


@pytest.fixture
def staff(admin_client):
    return admin_client


def act(staff, action, *comments):
    response = staff.post(
        CHANGELIST, {"action": action, "_selected_action": [c.pk for c in comments]}
    )
    assert response.status_code == 302, response.content[:500]


def test_admin_actions_are_audited_and_teach_the_filter(staff, post, site):
    a, b = post("Cheap watches here."), post("I was at the rally too.")
    act(staff, "mark_spam", a)
    act(staff, "mark_approved", b)
    assert list(AuditEntry.objects.order_by("pk").values_list("action", "comment_id")) == [
        ("spam", a.pk),
        ("approve", b.pk),
    ]
    assert all(entry.actor.is_superuser for entry in AuditEntry.objects.all())
    model = SpamModel.objects.get(site=site)
    assert (model.spam_docs, model.ham_docs) == (1, 1)


def test_admin_approve_lifts_a_shadow_ban(staff, post):
    comment = post("Shadowed.")
    Comment.objects.filter(pk=comment.pk).update(shadow=True, status=Comment.Status.PENDING)
    act(staff, "mark_approved", comment)
    comment.refresh_from_db()
    assert comment.status == "approved" and comment.shadow is False


def test_restore_after_an_admin_trash_goes_back_to_where_it_was(staff, post):
    comment = post("Published, then trashed by mistake.")
    act(staff, "mark_trash", comment)
    act(staff, "mark_restore", comment)
    comment.refresh_from_db()
    assert comment.status == "approved"


def test_admin_delete_is_delete_forever(staff, post, thread):
    parent = post("The parent.")
    reply = post("A reply by someone else.", parent=parent, name="Tural", email="t@example.org")
    alone = post("Nobody answered this one.")
    version = Thread.objects.get(pk=thread.pk).version
    page = staff.get(CHANGELIST).content.decode()
    assert 'value="delete_selected"' not in page
    assert staff.get(f"/admin/comments/comment/{parent.pk}/delete/").status_code == 403
    act(staff, "delete_forever", parent, alone)
    parent.refresh_from_db()
    assert parent.body == "" and parent.author_name == "" and address_of(parent) == ""
    assert Comment.objects.filter(pk=reply.pk).exists(), "the reply stays"
    assert not Comment.objects.filter(pk=alone.pk).exists()
    refreshed = Thread.objects.get(pk=thread.pk)
    assert refreshed.comment_count == 1 and refreshed.version > version
    assert AuditEntry.objects.filter(action="delete").count() == 2


def test_closing_a_thread_in_the_admin_shows_at_once(
    staff, post, thread, site, django_capture_on_commit_callbacks
):
    post("Before closing.")
    reader = Client()
    params = {"site": site.slug, "url": thread.key}
    assert reader.get("/api/v1/threads", params).json()["open"] is True
    with django_capture_on_commit_callbacks(execute=True):  # as after a real commit
        response = staff.post(
            f"/admin/comments/thread/{thread.pk}/change/",
            {"key": thread.key, "url": thread.url, "title": thread.title},
        )  # is_open left unticked
    assert response.status_code == 302, response.content[:800]
    assert reader.get("/api/v1/threads", params).json()["open"] is False
    assert staff.get(f"/admin/comments/thread/{thread.pk}/delete/").status_code == 403


def site_form(site, **changes):
    from django.forms.models import model_to_dict

    data = {k: v for k, v in model_to_dict(site).items() if v is not None}
    data["moderators"] = []
    data.update(changes)
    return {k: ("on" if v is True else v) for k, v in data.items() if v is not False}


def test_site_changes_in_the_admin_show_at_once(
    staff, post, thread, site, django_capture_on_commit_callbacks
):
    post("A comment.")
    site_for_slug(site.slug)  # cached
    known_origins()  # cached
    reader = Client()
    params = {"site": site.slug, "url": thread.key}
    assert reader.get("/api/v1/threads", params).json()["order"] == "oldest"
    origins = site.origins + "\nhttps://new.example.org"
    with django_capture_on_commit_callbacks(execute=True):  # as after a real commit
        response = staff.post(
            f"/admin/meydan_sites/site/{site.pk}/change/",
            site_form(site, default_order="newest", origins=origins),
        )
    assert response.status_code == 302, response.content[:2000]
    assert reader.get("/api/v1/threads", params).json()["order"] == "newest"
    assert "https://new.example.org" in known_origins()
    assert site_for_slug(site.slug).default_order == "newest"
    cache.clear()


def test_a_renamed_site_key_stops_answering_at_once(
    staff, site, django_capture_on_commit_callbacks
):
    old = site.slug
    site_for_slug(old)  # cached under the old key
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            f"/admin/meydan_sites/site/{site.pk}/change/", site_form(site, slug="renamed")
        )
    assert response.status_code == 302, response.content[:2000]
    with pytest.raises(NotFound):
        site_for_slug(old)
    assert site_for_slug("renamed").pk == site.pk


def test_a_ban_typed_in_the_admin_matches_and_is_audited(staff, site):
    response = staff.post(
        "/admin/moderation/ban/add/",
        {"kind": "email", "value": "  Spammer@Example.org ", "site": site.pk, "reason": "x"},
    )
    assert response.status_code == 302, response.content[:2000]
    ban = Ban.objects.get()
    # The address itself is not kept: its keyed hash matches, its mask is shown.
    assert (ban.value, ban.shown) == (email_hash("spammer@example.org"), "S•••@E•••.org")
    assert AuditEntry.objects.filter(action="ban").count() == 1
    staff.post(f"/admin/moderation/ban/{ban.pk}/delete/", {"post": "yes"})
    assert not Ban.objects.exists()
    assert AuditEntry.objects.filter(action="unban").count() == 1


def test_deleting_a_user_in_the_admin_removes_what_identifies_them(staff, post):
    from meydan.comments import services

    user = get_user_model().objects.create_user("leyla", email="leyla@example.org")
    comment = post("Signed in.")
    Comment.objects.filter(pk=comment.pk).update(user=user)
    response = staff.post(f"/admin/auth/user/{user.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    comment.refresh_from_db()
    assert address_of(comment) == "" and comment.author_name == services.DELETED_USER_NAME
    assert not get_user_model().objects.filter(pk=user.pk).exists()
