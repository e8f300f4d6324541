"""moderation.reasons: every reason a real check, report, moderator or import stores
maps to its stable code. The checks run for real on drafts that trigger them."""

import base64
import json
import time
from unittest import mock

import pytest
from django.conf import settings as django_settings

from meydan.comments.moderation import Draft
from meydan.comments.reasons import CHECKS, LABELS, reason_code
from meydan.moderation import services
from meydan.moderation.checks.akismet import AkismetCheck
from meydan.moderation.checks.bans import BanCheck
from meydan.moderation.checks.duplicate import DuplicateCheck
from meydan.moderation.checks.first_comment import FirstCommentCheck
from meydan.moderation.checks.form_guard import FormGuardCheck
from meydan.moderation.checks.hold_all import HoldAllCheck
from meydan.moderation.checks.links import LinksCheck
from meydan.moderation.checks.pow import ProofOfWorkCheck
from meydan.moderation.checks.pow_challenge import challenge_issue
from meydan.moderation.checks.rate_limit import RateLimitCheck
from meydan.moderation.checks.spam import SpamFilterCheck
from meydan.moderation.checks.words import DisallowedWordsCheck, ModerationWordsCheck
from tests.moderation.conftest import aged_token, altcha_solve

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(site, thread):
    def _draft(**kw):
        fields = dict(
            site=site, thread=thread, body="A comment.", author_name="Bot",
            author_email="bot@spam.example", author_url="", ip_hash="h1",
            client_ip="203.0.113.9", page_url="https://blog.example.org/post/",
        )  # fmt: skip
        fields.update(kw)
        return Draft(**fields)

    return _draft


def reasons_of(check, draft) -> str:
    verdict = check.check(draft)
    assert verdict is not None, f"{check.__class__.__name__} had no opinion"
    return verdict.reason


def check_reasons(site, draft, settings, post, moderator) -> dict[str, list[str]]:
    """{check class path: the reasons it stored, for every way it decides}."""
    site.hold_links = 1
    site.moderation_words = "casino"
    site.disallowed_words = "pills"
    site.hold_first_comment = site.hold_all = True
    site.save()
    path = "meydan.moderation.checks."
    out: dict[str, list[str]] = {}
    out[path + "links.LinksCheck"] = [
        reasons_of(LinksCheck(), draft(body="https://a.example/x")),
        reasons_of(LinksCheck(), draft(body="https://a.example/x www.b.example")),
    ]
    out[path + "words.ModerationWordsCheck"] = [
        reasons_of(ModerationWordsCheck(), draft(body="A casino."))
    ]
    spam_words = [reasons_of(DisallowedWordsCheck(), draft(body="pills"))]
    site.disallowed_action = "reject"
    spam_words.append(reasons_of(DisallowedWordsCheck(), draft(body="pills")))
    out[path + "words.DisallowedWordsCheck"] = spam_words
    out[path + "first_comment.FirstCommentCheck"] = [reasons_of(FirstCommentCheck(), draft())]
    out[path + "hold_all.HoldAllCheck"] = [reasons_of(HoldAllCheck(), draft())]
    filter_reasons = []
    for score in (0.999, 0.85):
        with mock.patch("meydan.moderation.checks.spam.spam_score", return_value=score):
            filter_reasons.append(reasons_of(SpamFilterCheck(), draft()))
    out[path + "spam.SpamFilterCheck"] = filter_reasons
    settings.MEYDAN_AKISMET_KEY = "k3y"
    akismet = []
    for tip in ({}, {"X-akismet-pro-tip": "discard"}):
        response = mock.Mock(status_code=200, text="true", headers=tip)
        with mock.patch("meydan.moderation.checks.akismet.requests.post", return_value=response):
            akismet.append(reasons_of(AkismetCheck(), draft()))
    out[path + "akismet.AkismetCheck"] = akismet
    bans = []
    for shadow, who in ((False, "banned@example.org"), (True, "shadow@example.org")):
        services.ban_create(actor=moderator, site=site, kind="email", value=who, shadow=shadow)
        bans.append(reasons_of(BanCheck(), draft(author_email=who)))
    out[path + "bans.BanCheck"] = bans
    settings.MEYDAN_RATELIMIT_COMMENTS = (1, 60)
    RateLimitCheck().check(draft(ip_hash="rl"))
    out[path + "rate_limit.RateLimitCheck"] = [reasons_of(RateLimitCheck(), draft(ip_hash="rl"))]
    posted = post("Said once.", email="dup@example.org")
    out[path + "duplicate.DuplicateCheck"] = [
        reasons_of(DuplicateCheck(), draft(body=posted.body, author_email="dup@example.org"))
    ]
    settings.MEYDAN_MIN_FORM_SECONDS = 3
    out[path + "form_guard.FormGuardCheck"] = [
        reasons_of(FormGuardCheck(), draft(honeypot="x")),
        reasons_of(FormGuardCheck(), draft(form_token="forged")),
        reasons_of(FormGuardCheck(), draft(form_token=aged_token(0.5))),
    ]
    out[path + "pow.ProofOfWorkCheck"] = pow_reasons(site, draft, settings)
    return out


def pow_reasons(site, draft, settings) -> list[str]:
    settings.MEYDAN_POW = True
    settings.MEYDAN_POW_DIFFICULTY = 1000
    check = ProofOfWorkCheck()
    page = draft().thread.key

    def solved(site_key=site.slug, page_key=page, now=None):
        issued = challenge_issue(site_key=site_key, page_key=page_key, ip=None, now=now)
        return altcha_solve(issued)

    good = solved()
    assert check.check(draft(challenge=good)) is None
    tampered = json.loads(base64.b64decode(good))
    tampered["number"] += 1
    return [
        reasons_of(check, draft(challenge=None)),
        reasons_of(check, draft(challenge="%%%")),
        reasons_of(
            check, draft(challenge=base64.b64encode(json.dumps(tampered).encode()).decode())
        ),
        reasons_of(check, draft(challenge=solved(now=time.time() - 7200))),
        reasons_of(check, draft(challenge=solved(site_key="elsewhere"))),
        reasons_of(check, draft(challenge=solved(page_key="/elsewhere/"))),
        reasons_of(check, draft(challenge=good)),
    ]


EXPECTED = {
    "links.LinksCheck": "links",
    "words.ModerationWordsCheck": "moderation_words",
    "words.DisallowedWordsCheck": "disallowed_words",
    "first_comment.FirstCommentCheck": "first_comment",
    "hold_all.HoldAllCheck": "hold_all",
    "spam.SpamFilterCheck": "spam_filter",
    "akismet.AkismetCheck": "akismet",
    "bans.BanCheck": "bans",
    "rate_limit.RateLimitCheck": "rate_limit",
    "form_guard.FormGuardCheck": "form_guard",
    "duplicate.DuplicateCheck": "duplicate",
    "pow.ProofOfWorkCheck": "pow",
}


def test_every_checks_real_reasons_have_its_code(site, draft, settings, post, moderator):
    reasons = check_reasons(site, draft, settings, post, moderator)
    # Every check the project ships (and Akismet, off by default) is covered here.
    assert set(django_settings.MEYDAN_MODERATION_CHECKS) <= set(reasons)
    for path, stored in reasons.items():
        expected = EXPECTED[path.removeprefix("meydan.moderation.checks.")]
        assert len(stored) == len(set(stored)), stored  # each way of deciding was reached
        for reason in stored:
            assert reason_code(reason) == expected, (path, reason)


def test_the_checks_that_store_comments_are_the_ones_the_dashboard_counts():
    stored = {"links", "moderation_words", "disallowed_words", "first_comment", "hold_all"}
    assert stored | {"spam_filter", "akismet", "bans"} <= CHECKS
    assert not {"reports", "moderator", "imported", "rate_limit"} & CHECKS
    assert set(EXPECTED.values()) <= set(LABELS)


def test_reports_moderators_and_imports(post, site, moderator):
    site.flag_threshold = 1
    site.save()
    comment = post("Reported.")
    services.comment_flag(comment, reporter_key="r1", reason="spam", channel="form")
    comment.refresh_from_db()
    assert reason_code(comment.moderation_reason) == "reports"
    for action in ("approve", "spam", "not_spam", "trash", "restore"):
        comment = services.comment_moderate(comment, action, actor=moderator)
        assert reason_code(comment.moderation_reason) == "moderator", comment.moderation_reason
    assert reason_code("imported from wxr") == "imported"
    assert reason_code("deleted by its author") == "erased"


@pytest.mark.parametrize(
    "reason,code",
    [("", ""), (None, ""), ("  ", ""), ("held: something new", "other"), ("approved", "other")],
)
def test_empty_and_unknown(reason, code):
    assert reason_code(reason) == code


# --- worded at display ----------------------------------------------------------------


def _marked(monkeypatch):
    """Make every gettext/ngettext/pgettext/lazy string of comments.reasons visible:
    its output is wrapped in ⟦ ⟧, so a part that skips translation shows."""
    from django.utils.functional import lazy

    from meydan.comments import reasons

    def mark(text):
        return f"⟦{text}⟧"

    monkeypatch.setattr(reasons, "gettext", mark)
    monkeypatch.setattr(reasons, "ngettext", lambda s, p, n: mark(s if n == 1 else p))
    monkeypatch.setattr(reasons, "pgettext", lambda c, s: mark(s))
    for table in (reasons._MODERATOR_ACTIONS, reasons._ERASED, reasons._POW_PROBLEMS):
        for key, value in list(table.items()):
            monkeypatch.setitem(table, key, lazy(mark, str)(str(value)))
    return reasons.reason_display


def test_every_real_reason_is_worded_through_the_catalogue(
    site, draft, settings, post, moderator, monkeypatch
):
    by_check = check_reasons(site, draft, settings, post, moderator)
    stored = [reason for reasons in by_check.values() for reason in reasons]
    stored += ["held: 2 reader reports", "held: 1 reader report", "imported from wxr"]
    stored += ["approve by ana", "trash", "deleted by its author", "withdrawn"]
    display = _marked(monkeypatch)
    for reason in stored:
        shown = display(reason)
        assert shown.startswith("⟦") and shown.endswith("⟧"), (reason, shown)


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("held: 1 link", "held: 1 link"),
        ("held: 3 links", "held: 3 links"),
        ("spam filter: 0.99", "spam filter: 0.99"),
        ("held: spam filter 0.85", "held: spam filter 0.85"),
        ("held: moderation word “casino”", "held: moderation word “casino”"),
        ("refused: banned (email)", "refused: banned (email)"),
        ("refused: banned (IP (keyed hash))", "refused: banned (IP (keyed hash))"),
        ("held: proof of work replayed", "held: proof of work used twice"),
        ("approve by ana", "approved by ana"),
        ("not_spam", "marked as not spam"),
        ("held: 2 reader reports", "held: 2 reader reports"),
        ("a check of the operator's own", "a check of the operator's own"),
        ("", ""),
        (None, ""),
    ],
)
def test_reasons_in_english(stored, shown):
    from meydan.comments.reasons import reason_display

    assert reason_display(stored) == shown


def test_reason_parts_give_the_parameters():
    from meydan.comments.reasons import reason_parts

    assert reason_parts("held: 3 links") == ("links", {"n": 3})
    assert reason_parts("approve by ana") == ("moderator", {"action": "approve", "who": "ana"})
    assert reason_parts("refused: rate limit (30 s)") == ("rate_limit", {"seconds": 30})
    assert reason_parts("who knows") == ("other", {"text": "who knows"})


def test_the_queue_and_the_audit_log_word_what_they_show(client, post, site, moderator):
    site.flag_threshold = 1
    site.save()
    comment = post("Reported.")
    services.comment_flag(comment, reporter_key="r1", reason="spam", channel="form")
    services.comment_moderate(comment, "not_spam", actor=moderator)
    client.force_login(moderator)
    log = client.get("/moderation/log/").content.decode()
    assert "marked as not spam" in log and "<td>not_spam" not in log
    assert "Awaiting moderation" in log
