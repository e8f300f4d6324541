"""The widget's server side: its script, the sign-in popup and its postMessage
bridge, and the no-JavaScript thread page."""

import re
from pathlib import Path

from allauth.socialaccount.adapter import get_adapter as get_social_adapter
from django.core.cache import cache
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.clickjacking import xframe_options_deny
from django.views.decorators.http import require_http_methods, require_safe

from meydan.accounts import drafts
from meydan.accounts.identity import SESSION_PROVIDER_KEY, commenter_for_request
from meydan.accounts.providers import signin_options
from meydan.accounts.tokens import WIDGET_TOKEN_SECONDS, widget_token_issue
from meydan.api.v1.lookup import page_key_for, site_for_slug
from meydan.comments import queries
from meydan.comments import views as comment_views
from meydan.core.errors import MeydanError
from meydan.core.views import error_page

STATIC = Path(__file__).resolve().parent / "static" / "embed"
EMBED_SESSION_KEY = "meydan_embed_signin"
NONCE = re.compile(r"^[A-Za-z0-9_-]{22,64}$")
CLAIM_SECONDS = 300


def claim_key(nonce: str) -> str:
    return f"meydan:signin-claim:{nonce}"


def _asset(name: str, content_type: str):
    @require_safe
    @cache_control(public=True, max_age=300)
    def view(request):
        # Read per request: the file is small and the OS caches it; a deploy
        # then needs no restart to serve the new widget.
        return HttpResponse((STATIC / name).read_bytes(), content_type=content_type)

    view.__name__ = name.replace(".", "_")
    return view


embed_js = _asset("embed.js", "text/javascript; charset=utf-8")
embed_css = _asset("embed.css", "text/css; charset=utf-8")


def _site_and_origin(request):
    try:
        site = site_for_slug(request.GET.get("site", ""))
    except MeydanError:
        return None, None
    origin = (request.GET.get("origin") or "").rstrip("/")
    if not site.allows_origin(origin):
        return site, None
    return site, origin


@require_safe
def signin(request):
    """GET /embed/signin/?site=…&origin=…&provider=… — the popup's first page."""
    site, origin = _site_and_origin(request)
    if site is None or origin is None:
        return error_page(
            request,
            403,
            _("Sign-in is not available here"),
            _("This page is not registered to use comments from this server."),
        )
    nonce = request.GET.get("nonce", "")
    request.session[EMBED_SESSION_KEY] = {
        "site": site.pk,
        "origin": origin,
        "nonce": nonce if NONCE.match(nonce) else "",
    }
    drafts.draft_save(request, {}, "/embed/done/")
    provider_id = request.GET.get("provider", "")
    options = signin_options(request)
    if provider_id:
        if provider_id not in {option.id for option in options}:
            raise Http404("This sign-in provider is not configured.")
        provider = get_social_adapter().get_provider(request, provider_id)
        return HttpResponseRedirect(
            provider.get_login_url(request, process="login", next="/embed/done/")
        )
    return render(request, "accounts/signin.html", {"options": options, "next": "/embed/done/"})


@require_safe
@xframe_options_deny
def done(request):
    """GET /embed/done/ — hand the widget its token and close the popup.

    Two ways, because a provider's own Cross-Origin-Opener-Policy can cut the popup
    off from the page that opened it: postMessage to the site's registered origin
    when the opener is still reachable, and a one-time claim — the widget's secret
    nonce, redeemed once within five minutes from that same origin
    (POST /api/v1/signin/claim). A cancelled sign-in tells the widget so."""
    pending = request.session.pop(EMBED_SESSION_KEY, None)
    drafts.draft_pop(request)
    context = {"origin": "", "token": "", "status": "cancelled"}
    if isinstance(pending, dict) and pending.get("origin"):
        context["origin"] = pending["origin"]
        commenter = commenter_for_request(request)
        if commenter is not None:
            context.update(
                status="signed-in",
                token=widget_token_issue(
                    commenter.user,
                    site_id=pending["site"],
                    provider=request.session.get(SESSION_PROVIDER_KEY, ""),
                ),
                expires_in=WIDGET_TOKEN_SECONDS,
                commenter=commenter,
            )
        if pending.get("nonce"):
            cache.set(
                claim_key(pending["nonce"]),
                {
                    "origin": pending["origin"],
                    "site": pending["site"],
                    "status": context["status"],
                    "token": context["token"],
                    "expires_in": WIDGET_TOKEN_SECONDS,
                    "me": context["commenter"].as_me()
                    if "commenter" in context
                    else {"signed_in": False},
                },
                CLAIM_SECONDS,
            )
    return render(request, "embed/done.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
def thread_page(request):
    """GET/POST /embed/thread/?site=…&url=… — a page's comments without JavaScript:
    the widget's <noscript> link leads here."""
    try:
        site = site_for_slug(request.GET.get("site", ""))
        key, url = page_key_for(site, request.GET.get("url", ""))
    except MeydanError as error:
        return error_page(request, error.status, _("No comments here"), str(error.message))

    def render_page(form=None, status=200):
        thread = queries.thread_for_key(site, key)
        context = {
            "site": site,
            "page_url": url,
            **comment_views.section_context(request, site=site, thread=thread, form=form),
        }
        return render(request, "embed/thread.html", context, status=status)

    if request.method == "POST":
        return comment_views.handle_post(
            request, site=site, key=key, url=url, title="", render_page=render_page
        )
    return render_page()
