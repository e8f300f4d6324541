"""The same abuse limits on every write a stranger can make: reports (HTML and API),
preview and the sign-in claim answer 429 with Retry-After once over their limit, and
nothing is stored for a refused request."""

import json

import pytest
from django.test import Client

from meydan.comments.models import Comment
from meydan.moderation.models import Flag

pytestmark = pytest.mark.django_db
ORIGIN = "https://blog.example.org"


def api_post(path, body, ip="203.0.113.7"):
    return Client(REMOTE_ADDR=ip).post(
        f"/api/v1{path}", json.dumps(body), content_type="application/json",
        headers={"Origin": ORIGIN},
    )  # fmt: skip


def assert_limited(response):
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    if response["Content-Type"].startswith("application/json"):
        assert response.json()["error"]["code"] == "rate_limited"


def test_previews_are_limited_per_client(settings):
    settings.MEYDAN_RATELIMIT_PREVIEWS = (3, 60)
    for _ in range(3):
        assert api_post("/preview", {"body": "*hi*"}).status_code == 200
    limited = api_post("/preview", {"body": "*hi*"})
    assert_limited(limited)
    assert "Previews are coming too fast" in limited.json()["error"]["message"]
    assert api_post("/preview", {"body": "*hi*"}, ip="198.51.100.9").status_code == 200


def test_api_reports_are_limited_and_a_refused_one_stores_nothing(settings, post):
    settings.MEYDAN_RATELIMIT_REPORTS = (2, 3600)
    comments = [post(f"Comment number {n}.") for n in range(3)]
    for comment in comments[:2]:
        assert api_post(f"/comments/{comment.pk}/flag", {"reason": "spam"}).status_code == 200
    assert_limited(api_post(f"/comments/{comments[2].pk}/flag", {"reason": "spam"}))
    assert Comment.objects.get(pk=comments[2].pk).flag_count == 0
    assert Flag.objects.filter(comment=comments[2]).count() == 0


def test_html_reports_are_limited_too(settings, post):
    settings.MEYDAN_RATELIMIT_REPORTS = (1, 3600)
    first, second = post("First comment."), post("Second comment.")
    browser = Client(REMOTE_ADDR="203.0.113.7")
    assert browser.post(f"/c/{first.pk}/report", {"reason": "harassment"}).status_code == 302
    assert browser.get(f"/c/{second.pk}/report").status_code == 200, "the form is not a write"
    limited = browser.post(f"/c/{second.pk}/report", {"reason": "harassment"})
    assert_limited(limited)
    assert "many reports" in limited.content.decode()
    assert Comment.objects.get(pk=second.pk).flag_count == 0


def test_sign_in_claims_are_limited_before_anything_is_redeemed(settings, site):
    settings.MEYDAN_RATELIMIT_SIGNIN_CLAIMS = (2, 60)
    body = {"site": site.slug, "verifier": "v" * 43}
    for _ in range(2):
        assert api_post("/signin/claim", body).status_code == 404
    assert_limited(api_post("/signin/claim", body))


def test_the_default_claim_limit_leaves_room_for_the_widgets_polling():
    import meydan.settings as shipped  # the module's value, not the tests' override

    count, seconds = shipped.MEYDAN_RATELIMIT_SIGNIN_CLAIMS
    assert count / seconds * 60 >= 2 * 40, "the widget claims every 1.5 s: 40 a minute"
