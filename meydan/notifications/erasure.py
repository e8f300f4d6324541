"""The mail that quotes a comment, withdrawn when the comment is erased.

Registered with comments.erasure from NotificationsConfig.ready(); runs inside
comment_erase's transaction. A message still waiting that quotes the comment (a
reply notification, a moderator's "awaits moderation") is not sent, and its text is
dropped; the comment leaves the digests it was waiting for. Messages already sent
are out of our hands: their text was dropped from the Delivery row when they left.
"""

from meydan.notifications.mail import mail_withdraw
from meydan.notifications.models import HeldNotice, PendingNotice


def scrub_comment(comment, *, text: bool) -> None:
    # Even when the text stays (a leaving reader's comments kept as by "deleted
    # user"), a waiting message still carries the name it was written under.
    mail_withdraw(comment_id=comment.pk)
    PendingNotice.objects.filter(comment_id=comment.pk).delete()
    HeldNotice.objects.filter(comment_id=comment.pk).delete()
