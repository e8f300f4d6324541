"""Refuse what machines send: a filled honeypot field, or a form that is younger
than MEYDAN_MIN_FORM_SECONDS, older than MEYDAN_MAX_FORM_SECONDS, or whose signed
timestamp is missing or forged. A person who was just slow gets "please try again"."""

import time

from django.conf import settings
from django.core import signing
from django.utils.translation import gettext as _

from meydan.moderation.verdicts import Decision, Verdict

SALT = "meydan.moderation.form-token"


def form_token_issue() -> str:
    """A signed timestamp for a comment form (HTML form field or API `form_token`)."""
    return signing.dumps(int(time.time() * 1000), salt=SALT)


def form_token_age(token: str | None) -> float | None:
    """Seconds since the token was issued, or None when it is missing or forged."""
    if not token:
        return None
    try:
        issued = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    if not isinstance(issued, int):
        return None
    return time.time() - issued / 1000


class FormGuardCheck:
    def check(self, draft) -> Verdict | None:
        if draft.honeypot:
            return Verdict(
                Decision.REJECT,
                "refused: honeypot filled",
                message=_("Your comment could not be sent. Please try again."),
            )
        minimum = settings.MEYDAN_MIN_FORM_SECONDS
        if not minimum:
            return None
        age = form_token_age(draft.form_token)
        if age is None or age > settings.MEYDAN_MAX_FORM_SECONDS:
            return Verdict(
                Decision.REJECT,
                "refused: form token missing, forged or expired",
                message=_(
                    "This comment form is too old or incomplete. Please try again: your "
                    "text is still here."
                ),
            )
        if age < minimum:
            return Verdict(
                Decision.REJECT,
                f"refused: form sent after {age:.1f} s",
                message=_("That was very fast. Please wait a moment and try again."),
                retry_after=max(1, int(minimum - age + 0.999)),
            )
        return None
