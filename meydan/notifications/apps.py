from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """Email: the outgoing queue and its deliveries (and, on top, readers'
    subscriptions to threads and sites). It listens to the comment domain's events
    and only enqueues work; the worker (`meydan worker`) sends."""

    name = "meydan.notifications"
    label = "notifications"
