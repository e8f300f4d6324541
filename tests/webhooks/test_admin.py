"""Staff register webhooks in the admin: the address is checked with a clear error,
the secret is shown once, a test ping goes through the worker, and the delivery
log is read-only with the receiver's response codes."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from meydan.sites.models import Site
from meydan.webhooks.models import Webhook, WebhookDelivery

from .test_delivery import verified

pytestmark = pytest.mark.django_db

ADD = "/admin/webhooks/webhook/add/"
LIST = "/admin/webhooks/webhook/"


@pytest.fixture
def staff(client):
    user = get_user_model().objects.create_superuser("editor", "editor@example.org", "pw")
    client.force_login(user)
    return client


def form(site, url, **extra):
    return {"site": site.pk, "name": "Newsroom chat", "url": url,
            "events": ["comment.held", "comment.posted"], "format": "slack", "active": "on",
            **extra}  # fmt: skip


def test_an_address_the_guard_refuses_is_a_form_error(staff, site, settings):
    settings.MEYDAN_WEBHOOKS_ALLOW_PRIVATE = False
    response = staff.post(ADD, form(site, "http://169.254.169.254/latest/meta-data/"))
    assert response.status_code == 200
    assert (
        "Meydan does not send webhooks to this address: 169.254.169.254 is a cloud metadata address"
    ) in response.content.decode()
    response = staff.post(ADD, form(site, "https://user:pw@hooks.example.org/"))
    assert "may not contain a user name or password" in response.content.decode()
    assert not Webhook.objects.exists()


def test_the_secret_is_shown_once_then_only_its_start(staff, site, receiver, allow_private):
    response = staff.post(ADD, form(site, receiver.url()), follow=True)
    assert response.redirect_chain == [("/admin/webhooks/webhook/secret/", 302)]  # no re-post
    webhook = Webhook.objects.get()
    assert webhook.secret.startswith("whsec_") and len(webhook.secret) > 40
    assert webhook.secret in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    again = staff.get("/admin/webhooks/webhook/secret/").content.decode()
    assert webhook.secret not in again and "There is no secret to show" in again
    assert webhook.events == ["comment.posted", "comment.held"]  # the closed list's order
    page = staff.get(f"{LIST}{webhook.pk}/change/").content.decode()
    assert webhook.secret not in page and webhook.secret_hint in page


def test_a_test_ping_goes_through_the_worker_and_its_answer_is_logged(
    staff, site, receiver, allow_private, work, django_capture_on_commit_callbacks
):
    staff.post(ADD, form(site, receiver.url(), format="meydan", active=""))  # off: ping anyway
    webhook = Webhook.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(LIST, {"action": "send_ping", "_selected_action": [webhook.pk]})
    assert response.status_code == 302
    work()
    [call] = receiver.calls
    data = verified(webhook.secret, call)
    assert data["event"] == "ping" and data["comment"] is None and data["thread"] is None
    log = staff.get("/admin/webhooks/webhookdelivery/").content.decode()
    assert "ping" in log and ">200<" in log
    delivery = WebhookDelivery.objects.get()
    assert staff.get("/admin/webhooks/webhookdelivery/add/").status_code == 403
    page = staff.post(
        f"/admin/webhooks/webhookdelivery/{delivery.pk}/change/", {"status": "queued"}
    )
    assert page.status_code == 403
    delivery.refresh_from_db()
    assert delivery.status == "sent"


def test_a_new_secret_is_shown_once_and_the_old_one_stops_signing(
    staff, site, receiver, allow_private, work, django_capture_on_commit_callbacks
):
    staff.post(ADD, form(site, receiver.url(), format="meydan"))
    webhook = Webhook.objects.get()
    old = webhook.secret
    response = staff.post(
        LIST, {"action": "renew_secret", "_selected_action": [webhook.pk]}, follow=True
    )
    webhook.refresh_from_db()
    assert webhook.secret != old and webhook.secret in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(LIST, {"action": "send_ping", "_selected_action": [webhook.pk]})
    work()
    [call] = receiver.calls
    verified(webhook.secret, call)
    with pytest.raises(AssertionError):
        verified(old, call)


def test_a_moderator_sees_the_webhooks_of_their_sites_only(client, site, allow_private, hook):
    other = Site.objects.create(name="Other", slug="other", domain="other.example")
    mine = hook(events=["comment.held"])
    theirs = hook(events=["comment.held"], on=other)
    moderator = get_user_model().objects.create_user("mod", "mod@example.org", "pw",
                                                      is_staff=True)  # fmt: skip
    moderator.user_permissions.add(*Permission.objects.filter(content_type__app_label="webhooks"))
    site.moderators.add(moderator)
    client.force_login(moderator)
    page = client.get(LIST).content.decode()
    assert f"{LIST}{mine.pk}/change/" in page and f"{LIST}{theirs.pk}/change/" not in page
    assert client.get(f"{LIST}{theirs.pk}/change/").status_code == 302  # not found: away
    add = client.get(ADD).content.decode()
    assert json.dumps(other.name)[1:-1] not in add
