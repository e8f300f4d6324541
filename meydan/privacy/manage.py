"""The pages of readers' self-service (meydan.privacy.selfservice).

/manage/                      ask for a link (an address; the same answer for any)
/manage/open/<token>/         GET asks "open?" (a mail scanner's fetch uses nothing
                              up); the button's POST uses the link and starts an hour
/manage/comments/             the address's comments and subscriptions; erase,
                              cancel; download.json
/account/comments/…           the same for a signed-in reader

The request form and the link's button carry no CSRF cookie (a reader who only asks
gets none): they are checked by origin (core/csrf.py), and the link's token is the
credential. The hour that follows lives in its own signed cookie (HttpOnly,
SameSite=Strict, path /manage/), and the pages behind it use Django's CSRF check.
"""

import json
from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from meydan.core.csrf import csrf_protect_signed_in
from meydan.core.privacy import client_ip, keyed_hash
from meydan.core.views import error_page
from meydan.privacy import selfservice
from meydan.privacy.selfservice import Access, Erase
from meydan.sites.models import Site
from meydan.sites.resolve import site_for_request

COOKIE = "meydan_manage"
_SALT = "meydan.privacy.manage"


class RequestForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Your email address"), max_length=254)


def _site(request) -> Site:
    slug = request.POST.get("site") or request.GET.get("site") or ""
    site = Site.objects.filter(slug=slug).first() if slug else None
    return site or site_for_request(request)


def _client_hash(request) -> str:
    """Who asks, for the per-client limit; '' (no limit) without an address, so that
    readers behind a proxy that hides them do not all share one bucket."""
    ip = client_ip(request)
    return keyed_hash("manage-client", ip) if ip else ""


def _no_store(response):
    response["Cache-Control"] = "no-store"
    # The link's token must not leak to another site. (Not "no-referrer": a form on
    # such a page would send `Origin: null`, which the origin check refuses.)
    response["Referrer-Policy"] = "same-origin"
    return response


@csrf_protect_signed_in  # no CSRF cookie for a reader who only asks: core/csrf.py
@require_http_methods(["GET", "POST"])
def manage_request(request):
    """GET /manage/ — ask for a link; POST sends it (or says the same without)."""
    site = _site(request)
    form = RequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            wait = selfservice.manage_link_request(
                site=site,
                email=form.cleaned_data["email"],
                client_hash=_client_hash(request),
                language=translation.get_language() or "",
            )
        except ValidationError as error:
            form.add_error("email", error)
        else:
            if wait:
                minutes = max(1, round(wait / 60))
                response = error_page(
                    request,
                    429,
                    _("Too many requests"),
                    ngettext(
                        "Please try again in %(minutes)d minute.",
                        "Please try again in %(minutes)d minutes.",
                        minutes,
                    )
                    % {"minutes": minutes},
                )
                response["Retry-After"] = str(wait)
                return response
            return _no_store(
                render(
                    request,
                    "privacy/manage_sent.html",
                    {"site": site, "minutes": selfservice.LINK_MINUTES},
                )
            )
    status = 400 if request.method == "POST" else 200
    return _no_store(
        render(
            request,
            "privacy/manage_request.html",
            {"site": site, "form": form, "expired": "expired" in request.GET},
            status=status,
        )
    )


def _bad_link(request):
    return error_page(
        request,
        404,
        _("This link does not work"),
        _(
            "It may be older than the %(minutes)d minutes a link lasts, it may have been "
            "used already (each link opens once), or it was changed. Nothing was changed. "
            "You can ask for a new one."
        )
        % {"minutes": selfservice.LINK_MINUTES},
    )


@csrf_protect_signed_in
@require_http_methods(["GET", "POST"])
def manage_open(request, token: str):
    """GET shows a button (nothing is used up); POST uses the link."""
    if request.method == "GET":
        link = selfservice.manage_link_peek(token)
        if link is None:
            return _no_store(_bad_link(request))
        return _no_store(render(request, "privacy/manage_open.html", {"site": link.site}))
    access = selfservice.manage_link_open(token)
    if access is None:
        return _no_store(_bad_link(request))
    response = HttpResponseRedirect(reverse("privacy:manage-comments"))
    response.set_signed_cookie(
        COOKIE,
        json.dumps(access.as_cookie()),
        salt=_SALT,
        max_age=max(1, int((access.expires - timezone.now()).total_seconds())),
        path="/manage/",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Strict",
    )
    return _no_store(response)


def _access(request) -> Access | None:
    raw = request.get_signed_cookie(
        COOKIE, default=None, salt=_SALT, max_age=timedelta(minutes=selfservice.LINK_MINUTES)
    )
    try:
        return Access.from_cookie(json.loads(raw)) if raw else None
    except ValueError:
        return None


def _id(value: str) -> int | None:
    """A row id from a form ("²" and 40-digit numbers are not)."""
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 18 else None


def _ids(values) -> list[int]:
    return [pk for pk in map(_id, values) if pk is not None]


@require_http_methods(["GET", "POST"])
def manage_comments(request):
    """The comments and subscriptions of the address a link was opened for."""
    access = _access(request)
    if access is None:
        return HttpResponseRedirect(reverse("privacy:manage") + "?expired=1")
    site = get_object_or_404(Site, pk=access.site_id)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "done":
            response = HttpResponseRedirect(reverse("privacy:manage") + f"?site={site.slug}")
            response.delete_cookie(COOKIE, path="/manage/", samesite="Strict")
            return response
        if action == "erase":
            _erase_from_form(request, selfservice.comments_of_address(access), actor=None)
        elif action == "cancel":
            chosen = request.POST.getlist("subscription")
            ids = None if "all" in chosen else _ids(chosen)
            count = selfservice.cancel_subscriptions(access, ids)
            words = ngettext(
                "%(n)d subscription cancelled.", "%(n)d subscriptions cancelled.", count
            )
            messages.success(request, words % {"n": count})
        return HttpResponseRedirect(reverse("privacy:manage-comments"))
    return _no_store(
        render(
            request,
            "privacy/manage_comments.html",
            {
                "site": site,
                "address": access.address,
                "until": access.expires,
                "comments": selfservice.comments_of_address(access)[:500],
                "subscriptions": selfservice.subscriptions_of_address(access),
                "download": reverse("privacy:manage-download"),
                "erase_choices": Erase.CHOICES,
            },
        )
    )


def _erase_from_form(request, mine, *, actor) -> None:
    """The erase buttons: one comment (`comment`=id) or all (`comment`=all, with the
    confirmation box ticked), each as a placeholder or removed entirely."""
    how = request.POST.get("how")
    chosen = request.POST.get("comment", "")
    if how not in Erase.CHOICES:
        messages.error(request, _("Choose how to delete: keep a placeholder, or remove."))
        return
    if chosen == "all":
        if request.POST.get("confirm") != "yes":
            messages.error(request, _("Tick the box to confirm that all of them go."))
            return
        comments = mine
    elif _id(chosen) is not None:
        comments = mine.filter(pk=_id(chosen))
        if not comments.exists():
            messages.error(request, _("That comment is not one of yours, or it is gone."))
            return
    else:
        messages.error(request, _("Choose a comment to delete."))
        return
    count = selfservice.erase_comments(comments, how=how, actor=actor)
    words = ngettext("%(n)d comment deleted.", "%(n)d comments deleted.", count)
    messages.success(request, words % {"n": count})


def _attachment(body: bytes, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return _no_store(response)


@require_safe
def manage_download(request):
    access = _access(request)
    if access is None:
        return HttpResponseRedirect(reverse("privacy:manage") + "?expired=1")
    site = get_object_or_404(Site, pk=access.site_id)
    body = selfservice.download(
        site,
        only=Q(user=None, author_email_hash=access.email_hash),
        email=access.address,
        subscriptions=selfservice.subscriptions_of_address(access),
    )
    return _attachment(body, f"comments-{site.slug}.json")


# --- Signed-in readers (linked from /account/) -------------------------------------


@login_required(login_url=reverse_lazy("accounts:signin"))
@require_safe
def account_download(request):
    """All of a signed-in reader's comments, one file per site, in one JSON list…
    or, as almost every reader writes on one site, that site's file."""
    mine = selfservice.comments_of_user(request.user)
    sites = Site.objects.filter(pk__in=mine.values("thread__site_id")).order_by("pk")
    files = [json.loads(selfservice.download(site, only=Q(user=request.user))) for site in sites]
    if len(files) == 1:
        body = json.dumps(files[0], ensure_ascii=False, indent=2).encode()
    else:
        body = json.dumps(files, ensure_ascii=False, indent=2).encode()
    return _attachment(body, "my-comments.json")


@login_required(login_url=reverse_lazy("accounts:signin"))
@require_POST
def account_erase(request):
    _erase_from_form(request, selfservice.comments_of_user(request.user), actor=request.user)
    return HttpResponseRedirect(reverse("accounts:account") + "#comments")
