"""Error pages: a clear message a person understands, never a bare status code."""

import sys

from django.core.exceptions import RequestDataTooBig
from django.shortcuts import render
from django.utils.translation import gettext as _


def error_page(request, status: int, title: str, message: str):
    return render(
        request,
        "core/error.html",
        {"status": status, "title": title, "message": message},
        status=status,
    )


def csrf_failure(request, reason=""):
    from meydan.core.csrf import REASON_ORIGIN

    if reason == REASON_ORIGIN:  # a signed-out form, checked by its origin (core/csrf.py)
        return error_page(
            request,
            403,
            _("This form did not come from this site"),
            _(
                "Your browser did not say that this form was sent from a page of this "
                "site, so nothing was done. Open the page on this site and send the form "
                "from there. (A privacy extension that hides where a request comes from "
                "can cause this too.)"
            ),
        )
    return error_page(
        request,
        403,
        _("This form has expired"),
        _(
            "We could not confirm that this form was sent from this site. This happens "
            "when a page stays open for a long time or cookies are blocked. Go back, "
            "reload the page and send it again."
        ),
    )


def bad_request(request, exception=None):
    if isinstance(exception, RequestDataTooBig):
        return error_page(
            request,
            413,
            _("That was too much text"),
            _("What you sent is larger than this site accepts. Shorten it and try again."),
        )
    return error_page(
        request,
        400,
        _("Bad request"),
        _("This request could not be understood. Go back, reload the page and try again."),
    )


def permission_denied(request, exception=None):
    return error_page(request, 403, _("Not allowed"), _("You are not allowed to do that here."))


def page_not_found(request, exception=None):
    return error_page(request, 404, _("Page not found"), _("There is nothing at this address."))


def server_error(request):
    from meydan.core.unavailable import is_database_unavailable, unavailable_response

    error = sys.exc_info()[1]
    if is_database_unavailable(error):  # raised by a middleware (core/unavailable.py)
        return unavailable_response(request, error)
    return error_page(
        request,
        500,
        _("Something went wrong"),
        _("Something went wrong on our side. Nothing you wrote was lost; try again shortly."),
    )
