"""Every moderation check Meydan ships holds to the port's contract (the Check
protocol in meydan/comments/moderation.py), and a bad configuration is stopped at
start-up with a message that says what to change."""

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core import checks as django_checks
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.module_loading import import_string

from meydan import settings as meydan_settings
from meydan.comments.form_token import form_token_issue
from meydan.comments.models import Comment, Thread
from meydan.comments.moderation import Check, Decision, Draft, Verdict
from meydan.comments.reasons import LABELS
from meydan.core.privacy import ip_hash
from meydan.moderation.models import SpamModel

# Every check in the default list, and the optional ones an operator may add.
SHIPPED = [
    *meydan_settings.DEFAULT_MODERATION_CHECKS,
    "meydan.moderation.checks.akismet.AkismetCheck",
]


def test_the_default_list_is_what_runs():
    assert django_settings.MEYDAN_MODERATION_CHECKS == meydan_settings.DEFAULT_MODERATION_CHECKS


@pytest.fixture
def drafts(site, thread, post, db):
    """Well-formed drafts of every kind a check must take without raising."""
    parent = post("An earlier comment with a link https://example.org")
    user = get_user_model().objects.create_user("leyla", "leyla@example.org")
    staff = get_user_model().objects.create_user("editor", "editor@example.org", is_staff=True)
    base = dict(
        site=site, thread=thread, body="A comment.", author_name="Tural",
        author_email="tural@example.org", author_url="", ip_hash=ip_hash("203.0.113.9"),
        client_ip="203.0.113.9", page_url=thread.url, form_token=form_token_issue(),
    )  # fmt: skip
    return {
        "guest": Draft(**base),
        "guest without an e-mail": Draft(**{**base, "author_email": ""}),
        "guest without an IP": Draft(**{**base, "ip_hash": "", "client_ip": None}),
        "signed-in reader": Draft(**{**base, "user": user, "author_email": user.email}),
        "staff": Draft(**{**base, "user": staff, "author_email": staff.email}),
        "reply": Draft(**{**base, "parent_id": parent.pk}),
        "through the API": Draft(**{**base, "channel": "api"}),
        "imported": Draft(**{**base, "channel": "import", "form_token": None}),
        "long, with links": Draft(**{**base, "body": "See https://a.example " * 200}),
        "honeypot filled": Draft(**{**base, "honeypot": "http://spam.example"}),
        "no form token": Draft(**{**base, "form_token": None}),
    }


def writes(captured) -> list[str]:
    verbs = ("INSERT", "UPDATE", "DELETE")
    return [q["sql"] for q in captured.captured_queries if q["sql"].lstrip().startswith(verbs)]


@pytest.mark.parametrize("path", SHIPPED)
def test_every_shipped_check_keeps_the_contract(path, drafts, settings):
    settings.MEYDAN_MIN_FORM_SECONDS = 3  # the form guard at work, as in production
    settings.MEYDAN_RATELIMIT_COMMENTS = (1000, 60)  # counted, never reached here
    settings.MEYDAN_SPAM_MIN_LEARNED = 1  # the spam filter has an opinion
    SpamModel.objects.create(site=drafts["guest"].site, spam_docs=1, ham_docs=1)
    check = import_string(path)()  # built without arguments
    assert isinstance(check, Check)
    before = (Comment.objects.count(), list(Thread.objects.values_list("version", flat=True)))
    for kind, draft in drafts.items():
        with CaptureQueriesContext(connection) as captured:
            verdict = check.check(draft)
        assert writes(captured) == [], (path, kind)  # it only reads
        if verdict is None:
            continue
        assert isinstance(verdict, Verdict), (path, kind)
        assert isinstance(verdict.decision, Decision) and isinstance(verdict.reason, str)
        if verdict.decision != Decision.APPROVE:
            assert verdict.reason, (path, kind)  # a moderator sees why
            # A shipped check gives a code of its own, with its record made from it.
            assert verdict.why.code in LABELS and verdict.why.code != "other", (path, kind)
            assert verdict.reason == verdict.why.text
        assert isinstance(verdict.retry_after, int) and verdict.retry_after >= 0
        if verdict.decision == Decision.REJECT:
            assert verdict.message, (path, kind)  # the author hears what to do
        if verdict.spam_score is not None:
            assert 0 <= verdict.spam_score <= 1
    after = (Comment.objects.count(), list(Thread.objects.values_list("version", flat=True)))
    assert after == before  # no comment or thread changed


def test_the_contract_is_not_vacuous(drafts, settings):
    """The drafts above do make checks decide, so the assertions on verdicts run."""
    settings.MEYDAN_MIN_FORM_SECONDS = 3
    guard = import_string("meydan.moderation.checks.form_guard.FormGuardCheck")()
    assert guard.check(drafts["honeypot filled"]).decision == Decision.REJECT
    assert guard.check(drafts["no form token"]).decision == Decision.REJECT
    links = import_string("meydan.moderation.checks.links.LinksCheck")()
    assert links.check(drafts["long, with links"]).decision == Decision.HOLD
    settings.MEYDAN_SPAM_MIN_LEARNED = 1
    SpamModel.objects.create(site=drafts["guest"].site, spam_docs=1, ham_docs=1)
    spam = import_string("meydan.moderation.checks.spam.SpamFilterCheck")()
    assert spam.check(drafts["guest"]).spam_score is not None


# --- Start-up checks -------------------------------------------------------------------


def errors(settings, **overrides):
    for name, value in overrides.items():
        setattr(settings, name, value)
    return {m.id: m.msg for m in django_checks.run_checks(tags=["meydan"])}


def test_the_shipped_configuration_passes(settings):
    assert errors(settings) == {}


def test_a_check_that_does_not_import_stops_start_up(settings):
    found = errors(
        settings,
        MEYDAN_MODERATION_CHECKS=[
            "meydan.moderation.checks.bans.BanCheck",
            "meydan.moderation.checks.nope.Nope",
        ],
    )
    assert "meydan.moderation.checks.nope.Nope" in found["meydan.E002"]
    assert "cannot be imported" in found["meydan.E002"]


def test_something_that_is_not_a_check_stops_start_up(settings):
    found = errors(
        settings,
        MEYDAN_MODERATION_CHECKS=[
            "meydan.comments.models.Comment",
            "meydan.comments.moderation.Verdict",
        ],
    )
    assert "is not a moderation check" in found["meydan.E004"]  # Model.check takes no draft
    assert "cannot be built without arguments" in found["meydan.E003"]


def test_a_repeated_check_is_a_warning(settings):
    path = "meydan.moderation.checks.bans.BanCheck"
    assert (
        "more than once" in errors(settings, MEYDAN_MODERATION_CHECKS=[path, path])["meydan.W001"]
    )


@pytest.mark.parametrize(
    ("spam", "hold", "code"),
    [(1.5, 0.8, "meydan.E101"), (0.97, -0.1, "meydan.E101"), (0.8, 0.9, "meydan.E102")],
)
def test_spam_thresholds_are_validated(settings, spam, hold, code):
    found = errors(settings, MEYDAN_SPAM_THRESHOLD_SPAM=spam, MEYDAN_SPAM_THRESHOLD_HOLD=hold)
    assert list(found) == [code], found
    assert "MEYDAN_SPAM_THRESHOLD" in found[code]


def test_a_form_age_window_that_cannot_be_met_is_refused(settings):
    found = errors(settings, MEYDAN_MIN_FORM_SECONDS=100, MEYDAN_MAX_FORM_SECONDS=60)
    assert "no comment form could ever be sent" in found["meydan.E103"]


def test_an_unreadable_threshold_in_the_environment_says_so(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    monkeypatch.setenv("MEYDAN_SPAM_THRESHOLD_HOLD", "abc")
    with pytest.raises(ImproperlyConfigured, match="MEYDAN_SPAM_THRESHOLD_HOLD must be a number"):
        meydan_settings.env_fraction("MEYDAN_SPAM_THRESHOLD_HOLD", 0.8)
