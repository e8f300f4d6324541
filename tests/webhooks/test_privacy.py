"""/privacy/ (and its API) tells readers that a site's webhooks receive their name
and comments, naming the receivers' hosts but never their addresses (a chat's
webhook address is a secret)."""

import pytest

pytestmark = pytest.mark.django_db


def recipients(client) -> list[dict]:
    response = client.get("/api/v1/privacy")
    assert response.status_code == 200
    return response.json()["recipients"]


def test_the_privacy_page_names_webhook_hosts_only_while_a_webhook_is_active(
    client, site, hook, receiver, django_capture_on_commit_callbacks
):
    from meydan.webhooks.services import webhook_save

    assert not any("127.0.0.1" in r["name"] for r in recipients(client))
    webhook = hook(url=receiver.url("/services/T000/B000/secret-token"))
    [listed] = [r for r in recipients(client) if r["name"] == "127.0.0.1"]
    assert "your comment" in listed["receives"] and "your name" in listed["receives"]
    page = client.get("/privacy/").content.decode()
    assert "127.0.0.1" in page and "secret-token" not in page
    webhook.active = False
    with django_capture_on_commit_callbacks(execute=True):
        webhook_save(webhook)
    assert not any(r["name"] == "127.0.0.1" for r in recipients(client))
