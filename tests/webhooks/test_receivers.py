"""Which webhook event each change of the comment domain becomes (receivers.py),
through the real services and their after-commit events."""

import json

import pytest

from meydan.comments import services
from meydan.comments.reasons import Reason
from meydan.webhooks.models import WebhookDelivery

WITHDRAWN = Reason.of("erased", how="withdrawn")

pytestmark = pytest.mark.django_db


@pytest.fixture
def events(hook):
    """events() -> the webhook events queued so far, in order (then forgotten)."""
    hook()  # a webhook that asked for every event

    def _events() -> list[str]:
        found = list(WebhookDelivery.objects.order_by("pk").values_list("event", flat=True))
        WebhookDelivery.objects.all().delete()
        return found

    return _events


@pytest.fixture
def act(django_capture_on_commit_callbacks):
    """act(service, *args, **kwargs): call a service as after a real commit."""

    def _act(service, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return service(*args, **kwargs)

    return _act


def test_a_published_comment_is_comment_posted(events, post):
    post("Published.")
    assert events() == ["comment.posted"]


def test_a_held_comment_is_comment_held(events, post, site):
    site.hold_all = True
    site.save()
    comment = post("Waits.")
    assert comment.status == "pending"
    assert events() == ["comment.held"]


def test_a_comment_the_filter_puts_in_spam_is_nothing(events, post, site):
    site.disallowed_words = "casino"
    site.save()
    comment = post("Best casino bonus.")
    assert comment.status == "spam"
    assert events() == []


def test_status_changes(events, post, act):
    comment = post("Text.")
    events()
    move = [
        ("pending", ["comment.held"]),  # unapproved, or held by readers' reports
        ("approved", ["comment.approved"]),
        ("spam", ["comment.removed"]),
        ("trash", []),  # from spam to trash: it was not shown before either
        ("approved", ["comment.approved"]),  # restored
        ("trash", ["comment.removed"]),
    ]
    for status, expected in move:
        act(services.comment_set_status, comment, status, channel="moderation")
        assert events() == expected, status
    act(services.comment_set_status, comment, "approved", channel="moderation")
    [delivery] = WebhookDelivery.objects.all()
    assert json.loads(delivery.body)["comment"]["previous_status"] == "trash"


def test_an_edit_is_comment_edited(events, post, act):
    comment = post("Typo.")
    events()
    act(services.comment_edit_by_author, comment, body="Fixed.", channel="api")
    assert events() == ["comment.edited"]


def test_an_erase_is_comment_removed_and_a_kept_text_is_comment_edited(events, post, act):
    gone = post("Delete me.")
    kept = post("Keep me.")
    events()
    act(services.comment_erase, gone, reason=WITHDRAWN, channel="self-service")
    assert events() == ["comment.removed"]
    act(services.comment_erase, kept, reason=Reason.other("account left"), channel="self-service",
        keep_text=True)  # fmt: skip
    assert events() == ["comment.edited"]


def test_closing_a_thread_is_thread_closed_and_nothing_else_is(events, thread, act):
    act(services.thread_update, thread, title="New title", channel="admin")
    assert events() == []
    act(services.thread_update, thread, is_open=False, channel="admin")
    data = json.loads(WebhookDelivery.objects.get().body)
    assert data["comment"] is None
    assert data["thread"] == {
        "key": thread.key, "url": "http://127.0.0.1:8000" + thread.key,
        "title": "New title", "is_open": False,
    }  # fmt: skip
    assert events() == ["thread.closed"]
    act(services.thread_update, thread, is_open=True, channel="admin")
    assert events() == []


def test_nothing_is_announced_from_the_import_channel(events, post, act):
    comment = post("Imported long ago.", channel="import", moderate=False)
    act(services.comment_set_status, comment, "pending", channel="import")
    assert events() == []


def test_a_webhook_hears_only_the_events_it_asked_for(hook, post, site):
    hook(events=["comment.held"])
    post("Published: nobody asked.")
    assert not WebhookDelivery.objects.exists()
    site.hold_all = True
    site.save()
    post("Held: asked for.")
    assert list(WebhookDelivery.objects.values_list("event", flat=True)) == ["comment.held"]


def test_each_webhook_gets_its_own_delivery_of_one_event(hook, post):
    first = hook(events=["comment.posted"])
    second = hook(events=["comment.posted"], format="slack")
    post("Twice.")
    deliveries = {d.webhook_id: d for d in WebhookDelivery.objects.all()}
    assert set(deliveries) == {first.pk, second.pk}
    assert deliveries[first.pk].event_id == deliveries[second.pk].event_id
    assert deliveries[first.pk].uuid != deliveries[second.pk].uuid


@pytest.mark.parametrize("shared", [True, False])
def test_a_webhook_added_after_the_site_was_known_to_have_none_hears_the_next_post(
    shared, site, hook, post, settings
):
    from meydan.webhooks.queries import site_webhook_events

    settings.MEYDAN_SHARED_CACHE = shared
    assert site_webhook_events(site.pk) == frozenset()  # cached as "nobody listens"
    hook(events=["comment.posted"])
    assert site_webhook_events(site.pk) == {"comment.posted"}
    post("Heard.")
    assert WebhookDelivery.objects.filter(event="comment.posted").count() == 1
