"""comments.reasons: every reason a real check, report, moderator or import stores is
a stable code with parameters, its English record is made from them (and reads back
as them), and it is worded in the reader's language from the code. The checks run
for real on drafts that trigger them."""

import base64
import json
import time
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.template import engines
from django.utils import translation

from meydan.comments.moderation import Draft
from meydan.comments.reasons import CHECKS, LABELS, Reason, reason_code, reason_display
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


def reasons_of(check, draft) -> Reason:
    verdict = check.check(draft)
    assert verdict is not None, f"{check.__class__.__name__} had no opinion"
    assert verdict.reason == verdict.why.text  # the record is made from the code
    return verdict.why


def check_reasons(site, draft, settings, post, moderator) -> dict[str, list[Reason]]:
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


def pow_reasons(site, draft, settings) -> list[Reason]:
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
        texts = [why.text for why in stored]
        assert len(texts) == len(set(texts)), texts  # each way of deciding was reached
        for why in stored:
            assert why.code == expected, (path, why)
            # Rows, audit snapshots and exports made before the codes are read back
            # from the record: the record of a code gives that code and parameters.
            assert Reason.parse(why.text) == why, (path, why)
            assert reason_code(why.text) == expected
            assert json.loads(json.dumps(why.params)) == why.params  # a JSON column


def test_what_each_check_stores(site, draft, settings, post, moderator):
    reasons = check_reasons(site, draft, settings, post, moderator)
    stored = {path.removeprefix("meydan.moderation.checks."): r for path, r in reasons.items()}
    (rate,) = stored.pop("rate_limit.RateLimitCheck")
    assert rate.code == "rate_limit" and 0 < rate.params["seconds"] <= 60
    assert rate.text == f"refused: rate limit ({rate.params['seconds']} s)"
    *form, fast = stored.pop("form_guard.FormGuardCheck")
    assert fast.code == "form_guard" and fast.params["problem"] == "too_fast"
    assert fast.text == f"refused: form sent after {fast.params['seconds']} s"
    assert float(fast.params["seconds"]) < 3  # the minimum form age set
    assert [(r.code, r.params, r.text) for r in form] == [
        ("form_guard", {"problem": "honeypot"}, "refused: honeypot filled"),
        ("form_guard", {"problem": "form_token"}, "refused: form token missing, forged or expired"),
    ]
    assert {path: [(r.code, r.params, r.text) for r in rs] for path, rs in stored.items()} == {
        "links.LinksCheck": [
            ("links", {"n": 1}, "held: 1 link"),
            ("links", {"n": 2}, "held: 2 links"),
        ],
        "words.ModerationWordsCheck": [
            ("moderation_words", {"word": "casino"}, "held: moderation word “casino”"),
        ],
        "words.DisallowedWordsCheck": [
            ("disallowed_words", {"decision": "spam", "word": "pills"},
             "spam: disallowed word “pills”"),
            ("disallowed_words", {"decision": "refused", "word": "pills"},
             "refused: disallowed word “pills”"),
        ],
        "first_comment.FirstCommentCheck": [("first_comment", {}, "held: first comment")],
        "hold_all.HoldAllCheck": [("hold_all", {}, "held: every comment needs approval")],
        "spam.SpamFilterCheck": [
            ("spam_filter", {"held": False, "score": "0.99"}, "spam filter: 0.99"),
            ("spam_filter", {"held": True, "score": "0.85"}, "held: spam filter 0.85"),
        ],
        "akismet.AkismetCheck": [
            ("akismet", {"blatant": False}, "spam: Akismet"),
            ("akismet", {"blatant": True}, "spam: Akismet (blatant)"),
        ],
        "bans.BanCheck": [
            ("bans", {"kind": "email"}, "refused: banned (email)"),
            ("bans", {"shadow": True}, "shadow-banned"),
        ],
        "duplicate.DuplicateCheck": [("duplicate", {}, "refused: duplicate")],
        "pow.ProofOfWorkCheck": [
            ("pow", {}, "held: no proof of work"),
            ("pow", {"problem": "malformed"}, "held: proof of work malformed"),
            ("pow", {"problem": "tampered"}, "held: proof of work tampered"),
            ("pow", {"problem": "expired"}, "held: proof of work expired"),
            ("pow", {"problem": "wrong site"}, "held: proof of work wrong site"),
            ("pow", {"problem": "wrong page"}, "held: proof of work wrong page"),
            ("pow", {"problem": "replayed"}, "held: proof of work replayed"),
        ],
    }  # fmt: skip


def test_a_posted_comment_stores_the_code_its_check_gave(site, post):
    site.hold_links = 1
    site.save()
    comment = post("Two: https://a.example/x and https://b.example/y")
    comment.refresh_from_db()
    assert comment.status == "pending"
    assert (comment.reason_code, comment.reason_params) == ("links", {"n": 2})
    assert comment.moderation_reason == "held: 2 links" == comment.reason.text
    published = post("No links.")
    published.refresh_from_db()
    assert (published.reason_code, published.reason_params, published.moderation_reason) == (
        "",
        {},
        "",
    )


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
    assert comment.reason == Reason.of("reports", n=1)
    assert comment.moderation_reason == "held: 1 reader reports"  # the record as it was
    for action in ("approve", "spam", "not_spam", "trash", "restore"):
        services.comment_moderate(comment, action, actor=moderator)
        comment.refresh_from_db()
        assert comment.reason == Reason.of("moderator", action=action, who=moderator.username)
        assert comment.moderation_reason == f"{action} by {moderator.username}"
    services.comment_moderator_edit(
        comment, actor=moderator, body="Edited.", reason=Reason.other("  looked at it  ")
    )
    comment.refresh_from_db()
    assert (comment.reason_code, comment.reason_params) == ("other", {"text": "looked at it"})
    assert comment.moderation_reason == "looked at it"
    assert reason_code("imported from wxr") == "imported"
    assert reason_code("deleted by its author") == "erased"


def test_a_withdrawn_comment_stores_its_erasure(post):
    from meydan.comments import services as comment_services

    comment = post("Regret this.")
    comment_services.comment_withdraw(comment, channel="api")
    comment.refresh_from_db()
    assert comment.reason == Reason.of("erased", how="deleted by its author")
    assert comment.moderation_reason == "deleted by its author"


def test_an_author_leaving_is_an_erasure_worded_when_shown():
    """What an audit snapshot keeps when an author leaves and their comments stay."""
    assert Reason.parse("author left, comments kept") == Reason.of(
        "erased", how="author left, comments kept"
    )
    with translation.override("ru"):
        assert reason_display("author left, comments kept") == (
            "сохранён без имени автора (автор удалил учётную запись)"
        )


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
    return reasons.reason_shown


LATER = [
    Reason.of("reports", n=2),
    Reason.of("reports", n=1),
    Reason.of("imported", source="wxr"),
    Reason.of("moderator", action="approve", who="ana"),
    Reason.of("moderator", action="trash"),
    Reason.of("erased", how="deleted by its author"),
    Reason.of("erased", how="withdrawn"),
]


def test_every_real_reason_is_worded_through_the_catalogue(
    site, draft, settings, post, moderator, monkeypatch
):
    by_check = check_reasons(site, draft, settings, post, moderator)
    stored = [reason for reasons in by_check.values() for reason in reasons] + LATER
    display = _marked(monkeypatch)
    for why in stored:
        shown = display(why.code, why.params)
        assert shown.startswith("⟦") and shown.endswith("⟧"), (why, shown)


def test_every_real_reason_is_shown_in_the_readers_language(site, draft, settings, post, moderator):
    by_check = check_reasons(site, draft, settings, post, moderator)
    stored = [reason for reasons in by_check.values() for reason in reasons] + LATER
    for why in stored:
        with translation.override("en"):
            english = why.shown()
        for language in ("ru", "az"):
            with translation.override(language):
                shown = why.shown()
                # From the code, the same words as its record read back would give.
                assert shown == reason_display(why.text), (language, why)
            if language == "ru":  # every reason has its Russian wording
                assert shown != english, (why, shown)


@pytest.mark.parametrize(
    ("why", "ru", "az"),
    [
        (Reason.of("links", n=3), "на проверке: 3 ссылки", "saxlanılıb: 3 keçid"),
        (Reason.of("links", n=1), "на проверке: 1 ссылка", "saxlanılıb: 1 keçid"),
        (
            Reason.of("spam_filter", held=True, score="0.85"),
            "на проверке: спам-фильтр 0.85",
            "saxlanılıb: spam filtri 0.85",
        ),
        (
            Reason.of("bans", kind="email"),
            "отклонён: блокировка (электронная почта)",
            "rədd edilib: bloklanıb (e-poçt)",
        ),
        (
            Reason.of("moderator", action="approve", who="ana"),
            "одобрен модератором ana",
            "ana tərəfindən təsdiqlənib",
        ),
        (
            Reason.of("pow", problem="replayed"),
            "на проверке: доказательство работы использовано повторно",
            "saxlanılıb: iş sübutu iki dəfə istifadə olunub",
        ),
        (
            Reason.of("erased", how="author left, comments kept"),
            "сохранён без имени автора (автор удалил учётную запись)",
            "müəllifin adı olmadan saxlanılıb (müəllif hesabını silib)",
        ),
        (Reason.other("a check of our own"), "a check of our own", "a check of our own"),
    ],
)
def test_reasons_in_russian_and_azerbaijani(why, ru, az):
    for language, expected in (("ru", ru), ("az", az)):
        with translation.override(language):
            assert why.shown() == expected


def test_a_comment_is_shown_from_its_code_not_its_text(post):
    """The queue and the e-mails word the stored code; the text is not read."""
    comment = post("A comment.")
    comment.reason_code, comment.reason_params = "links", {"n": 5}
    comment.moderation_reason = "held: 3 links"  # a record that disagrees
    template = engines["django"].from_string("{% load comment_words %}{{ c|reason }}")
    with translation.override("ru"):
        assert template.render({"c": comment}) == "на проверке: 5 ссылок"
    # Text (an audit snapshot's) is still read by its pattern.
    snapshot = engines["django"].from_string("{% load comment_words %}{{ t|reason }}")
    assert snapshot.render({"t": "held: 3 links"}) == "held: 3 links"


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
