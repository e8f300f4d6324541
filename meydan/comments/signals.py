"""Signals the comments app sends. They are sent only after the transaction that
made the change has committed, and are for fan-out (notifications, webhooks, cache
purge); they never decide whether a comment exists.

comment_published(sender=Comment, comment=<Comment>)
    A comment became visible to everyone (posted and approved, or approved later).
comment_held(sender=Comment, comment=<Comment>)
    A comment was saved as pending and waits for a moderator.
"""

from django.dispatch import Signal

comment_published = Signal()
comment_held = Signal()
