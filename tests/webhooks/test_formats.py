"""The ready-made chat formats, as a local receiver sees them: a Slack incoming
webhook body and a matrix-hookshot generic webhook body, checked strictly against
their shapes, with a reader's text unable to mention, link or inject markup."""

import json
import re
from html.parser import HTMLParser

import pytest

pytestmark = pytest.mark.django_db

NASTY_NAME = "Eve <script>alert(1)</script> @room"
NASTY_BODY = "<!channel> & <@U123> <https://evil.example|click> *bold*\n@room see <b>this</b>"
_LINK = re.compile(r"<(https?://[^|>\s]+)\|([^<>]*)>")


def check_slack(body: dict) -> str:
    """Slack's incoming webhook: `text` (fallback) and blocks; here one section with
    mrkdwn text (https://api.slack.com/messaging/webhooks, .../reference/block-kit)."""
    assert set(body) == {"text", "blocks"}
    assert isinstance(body["text"], str) and body["text"]
    assert not re.search(r"[<>]|&(?!amp;|lt;|gt;)", body["text"]), body["text"]  # plain, escaped
    [block] = body["blocks"]
    assert set(block) == {"type", "text"} and block["type"] == "section"
    assert set(block["text"]) == {"type", "text"} and block["text"]["type"] == "mrkdwn"
    text = block["text"]["text"]
    assert isinstance(text, str) and 0 < len(text) <= 3000
    # Every < > is one of our links or a quote's "> "; every & is an escape Slack decodes.
    rest = re.sub(r"(?m)^> ", "", _LINK.sub("", text))
    assert "<" not in rest and ">" not in rest, rest
    assert not re.search(r"&(?!amp;|lt;|gt;)", text), text
    for url, _label in _LINK.findall(text):
        # only Meydan's own links and the article (on an origin of the site)
        assert url.startswith(("http://127.0.0.1:8000/", "https://blog.example.org/"))
    return text


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.hrefs = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.hrefs += [value for name, value in attrs if name == "href"]


def check_matrix(body: dict) -> tuple[str, str]:
    """matrix-hookshot's generic webhook: `text` (required), `html` (the formatted
    body), `username` (https://matrix-org.github.io/matrix-hookshot/latest/setup/webhooks)."""
    assert set(body) == {"text", "html", "username"}
    assert all(isinstance(value, str) and value for value in body.values())
    parser = _Tags()
    parser.feed(body["html"])
    assert set(parser.tags) <= {"a", "b", "blockquote", "br"}, parser.tags
    assert all(href.startswith("http://127.0.0.1:8000/") for href in parser.hrefs)
    assert "@room" not in body["text"] and "@room" not in body["html"]
    return body["text"], body["html"]


@pytest.fixture
def held(site, post):
    site.hold_all = True
    site.save()
    return lambda: post(NASTY_BODY, name=NASTY_NAME)


def test_slack_gets_a_held_comment_with_a_link_to_the_queue(hook, held, receiver, work):
    hook(events=["comment.held"], format="slack")
    comment = held()
    work()
    [call] = receiver.calls
    text = check_slack(json.loads(call.body))
    assert "awaits moderation" in text
    assert "&lt;!channel&gt; &amp; &lt;@U123&gt;" in text  # no mention, no link
    assert "*Eve &lt;script&gt;alert(1)&lt;/script&gt; @room*" in text
    queue = f"http://127.0.0.1:8000/moderation/?tab=all&amp;site={comment.thread.site_id}"
    assert f"<{queue}#row-{comment.pk}|Open in the moderation queue>" in text
    assert "> &lt;!channel&gt;" in text  # the text is quoted
    assert call.headers["meydan-signature"].startswith("t=")  # signed like any call


def test_matrix_gets_a_held_comment_with_a_link_to_the_queue(hook, held, receiver, work):
    hook(events=["comment.held"], format="matrix")
    comment = held()
    work()
    [call] = receiver.calls
    body = json.loads(call.body)
    text, html = check_matrix(body)
    assert body["username"] == "Meydan · Caspian Ledger"
    assert "awaits moderation" in text and "Open in the moderation queue" in text
    assert "&lt;script&gt;" in html and "&lt;b&gt;this&lt;/b&gt;" in html
    queue = f"/moderation/?tab=all&amp;site={comment.thread.site_id}#row-{comment.pk}"
    assert f'<a href="http://127.0.0.1:8000{queue}">Open in the moderation queue</a>' in html


@pytest.mark.parametrize("format_", ["slack", "matrix"])
def test_every_event_fits_the_shape(format_, hook, post, receiver, work, site, thread,
                                    django_capture_on_commit_callbacks):  # fmt: skip
    from meydan.comments import services

    hook(format=format_)
    comment = post("First & <best>.")
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_set_status(comment, "pending", channel="moderation")
        services.comment_set_status(comment, "approved", channel="moderation")
        services.comment_edit_by_author(comment, body="Edited.", channel="api")
        services.comment_set_status(comment, "trash", channel="moderation")
        services.thread_update(thread, is_open=False, channel="admin")
    work()
    assert [c.headers["meydan-event"] for c in receiver.calls] == [
        "comment.posted", "comment.held", "comment.approved", "comment.edited",
        "comment.removed", "thread.closed",
    ]  # fmt: skip
    for call in receiver.calls:
        body = json.loads(call.body)
        check_slack(body) if format_ == "slack" else check_matrix(body)
