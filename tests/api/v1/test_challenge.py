"""GET /api/v1/challenge and POST /api/v1/comments with `altcha`: the proof of work
as the widget uses it (moderation/checks/pow.py)."""

import pytest
from django.contrib.auth import get_user_model

from meydan.accounts.tokens import widget_token_issue
from meydan.comments.models import Comment
from meydan.comments.reasons import reason_code
from tests.api.conftest import ORIGIN
from tests.moderation.conftest import altcha_solve

pytestmark = pytest.mark.django_db

PAGE = f"{ORIGIN}/2015/06/baku-rally/"


@pytest.fixture(autouse=True)
def _pow_on(settings):
    settings.MEYDAN_POW = True
    settings.MEYDAN_POW_DIFFICULTY = 1000


def challenge(api, site, url=PAGE, **headers):
    response = api.get("/challenge", {"site": site.slug, "url": url}, **headers)
    assert response.status_code == 200, response.content
    return response.json()


def test_challenge_is_signed_and_expires(api, site):
    response = api.get("/challenge", {"site": site.slug, "url": PAGE}, Origin=ORIGIN)
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    data = response.json()
    assert data["enabled"] is True and data["algorithm"] == "SHA-256"
    assert data["maxnumber"] == 1000
    assert len(data["challenge"]) == 64 and len(data["signature"]) == 64
    assert "expires=" in data["salt"] and data["expires"] > 0
    # Two challenges are never the same.
    assert challenge(api, site)["salt"] != data["salt"]


def test_solved_comment_is_published_and_unsolved_held(api, site, new_comment):
    solved = api.post(
        "/comments", new_comment(altcha=altcha_solve(challenge(api, site))), Origin=ORIGIN
    )
    assert solved.status_code == 201 and solved.json()["published"] is True
    unsolved = api.post("/comments", new_comment(body="No work done."), Origin=ORIGIN)
    assert unsolved.status_code == 202  # held, not refused
    assert unsolved.json()["comment"]["status"] == "pending"
    held = Comment.objects.get(pk=unsolved.json()["comment"]["id"])
    assert held.moderation_reason == "held: no proof of work"
    assert reason_code(held.moderation_reason) == "pow"


def test_replayed_solution_is_held(api, site, new_comment):
    payload = altcha_solve(challenge(api, site))
    first = api.post("/comments", new_comment(altcha=payload), Origin=ORIGIN)
    again = api.post("/comments", new_comment(body="Again.", altcha=payload), Origin=ORIGIN)
    assert first.status_code == 201
    assert again.status_code == 202
    held = Comment.objects.get(pk=again.json()["comment"]["id"])
    assert held.moderation_reason == "held: proof of work replayed"


def test_solution_for_another_page_is_held(api, site, new_comment):
    payload = altcha_solve(challenge(api, site, url=f"{ORIGIN}/another/"))
    response = api.post("/comments", new_comment(altcha=payload), Origin=ORIGIN)
    assert response.status_code == 202
    assert Comment.objects.get().moderation_reason == "held: proof of work wrong page"


def test_the_same_page_by_path_or_with_tracking_is_one_challenge(api, site, new_comment):
    payload = altcha_solve(challenge(api, site, url="/2015/06/baku-rally/"))
    response = api.post("/comments", new_comment(altcha=payload), Origin=ORIGIN)
    assert response.status_code == 201


@pytest.mark.parametrize(
    "params,status",
    [
        ({"site": "no-such-site", "url": PAGE}, 404),
        ({"site": "caspian-ledger", "url": "https://elsewhere.example/x"}, 400),
        ({"site": "caspian-ledger"}, 422),
        ({"url": PAGE}, 422),
    ],
)
def test_bad_requests_are_clear_errors(api, site, params, status):
    response = api.get("/challenge", params)
    assert response.status_code == status
    assert response.json()["error"]["code"]


def test_an_oversized_or_garbage_altcha_is_held_or_refused_cleanly(api, site, new_comment):
    too_long = api.post("/comments", new_comment(altcha="A" * 5000), Origin=ORIGIN)
    assert too_long.status_code == 422
    assert "altcha" in str(too_long.json()["error"])
    garbage = api.post("/comments", new_comment(altcha="%%%"), Origin=ORIGIN)
    assert garbage.status_code == 202
    assert Comment.objects.get().moderation_reason == "held: proof of work malformed"


def test_signed_in_reader_needs_no_solution(api, site, new_comment):
    reader = get_user_model().objects.create_user("leyla", email="leyla@example.org")
    token = widget_token_issue(reader, site_id=site.pk, provider="google")
    response = api.post(
        "/comments", new_comment(name="", email=""), Authorization=f"Bearer {token}"
    )
    assert response.status_code == 201 and response.json()["published"] is True


def test_switched_off(api, site, new_comment, settings):
    settings.MEYDAN_POW = False
    assert challenge(api, site) == {
        "enabled": False, "algorithm": None, "challenge": None, "maxnumber": None,
        "salt": None, "signature": None, "expires": None,
    }  # fmt: skip
    assert api.post("/comments", new_comment(), Origin=ORIGIN).status_code == 201


def test_difficulty_rises_for_a_flood_from_one_address(api, site, settings):
    settings.MEYDAN_POW_FLOOD_ADDRESS = 5
    asked = [challenge(api, site)["maxnumber"] for _ in range(12)]
    assert asked[0] == 1000 and asked[-1] > 1000
