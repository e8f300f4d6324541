"""Staff must use two-factor authentication when the operator asks for it
(MEYDAN_STAFF_REQUIRE_MFA=1): until they set it up, staff pages send them to
the TOTP setup page."""

from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _

PROTECTED_PREFIXES = ("/admin/", "/moderation/")


class StaffTwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            settings.MEYDAN_STAFF_REQUIRE_MFA
            and request.path.startswith(PROTECTED_PREFIXES)
            and request.user.is_authenticated
            and request.user.is_staff
            and not is_mfa_enabled(request.user)
        ):
            messages.warning(
                request,
                _("This site requires two-factor authentication for staff. Set it up to go on."),
            )
            return redirect("mfa_activate_totp")
        return self.get_response(request)
