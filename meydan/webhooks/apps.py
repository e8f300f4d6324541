from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    """Signed HTTP calls to a site's own addresses when comments are posted, held,
    approved, removed or edited and when a page is closed (docs/webhooks.md). It
    listens to the comment domain's events and only records and enqueues; the
    worker (`meydan worker`) calls the receivers."""

    name = "meydan.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from meydan.comments import erasure, events
        from meydan.webhooks import receivers
        from meydan.webhooks.erasure import scrub_comment

        erasure.register("webhooks", scrub_comment)

        for event, receiver in (
            (events.comment_posted, receivers.comment_posted),
            (events.comment_status_changed, receivers.comment_status_changed),
            (events.comment_edited, receivers.comment_edited),
            (events.comment_erased, receivers.comment_erased),
            (events.thread_changed, receivers.thread_changed),
        ):
            event.connect(receiver, dispatch_uid=f"meydan-webhooks-{receiver.__name__}")
