"""The pages behind the links in every message: confirm, unsubscribe, manage.

A link only ever shows a page; the button on it acts (a POST), so a mail scanner
that fetches every link confirms and cancels nothing. The one exception is the
RFC 8058 one-click unsubscribe: a mail client POSTs `List-Unsubscribe=One-Click`
to the unsubscribe link and it acts at once. The token in the link is the only
credential (no account, no sign-in), so these POSTs need no CSRF token: a forged
POST could only do what the link's owner can.
"""

from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from meydan.core.views import error_page
from meydan.notifications import services


def _bad_link(request):
    return error_page(
        request,
        404,
        _("This link does not work"),
        _(
            "It may have been changed, it may be older than the %(days)d days a confirmation "
            "link lasts, or the subscription may be gone already. Nothing was changed."
        )
        % {"days": services.CONFIRM_DAYS},
    )


@require_http_methods(["GET", "POST"])
def confirm(request, token: str):
    """GET shows what is to be confirmed; POST confirms."""
    subscriptions = services.subscriptions_to_confirm(token)
    if not subscriptions:
        return _bad_link(request)
    if request.method == "POST":
        for subscription in subscriptions:
            services.subscription_confirm(subscription)
    first = subscriptions[0]
    return render(
        request,
        "notifications/confirm.html",
        {
            "subscriptions": subscriptions,
            "email": first.email_shown,
            "done": all(s.confirmed is not None for s in subscriptions),
            "manage": services.manage_token(first.email_hash),
            "site": first.site,
        },
    )


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    """GET shows a button; POST (the button, or a mail client's one-click) cancels."""
    subscription = services.subscription_for_token(token)
    if subscription is None:
        if request.method == "POST" and services.unsubscribe_token_valid(token):
            # Our link, used again (a mail client retrying its one-click POST):
            # it is cancelled already, and the reader's wish holds.
            return render(request, "notifications/unsubscribed.html", {"subscription": None})
        return _bad_link(request)
    if request.method == "POST":
        services.subscription_cancel(subscription)
        return render(
            request,
            "notifications/unsubscribed.html",
            {"subscription": subscription, "manage": services.manage_token(subscription.email_hash),
             "site": subscription.site},
        )  # fmt: skip
    return render(
        request,
        "notifications/unsubscribe.html",
        {"subscription": subscription, "site": subscription.site},
    )


@csrf_exempt
@require_http_methods(["GET", "POST"])
def manage(request, token: str):
    """Every subscription of one address, each with a button to cancel it."""
    email_hash = services.address_hash_for_token(token)
    if email_hash is None:
        return _bad_link(request)
    subscriptions = services.subscriptions_of(email_hash)
    cancelled = 0
    if request.method == "POST":
        chosen = subscriptions
        if request.POST.get("cancel") != "all":
            ids = [int(v) for v in request.POST.getlist("cancel") if v.isdigit()]
            chosen = subscriptions.filter(pk__in=ids)
        cancelled, _kinds = chosen.delete()
        subscriptions = services.subscriptions_of(email_hash)
    subscriptions = list(subscriptions)
    shown = subscriptions[0].email_shown if subscriptions else _("this address")
    return render(
        request,
        "notifications/manage.html",
        {"email": shown, "subscriptions": subscriptions, "cancelled": cancelled},
    )
