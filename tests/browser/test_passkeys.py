"""Passkey accounts in real Chromium, with the DevTools WebAuthn domain's virtual
authenticator (a platform authenticator with resident keys and user verification):
sign up from the comment form, comment, sign out and in again, a second device,
a recovery code on a device without the passkey, and the widget's popup on another
origin.

Chromium refuses WebAuthn on an IP address, so these pages are on
http://localhost:<port> (pytest-django's live server), which python-fido2 accepts
as a secure origin."""

from urllib.parse import urlparse

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from meydan.accounts import passkeys
from meydan.accounts.models import Profile
from meydan.comments.models import Comment
from meydan.newsroom.models import Article
from tests.browser.conftest import field

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

AUTHENTICATOR = {
    "protocol": "ctap2",
    "transport": "internal",
    "hasResidentKey": True,
    "hasUserVerification": True,
    "isUserVerified": True,
}


def add_authenticator(page):
    """A virtual authenticator for this page: (the CDP session, its id)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    found = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": AUTHENTICATOR})
    return cdp, found["authenticatorId"]


@pytest.fixture
def demo_url(live_server):
    assert urlparse(live_server.url).hostname == "localhost", "WebAuthn needs a host name"
    call_command("meydan_demo", domain=urlparse(live_server.url).netloc, verbosity=0)
    return live_server.url + Article.objects.get().get_absolute_url()


def make_account(page, name):
    """From a passkey sign-up page: the name, the device's passkey, the codes (returned)."""
    field(page, "Your display name").fill(name)
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Create my passkey").click()
    page.get_by_role("heading", name="Your recovery codes").wait_for()
    assert page.get_by_text(f"You are signed in as {name}", exact=True).is_visible()
    codes = page.locator(".passkey__codes code").all_inner_texts()
    assert len(codes) == 10
    return codes


def test_sign_up_comment_sign_out_and_sign_in_again(page, demo_url, live_server, screenshot):
    add_authenticator(page)
    page.goto(demo_url)
    field(page, "Comment").fill("Written before I had an account.")
    page.get_by_role("button", name="Sign up with a passkey").click()
    assert urlparse(page.url).path == "/passkey/new/"
    screenshot(page, "passkey-signup.png")

    # Bad names first: a message next to the field, nothing made.
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("Please enter your name.")).to_be_visible()
    field(page, "Your display name").fill("x" * 101)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("Names can be at most 100 characters")).to_be_visible()
    assert not Profile.objects.exists()

    codes = make_account(page, "Aynur K.")
    screenshot(page, "passkey-codes.png")
    page.get_by_role("link", name="I have saved them — continue").click()
    form = page.locator("#respond")
    form.get_by_text("You are commenting using your passkey account.").wait_for()
    assert "Aynur K." in form.inner_text()
    # The comment typed before signing up came back.
    assert field(page, "Comment").input_value() == "Written before I had an account."
    assert field(page, "Email").count() == 0
    # No address, so no email notifications to offer.
    assert page.get_by_label("Notify me of follow-up comments by email").count() == 0
    page.get_by_role("button", name="Post Comment").click()

    comment = Comment.objects.get(body="Written before I had an account.")
    assert comment.author_name == "Aynur K." and comment.author_provider == "passkey"
    assert comment.author_email_hash == "" and comment.user.meydan_profile.passkey_account
    mine = page.locator(f"#comment-{comment.pk}")
    assert mine.locator(".comment__badge--passkey").inner_text() == "passkey account"
    screenshot(page, "passkey-comment.png", full_page=False)
    # The recovery codes are not shown a second time.
    page.goto(f"{live_server.url}/account/passkeys/codes/")
    assert page.locator(".passkey__codes").count() == 0
    assert not set(codes) & set(page.content().split())

    page.goto(demo_url)
    page.locator("#respond").get_by_role("button", name="Log Out").click()
    field(page, "Email").wait_for()
    page.get_by_role("button", name="Sign in with a passkey").click()
    assert urlparse(page.url).path == "/passkey/"
    page.get_by_role("button", name="Sign in with a passkey").click()
    page.locator("#respond").get_by_text(
        "You are commenting using your passkey account."
    ).wait_for()
    assert urlparse(page.url).path == urlparse(demo_url).path


def test_a_second_device_signs_in_alone(browser, live_server):
    origin = live_server.url
    first = browser.new_context().new_page()
    cdp, device_a = add_authenticator(first)
    first.goto(f"{origin}/passkey/new/?next=/account/")
    make_account(first, "Rasul")
    first.get_by_role("link", name="I have saved them — continue").click()
    first.get_by_role("heading", name="Your passkeys").wait_for()

    # Another device: this browser now has only authenticator B.
    cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": device_a})
    device_b = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": AUTHENTICATOR})[
        "authenticatorId"
    ]
    first.get_by_role("link", name="Add a passkey").click()
    first.get_by_role("button", name="Add a passkey").click()
    first.get_by_text("Passkey added.").wait_for()
    user = Profile.objects.get(display_name="Rasul").user
    assert passkeys.passkeys_of(user).count() == 2
    stored = cdp.send("WebAuthn.getCredentials", {"authenticatorId": device_b})["credentials"]
    assert len(stored) == 1 and stored[0]["isResidentCredential"]

    # B's passkey, alone, in a browser that never saw this account.
    second = browser.new_context().new_page()
    cdp2, only_b = add_authenticator(second)
    cdp2.send("WebAuthn.addCredential", {"authenticatorId": only_b, "credential": stored[0]})
    second.goto(f"{origin}/passkey/?next=/account/")
    second.get_by_role("button", name="Sign in with a passkey").click()
    second.get_by_role("heading", name="Your passkeys").wait_for()
    assert "Rasul" in second.locator(".account__who").inner_text()
    first.context.close()
    second.context.close()


def test_a_recovery_code_on_a_device_without_the_passkey(browser, live_server, screenshot):
    origin = live_server.url
    first = browser.new_context().new_page()
    add_authenticator(first)
    first.goto(f"{origin}/passkey/new/?next=/account/")
    codes = make_account(first, "Leyla Y.")
    first.context.close()

    lost = browser.new_context().new_page()
    add_authenticator(lost)  # a new device: it holds no passkey for this account
    lost.goto(f"{origin}/passkey/?next=/account/")
    lost.get_by_role("link", name="Lost your passkey? Use a recovery code").click()
    field(lost, "Your display name").fill("leyla y.")
    field(lost, "One of your recovery codes").fill(codes[3])
    screenshot(lost, "passkey-recover.png")
    lost.get_by_role("button", name="Sign in").click()
    lost.get_by_text("You are signed in with a recovery code").wait_for()
    lost.get_by_role("button", name="Add a passkey").click()
    lost.get_by_role("heading", name="Your passkeys").wait_for()
    user = Profile.objects.get(display_name="Leyla Y.").user
    assert passkeys.passkeys_of(user).count() == 2

    # The code is used up.
    again = browser.new_context().new_page()
    again.goto(f"{origin}/passkey/recover/")
    field(again, "Your display name").fill("Leyla Y.")
    field(again, "One of your recovery codes").fill(codes[3])
    again.get_by_role("button", name="Sign in").click()
    expect(again.get_by_text("That name and recovery code do not match.")).to_be_visible()
    lost.context.close()
    again.context.close()


def test_sign_up_from_the_widget_on_another_site(strict_browser, new_page, blog, live_server):
    page = new_page(on=strict_browser, viewport={"width": 1000, "height": 900})
    page.set_default_timeout(15_000)
    page.goto(blog)
    widget = page.locator("#meydan-thread")
    with page.expect_popup() as popup_info:
        widget.get_by_role("button", name="Sign up with a passkey").click()
    popup = popup_info.value
    cdp, device = add_authenticator(popup)
    popup.wait_for_load_state()
    assert urlparse(popup.url).path == "/passkey/new/"
    make_account(popup, "Samira")
    made = cdp.send("WebAuthn.getCredentials", {"authenticatorId": device})["credentials"]
    popup.get_by_role("link", name="I have saved them — continue").click()
    popup.get_by_role("heading", name="Sign in to comment on Caspian Ledger as Samira?").wait_for()
    popup.get_by_role("button", name="Continue as Samira").click()
    widget.get_by_text("You are commenting using your passkey account.").wait_for(timeout=20_000)
    assert not widget.get_by_label("Notify me of follow-up comments by email").is_visible()

    field(widget, "Comment").fill("From a static blog, with no email given.")
    widget.get_by_role("button", name="Post Comment").click()
    widget.get_by_text("From a static blog, with no email given.").wait_for()
    comment = Comment.objects.get(body="From a static blog, with no email given.")
    assert comment.author_provider == "passkey" and comment.author_name == "Samira"
    badge = widget.locator(f"#comment-{comment.pk} .meydan-comment__badge")
    assert badge.inner_text() == "passkey account"

    # Log Out revokes the widget's token; "Sign in with a passkey" brings it back.
    widget.get_by_role("button", name="Log Out").click()
    field(widget, "Email").wait_for()
    with page.expect_popup() as popup_info:
        widget.get_by_role("button", name="Sign in with a passkey").click()
    popup = popup_info.value
    cdp, device = add_authenticator(popup)  # the same device: the passkey made above
    cdp.send("WebAuthn.addCredential", {"authenticatorId": device, "credential": made[0]})
    popup.wait_for_load_state()
    assert urlparse(popup.url).path == "/passkey/"
    popup.get_by_role("button", name="Sign in with a passkey").click()
    popup.get_by_role("button", name="Continue as Samira").click()
    widget.get_by_text("You are commenting using your passkey account.").wait_for(timeout=20_000)


def test_a_device_that_cannot_check_its_owner_gets_a_message(page, live_server):
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {"options": {**AUTHENTICATOR, "isUserVerified": False}},
    )
    page.goto(f"{live_server.url}/passkey/new/")
    field(page, "Your display name").fill("Tural")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Create my passkey").click()
    alert = page.locator("#passkey-errors")
    alert.get_by_text("Nothing was done").or_(alert.get_by_text("could not do this")).wait_for()
    assert not passkeys.passkeys_of(Profile.objects.get(display_name="Tural").user).exists()
    assert page.get_by_role("button", name="Create my passkey").is_enabled()
