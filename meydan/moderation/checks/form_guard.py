"""Refuse what machines send: a filled honeypot field, or a form that is younger
than MEYDAN_MIN_FORM_SECONDS, older than MEYDAN_MAX_FORM_SECONDS, or whose signed
timestamp is missing or forged. A person who was just slow gets "please try again"."""

from django.conf import settings
from django.utils.translation import gettext as _

from meydan.comments.form_token import form_token_age
from meydan.comments.moderation import Decision, Verdict
from meydan.comments.reasons import Reason


class FormGuardCheck:
    def check(self, draft) -> Verdict | None:
        if draft.honeypot:
            return Verdict(
                Decision.REJECT,
                why=Reason.of("form_guard", problem="honeypot"),
                message=_("Your comment could not be sent. Please try again."),
            )
        minimum = settings.MEYDAN_MIN_FORM_SECONDS
        if not minimum:
            return None
        age = form_token_age(draft.form_token)
        if age is None or age > settings.MEYDAN_MAX_FORM_SECONDS:
            return Verdict(
                Decision.REJECT,
                why=Reason.of("form_guard", problem="form_token"),
                message=_(
                    "This comment form is too old or incomplete. Please try again: your "
                    "text is still here."
                ),
            )
        if age < minimum:
            return Verdict(
                Decision.REJECT,
                why=Reason.of("form_guard", problem="too_fast", seconds=f"{age:.1f}"),
                message=_("That was very fast. Please wait a moment and try again."),
                retry_after=max(1, int(minimum - age + 0.999)),
            )
        return None
