"""What the sites app announces, and the one way every Meydan event is sent.

The whole list of events, with their arguments, is in meydan.comments.events; this
module holds the part that sits below comments: the channels, `announce`, and
site_changed.

site_changed(site, channel, actor)
    A site's row changed (policy, origins, name): sent by sites.services.site_update.
    `site` is the saved row.
"""

import enum
import logging

from django.db import transaction
from django.dispatch import Signal

log = logging.getLogger("meydan.events")


class Channel(enum.StrEnum):
    """The front door a change came through."""

    FORM = "form"  # the server-rendered section (newsroom page, embed iframe, account page)
    API = "api"  # the JSON API and the widget
    MODERATION = "moderation"  # the moderation workspace
    ADMIN = "admin"  # the Django admin
    IMPORT = "import"  # importers of other systems' comments
    COMMAND = "command"  # management commands (demo seeder, maintenance)
    SELF_SERVICE = "self-service"  # a reader managing their own data (meydan.privacy)


site_changed = Signal()


def announce(event: Signal, sender, *, channel: Channel | str, actor=None, **arguments) -> None:
    """Send `event` once the current transaction commits (at once outside one; never
    if it rolls back). A receiver that fails is logged; the change stays stored and the
    other receivers still run."""
    channel = Channel(channel)  # a channel outside the closed list is a bug: fail here
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None

    def send() -> None:
        for receiver, result in event.send_robust(
            sender=sender, channel=channel, actor=actor, **arguments
        ):
            if isinstance(result, Exception):
                log.error(
                    "receiver %r of a Meydan event failed",
                    receiver,
                    exc_info=(type(result), result, result.__traceback__),
                )

    transaction.on_commit(send)
