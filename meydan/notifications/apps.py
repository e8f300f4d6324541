from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """Email: the outgoing queue and its deliveries (and, on top, readers'
    subscriptions to threads and sites). It listens to the comment domain's events
    and only enqueues work; the worker (`meydan worker`) sends."""

    name = "meydan.notifications"
    label = "notifications"

    def ready(self) -> None:
        from meydan.comments import erasure, events
        from meydan.notifications import notify
        from meydan.notifications.erasure import scrub_comment

        erasure.register("notifications", scrub_comment)

        events.comment_posted.connect(notify.comment_posted, dispatch_uid="meydan-notify-posted")
        events.comment_status_changed.connect(
            notify.comment_status_changed, dispatch_uid="meydan-notify-approved"
        )
