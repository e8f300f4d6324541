"""The moderation pipeline: strictest verdict wins, a reject stops the run, and the
winning reason and the spam filter's score are stored with the comment."""

import itertools

import pytest

from meydan.comments import moderation as pipeline
from meydan.comments import services
from meydan.comments.models import Comment
from meydan.comments.moderation import Decision, Draft, Verdict
from meydan.comments.reasons import Reason
from meydan.core.errors import CommentRejected, RateLimited

# Three stub checks whose opinions a test sets in PLAN; CALLS records which ran.
# They are module-level because the pipeline caches check instances per path list.
PLAN: list[Verdict | None] = [None, None, None]
CALLS: list[int] = []


class _Stub:
    index = 0

    def check(self, draft):
        CALLS.append(self.index)
        return PLAN[self.index]


class First(_Stub):
    index = 0


class Second(_Stub):
    index = 1


class Third(_Stub):
    index = 2


STUBS = [f"{__name__}.{name}" for name in ("First", "Second", "Third")]


@pytest.fixture
def stubs(settings):
    settings.MEYDAN_MODERATION_CHECKS = STUBS
    PLAN[:] = [None, None, None]
    CALLS.clear()
    yield PLAN
    CALLS.clear()


def _draft(**kw):
    fields = dict(
        site=None,
        thread=None,
        body="Hello",
        author_name="A",
        author_email="a@example.org",
        author_url="",
        ip_hash="",
    )
    fields.update(kw)
    return Draft(**fields)


OPTIONS = [None, *Decision]


def _verdict(decision, index):
    if decision is None:
        return None
    return Verdict(decision, f"check {index}: {decision.name.lower()}")


@pytest.mark.parametrize("decisions", list(itertools.product(OPTIONS, repeat=3)))
def test_strictest_verdict_wins_and_reject_stops(stubs, decisions):
    stubs[:] = [_verdict(d, i) for i, d in enumerate(decisions)]
    verdict = pipeline.moderate(_draft())

    # The checks that ran: all of them, or up to and including the first reject.
    ran = list(range(3))
    if Decision.REJECT in decisions:
        ran = list(range(decisions.index(Decision.REJECT) + 1))
    assert CALLS == ran

    seen = [decisions[i] for i in ran if decisions[i] is not None]
    strictest = max(seen, default=Decision.APPROVE)
    assert verdict.decision == strictest
    if strictest == Decision.APPROVE:
        assert verdict.reason == ""  # nothing to explain
    else:
        # Among equally strict opinions the first one's reason is kept.
        first = next(i for i in ran if decisions[i] == strictest)
        assert verdict.reason == f"check {first}: {strictest.name.lower()}"


def test_no_checks_approves(settings):
    settings.MEYDAN_MODERATION_CHECKS = []
    assert pipeline.moderate(_draft()) == Verdict.approve()


def test_message_shadow_and_retry_after_come_with_the_winner(stubs):
    stubs[0] = Verdict(Decision.SPAM, "shadow-banned", shadow=True)
    stubs[1] = Verdict(Decision.REJECT, "too fast", message="Wait", retry_after=7)
    verdict = pipeline.moderate(_draft())
    assert (verdict.reason, verdict.message, verdict.retry_after) == ("too fast", "Wait", 7)
    assert verdict.shadow is False
    stubs[1] = Verdict(Decision.HOLD, "held: 3 links")
    verdict = pipeline.moderate(_draft())
    assert verdict.decision == Decision.SPAM and verdict.shadow is True


def test_spam_score_is_kept_whatever_the_decision(stubs):
    stubs[0] = Verdict(Decision.HOLD, "held: 2 links")
    stubs[2] = Verdict(Decision.APPROVE, "", spam_score=0.12)
    verdict = pipeline.moderate(_draft())
    assert verdict.decision == Decision.HOLD
    assert verdict.reason == "held: 2 links"
    assert verdict.spam_score == 0.12


def test_a_checks_code_is_stored_with_the_record_made_from_it(stubs, thread):
    stubs[0] = Verdict(Decision.HOLD, "ignored", why=Reason.of("links", n=4))
    result = _post(thread)
    comment = Comment.objects.get(pk=result.comment.pk)
    assert (comment.reason_code, comment.reason_params) == ("links", {"n": 4})
    assert comment.moderation_reason == result.reason == "held: 4 links"


def test_spam_score_is_none_without_the_filter(stubs):
    stubs[0] = Verdict(Decision.HOLD, "held")
    assert pipeline.moderate(_draft()).spam_score is None


# --- Through comment_post: what each verdict does to the stored comment -------------------


def _post(thread, body="A comment.", **kw):
    return services.comment_post(
        thread=thread, author=services.Author(name="Aynur", email="aynur@example.org"), body=body,
        **kw, channel="form",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("decision", "status", "counted"),
    [
        (Decision.APPROVE, Comment.Status.APPROVED, 1),
        (Decision.HOLD, Comment.Status.PENDING, 0),
        (Decision.SPAM, Comment.Status.SPAM, 0),
    ],
)
def test_verdict_becomes_status_with_reason_and_score(stubs, thread, decision, status, counted):
    stubs[0] = Verdict(decision, f"because {decision.name}")
    stubs[1] = Verdict(Decision.APPROVE, "", spam_score=0.42)
    result = _post(thread)
    comment = Comment.objects.get(pk=result.comment.pk)
    assert comment.status == status
    # An approval needs no reason; a hold or spam keeps its check's.
    reason = "" if decision == Decision.APPROVE else f"because {decision.name}"
    assert comment.moderation_reason == reason
    assert result.reason == reason
    # Text only (an operator's own check): stored as written, code "other".
    assert (comment.reason_code, comment.reason_params) == (
        ("", {}) if decision == Decision.APPROVE else ("other", {"text": reason})
    )
    assert comment.spam_score == pytest.approx(0.42)
    assert result.published is (decision == Decision.APPROVE)
    thread.refresh_from_db()
    assert thread.comment_count == counted
    assert thread.version >= 1


def test_reject_stores_nothing_and_tells_the_author(stubs, thread):
    stubs[0] = Verdict(Decision.HOLD, "held")
    stubs[1] = Verdict(Decision.REJECT, "refused: x", message="Not like this.")
    with pytest.raises(CommentRejected) as error:
        _post(thread)
    assert str(error.value.message) == "Not like this."
    assert CALLS == [0, 1]  # the third never ran
    assert not Comment.objects.exists()
    thread.refresh_from_db()
    assert (thread.comment_count, thread.last_seq) == (0, 0)


def test_reject_with_retry_after_is_rate_limited(stubs, thread):
    stubs[0] = Verdict(Decision.REJECT, "refused: rate", message="Wait 9 s", retry_after=9)
    with pytest.raises(RateLimited) as error:
        _post(thread)
    assert error.value.retry_after == 9
    assert error.value.status == 429
    assert not Comment.objects.exists()


def test_unmoderated_posts_skip_the_pipeline(stubs, thread):
    stubs[0] = Verdict(Decision.REJECT, "never")
    comment = _post(thread, moderate=False).comment
    assert comment.status == Comment.Status.APPROVED
    assert comment.moderation_reason == "" and comment.spam_score is None
    assert CALLS == []


def test_shadow_verdict_is_stored(stubs, thread):
    stubs[0] = Verdict(Decision.SPAM, "shadow-banned", shadow=True)
    result = _post(thread)
    assert result.comment.status == Comment.Status.SPAM and result.comment.shadow
    assert result.published  # as its author sees it


# --- The real checks, in the configured order ---------------------------------------------


def test_default_order_strictest_wins(site, thread):
    site.moderation_words = "rally"
    site.disallowed_words = "casino"
    site.disallowed_action = "spam"
    site.save()
    held = _post(thread, "The rally: https://a.example https://b.example").comment
    assert held.status == Comment.Status.PENDING
    # The first of the equally strict holds names the reason.
    assert held.moderation_reason == "held: moderation word “rally”"
    spammed = _post(thread, "rally casino https://a.example https://b.example").comment
    assert spammed.status == Comment.Status.SPAM
    assert spammed.moderation_reason == "spam: disallowed word “casino”"


def test_a_reject_early_in_the_real_pipeline_counts_nothing_later(settings, site, thread):
    """A honeypot refusal stops before the rate limit counts the attempt."""
    settings.MEYDAN_RATELIMIT_COMMENTS = (2, 60)
    for n in range(5):
        with pytest.raises(CommentRejected):
            _post(thread, f"bot {n}", honeypot="http://spam.example", ip="198.51.100.7")
    for n in range(2):
        assert _post(thread, f"person {n}", ip="198.51.100.7").comment.pk
    with pytest.raises(RateLimited):
        _post(thread, "person 3", ip="198.51.100.7")
