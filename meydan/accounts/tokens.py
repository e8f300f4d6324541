"""The widget's short-lived bearer token.

Browsers block third-party cookies, so the widget on someone else's page cannot
use Meydan's session. After sign-in in a popup on Meydan's origin, Meydan hands
the widget this signed token (through postMessage, to the site's origin only);
the widget sends it as `Authorization: Bearer`. It names the user, the site and
the provider, and expires after WIDGET_TOKEN_SECONDS.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core import signing

SALT = "meydan.accounts.widget-token"
WIDGET_TOKEN_SECONDS = 12 * 3600


@dataclass(frozen=True)
class WidgetClaims:
    user: object
    site_id: int
    provider: str


def widget_token_issue(user, *, site_id: int, provider: str) -> str:
    return signing.dumps({"u": user.pk, "s": site_id, "p": provider}, salt=SALT, compress=True)


def widget_token_verify(token: str) -> WidgetClaims | None:
    try:
        data = signing.loads(token, salt=SALT, max_age=WIDGET_TOKEN_SECONDS)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        return None
    user = get_user_model().objects.filter(pk=data["u"], is_active=True).first()
    if user is None:
        return None
    return WidgetClaims(user=user, site_id=int(data.get("s", 0)), provider=str(data.get("p", "")))
