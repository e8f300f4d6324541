"""Start-up checks of moderation's settings (see comments/system_checks.py for the
list of checks itself)."""

from django.conf import settings
from django.core.checks import Error, register


@register("meydan")
def spam_thresholds_make_sense(app_configs=None, **kwargs):
    spam = settings.MEYDAN_SPAM_THRESHOLD_SPAM
    hold = settings.MEYDAN_SPAM_THRESHOLD_HOLD
    problems = []
    for name, value in (("MEYDAN_SPAM_THRESHOLD_SPAM", spam), ("MEYDAN_SPAM_THRESHOLD_HOLD", hold)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            problems.append(
                Error(
                    f"{name} must be a number between 0 and 1, not {value!r}.",
                    hint="The defaults are 0.97 (spam) and 0.80 (hold for a moderator).",
                    id="meydan.E101",
                )
            )
    if not problems and hold > spam:
        problems.append(
            Error(
                f"MEYDAN_SPAM_THRESHOLD_HOLD ({hold}) is above MEYDAN_SPAM_THRESHOLD_SPAM "
                f"({spam}): every score that would be held goes to spam instead.",
                hint="Hold from a lower score than spam, e.g. hold 0.80, spam 0.97.",
                id="meydan.E102",
            )
        )
    minimum, maximum = settings.MEYDAN_MIN_FORM_SECONDS, settings.MEYDAN_MAX_FORM_SECONDS
    if minimum and minimum >= maximum:
        problems.append(
            Error(
                f"MEYDAN_MIN_FORM_SECONDS ({minimum}) is not below MEYDAN_MAX_FORM_SECONDS "
                f"({maximum}): no comment form could ever be sent.",
                id="meydan.E103",
            )
        )
    return problems
