"""Webhook calls that quote a comment, withdrawn when the comment is erased.

Registered with comments.erasure from WebhooksConfig.ready(); runs inside
comment_erase's transaction. A delivery still waiting (queued, or failed and due
again) that carries the comment is not sent and its body is dropped. Calls already
made are out of our hands: the receiver has them (docs/webhooks.md says so), and
our copy of the body was dropped when the delivery finished.
"""

from meydan.webhooks.delivery import deliveries_withdraw


def scrub_comment(comment, *, text: bool) -> None:
    # Even when the text stays, a waiting call carries the name it was written under.
    deliveries_withdraw(comment_id=comment.pk)
