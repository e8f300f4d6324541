"""Passkey accounts through the Django test client, with a software passkey
(tests/accounts/softkey.py): sign-up with a display name and nothing else, sign-in
with nothing typed, recovery codes shown once and used once, adding, renaming and
removing passkeys, and every kind of bad input answered with a message, not a 500."""

import json
import re
import time
from types import SimpleNamespace

import pytest
from allauth.account.internal.flows.login import AUTHENTICATION_METHODS_SESSION_KEY
from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from fido2.utils import websafe_decode, websafe_encode

from meydan.accounts import passkeys
from meydan.accounts.identity import SESSION_PROVIDER_KEY, commenter_for_request
from meydan.accounts.models import Profile
from meydan.api.v1.serialize import author_dict
from meydan.comments import services
from meydan.comments.models import Comment
from meydan.core.errors import CommentRejected
from meydan.moderation import queries
from meydan.moderation import services as moderation
from tests.accounts.softkey import SoftKey, options_in

pytestmark = pytest.mark.django_db

SIGNUP = "/passkey/new/"
FINISH = "/passkey/new/finish/"
SIGNIN = "/passkey/"
RECOVER = "/passkey/recover/"


def begin(client, name="Aynur", next_path="/article/"):
    return client.post(SIGNUP, {"display_name": name, "next": next_path})


def sign_up(client, key, name="Aynur", next_path="/article/"):
    """Returns (the user, the answer to the finishing POST)."""
    page = begin(client, name, next_path)
    assert page.status_code == 200, page.content.decode()
    answer = key.create(options_in(page.content.decode()))
    response = client.post(FINISH, {"credential": json.dumps(answer), "next": next_path})
    return Profile.objects.get(display_name=name).user, response


def sign_in(client, key, next_path="/article/", **kwargs):
    page = client.get(SIGNIN, {"next": next_path})
    answer = key.get(options_in(page.content.decode()), **kwargs)
    return client.post(SIGNIN, {"credential": json.dumps(answer), "next": next_path})


def codes_on(client, next_path="/article/"):
    html = client.get("/account/passkeys/codes/", {"next": next_path}).content.decode()
    return re.findall(r"<code>(\d+)</code>", html)


def signed_in_user(client):
    return get_user_model().objects.filter(pk=client.session.get("_auth_user_id")).first()


# --- Sign-up ------------------------------------------------------------------------


def test_sign_up_makes_an_account_with_a_name_and_a_passkey_only(client):
    key = SoftKey()
    user, response = sign_up(client, key)
    assert response.status_code == 302
    assert response["Location"] == "/account/passkeys/codes/?next=%2Farticle%2F"
    user.refresh_from_db()
    assert user.is_active and not user.has_usable_password() and user.email == ""
    profile = user.meydan_profile
    assert profile.passkey_account and profile.email_hash == "" and profile.email_sealed == ""
    types = sorted(Authenticator.objects.filter(user=user).values_list("type", flat=True))
    assert types == ["recovery_codes", "webauthn"]
    assert signed_in_user(client) == user
    assert client.session[SESSION_PROVIDER_KEY] == "passkey"
    # The device's list shows the display name, and the passkey signs in by itself.
    options = key.credentials[next(iter(key.credentials))]
    assert websafe_decode(options["user"]).decode() == str(user.pk)


def test_recovery_codes_are_shown_once_then_only_made_anew(client):
    sign_up(client, SoftKey())
    first = codes_on(client)
    assert len(first) == 10 and all(len(code) == 8 for code in first)
    page = client.get("/account/passkeys/codes/", {"next": "/article/"}).content.decode()
    assert "<code>" not in page and "are not shown again" in page
    again = client.post("/account/passkeys/codes/", {"next": "/article/"}).content.decode()
    fresh = re.findall(r"<code>(\d+)</code>", again)
    assert len(fresh) == 10 and set(fresh) != set(first)


@pytest.mark.parametrize(
    "name, message",
    [
        ("", "Please enter your name."),
        ("   ", "Please enter your name."),
        ("x" * 101, "Names can be at most 100 characters (this one has 101)."),
        ("Ay\x00nur", "Null characters are not allowed."),
    ],
)
def test_bad_display_names_get_a_message(client, name, message):
    response = begin(client, name)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not get_user_model().objects.exists()


def test_a_name_another_reader_shows_is_taken_whatever_the_case(client):
    other = get_user_model().objects.create_user("leyla")
    Profile.objects.create(user=other, display_name="Leyla Q.")
    response = begin(client, "  leyla   q. ")
    assert response.status_code == 400
    assert "already uses the name “leyla q.”" in response.content.decode()
    assert get_user_model().objects.count() == 1


def test_finishing_without_a_sign_up_under_way_is_refused(client):
    key = SoftKey()
    answer = key.create({"publicKey": {"rp": {"id": "testserver"}, "user": {"id": "MQ"},
                                       "challenge": websafe_encode(b"x" * 32)}})  # fmt: skip
    response = client.post(FINISH, {"credential": json.dumps(answer)})
    assert response.status_code == 400
    assert "This sign-up has expired" in response.content.decode()
    assert not Authenticator.objects.exists()


@pytest.mark.parametrize(
    "forge",
    [
        lambda answer: "not json",
        lambda answer: json.dumps([1, 2]),
        lambda answer: json.dumps({"id": "x"}),
        lambda answer: json.dumps({**answer, "response": {"clientDataJSON": "AA"}}),
        lambda answer: json.dumps(
            {
                **answer,
                "response": {
                    **answer["response"],
                    "clientDataJSON": websafe_encode(
                        json.dumps(
                            {
                                "type": "webauthn.create",
                                "challenge": "AAAA",
                                "origin": "https://testserver",
                            }
                        ).encode()
                    ),
                },
            }
        ),  # fmt: skip
    ],
)
def test_a_forged_new_passkey_saves_nothing(client, forge):
    page = begin(client)
    answer = SoftKey().create(options_in(page.content.decode()))
    response = client.post(FINISH, {"credential": forge(answer), "next": "/article/"})
    assert response.status_code == 400
    assert "no passkey was saved" in response.content.decode() or "could not be read" in (
        response.content.decode()
    )
    assert not Authenticator.objects.exists()
    assert not get_user_model().objects.filter(is_active=True).exists()
    assert signed_in_user(client) is None


def test_a_passkey_from_another_origin_is_refused(client):
    page = begin(client)
    answer = SoftKey(origin="https://evil.example").create(options_in(page.content.decode()))
    response = client.post(FINISH, {"credential": json.dumps(answer)})
    assert response.status_code == 400 and not Authenticator.objects.exists()


def test_a_given_up_sign_up_frees_its_name(client, settings):
    begin(client, "Aynur")
    pending = Profile.objects.get(display_name="Aynur").user
    assert not pending.is_active
    # The same browser starts again with another name: the first hold goes.
    begin(client, "Aynur K.")
    assert not get_user_model().objects.filter(pk=pending.pk).exists()
    # Another browser's abandoned hold goes once it is old.
    stale = Profile.objects.get(display_name="Aynur K.").user
    get_user_model().objects.filter(pk=stale.pk).update(
        date_joined=stale.date_joined - passkeys_timedelta()
    )
    other = client.__class__()
    begin(other, "Rasul")
    assert not get_user_model().objects.filter(pk=stale.pk).exists()


def passkeys_timedelta():
    from datetime import timedelta

    return timedelta(seconds=passkeys.PENDING_SECONDS + 1)


def test_sign_ups_are_rate_limited(client, settings):
    settings.ACCOUNT_RATE_LIMITS = {"signup": "2/m/ip"}
    assert begin(client, "One").status_code == 200
    assert begin(client, "Two").status_code == 200
    response = begin(client, "Three")
    assert response.status_code == 429 and "Too many sign-ups" in response.content.decode()


# --- Sign-in ------------------------------------------------------------------------


def test_sign_in_with_nothing_typed(client):
    key = SoftKey()
    user, _ = sign_up(client, key)
    client.logout()
    response = sign_in(client, key, "/article/#respond")
    assert response.status_code == 302 and response["Location"] == "/article/#respond"
    assert signed_in_user(client) == user
    assert client.session[SESSION_PROVIDER_KEY] == "passkey"


def test_a_wrong_signature_or_unknown_passkey_signs_nobody_in(client):
    key = SoftKey()
    sign_up(client, key)
    client.logout()
    page = client.get(SIGNIN)
    answer = key.get(options_in(page.content.decode()))
    forged = dict(answer, response=dict(answer["response"], signature=websafe_encode(b"0" * 70)))
    response = client.post(SIGNIN, {"credential": json.dumps(forged)})
    assert response.status_code == 400
    assert "That passkey did not sign you in" in response.content.decode()
    assert signed_in_user(client) is None
    stranger = SoftKey()
    stranger.create({"publicKey": {"rp": {"id": "testserver"}, "user": {"id": "OTk5"},
                                   "challenge": websafe_encode(b"x" * 32)}})  # fmt: skip
    response = sign_in(client, stranger)
    assert response.status_code == 400 and signed_in_user(client) is None
    for junk in ["", "{}", "[]", json.dumps({"response": {"userHandle": "%%%"}})]:
        response = client.post(SIGNIN, {"credential": junk})
        assert response.status_code == 400, junk


# --- Recovery -----------------------------------------------------------------------


def test_a_recovery_code_signs_in_once_and_leads_to_a_new_passkey(client):
    user, _ = sign_up(client, SoftKey(), name="Aynur")
    code = codes_on(client)[0]
    client.logout()
    fresh = client.__class__()
    response = fresh.post(RECOVER, {"display_name": "aynur", "code": code, "next": "/article/"})
    assert response.status_code == 302
    assert response["Location"] == "/account/passkeys/add/?next=%2Farticle%2F"
    assert signed_in_user(fresh) == user
    # The new device's passkey, straight away (no second proof asked).
    page = fresh.get(response["Location"])
    assert page.status_code == 200
    new_key = SoftKey()
    answer = new_key.create(options_in(page.content.decode()))
    added = fresh.post("/account/passkeys/add/", {"credential": json.dumps(answer),
                                                  "next": "/article/"})  # fmt: skip
    assert added.status_code == 302 and added["Location"] == "/article/"
    assert passkeys.passkeys_of(user).count() == 2

    # The code is used up.
    again = client.__class__()
    response = again.post(RECOVER, {"display_name": "Aynur", "code": code})
    assert response.status_code == 400
    assert "That name and recovery code do not match" in response.content.decode()
    assert signed_in_user(again) is None


def test_a_wrong_code_or_unknown_name_gets_the_same_message(client):
    sign_up(client, SoftKey(), name="Aynur")
    codes_on(client)
    client.logout()
    for data in [
        {"display_name": "Aynur", "code": "00000000"},
        {"display_name": "Nobody", "code": "12345678"},
    ]:
        response = client.post(RECOVER, data)
        assert response.status_code == 400
        assert "That name and recovery code do not match" in response.content.decode()
    response = client.post(RECOVER, {"display_name": "", "code": ""})
    assert response.status_code == 400 and "This field is required." in response.content.decode()
    assert signed_in_user(client) is None


# --- Managing passkeys --------------------------------------------------------------


def test_add_rename_and_remove_but_never_the_last(client):
    first = SoftKey()
    user, _ = sign_up(client, first)
    html = client.get("/account/").content.decode()
    assert "Your passkeys" in html and "Passkey 1" in html and "Remove Passkey" not in html
    only = passkeys.passkeys_of(user).get()
    response = client.post(f"/account/passkeys/{only.pk}/remove/", follow=True)
    assert "This is your only passkey" in response.content.decode()
    assert passkeys.passkeys_of(user).count() == 1

    second = SoftKey()
    page = client.get("/account/passkeys/add/")
    client.post("/account/passkeys/add/", {"credential": json.dumps(
        second.create(options_in(page.content.decode())))})  # fmt: skip
    assert list(passkeys.passkeys_of(user).values_list("data__name", flat=True)) == [
        "Passkey 1",
        "Passkey 2",
    ]
    newer = passkeys.passkeys_of(user).last()
    client.post(f"/account/passkeys/{newer.pk}/rename/", {"name": "  Phone  "})
    newer.refresh_from_db()
    assert newer.data["name"] == "Phone"
    response = client.post(f"/account/passkeys/{newer.pk}/rename/", {"name": " "}, follow=True)
    assert "Give the passkey a name." in response.content.decode()

    client.post(f"/account/passkeys/{only.pk}/remove/")
    assert list(passkeys.passkeys_of(user)) == [newer]
    # The recovery codes stay (allauth drops them only with the last passkey).
    assert Authenticator.objects.filter(user=user, type="recovery_codes").exists()
    client.logout()
    assert sign_in(client, second).status_code == 302 and signed_in_user(client) == user
    assert sign_in(client, first).status_code == 400


def test_another_readers_passkey_cannot_be_touched(client):
    sign_up(client, SoftKey(), name="Aynur")
    other_client = client.__class__()
    other, _ = sign_up(other_client, SoftKey(), name="Rasul")
    theirs = passkeys.passkeys_of(other).get()
    assert client.post(f"/account/passkeys/{theirs.pk}/rename/", {"name": "x"}).status_code == 404
    assert client.post(f"/account/passkeys/{theirs.pk}/remove/").status_code == 404


def test_changes_long_after_sign_in_ask_for_a_passkey_first(client):
    key = SoftKey()
    user, _ = sign_up(client, key)
    session = client.session
    for record in session[AUTHENTICATION_METHODS_SESSION_KEY]:
        record["at"] = time.time() - 3600
    session.save()
    response = client.get("/account/passkeys/add/")
    assert response.status_code == 302
    assert (
        response["Location"]
        == "/passkey/?next=%2Faccount%2Fpasskeys%2Fadd%2F%3Fnext%3D%252Faccount%252F"
    )
    # Using the passkey again is the proof.
    assert sign_in(client, key, "/account/passkeys/add/").status_code == 302
    assert client.get("/account/passkeys/add/").status_code == 200


def test_passkey_pages_are_for_passkey_accounts(client):
    staff = get_user_model().objects.create_user("editor", password="pw-123456789")
    client.force_login(staff)
    assert client.get("/account/passkeys/add/").status_code == 404
    assert client.get("/account/passkeys/codes/").status_code == 404


# --- Commenting, and what others see -------------------------------------------------


def test_comments_carry_the_name_and_the_passkey_mark(client, thread, site):
    user, _ = sign_up(client, SoftKey(), name="Aynur")
    commenter = commenter_for_request(SimpleNamespace(user=user, session=client.session))
    assert commenter.provider_name == "passkey"
    comment = services.comment_post(
        thread=thread, author=commenter.as_author(), body="Hello from a pseudonym", channel="form"
    ).comment
    comment = Comment.objects.get(pk=comment.pk)
    assert comment.author_name == "Aynur" and comment.author_provider == "passkey"
    assert comment.user == user and comment.author_email_hash == ""
    author = author_dict(comment)
    assert author["provider"] == "passkey" and author["provider_name"] == "passkey"


def test_sign_in_buttons_keep_the_draft_and_open_the_passkey_pages(client):
    response = client.post("/signin/passkey-new/", {"body": "Half a thought", "next": "/article/"})
    assert response.status_code == 302
    assert response["Location"] == "/passkey/new/?next=%2Farticle%2F"
    assert client.session["meydan_comment_draft"]["body"] == "Half a thought"
    response = client.post("/signin/passkey/", {"next": "https://evil.example/"})
    assert response["Location"] == "/passkey/?next=%2F"


def test_passkeys_can_be_turned_off(client, settings):
    settings.MEYDAN_PASSKEYS = False
    assert client.get(SIGNIN).status_code == 404
    assert client.get(SIGNUP).status_code == 404
    assert client.post("/signin/passkey/").status_code == 404
    assert "Sign up with a passkey" not in client.get("/signin/").content.decode()


def test_on_an_ip_address_the_page_says_to_use_a_name(client):
    html = client.get(SIGNIN, HTTP_HOST="127.0.0.1:8000").content.decode()
    assert "Open this page at http://localhost:8000" in html
    assert 'data-passkey="get"' not in html


def test_the_privacy_page_says_what_a_passkey_account_keeps(client):
    html = client.get("/privacy/").content.decode()
    assert "Your passkey account, if you make one" in html
    assert "No email address, no phone number" in html
    assert client.get("/api/v1/privacy").json()["sign_in"]["passkeys"] is True


def test_moderators_see_and_ban_a_passkey_account_like_any_account(client, thread, site):
    aynur, _ = sign_up(client, SoftKey(), name="Aynur")
    rasul, _ = sign_up(client.__class__(), SoftKey(), name="Rasul")

    def post_as(user, body):
        session = {SESSION_PROVIDER_KEY: "passkey"}
        author = commenter_for_request(SimpleNamespace(user=user, session=session)).as_author()
        return services.comment_post(thread=thread, author=author, body=body, channel="form")

    first = post_as(aynur, "One").comment
    second = post_as(rasul, "Two").comment
    # Neither has an email address: their histories are their accounts', not shared.
    histories = queries.author_histories([first, second])
    assert queries.author_key(first) == ("user", str(aynur.pk))
    assert histories[("user", str(aynur.pk))] == {"approved": 1}
    assert histories[("user", str(rasul.pk))] == {"approved": 1}

    moderation.ban_create(actor=None, site=site, kind="user", value=str(aynur.pk))
    with pytest.raises(CommentRejected):
        post_as(aynur, "Three")
    assert post_as(rasul, "Four").comment.status == Comment.Status.APPROVED


def test_passkey_sign_in_attempts_are_rate_limited(client, settings):
    settings.MFA_RATE_LIMITS = {"webauthn_login": "2/m/ip"}
    for _ in range(2):
        assert client.post(SIGNIN, {"credential": "{}"}).status_code == 400
    assert client.post(SIGNIN, {"credential": "{}"}).status_code == 429


def test_the_widgets_popup_leads_to_the_passkey_pages_and_hands_over_a_token(client, site):
    from meydan.accounts.models import WidgetToken

    config = client.get(f"/api/v1/sites/{site.slug}").json()
    assert config["passkeys"] == {
        "signin": f"/embed/signin/?site={site.slug}&provider=passkey",
        "signup": f"/embed/signin/?site={site.slug}&provider=passkey-new",
    }
    origin = "https://blog.example.org"
    popup = client.get(
        "/embed/signin/",
        {"site": site.slug, "origin": origin, "provider": "passkey-new"},
        headers={"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate",
                 "Sec-Fetch-Dest": "document", "Referer": origin + "/post/"},
    )  # fmt: skip
    assert popup.status_code == 302 and popup["Location"] == "/passkey/new/?next=/embed/done/"
    user, finished = sign_up(client, SoftKey(), name="Aynur", next_path="/embed/done/")
    codes = finished["Location"]
    assert codes == "/account/passkeys/codes/?next=%2Fembed%2Fdone%2F"
    assert 'href="/embed/done/"' in client.get(codes).content.decode()
    consent = client.get("/embed/done/").content.decode()
    assert "Continue as Aynur" in consent
    client.post("/embed/done/", {"decision": "allow"})
    token = WidgetToken.objects.get(user=user)
    assert token.provider == "passkey" and token.origin == origin


def test_the_sign_in_page_offers_passkeys_beside_the_providers(client):
    html = client.get("/signin/", {"next": "/article/"}).content.decode()
    assert 'href="/passkey/?next=/article/"' in html.replace("%2F", "/")
    assert 'href="/passkey/new/?next=/article/"' in html.replace("%2F", "/")


def test_the_moderation_queue_shows_a_passkey_accounts_comment(client, thread):
    user, _ = sign_up(client, SoftKey(), name="Aynur")
    session = {SESSION_PROVIDER_KEY: "passkey"}
    author = commenter_for_request(SimpleNamespace(user=user, session=session)).as_author()
    services.comment_post(thread=thread, author=author, body="For the moderators", channel="form")
    moderator = client.__class__()
    moderator.force_login(get_user_model().objects.create_superuser("root", "root@example.org"))
    page = moderator.get("/moderation/", {"tab": "all"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "For the moderators" in html and "Aynur" in html
    mine = moderator.get("/moderation/", {"tab": "all", "author": user.username})
    assert "For the moderators" in mine.content.decode()


def test_a_recovery_code_never_opens_an_account_that_is_not_a_passkey_account(client):
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    staff = get_user_model().objects.create_user(
        "editor", password="a long pass phrase", is_staff=True
    )
    Profile.objects.create(user=staff, display_name="Editor")
    code = RecoveryCodes.activate(staff).generate_codes()[0]
    response = client.post(RECOVER, {"display_name": "Editor", "code": code})
    assert response.status_code == 400 and signed_in_user(client) is None
    assert RecoveryCodes(Authenticator.objects.get(user=staff)).get_unused_codes()[0] == code
