"""Editor's picks and the pinned comment through the API: moderators' endpoints
(POST/DELETE /comments/{id}/pick and /pin), the thread's `pinned`, `picks` and
each comment's `pick`, the picks view, /me's `moderator`, and cached reads."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from meydan.accounts.tokens import widget_token_issue
from meydan.comments import services
from meydan.comments.models import Comment, Thread
from meydan.moderation.models import AuditEntry
from meydan.sites.models import Site

URL = "/baku-rally/"


@pytest.fixture
def editor(site):
    user = get_user_model().objects.create_user("editor", "editor@example.org", is_staff=True)
    site.moderators.add(user)
    return user


@pytest.fixture
def reader_user(db):
    return get_user_model().objects.create_user("leyla", "leyla@example.org")


@pytest.fixture
def bearer(site):
    def _bearer(user, on=None):
        token = widget_token_issue(user, site_id=(on or site).pk, provider="")
        return {"Authorization": f"Bearer {token}"}

    return _bearer


@pytest.fixture
def comments(post, thread):
    first = post("First, and thoughtful.", name="Aynur")
    reply = post("A reply.", parent=first, name="Tural")
    second = post("Second.", name="Samira")
    return first, reply, second


def read(api, site, **params):
    response = api.get("/threads", {"site": site.slug, "url": URL, **params})
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a block's after-commit work (cache invalidation), as a real commit does."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_a_moderator_picks_and_pins_with_a_bearer_token(
    api, site, editor, bearer, comments, committed
):
    first, reply, second = comments
    auth = bearer(editor)
    picked = api.post(f"/comments/{reply.pk}/pick", {}, **auth)
    assert picked.status_code == 200 and picked.json()["pick"] is True
    pinned = api.post(f"/comments/{second.pk}/pin", {}, **auth)
    assert pinned.status_code == 200 and pinned.json()["pinned"]["id"] == second.pk

    thread = read(api, site)
    assert thread["pinned"]["id"] == second.pk and thread["picks"] == 1
    assert {c["id"]: c["pick"] for c in thread["comments"]} == {
        first.pk: False,
        reply.pk: True,
        second.pk: False,
    }
    assert list(AuditEntry.objects.order_by("pk").values_list("action", "actor")) == [
        ("pick", editor.pk),
        ("pin", editor.pk),
    ]

    with committed():
        # Pinning another one replaces it; unpinning one that is not pinned changes nothing.
        assert api.post(f"/comments/{first.pk}/pin", {}, **auth).json()["pinned"]["id"] == first.pk
        unpin_other = api.delete(f"/comments/{second.pk}/pin", **auth)
        assert unpin_other.status_code == 200 and unpin_other.json()["pinned"]["id"] == first.pk
        unpinned = api.delete(f"/comments/{first.pk}/pin", **auth)
        assert unpinned.status_code == 200 and unpinned.json() == {"pinned": None}
        unpicked = api.delete(f"/comments/{reply.pk}/pick", **auth)
        assert unpicked.status_code == 200 and unpicked.json()["pick"] is False
    thread = read(api, site)
    assert thread["pinned"] is None and thread["picks"] == 0
    assert not any(c["pick"] for c in thread["comments"])


def test_readers_and_other_sites_moderators_get_a_clear_403(
    api, site, editor, bearer, comments, reader_user
):
    _first, reply, _second = comments
    other_site = Site.objects.create(name="Other", slug="other", domain="other.example")
    elsewhere = get_user_model().objects.create_user("other", "o@example.org", is_staff=True)
    other_site.moderators.add(elsewhere)
    cases = [
        {},  # a guest
        bearer(reader_user),  # a signed-in reader
        bearer(elsewhere),  # a moderator of another site, with a token for this one
    ]
    for headers in cases:
        for method in ("post", "delete"):
            for what in ("pick", "pin"):
                call = getattr(api, method)
                args = (f"/comments/{reply.pk}/{what}", {}) if method == "post" else (
                    f"/comments/{reply.pk}/{what}",
                )  # fmt: skip
                response = call(*args, **headers)
                assert response.status_code == 403, (headers, method, what)
                error = response.json()["error"]
                assert error["code"] == "not_moderator"
                assert "moderators" in error["message"]
    assert not AuditEntry.objects.exists()
    assert not Comment.objects.filter(is_pick=True).exists()
    assert Thread.objects.get().pinned_id is None


def test_a_token_for_another_site_is_refused(api, site, editor, bearer, comments):
    other_site = Site.objects.create(name="Other", slug="other", domain="other.example")
    response = api.post(f"/comments/{comments[0].pk}/pick", {}, **bearer(editor, on=other_site))
    assert response.status_code == 401 and response.json()["error"]["code"] == "token_invalid"


def test_held_comments_cannot_be_picked_or_pinned(api, editor, bearer, comments):
    held = comments[2]
    Comment.objects.filter(pk=held.pk).update(status=Comment.Status.PENDING)
    for what in ("pick", "pin"):
        response = api.post(f"/comments/{held.pk}/{what}", {}, **bearer(editor))
        assert response.status_code == 409
        assert response.json()["error"] == {
            "code": "not_published",
            "message": "Only published comments can be picked or pinned.",
        }
    assert api.post("/comments/999999/pick", {}, **bearer(editor)).status_code == 404


def test_a_moderator_session_needs_csrf(site, editor, comments):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(editor)
    path = f"/api/v1/comments/{comments[0].pk}/pick"
    assert browser.post(path).status_code == 403  # the session does not count without it
    token = "k" * 32
    browser.cookies["csrftoken"] = token
    assert browser.post(path, headers={"X-CSRFToken": token}).status_code == 200
    assert Comment.objects.get(pk=comments[0].pk).is_pick


def test_the_picks_view_lists_only_picks_oldest_first(api, site, editor, comments):
    first, reply, second = comments
    for comment in (second, reply):  # picked newest first: listed by when they were posted
        services.comment_set_pick(comment, True, channel="moderation", actor=editor)
    picks = read(api, site, picks="true")
    assert picks["view"] == "picks" and picks["picks"] == 2
    assert [c["id"] for c in picks["comments"]] == [reply.pk, second.pk]
    assert all(c["pick"] and c["permalink"] == f"/c/{c['id']}" for c in picks["comments"])
    assert (picks["page"], picks["pages"], picks["order"]) == (1, 1, "oldest")
    assert read(api, site, picks="true", order="newest")["comments"] == picks["comments"]
    assert read(api, site)["view"] == "thread"


def test_an_empty_page_has_no_pin_and_no_picks(api, site):
    body = read(api, site, picks="true")
    assert (body["pinned"], body["picks"], body["comments"], body["view"]) == (
        None,
        0,
        [],
        "picks",
    )


def test_a_pick_shows_on_the_next_read_and_an_old_etag_says_what_it_was(
    api, site, editor, bearer, comments, django_capture_on_commit_callbacks
):
    before = api.get("/threads", {"site": site.slug, "url": URL})
    etag = before["ETag"]
    assert not any(c["pick"] for c in before.json()["comments"])  # now cached
    with django_capture_on_commit_callbacks(execute=True):
        api.post(f"/comments/{comments[0].pk}/pick", {}, **bearer(editor))
        api.post(f"/comments/{comments[0].pk}/pin", {}, **bearer(editor))
    after = api.get("/threads", {"site": site.slug, "url": URL}, If_None_Match=etag)
    assert after.status_code == 200 and after["ETag"] != etag
    assert after.json()["comments"][0]["pick"] and after.json()["pinned"]["id"] == comments[0].pk
    # The version in the old ETag named the old state; the cache has the new one now.
    assert (
        api.get(
            "/threads", {"site": site.slug, "url": URL}, If_None_Match=after["ETag"]
        ).status_code
        == 304
    )


def test_a_pinned_comment_that_is_held_leaves_the_payload(api, site, editor, comments, committed):
    with committed():
        services.thread_pin(comments[0].thread, comments[0], channel="moderation", actor=editor)
    assert read(api, site)["pinned"]["id"] == comments[0].pk
    with committed():
        services.comment_set_status(comments[0], Comment.Status.PENDING, channel="moderation")
    assert read(api, site)["pinned"] is None


def test_me_says_who_moderates_the_site(api, site, editor, bearer, reader_user):
    me = api.get("/me", {"site": site.slug}, **bearer(editor)).json()
    assert me["signed_in"] and me["moderator"] is True
    assert api.get("/me", {"site": site.slug}, **bearer(reader_user)).json()["moderator"] is False
    guest = api.get("/me", {"site": site.slug}).json()
    assert guest["signed_in"] is False and guest["moderator"] is False
