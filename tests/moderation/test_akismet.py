"""The optional Akismet check: off without a key; with one, what it sends and how it
reads the answers (outbound HTTP is mocked: the suite never touches the Internet)."""

from unittest import mock

import pytest
import requests

from meydan.comments.models import Comment
from meydan.comments.moderation import Draft
from meydan.moderation.checks.akismet import AkismetCheck

pytestmark = pytest.mark.django_db


def draft(site, thread, **kw):
    fields = dict(
        site=site, thread=thread, body="Cheap watches", author_name="Bot",
        author_email="bot@spam.example", author_url="", ip_hash="h", client_ip="203.0.113.9",
        page_url="https://blog.example.org/post/",
    )  # fmt: skip
    fields.update(kw)
    return Draft(**fields)


def answer(text, status=200, headers=None):
    response = mock.Mock(status_code=status, text=text, headers=headers or {})
    return mock.patch("meydan.moderation.checks.akismet.requests.post", return_value=response)


def test_off_without_a_key(site, thread, settings):
    settings.MEYDAN_AKISMET_KEY = ""
    with mock.patch("meydan.moderation.checks.akismet.requests.post") as post:
        assert AkismetCheck().check(draft(site, thread)) is None
    post.assert_not_called()


def test_spam_answer_and_what_is_sent(site, thread, settings):
    settings.MEYDAN_AKISMET_KEY = "k3y"
    with answer("true", headers={"X-akismet-pro-tip": "discard"}) as post:
        verdict = AkismetCheck().check(draft(site, thread))
    assert verdict.decision.name == "SPAM" and verdict.reason == "spam: Akismet (blatant)"
    url = post.call_args.args[0]
    sent = post.call_args.kwargs["data"]
    assert url == "https://k3y.rest.akismet.com/1.1/comment-check"
    assert sent["user_ip"] == "203.0.113.9" and sent["comment_content"] == "Cheap watches"
    assert sent["permalink"] == "https://blog.example.org/post/"


@pytest.mark.parametrize(("text", "status"), [("false", 200), ("invalid", 200), ("", 500)])
def test_ham_and_errors_give_no_opinion(site, thread, settings, text, status):
    settings.MEYDAN_AKISMET_KEY = "k3y"
    with answer(text, status):
        assert AkismetCheck().check(draft(site, thread)) is None


def test_unreachable_gives_no_opinion(site, thread, settings):
    settings.MEYDAN_AKISMET_KEY = "k3y"
    with mock.patch(
        "meydan.moderation.checks.akismet.requests.post", side_effect=requests.Timeout()
    ):
        assert AkismetCheck().check(draft(site, thread)) is None


def test_in_the_pipeline_the_comment_lands_in_spam(settings, post):
    settings.MEYDAN_AKISMET_KEY = "k3y"
    settings.MEYDAN_MODERATION_CHECKS = ["meydan.moderation.checks.akismet.AkismetCheck"]
    with answer("true"):
        comment = post("Cheap watches", ip="203.0.113.9")
    assert comment.status == Comment.Status.SPAM and comment.moderation_reason == "spam: Akismet"
    assert "203.0.113.9" not in comment.ip_hash  # the raw address is never stored
