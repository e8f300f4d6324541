"""The reader's account page, leaving, pictures, staff two-factor."""

import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model
from django.core.management import call_command

from meydan.accounts.identity import SESSION_PROVIDER_KEY
from meydan.accounts.models import Picture, Profile
from meydan.accounts.pictures import sniff_image_type
from meydan.comments import services
from meydan.comments.models import Comment
from tests.sealed import address_of

pytestmark = pytest.mark.django_db

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


@pytest.fixture
def reader(db):
    user = get_user_model().objects.create_user("leyla", email="leyla@example.org")
    SocialAccount.objects.create(user=user, provider="google", uid="123", extra_data={})
    Profile.objects.create(user=user, display_name="Leyla Q.")
    return user


@pytest.fixture
def signed_in(client, reader):
    client.force_login(reader)
    session = client.session
    session[SESSION_PROVIDER_KEY] = "google"
    session.save()
    return client


def reader_comment(thread, reader, body="Mine", parent=None):
    return services.comment_post(
        thread=thread,
        author=services.Author(name="Leyla Q.", email=reader.email, user=reader, provider="google"),
        body=body,
        parent_id=parent.pk if parent else None,
        channel="form",
    ).comment


def test_account_page_lists_providers_and_comments(signed_in, thread, reader):
    reader_comment(thread, reader, "My words on the rally")
    html = signed_in.get("/account/").content.decode()
    assert "Google" in html and "My words on the rally" in html
    assert "Delete my account" in html


def test_account_page_needs_sign_in(client):
    response = client.get("/account/")
    assert response.status_code == 302 and response["Location"].startswith("/signin/")


@pytest.mark.parametrize("choice", ["keep", "remove"])
def test_delete_account(signed_in, thread, reader, post, choice):
    mine = reader_comment(thread, reader, "Leaving soon")
    reply = post("A reply to Leyla", parent=mine)
    response = signed_in.post("/account/delete/", {"comments": choice, "confirm": "yes"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert not get_user_model().objects.filter(pk=reader.pk).exists()
    assert not SocialAccount.objects.exists() and not Profile.objects.exists()
    mine.refresh_from_db()
    assert mine.user is None and address_of(mine) == "" and mine.author_name == "deleted user"
    page = signed_in.get(thread.key).content.decode()
    assert "A reply to Leyla" in page  # others' replies stay
    assert "Leyla Q." not in page
    if choice == "keep":
        assert mine.status == Comment.Status.APPROVED and "Leaving soon" in page
        assert "deleted user" in page
    else:
        assert mine.status == Comment.Status.TRASH and mine.body == ""
        assert "Leaving soon" not in page and "This comment is not available" in page
    reply.refresh_from_db()
    assert reply.status == Comment.Status.APPROVED
    thread.refresh_from_db()
    assert thread.comment_count == (2 if choice == "keep" else 1)


def test_delete_needs_choice_and_confirmation(signed_in, reader):
    response = signed_in.post("/account/delete/", {"comments": "keep"})
    assert response.status_code == 302
    assert get_user_model().objects.filter(pk=reader.pk).exists()
    page = signed_in.get("/account/").content.decode()
    assert "tick the box to confirm" in page


def test_staff_cannot_delete_themselves_here(client, admin_user):
    client.force_login(admin_user)
    client.post("/account/delete/", {"comments": "keep", "confirm": "yes"})
    assert get_user_model().objects.filter(pk=admin_user.pk).exists()


def test_signed_in_form_and_logout_button(signed_in, article):
    html = signed_in.get(article.get_absolute_url()).content.decode()
    assert "You are commenting using your Google account." in html
    assert 'form="meydan-logout"' in html and 'id="meydan-logout" method="post"' in html
    assert 'name="email"' not in html


def test_signed_in_post_ignores_forged_guest_fields(signed_in, article, reader):
    signed_in.post(
        article.get_absolute_url(),
        {"body": "Hello", "name": "Someone Else", "email": "evil@example.org"},
    )
    comment = Comment.objects.get()
    assert comment.user == reader and comment.author_name == "Leyla Q."
    assert address_of(comment) == "leyla@example.org" and comment.author_provider == "google"


def test_picture_is_served_from_our_origin(client):
    picture = Picture.objects.create(key="ab" * 20, content_type="image/png", data=PNG)
    response = client.get(f"/avatars/p/{picture.key}")
    assert response.status_code == 200 and response.content == PNG
    assert response["Content-Type"] == "image/png"
    assert "sandbox" in response["Content-Security-Policy"]
    assert client.get("/avatars/p/" + "cd" * 20).status_code == 404


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (PNG, "image/png"),
        (b"\xff\xd8\xff\xe0rest", "image/jpeg"),
        (b"GIF89a...", "image/gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"<svg onload=alert(1)>", None),
        (b"<html>", None),
    ],
)
def test_only_raster_pictures_are_kept(data, expected):
    assert sniff_image_type(data) == expected


def test_staff_must_set_up_two_factor_when_required(client, admin_user, settings):
    settings.MEYDAN_STAFF_REQUIRE_MFA = True
    client.force_login(admin_user)
    response = client.get("/admin/")
    assert response.status_code == 302 and "/accounts/2fa/totp/activate" in response["Location"]
    settings.MEYDAN_STAFF_REQUIRE_MFA = False
    assert client.get("/admin/").status_code == 200


def test_admin_login_goes_through_allauth(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_signin_urls_command_lists_callbacks(settings, capsys):
    settings.SOCIALACCOUNT_PROVIDERS = {
        "google": {"APPS": [{"client_id": "id", "secret": "s"}]},
        "openid_connect": {
            "APPS": [
                {
                    "provider_id": "oidc",
                    "name": "Newsroom ID",
                    "client_id": "c",
                    "secret": "s",
                    "settings": {"server_url": "https://id.example.org"},
                }
            ]
        },
    }
    call_command("meydan_signin_urls", base_url="https://comments.example.org/")
    out = capsys.readouterr().out
    assert "Google           https://comments.example.org/accounts/google/login/callback/" in out
    assert "Newsroom ID      https://comments.example.org/accounts/oidc/oidc/login/callback/" in out


def test_no_providers_no_icons(client, article, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {}
    html = client.get(article.get_absolute_url()).content.decode()
    assert "click an icon to log in" not in html and "Fill in your details below." in html
