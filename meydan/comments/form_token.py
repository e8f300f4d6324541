"""The comment form's signed timestamp: issued with every form (the HTML section, the
API's session answer) and read back by the form guard check, which refuses a form
younger than MEYDAN_MIN_FORM_SECONDS or older than MEYDAN_MAX_FORM_SECONDS."""

import time

from django.core import signing

SALT = "meydan.moderation.form-token"  # unchanged since it lived in the check: old forms still work


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
