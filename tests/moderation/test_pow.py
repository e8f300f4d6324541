"""The proof-of-work check (moderation/checks/pow.py) and its challenge
(pow_challenge.py): solutions are solved for real with the `altcha` package, as a
browser would, and checked through the check's one method."""

import base64
import json
import time

import altcha
import pytest
from django.contrib.auth import get_user_model

from meydan.comments.moderation import Decision, Draft
from meydan.comments.reasons import reason_code
from meydan.moderation.checks import pow_challenge
from meydan.moderation.checks.pow import ProofOfWorkCheck
from tests.moderation.conftest import altcha_solve as solve

pytestmark = pytest.mark.django_db

IP = "203.0.113.9"


@pytest.fixture(autouse=True)
def _pow_on(settings):
    settings.MEYDAN_POW = True
    settings.MEYDAN_POW_DIFFICULTY = 1000  # quick to solve in Python
    settings.MEYDAN_POW_MAX_DIFFICULTY = 64_000
    settings.MEYDAN_POW_FLOOD_ADDRESS = 5
    settings.MEYDAN_POW_FLOOD_THREAD = 20
    settings.MEYDAN_POW_FLOOD_SITE = 50


@pytest.fixture
def issue(site, thread):
    def _issue(ip=IP, **kw):
        return pow_challenge.challenge_issue(
            site_key=kw.pop("site_key", site.slug), page_key=kw.pop("page", thread.key), ip=ip, **kw
        )

    return _issue


@pytest.fixture
def draft(site, thread):
    def _draft(challenge=None, **kw):
        fields = dict(
            site=site, thread=thread, body="A comment.", author_name="Tural",
            author_email="tural@example.org", author_url="", ip_hash="h1", client_ip=IP,
            page_url=thread.url, channel="api", challenge=challenge,
        )  # fmt: skip
        fields.update(kw)
        return Draft(**fields)

    return _draft


def verdict_of(draft):
    return ProofOfWorkCheck().check(draft)


def held_for(draft) -> str:
    verdict = verdict_of(draft)
    assert verdict is not None, "a comment without good proof of work was let through"
    assert verdict.decision == Decision.HOLD  # held, never refused
    assert reason_code(verdict.reason) == "pow"
    return verdict.reason


def test_a_valid_solution_passes(issue, draft):
    assert verdict_of(draft(solve(issue()))) is None


def test_missing_solution_is_held_not_refused(draft):
    assert held_for(draft(None)) == "held: no proof of work"
    assert held_for(draft("")) == "held: no proof of work"


def test_garbage_is_held_as_malformed(issue, draft):
    for junk in ("not base64!", base64.b64encode(b"[1,2]").decode(), "e30=", "x" * 5000):
        assert held_for(draft(junk)) == "held: proof of work malformed"
    good = json.loads(base64.b64decode(solve(issue())))
    for change in ({"algorithm": "SHA-1"}, {"number": "7"}, {"number": True}, {"salt": 5}):
        odd = base64.b64encode(json.dumps({**good, **change}).encode()).decode()
        assert held_for(draft(odd)) == "held: proof of work malformed", change


def test_wrong_number_or_tampered_signature_is_held(issue, draft):
    issued = issue()
    good = json.loads(base64.b64decode(solve(issued)))
    for change in (
        {"number": good["number"] + 1},
        {"signature": "0" * 64},
        # A cheaper difficulty written into the salt breaks the challenge's hash.
        {"salt": issued["salt"].replace(f"max={issued['maxnumber']}", "max=10")},
    ):
        forged = base64.b64encode(json.dumps({**good, **change}).encode()).decode()
        assert held_for(draft(forged)) == "held: proof of work tampered"


def test_a_challenge_signed_with_another_key_is_tampered(draft, site, thread):
    foreign = altcha.create_challenge_v1(
        algorithm="SHA-256", max_number=100, salt_length=12, hmac_key="someone else's",
        salt="", number=None, expires=None,
        params={"site": site.slug, "page": "x", "max": "100",
                "expires": str(int(time.time()) + 60)},
    )  # fmt: skip
    issued = {**foreign.to_dict(), "maxnumber": 100}
    assert held_for(draft(solve(issued))) == "held: proof of work tampered"


def test_expired_solution_is_held(issue, draft, settings):
    settings.MEYDAN_POW_EXPIRES = 60
    payload = solve(issue(now=time.time() - 61))
    assert held_for(draft(payload)) == "held: proof of work expired"


def test_replayed_solution_is_held(issue, draft):
    payload = solve(issue())
    assert verdict_of(draft(payload)) is None
    assert held_for(draft(payload)) == "held: proof of work replayed"


def test_solution_for_another_site_or_page_is_held(issue, draft, thread):
    other_site = solve(issue(site_key="tbilisi-times"))
    assert held_for(draft(other_site)) == "held: proof of work wrong site"
    other_page = solve(issue(page="/another/story/"))
    assert held_for(draft(other_page)) == "held: proof of work wrong page"


def test_signed_in_readers_and_imports_skip_it(draft):
    user = get_user_model().objects.create_user("leyla", "leyla@example.org")
    assert verdict_of(draft(None, user=user)) is None
    assert verdict_of(draft(None, channel="import")) is None


def test_switched_off_it_has_no_opinion(draft, settings):
    settings.MEYDAN_POW = False
    assert verdict_of(draft(None)) is None


def test_difficulty_rises_for_a_flooding_address_and_falls_back(issue):
    now = time.time()
    first = issue(now=now)["maxnumber"]
    assert first == 1000
    asked = [issue(now=now + i * 0.01)["maxnumber"] for i in range(40)]
    # 5 a minute is this address's threshold: over 5, 10, 20 the work is x4 each
    # (asked[i] is the address's request number i + 2).
    assert asked[3] == 1000 and asked[7] == 4000 and asked[10] == 16_000
    assert asked[-1] == 64_000  # at most MEYDAN_POW_MAX_DIFFICULTY
    # Another address on another page of the same site is not priced by this one's flood…
    assert issue(ip="198.51.100.7", page="/quiet/", now=now + 1)["maxnumber"] == 1000
    # …and two quiet minutes later the address is back to the base.
    assert issue(now=now + 2 * pow_challenge.WINDOW + 1)["maxnumber"] == 1000


def test_difficulty_rises_for_a_thread_and_a_site_under_a_pool_of_addresses(issue):
    now = time.time()
    # 60 addresses, one request each: no address floods, the thread does (20/min).
    asked = [issue(ip=f"203.0.113.{i}", now=now)["maxnumber"] for i in range(60)]
    assert asked[0] == 1000 and asked[-1] > 1000
    # The whole site (50/min): other pages now get harder challenges too.
    others = [issue(ip=f"198.51.100.{i}", page=f"/s{i}/", now=now)["maxnumber"] for i in range(30)]
    assert others[-1] > 1000


def test_guest_posts_count_towards_the_flood(issue, draft):
    now = time.time()
    for _ in range(12):  # posts without a solution, from one address
        verdict_of(draft(None))
    assert issue(now=now)["maxnumber"] > 1000


def test_a_solution_of_the_difficulty_issued_passes_under_a_flood(issue, draft):
    for _ in range(30):
        issue(now=time.time())
    hard = issue()
    assert hard["maxnumber"] > 1000
    assert verdict_of(draft(solve(hard))) is None


def test_the_payload_says_what_it_is_for(issue, site):
    issued = issue()
    assert issued["algorithm"] == "SHA-256"
    assert f"site={site.slug}" in issued["salt"] and "expires=" in issued["salt"]
    assert issued["expires"] > time.time()


def test_it_takes_every_well_formed_draft_without_raising(issue, draft, post):
    parent = post("An earlier comment.")
    for kw in (
        {"author_email": ""},
        {"ip_hash": "", "client_ip": None},
        {"parent_id": parent.pk},
        {"channel": "form"},
        {"body": "See https://a.example " * 200},
    ):
        assert verdict_of(draft(solve(issue(ip=kw.get("client_ip", IP))), **kw)) is None, kw
        assert held_for(draft(None, **kw)) == "held: no proof of work"


def test_the_dashboard_counts_it_as_a_check():
    from meydan.comments.reasons import CHECKS, label

    assert "pow" in CHECKS and label("pow") == "proof of work"
    for reason in ("held: no proof of work", "held: proof of work replayed"):
        assert reason_code(reason) == "pow"
    assert reason_code("held: proof of work whatever") == "other"
