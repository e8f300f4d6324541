"""POST/DELETE /api/v1/comments/{id}/vote, GET /api/v1/votes, and the thread read's
votes and "most voted" order."""

import pytest
from django.contrib.auth import get_user_model

from meydan.accounts.tokens import widget_token_issue
from meydan.comments import services
from meydan.comments.models import Comment, Thread, Vote
from meydan.sites.services import site_update
from tests.api.conftest import ORIGIN

pytestmark = pytest.mark.django_db
PAGE = f"{ORIGIN}/2015/06/baku-rally/"


@pytest.fixture
def posted(api, site, new_comment):
    def _post(**overrides):
        return api.post("/comments", new_comment(**overrides), Origin=ORIGIN).json()

    return _post


@pytest.fixture(autouse=True)
def _commits(django_capture_on_commit_callbacks):
    """Votes run their after-commit work (forgetting the cached thread state) at once."""
    global _capture
    _capture = django_capture_on_commit_callbacks


def vote(api, comment_id, voter=None, **headers):
    if voter:
        headers["X-Meydan-Voter"] = voter
    headers.setdefault("Origin", ORIGIN)
    with _capture(execute=True):
        return api.post(f"/comments/{comment_id}/vote", {}, **headers)


def read(api, site, **params):
    return api.get("/threads", {"site": site.slug, "url": PAGE, **params})


def test_guest_votes_keeps_the_voter_id_and_a_replay_counts_nothing(api, site, posted):
    comment = posted()["comment"]
    first = vote(api, comment["id"])
    assert first.status_code == 200
    body = first.json()
    assert body["voted"] is True and body["votes"] == 1 and body["changed"] is True
    assert body["voter"] and first["Access-Control-Allow-Origin"] == ORIGIN
    assert "Set-Cookie" not in first  # the widget keeps the id, not a cookie
    for _ in range(3):  # the same request again, and again
        again = vote(api, comment["id"], body["voter"]).json()
        assert again == {"comment": comment["id"], "voted": True, "votes": 1,
                         "changed": False, "voter": None}  # fmt: skip
    assert Vote.objects.count() == 1 and Comment.objects.get().vote_count == 1
    # Another guest counts.
    assert vote(api, comment["id"]).json()["votes"] == 2
    # The read path shows the count (the cached page was made new by the vote).
    assert read(api, site).json()["comments"][0]["votes"] == 2


def test_a_forged_voter_id_is_not_taken(api, site, posted):
    comment = posted()["comment"]
    response = vote(api, comment["id"], "made-up:token")
    assert response.status_code == 200 and response.json()["voter"]  # a new voter is issued
    assert Vote.objects.count() == 1


def test_unvote_and_which_comments_i_voted(api, site, posted):
    a = posted()["comment"]
    b = posted(body="Another.")["comment"]
    voter = vote(api, a["id"]).json()["voter"]
    vote(api, b["id"], voter)
    mine = api.get("/votes", {"site": site.slug, "url": PAGE}, **{"X-Meydan-Voter": voter})
    assert mine.status_code == 200 and mine.json() == {"comments": sorted([a["id"], b["id"]])}
    assert mine["Cache-Control"] == "private, no-store"
    with _capture(execute=True):
        taken = api.delete(f"/comments/{a['id']}/vote", Origin=ORIGIN,
                           **{"X-Meydan-Voter": voter})  # fmt: skip
    assert taken.status_code == 200
    assert taken.json() == {"comment": a["id"], "voted": False, "votes": 0, "changed": True,
                            "voter": None}  # fmt: skip
    again = api.delete(f"/comments/{a['id']}/vote", Origin=ORIGIN, **{"X-Meydan-Voter": voter})
    assert again.json()["changed"] is False
    mine = api.get("/votes", {"site": site.slug, "url": PAGE}, **{"X-Meydan-Voter": voter})
    assert mine.json() == {"comments": [b["id"]]}
    # A reader with no voter id has voted for nothing.
    assert api.get("/votes", {"site": site.slug, "url": PAGE}).json() == {"comments": []}


def test_signed_in_reader_votes_by_account_not_for_their_own(api, site, posted):
    user = get_user_model().objects.create_user("leyla", email="leyla@example.org")
    token = widget_token_issue(user, site_id=site.pk, provider="", origin=ORIGIN)
    bearer = {"Authorization": f"Bearer {token}"}
    mine = api.post("/comments", {"site": site.slug, "url": PAGE, "body": "Mine."},
                    Origin=ORIGIN, **bearer).json()["comment"]  # fmt: skip
    other = posted()["comment"]
    refused = vote(api, mine["id"], **bearer)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "own_comment"
    assert refused.json()["error"]["message"] == "You cannot up-vote your own comment."
    ok = vote(api, other["id"], **bearer).json()
    assert ok["votes"] == 1 and ok["voter"] is None
    assert Vote.objects.get().voter == f"u:{user.pk}"
    listed = api.get("/votes", {"site": site.slug, "url": PAGE}, **bearer).json()
    assert listed == {"comments": [other["id"]]}


def test_guest_cannot_vote_for_the_comment_they_posted(api, site, posted):
    created = posted()
    refused = vote(api, created["comment"]["id"], **{"X-Meydan-Edit-Token": created["edit_token"]})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "own_comment"


def test_refusals_are_readable(api, site, posted, settings):
    comment = posted()["comment"]
    missing = vote(api, 999999)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    Comment.objects.filter(pk=comment["id"]).update(status="pending")
    assert vote(api, comment["id"]).status_code == 404
    Comment.objects.filter(pk=comment["id"]).update(status="approved")
    elsewhere = vote(api, comment["id"], Origin="https://evil.example")
    assert elsewhere.status_code == 403
    assert elsewhere.json()["error"]["code"] == "origin_not_allowed"
    services.thread_update(Thread.objects.get(), is_open=False, channel="admin")
    closed = vote(api, comment["id"])
    assert closed.status_code == 403 and closed.json()["error"]["code"] == "thread_closed"
    assert not Vote.objects.exists()


def test_votes_are_rate_limited(api, site, posted, settings):
    settings.MEYDAN_RATELIMIT_VOTES = (2, 60)
    ids = [posted(body=f"c{i}")["comment"]["id"] for i in range(3)]
    voter = vote(api, ids[0]).json()["voter"]
    vote(api, ids[1], voter)
    limited = vote(api, ids[2], voter)
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "rate_limited"
    assert int(limited["Retry-After"]) > 0
    assert Comment.objects.get(pk=ids[2]).vote_count == 0


def test_most_voted_order_through_the_api(api, site, posted):
    ids = [posted(body=f"c{i}")["comment"]["id"] for i in range(3)]
    vote(api, ids[2])
    vote(api, ids[2])
    vote(api, ids[1])
    top = read(api, site, order="top")
    assert top.status_code == 200
    data = top.json()
    assert data["order"] == "top"
    assert [(c["id"], c["votes"]) for c in data["comments"]] == [
        (ids[2], 2), (ids[1], 1), (ids[0], 0),
    ]  # fmt: skip
    assert top["ETag"].endswith('-p1-top"')
    # The site may make it the default.
    with _capture(execute=True):
        site.default_order = "top"
        site_update(site, channel="admin")
    assert [c["id"] for c in read(api, site).json()["comments"]] == [ids[2], ids[1], ids[0]]


def test_a_vote_makes_the_cached_page_new(api, site, posted):
    comment = posted()["comment"]
    before = read(api, site, order="top")
    cached = api.get("/threads", {"site": site.slug, "url": PAGE, "order": "top"},
                     **{"If-None-Match": before["ETag"]})  # fmt: skip
    assert cached.status_code == 304
    vote(api, comment["id"])
    after = api.get("/threads", {"site": site.slug, "url": PAGE, "order": "top"},
                    **{"If-None-Match": before["ETag"]})  # fmt: skip
    assert after.status_code == 200 and after["ETag"] != before["ETag"]
    assert after.json()["comments"][0]["votes"] == 1


def test_preflight_allows_the_voter_header(api, site):
    response = api.client.options(
        "/api/v1/comments/1/vote",
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "x-meydan-voter"},
    )  # fmt: skip
    assert response.status_code == 204
    assert "X-Meydan-Voter" in response["Access-Control-Allow-Headers"]
    assert "DELETE" in response["Access-Control-Allow-Methods"]
