import json
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from meydan.accounts.models import Profile
from meydan.accounts.tokens import widget_token_issue
from meydan.comments.models import Comment, Thread
from meydan.sites.models import Site
from tests.api.conftest import ORIGIN
from tests.sealed import address_of

pytestmark = pytest.mark.django_db


def test_guest_posts_and_gets_201_with_edit_token(api, site, new_comment):
    response = api.post("/comments", new_comment(), Origin=ORIGIN)
    assert response.status_code == 201
    data = response.json()
    assert data["published"] is True and data["edit_token"] and data["edit_until"]
    assert data["comment"]["html"] == "<p>Posted <em>from the widget</em>.</p>"
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    thread = Thread.objects.get()
    assert thread.key == "/2015/06/baku-rally/" and thread.title == "Thousands rally in Baku"
    assert thread.url == f"{ORIGIN}/2015/06/baku-rally/"
    assert address_of(Comment.objects.get()) == "aynur@example.org"


def test_held_comment_is_202(api, site, new_comment):
    site.hold_all = True
    site.save()
    response = api.post("/comments", new_comment())
    assert response.status_code == 202
    assert response.json()["published"] is False
    assert response.json()["comment"]["status"] == "pending"
    assert (
        api.get("/threads", {"site": site.slug, "url": "/2015/06/baku-rally/"}).json()["comments"]
        == []
    )


def test_reply(api, site, new_comment):
    parent = api.post("/comments", new_comment()).json()["comment"]
    reply = api.post("/comments", new_comment(parent=parent["id"], body="Re")).json()
    assert reply["comment"]["parent"] == parent["id"] and reply["comment"]["depth"] == 1


def test_field_errors_are_per_field_and_store_nothing(api, site, new_comment):
    response = api.post(
        "/comments", new_comment(name="", email="nope", website="javascript:x", body=" ")
    )
    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"name", "email", "website", "body"}
    assert "Please enter your name." in fields["name"]
    assert not Comment.objects.exists()


@pytest.mark.parametrize(
    ("override", "status", "code"),
    [
        ({"parent": 999999}, 400, "parent_not_found"),
        ({"site": "nope"}, 404, "not_found"),
        ({"url": "https://evil.example/x/"}, 400, "url_not_on_site"),
        ({"body": "x" * 40_001}, 422, "invalid"),
        ({"body": "a\x00b"}, 422, "invalid"),
        ({"parent": "abc"}, 422, "invalid"),
    ],
)
def test_bad_posts(api, site, new_comment, override, status, code):
    response = api.post("/comments", new_comment(**override))
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert not Comment.objects.exists()


def test_closed_thread_is_403(api, site, new_comment):
    api.post("/comments", new_comment())
    Thread.objects.update(is_open=False)
    response = api.post("/comments", new_comment(body="late"))
    assert response.status_code == 403 and response.json()["error"]["code"] == "thread_closed"
    assert Comment.objects.count() == 1


@pytest.mark.parametrize("body", ["false", "[]", "null", '"text"', "3"])
def test_a_body_that_is_not_an_object_is_400(api, site, post, body):
    """Found by the schema fuzzer: `false` to the flag endpoint, whose fields all have
    defaults, was counted as a report."""
    comment = post("Report me.")
    for path in (f"/api/v1/comments/{comment.pk}/flag", "/api/v1/comments"):
        response = api.client.post(path, body, content_type="application/json")
        assert response.status_code == 400, (path, response.content)
        assert "JSON object" in response.json()["error"]["message"]


def test_not_json_is_415_and_broken_json_400(api, site):
    form = api.client.post("/api/v1/comments", {"site": site.slug})
    assert form.status_code == 415
    assert form.json()["error"]["code"] == "unsupported_media_type"
    broken = api.client.post("/api/v1/comments", "{nope", content_type="application/json")
    assert broken.status_code == 400 and "not valid JSON" in broken.json()["error"]["message"]
    latin = api.client.post(
        "/api/v1/comments", b'{"body": "caf\xe9"}', content_type="application/json"
    )
    assert latin.status_code == 400


def test_oversized_request_is_413(api, site, new_comment):
    response = api.post("/comments", new_comment(body="x" * 600_000))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


def test_other_origin_may_not_post(api, site, new_comment):
    response = api.post("/comments", new_comment(), Origin="https://evil.example")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "origin_not_allowed"
    assert not Comment.objects.exists()


def test_guest_edits_and_deletes_within_window(api, site, new_comment):
    created = api.post("/comments", new_comment()).json()
    cid, token = created["comment"]["id"], created["edit_token"]
    no_token = api.patch(f"/comments/{cid}", {"body": "hacked"})
    assert no_token.status_code == 404
    wrong = api.patch(f"/comments/{cid}", {"body": "hacked"}, X_Meydan_Edit_Token="x.y.z")
    assert wrong.status_code == 404
    edited = api.patch(f"/comments/{cid}", {"body": "**fixed**"}, X_Meydan_Edit_Token=token)
    assert edited.status_code == 200
    assert edited.json()["html"] == "<p><strong>fixed</strong></p>" and edited.json()["edited"]
    empty = api.patch(f"/comments/{cid}", {"body": ""}, X_Meydan_Edit_Token=token)
    assert empty.status_code == 422
    gone = api.delete(f"/comments/{cid}", X_Meydan_Edit_Token=token)
    assert gone.status_code == 204
    comment = Comment.objects.get()
    assert comment.status == Comment.Status.TRASH and comment.body == ""
    assert api.delete(f"/comments/{cid}", X_Meydan_Edit_Token=token).status_code == 404


def test_token_of_one_comment_does_not_open_another(api, site, new_comment):
    first = api.post("/comments", new_comment()).json()
    second = api.post("/comments", new_comment(body="two")).json()
    response = api.patch(
        f"/comments/{second['comment']['id']}",
        {"body": "x"},
        X_Meydan_Edit_Token=first["edit_token"],
    )
    assert response.status_code == 404


def test_edit_window_closes(api, site, new_comment):
    created = api.post("/comments", new_comment()).json()
    Comment.objects.update(created=timezone.now() - timedelta(minutes=16))
    response = api.patch(
        f"/comments/{created['comment']['id']}", {"body": "late"},
        X_Meydan_Edit_Token=created["edit_token"],
    )  # fmt: skip
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "edit_window_closed"


@pytest.fixture
def reader(db):
    user = get_user_model().objects.create_user("leyla", email="leyla@example.org")
    Profile.objects.create(user=user, display_name="Leyla Q.")
    return user


def test_bearer_token_posts_as_the_reader(api, site, new_comment, reader):
    token = widget_token_issue(reader, site_id=site.pk, provider="google")
    me = api.get("/me", Authorization=f"Bearer {token}").json()
    assert me == {
        "signed_in": True, "name": "Leyla Q.", "picture": me["picture"],
        "provider": "google", "provider_name": "Google", "moderator": False,
    }  # fmt: skip
    response = api.post(
        "/comments", new_comment(name="", email=""), Authorization=f"Bearer {token}"
    )
    assert response.status_code == 201
    data = response.json()
    assert data["edit_token"] is None
    assert data["comment"]["author"]["name"] == "Leyla Q."
    assert data["comment"]["author"]["provider_name"] == "Google"
    comment = Comment.objects.get()
    assert comment.user == reader and comment.author_provider == "google"
    cid = data["comment"]["id"]
    assert api.patch(f"/comments/{cid}", {"body": "x"}).status_code == 404
    edited = api.patch(f"/comments/{cid}", {"body": "x"}, Authorization=f"Bearer {token}")
    assert edited.status_code == 200


@pytest.mark.parametrize("token", ["garbage", "a.b.c", ""])
def test_bad_token_is_401_so_the_widget_can_ask_again(api, site, new_comment, token):
    me = api.get("/me", Authorization=f"Bearer {token}")
    assert me.status_code == 401 and me.json()["error"]["code"] == "token_invalid"
    posted = api.post("/comments", new_comment(name="", email=""), Authorization=f"Bearer {token}")
    assert posted.status_code == 401
    assert not Comment.objects.exists()


def test_token_for_another_site_is_not_accepted(api, site, new_comment, reader):
    other = Site.objects.create(name="Other", slug="other", domain="other.example")
    token = widget_token_issue(reader, site_id=other.pk, provider="google")
    response = api.post(
        "/comments", new_comment(name="", email=""), Authorization=f"Bearer {token}"
    )
    assert response.status_code == 401
    assert not Comment.objects.exists()
    assert api.get("/me", {"site": site.slug}, Authorization=f"Bearer {token}").status_code == 401


def test_session_needs_csrf(site, new_comment, reader):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(reader)
    body = json.dumps(new_comment(name="", email=""))
    response = browser.post("/api/v1/comments", body, content_type="application/json")
    # Without a CSRF token the session does not count: this is a guest without details.
    assert response.status_code == 422
    token = "k" * 32  # a CSRF secret: the cookie and the header must match
    browser.cookies["csrftoken"] = token
    ok = browser.post(
        "/api/v1/comments", body, content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert ok.status_code == 201
    assert Comment.objects.get().user == reader


def test_preview(api):
    response = api.post("/preview", {"body": "*hi* <script>x</script>"})
    assert response.json() == {"html": "<p><em>hi</em> &lt;script&gt;x&lt;/script&gt;</p>"}


def test_preview_refuses_a_nul_character_as_its_schema_says(api):
    response = api.post("/preview", {"body": "before\u0000after"})
    assert response.status_code == 422
    assert (
        response.json()["error"]["code"] == "invalid"
        and "body" in response.json()["error"]["fields"]
    )


def test_site_config(api, site):
    data = api.get(f"/sites/{site.slug}").json()
    assert data["key"] == site.slug and data["limits"]["max_length"] == 10_000
    assert data["limits"]["edit_window_minutes"] == 15
    assert data["default_language"] == "en"  # the widget's last resort (embed.js)
    assert api.get("/sites/nope").status_code == 404
