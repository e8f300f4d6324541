"""The widget's server side: its script, the sign-in popup and its postMessage
bridge, and the no-JavaScript thread page."""

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from allauth.socialaccount.adapter import get_adapter as get_social_adapter
from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.clickjacking import xframe_options_deny
from django.views.decorators.http import require_http_methods, require_safe
from django.views.i18n import JSONCatalog

from meydan.accounts import drafts
from meydan.accounts.identity import SESSION_PROVIDER_KEY, commenter_for_request
from meydan.accounts.passkeys import PASSKEY_STARTS, passkeys_enabled
from meydan.accounts.providers import signin_options
from meydan.accounts.tokens import (
    CHALLENGE,
    WIDGET_TOKEN_SECONDS,
    signin_claim_store,
    widget_token_issue,
)
from meydan.comments import queries
from meydan.core import languages
from meydan.core.csrf import csrf_protect_signed_in
from meydan.core.errors import MeydanError
from meydan.core.views import error_page
from meydan.embed.opener import opener_origin, origin_of
from meydan.moderation.access import moderates_site
from meydan.section import views as section_views
from meydan.sites.lookup import page_key_for, site_for_slug
from meydan.sites.models import Site

STATIC = Path(__file__).resolve().parent / "static" / "embed"
PENDING_COOKIE = "meydan_embed_signin"  # the sign-in under way in this popup
PENDING_SALT = "meydan.embed.pending-signin"
DONE = "/embed/done/"
PENDING_SECONDS = 30 * 60  # time to sign in at the provider, from opening the popup


def _asset(name: str, content_type: str):
    @require_safe
    @cache_control(public=True, max_age=300)
    def view(request):
        # Read per request: the file is small and the OS caches it; a deploy
        # then needs no restart to serve the new widget.
        return HttpResponse((STATIC / name).read_bytes(), content_type=content_type)

    view.__name__ = name.replace(".", "_")
    return view


@lru_cache(maxsize=8)
def _words_version(stamps: tuple) -> str:
    return hashlib.sha256(repr(stamps).encode()).hexdigest()[:12]


def words_version() -> str:
    """The version of the widget's compiled catalogues (djangojs.mo): it changes when
    one of them does, so their URL (`/embed/i18n/LANG.json?v=…`) can be cached for
    good. Taken from the files' size and time, cheap enough for every embed.js."""
    stamps = []
    for directory in settings.LOCALE_PATHS:
        for mo in sorted(Path(directory).glob("*/LC_MESSAGES/djangojs.mo")):
            stat = mo.stat()
            stamps.append((str(mo), stat.st_size, stat.st_mtime_ns))
    return _words_version(tuple(stamps))


@require_safe
@cache_control(public=True, max_age=300)
def embed_js(request):
    """The widget, with the catalogues' version in place of its placeholder."""
    script = (STATIC / "embed.js").read_bytes()
    return HttpResponse(
        script.replace(b"__MEYDAN_WORDS__", words_version().encode()),
        content_type="text/javascript; charset=utf-8",
    )


class WidgetCatalog(JSONCatalog):
    """GET /embed/i18n/<lang>.json — the widget's words in one language: Django's
    JSONCatalog of the djangojs domain, from meydan/locale only (not the admin's or
    Django's own JavaScript words), without "formats" (the widget formats dates and
    numbers with Intl). `plural` is there, but the widget picks plural forms with
    Intl.PluralRules: evaluating the formula would need eval."""

    packages = ["meydan.embed"]  # no locale/ of its own: only LOCALE_PATHS is read

    def get(self, request, lang):
        if lang not in dict(settings.LANGUAGES):
            raise Http404("No such language.")
        with translation.override(lang):
            response = super().get(request)
        etag = f'"{hashlib.sha256(response.content).hexdigest()[:16]}"'
        response["ETag"] = etag
        if request.GET.get("v") == words_version():  # the URL changes with the words
            patch_cache_control(response, public=True, max_age=365 * 86400, immutable=True)
        else:
            patch_cache_control(response, public=True, max_age=300)
        response = get_conditional_response(request, etag=etag, response=response)
        # The same public words for every page, read without credentials: any origin
        # may have them (unlike the API, whose answers depend on the site).
        response["Access-Control-Allow-Origin"] = "*"
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        del context["formats"]
        return context

    def render_to_response(self, context, **response_kwargs):
        # UTF-8 as it is: \uXXXX escapes would double the Russian and Persian files.
        return JsonResponse(context, json_dumps_params={"ensure_ascii": False})


widget_catalog = require_safe(WidgetCatalog.as_view())
embed_css = _asset("embed.css", "text/css; charset=utf-8")
# The proof-of-work solver, loaded by the widget when its form is first used.
pow_js = _asset("pow.js", "text/javascript; charset=utf-8")


def _site_and_origin(request):
    """The site and the origin of the page that opened the popup, when that page is
    on one of the site's registered origins (embed/opener.py says how we know)."""
    try:
        site = site_for_slug(request.GET.get("site", ""))
    except MeydanError:
        return None, None
    claimed = origin_of(request.GET.get("origin") or "")
    opener = opener_origin(request.headers)
    if claimed is None or opener != claimed or not site.allows_origin(opener):
        return site, None
    return site, opener


def _refused(request):
    return error_page(
        request,
        403,
        _("Sign-in is not available here"),
        _(
            "The page that opened this window is not registered to use comments from "
            "this server. Close it, and sign in from the comments under the article."
        ),
    )


@require_safe
def signin(request):
    """GET /embed/signin/?site=…&origin=…&challenge=…[&provider=…] — the popup's
    first page. Refused unless the browser says a page on `origin`, registered for
    the site, opened it. `challenge` is the SHA-256 of the widget's claim verifier."""
    site, origin = _site_and_origin(request)
    if site is None or origin is None:
        return _refused(request)
    challenge = request.GET.get("challenge", "")
    pending = {
        "site": site.pk,
        "origin": origin,
        "challenge": challenge if CHALLENGE.match(challenge) else "",
        # The widget's language (its page's, or the reader's choice in it): the popup's
        # later pages are asked without it and must not fall back to the browser's.
        "lang": languages.supported(request.GET.get("lang")) or "",
    }
    drafts.draft_save(request, {}, DONE)
    provider_id = request.GET.get("provider", "")
    options = signin_options(request)
    if provider_id in PASSKEY_STARTS:  # a passkey account's pages, in this popup
        if not passkeys_enabled():
            raise Http404("Passkey accounts are turned off on this server.")
        lang = f"&lang={pending['lang']}" if pending["lang"] else ""
        response = HttpResponseRedirect(f"{reverse(PASSKEY_STARTS[provider_id])}?next={DONE}{lang}")
    elif provider_id:
        if provider_id not in {option.id for option in options}:
            raise Http404("This sign-in provider is not configured.")
        provider = get_social_adapter().get_provider(request, provider_id)
        response = HttpResponseRedirect(provider.get_login_url(request, process="login", next=DONE))
    else:
        response = _choose_page(request)
    # Not in the session: allauth logs a reader out and in again when they sign in
    # once more, and that starts a new session.
    response.set_signed_cookie(
        PENDING_COOKIE,
        json.dumps(pending),
        salt=PENDING_SALT,
        max_age=PENDING_SECONDS,
        path="/embed/",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response


def _choose_page(request):
    return render(
        request,
        "accounts/signin.html",
        {
            "options": signin_options(request),
            "next": DONE,
            "commenter": commenter_for_request(request),
        },
    )


def _pending(request) -> dict | None:
    """The sign-in this browser started from a widget, if it is recent enough."""
    raw = request.get_signed_cookie(
        PENDING_COOKIE, default=None, salt=PENDING_SALT, max_age=PENDING_SECONDS
    )
    try:
        pending = json.loads(raw) if raw else None
    except ValueError:
        return None
    if not isinstance(pending, dict) or not pending.get("origin"):
        return None
    return pending  # its age is the signed cookie's (max_age above)


@require_safe
def choose(request):
    """GET /embed/signin/choose/ — "Use another account" from the consent step: the
    list of providers, for the sign-in already under way (none: refused)."""
    pending = _pending(request)
    if pending is None:
        return _refused(request)
    _in_widget_language(request, pending)
    return _choose_page(request)


def _in_widget_language(request, pending: dict) -> None:
    """Answer in the language of the widget that opened the popup, unless the reader
    chose one on Meydan's own pages (meydan.core.languages' order)."""
    if pending.get("lang"):
        languages.activate_for_request(
            request, languages.request_language(request, page=pending["lang"])
        )


@require_http_methods(["GET", "HEAD", "POST"])
@xframe_options_deny
def done(request):
    """GET/POST /embed/done/ — where the popup ends: ask, then hand over.

    A signed-in reader is never signed in to a widget silently. GET shows "Sign in to
    comment on SITE (its origin) as NAME?"; only the POST of "Continue" issues a
    token. It reaches the widget two ways, because a provider's own
    Cross-Origin-Opener-Policy can cut the popup off from the page that opened it:
    postMessage to the origin that opened the popup when the opener is still
    reachable, and a one-time claim under the widget's challenge
    (POST /api/v1/signin/claim, accounts/tokens.py). A cancelled sign-in tells the
    widget so."""
    pending = _pending(request)
    if pending is not None:
        _in_widget_language(request, pending)
    commenter = commenter_for_request(request) if pending else None
    if pending is None or commenter is None:
        return _finish(request, pending, None)
    if request.method != "POST":
        site = Site.objects.filter(pk=pending["site"]).first()
        if site is None:
            return _finish(request, None, None)
        context = {"site": site, "origin": pending["origin"], "commenter": commenter}
        context["host"] = pending["origin"].split("://", 1)[-1]
        return render(request, "embed/consent.html", context)
    return _finish(request, pending, commenter if request.POST.get("decision") == "allow" else None)


def _finish(request, pending, commenter):
    drafts.draft_pop(request)
    context = {"origin": "", "token": "", "status": "cancelled"}
    if pending is None:
        return _done_page(request, context)
    context["origin"] = pending["origin"]
    me = {"signed_in": False}
    if commenter is not None:
        token = widget_token_issue(
            commenter.user,
            site_id=pending["site"],
            provider=request.session.get(SESSION_PROVIDER_KEY, ""),
            origin=pending["origin"],
        )
        context.update(
            status="signed-in", token=token, expires_in=WIDGET_TOKEN_SECONDS, commenter=commenter
        )
        me = commenter.as_me()
    if pending.get("challenge"):
        signin_claim_store(
            pending["challenge"],
            site_id=pending["site"],
            origin=pending["origin"],
            result={
                "status": context["status"],
                "token": context["token"] or None,
                "expires_in": WIDGET_TOKEN_SECONDS if context["token"] else None,
                "me": me,
            },
        )
    return _done_page(request, context)


def _done_page(request, context):
    response = render(request, "embed/done.html", context)
    response.delete_cookie(PENDING_COOKIE, path="/embed/", samesite="Lax")
    return response


@csrf_protect_signed_in  # the guest form carries no CSRF token: meydan/core/csrf.py
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
            **section_views.section_context(
                request,
                site=site,
                thread=thread,
                form=form,
                moderator=moderates_site(request.user, site),
                # This page is its parameters: every link in the section keeps them.
                page_params=[("site", site.slug), ("url", url)],
            ),
        }
        return render(request, "embed/thread.html", context, status=status)

    if request.method == "POST":
        return section_views.handle_post(
            request, site=site, key=key, url=url, title="", render_page=render_page
        )
    return render_page()
