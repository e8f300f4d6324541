"""The stored per-site spam model and the SpamFilterCheck."""

import itertools
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from meydan.comments import services
from meydan.comments.models import Comment
from meydan.comments.moderation import Decision, Draft
from meydan.moderation import spam
from meydan.moderation.checks import spam as spam_check
from meydan.moderation.checks.spam import SpamFilterCheck
from meydan.moderation.models import SpamLearned, SpamModel, SpamToken

SPAM_TEMPLATES = [
    "Check out my channel and SUBSCRIBE!!! http://promo{n}.cheap-views.biz",
    "Make money from home, {n} dollars a day, visit www.cash{n}.biz now",
    "FREE followers click here >> best-offer{n}.xyz <<",
    "hey guys please subscribe to my channel, I make videos {n}",
]
HAM_TEMPLATES = [
    "The council vote on the budget was postponed again, week {n} of waiting.",
    "I was at the rally in Baku and it was calmer than the article says ({n}).",
    "Thank you for the careful reporting on the water shortage, part {n}.",
    "Why did the ministry not answer the questions from section {n}?",
]


@pytest.fixture
def comment(post):
    """A comment stored without moderation, to teach the filter with."""

    numbers = itertools.count()

    def _comment(body, *, email=None, name="Reader", url="", **kw):
        email = email or f"reader{next(numbers)}@example.org"
        return post(body, name=name, email=email, url=url, moderate=False, **kw)

    return _comment


@pytest.fixture
def teach(comment):
    def _teach(spam_count=20, ham_count=20):
        for n in range(spam_count):
            spam.spam_learn(comment(SPAM_TEMPLATES[n % 4].format(n=n)), is_spam=True)
        for n in range(ham_count):
            spam.spam_learn(comment(HAM_TEMPLATES[n % 4].format(n=n)), is_spam=False)

    return _teach


def draft(site, thread, body, *, email="new@example.org", name="Someone", url="", user=None):
    return Draft(
        site=site,
        thread=thread,
        body=body,
        author_name=name,
        author_email=email,
        author_url=url,
        ip_hash="",
        user=user,
    )


def state(site):
    """Everything the model holds, to compare before and after."""
    model = SpamModel.objects.filter(site=site).first()
    if model is None:
        return None
    return (
        (model.spam_docs, model.ham_docs, model.spam_total, model.ham_total, model.vocabulary),
        dict(
            (token, (s, h))
            for token, s, h in SpamToken.objects.filter(model=model).values_list(
                "token", "spam", "ham"
            )
        ),
    )


def assert_consistent(site):
    (spam_docs, ham_docs, spam_total, ham_total, vocabulary), tokens = state(site)
    assert spam_total == sum(s for s, _ in tokens.values())
    assert ham_total == sum(h for _, h in tokens.values())
    assert vocabulary == len(tokens)
    assert all(s >= 0 and h >= 0 and s + h > 0 for s, h in tokens.values())
    assert spam_docs == SpamLearned.objects.filter(model__site=site, is_spam=True).count()
    assert ham_docs == SpamLearned.objects.filter(model__site=site, is_spam=False).count()


# --- Cold start --------------------------------------------------------------


def test_cold_start_has_no_opinion(site, thread, teach):
    check = SpamFilterCheck()
    spammy = draft(
        site, thread, "Check out my channel and SUBSCRIBE!!! http://promo.cheap-views.biz"
    )
    assert spam.spam_score(site, spammy) is None
    assert check.check(spammy) is None
    teach(spam_count=20, ham_count=19)  # one short of enough real readers
    assert spam.spam_score(site, spammy) is None
    assert check.check(spammy) is None
    assert spam.spam_training(site) == {
        "spam": 20, "ham": 19, "tokens": state(site)[0][4], "needed": 20, "ready": False
    }  # fmt: skip


def test_minimum_is_a_setting(site, thread, teach, settings):
    settings.MEYDAN_SPAM_MIN_LEARNED = 3
    teach(spam_count=3, ham_count=3)
    assert spam.spam_score(site, draft(site, thread, "anything")) is not None


# --- Learning ----------------------------------------------------------------


def test_learning_moves_scores_the_right_way(site, thread, teach, comment):
    teach()
    spammy = draft(site, thread, "please SUBSCRIBE to my channel!!! http://promo77.cheap-views.biz")
    hammy = draft(site, thread, "The ministry postponed the budget vote, thank you for reporting.")
    spam_before = spam.spam_score(site, spammy)
    ham_before = spam.spam_score(site, hammy)
    assert spam_before > 0.97
    assert ham_before < 0.2

    spam.spam_learn(comment("the budget vote thank you ministry, a subscriber"), is_spam=True)
    assert spam.spam_score(site, hammy) > ham_before
    spam.spam_learn(comment("subscribe to the newsletter of the channel, cheap"), is_spam=False)
    assert spam.spam_score(site, spammy) < spam_before
    assert_consistent(site)


def test_unlearn_reverses_learn_exactly(site, teach, comment):
    teach(spam_count=5, ham_count=5)
    before = state(site)
    new = comment("A brand-new comment with new words and http://new.example.org")
    assert spam.spam_learn(new, is_spam=True)
    assert state(site) != before
    assert spam.spam_unlearn(new, was_spam=True)
    assert state(site) == before
    assert not SpamLearned.objects.filter(comment=new).exists()


def test_unlearn_is_exact_even_after_the_comment_changed(site, teach, comment):
    teach(spam_count=5, ham_count=5)
    before = state(site)
    new = comment("original words here", email="edited@example.org")
    spam.spam_learn(new, is_spam=False)
    # Edited, and now an approved comment by the same author comes before it.
    Comment.objects.filter(pk=new.pk).update(body="completely different text now")
    comment("an earlier one", email="edited@example.org", created=new.created - timedelta(days=1))
    new.refresh_from_db()
    assert spam.message_for(site, new).first_comment is False
    spam.spam_unlearn(new, was_spam=False)
    assert state(site) == before


def test_learning_twice_is_a_no_op_and_a_reversal_replaces(site, teach, comment):
    teach(spam_count=5, ham_count=5)
    new = comment("subscribe to my channel http://x.example.biz")
    assert spam.spam_learn(new, is_spam=False)
    once = state(site)
    assert not spam.spam_learn(new, is_spam=False)
    assert state(site) == once

    spam.spam_unlearn(new, was_spam=False)
    spam.spam_learn(new, is_spam=True)
    direct = state(site)
    spam.spam_unlearn(new, was_spam=True)
    spam.spam_learn(new, is_spam=False)
    assert spam.spam_learn(new, is_spam=True)  # the moderator changed their mind
    assert state(site) == direct
    assert_consistent(site)


def test_unlearning_what_was_not_learned_changes_nothing(site, teach, comment):
    teach(spam_count=3, ham_count=3)
    before = state(site)
    stranger = comment("never taught")
    assert not spam.spam_unlearn(stranger, was_spam=True)
    spam.spam_learn(stranger, is_spam=False)
    after_learn = state(site)
    assert not spam.spam_unlearn(stranger, was_spam=True)  # learned as ham, not spam
    assert state(site) == after_learn
    spam.spam_unlearn(stranger, was_spam=False)
    assert state(site) == before


def test_models_are_per_site(site, thread, teach, settings):
    from meydan.sites.models import Site

    settings.MEYDAN_SPAM_MIN_LEARNED = 2
    teach(spam_count=2, ham_count=2)
    other = Site.objects.create(name="Other", slug="other", domain="other.example.org")
    assert spam.spam_score(other, draft(other, thread, "subscribe to my channel")) is None
    assert SpamModel.objects.filter(site=other).count() == 0


def test_vocabulary_is_bounded(site, teach, settings):
    settings.MEYDAN_SPAM_MAX_TOKENS = 40
    teach(spam_count=8, ham_count=8)
    model = SpamModel.objects.get(site=site)
    assert model.vocabulary <= 40
    assert model.spam_docs == 8 and model.ham_docs == 8
    assert_consistent(site)


def test_forget_keeps_counts_but_drops_the_memory(site, teach, comment):
    teach(spam_count=2, ham_count=2)
    new = comment("to be erased")
    spam.spam_learn(new, is_spam=False)
    before = state(site)
    spam.spam_forget(new)
    assert state(site) == before
    assert not spam.spam_unlearn(new, was_spam=False)


def test_reset(site, teach):
    teach(spam_count=2, ham_count=2)
    spam.spam_reset(site)
    assert state(site) is None and not SpamLearned.objects.exists()


# --- First comment -----------------------------------------------------------


def test_first_comment_is_looked_up(site, thread, comment):
    fresh = spam.message_for(site, draft(site, thread, "hi", email="Regular@example.org"))
    assert fresh.first_comment is True
    earlier = comment("my first one", email="regular@example.org")
    again = spam.message_for(site, draft(site, thread, "hi", email="Regular@example.org"))
    assert again.first_comment is False
    # A comment is judged as when it was posted: nothing approved came before it.
    assert spam.message_for(site, earlier).first_comment is True
    anonymous = spam.message_for(site, draft(site, thread, "hi", email=""))
    assert anonymous.first_comment is None
    told = spam.message_for(site, {"body": "hi", "first_comment": False})
    assert told.first_comment is False


# --- The check ---------------------------------------------------------------


@pytest.mark.parametrize(
    "score, decision, reason",
    [
        (0.999, Decision.SPAM, "spam filter: 0.99"),
        (0.97, Decision.SPAM, "spam filter: 0.97"),
        (0.9699, Decision.HOLD, "held: spam filter 0.96"),
        (0.85, Decision.HOLD, "held: spam filter 0.85"),
        (0.80, Decision.HOLD, "held: spam filter 0.80"),
        (0.7999, Decision.APPROVE, ""),
        (0.01, Decision.APPROVE, ""),
    ],
)
def test_thresholds_map_to_verdicts(site, thread, monkeypatch, score, decision, reason):
    monkeypatch.setattr(spam_check, "spam_score", lambda site, fields: score)
    verdict = SpamFilterCheck().check(draft(site, thread, "text"))
    assert (verdict.decision, verdict.reason) == (decision, reason)
    assert verdict.spam_score == score


def test_thresholds_are_settings(site, thread, monkeypatch, settings):
    settings.MEYDAN_SPAM_THRESHOLD_SPAM = 0.9
    settings.MEYDAN_SPAM_THRESHOLD_HOLD = 0.5
    monkeypatch.setattr(spam_check, "spam_score", lambda site, fields: 0.92)
    assert SpamFilterCheck().check(draft(site, thread, "text")).decision == Decision.SPAM
    monkeypatch.setattr(spam_check, "spam_score", lambda site, fields: 0.6)
    assert SpamFilterCheck().check(draft(site, thread, "text")).decision == Decision.HOLD


def test_no_opinion_on_cold_start_or_for_staff(site, thread, monkeypatch):
    monkeypatch.setattr(spam_check, "spam_score", lambda site, fields: None)
    assert SpamFilterCheck().check(draft(site, thread, "text")) is None
    monkeypatch.setattr(spam_check, "spam_score", lambda site, fields: 0.999)
    staff = get_user_model().objects.create_user("editor", "editor@example.org", is_staff=True)
    assert SpamFilterCheck().check(draft(site, thread, "text", user=staff)) is None


def test_check_on_a_trained_model(site, thread, teach):
    teach()
    check = SpamFilterCheck()
    verdict = check.check(
        draft(site, thread, "hey guys SUBSCRIBE to my channel!!! http://promo9.cheap-views.biz")
    )
    assert verdict.decision == Decision.SPAM
    assert verdict.reason.startswith("spam filter: 0.9")
    verdict = check.check(
        draft(site, thread, "The ministry still has not answered about the water shortage.")
    )
    assert verdict.decision == Decision.APPROVE and verdict.reason == ""
    assert verdict.spam_score < 0.5


def test_posting_through_the_pipeline(site, teach, post, settings):
    teach()
    settings.MEYDAN_MODERATION_CHECKS = ["meydan.moderation.checks.spam.SpamFilterCheck"]
    bad = post("please subscribe to my channel!!! http://promo5.cheap-views.biz", email="x@y.biz")
    assert bad.status == Comment.Status.SPAM
    assert bad.moderation_reason.startswith("spam filter: ")
    good = post("The council vote on the budget was postponed, thank you for the report.")
    assert good.status == Comment.Status.APPROVED
    if hasattr(good, "spam_score"):
        assert bad.spam_score >= 0.97 and good.spam_score < 0.8


# --- Scoring a posted comment: the model read with the thread, counts kept in memory --


def test_a_decision_learned_after_a_score_changes_the_next_score(site, thread, teach, comment):
    teach()
    body = "Tell me more about the pipeline tender and the cheap-views offer"
    first = spam.spam_score(site, draft(site, thread, body))
    spam.spam_learn(comment(body + " (seen before)"), is_spam=True)
    second = spam.spam_score(site, draft(site, thread, body))
    spam._memo.clear()
    assert second == spam.spam_score(site, draft(site, thread, body))  # as if read afresh
    assert second > first


def test_a_reset_model_is_not_scored_with_the_old_counts(site, thread, teach):
    teach()
    body = "Check out my channel and SUBSCRIBE!!! http://promo9.cheap-views.biz"
    assert spam.spam_score(site, draft(site, thread, body)) > 0.9
    spam.spam_reset(site)
    assert spam.spam_score(site, draft(site, thread, body)) is None
    for n in range(20):  # relearned the other way round
        spam.spam_learn(comment_on(thread, SPAM_TEMPLATES[n % 4].format(n=n)), is_spam=False)
        spam.spam_learn(comment_on(thread, HAM_TEMPLATES[n % 4].format(n=n)), is_spam=True)
    assert spam.spam_score(site, draft(site, thread, body)) < 0.5


def comment_on(thread, body):
    return services.comment_post(
        thread=thread,
        author=services.Author(name="Reader", email=f"r{Comment.objects.count()}@example.org"),
        body=body,
        moderate=False,
        channel="form",
    ).comment


def test_posting_scores_with_the_model_from_the_shared_cache(site, thread, teach, settings):
    settings.MEYDAN_SHARED_CACHE = True
    teach()
    found = services.thread_for_posting(site=site, key=thread.key)
    body = "FREE followers click here >> best-offer77.xyz <<"
    first = spam.spam_score(found.site, draft(found.site, found, body))  # reads the row once
    with CaptureQueriesContext(connection) as captured:
        loaded = spam.spam_score(found.site, draft(found.site, found, body))
    assert not any("moderation_spammodel" in q["sql"] for q in captured.captured_queries)
    assert loaded == first == spam.spam_score(site, draft(site, thread, body))


def test_a_moderators_decision_reaches_the_next_score(site, thread, teach, settings):
    settings.MEYDAN_SHARED_CACHE = True
    teach()
    body = "FREE followers click here >> best-offer77.xyz <<"
    before = spam.spam_score(site, draft(site, thread, body))
    spam.spam_learn(comment_on(thread, body), is_spam=False)  # forgets the cached row
    assert spam.spam_score(site, draft(site, thread, body)) < before


def test_posting_on_a_site_without_a_model_reads_none(site, thread, settings):
    settings.MEYDAN_SHARED_CACHE = True
    found = services.thread_for_posting(site=site, key=thread.key)
    assert spam.spam_score(found.site, draft(found.site, found, "hello")) is None
    with CaptureQueriesContext(connection) as captured:
        assert spam.spam_score(found.site, draft(found.site, found, "hello")) is None
    assert captured.captured_queries == []
