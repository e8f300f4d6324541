"""The server-rendered comment section: works without JavaScript.

A page that shows comments (the newsroom article view) calls `section_context` to
render the section and `handle_post` on POST; both translate HTTP to the
services and queries and back.
"""

import hashlib
import json
from urllib.parse import parse_qsl, quote, urlsplit

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.http import Http404, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from meydan.accounts import drafts, voters
from meydan.accounts.identity import commenter_for_request
from meydan.accounts.providers import signin_options
from meydan.comments import access, queries, services
from meydan.comments.form_token import form_token_issue
from meydan.comments.models import Comment, Thread
from meydan.core import compression
from meydan.core.csrf import own_origin, sent_from_this_site
from meydan.core.errors import InvalidComment, MeydanError, RateLimited, ThreadClosed
from meydan.core.privacy import client_ip
from meydan.core.views import error_page
from meydan.notifications.services import subscribe_from_form
from meydan.section.forms import CommentForm, GuestCommentForm
from meydan.sites.models import Site

OWN_COMMENTS_SESSION_KEY = "meydan_own_comments"
OWN_COMMENTS_MAX = 100
REMEMBER_COOKIE = "meydan_guest"
REMEMBER_SALT = "meydan.comments.remember"
REMEMBER_MAX_AGE = 365 * 24 * 3600


def own_comment_ids(request) -> list[int]:
    """Comments this browser posted (so their authors see them while they are held).

    Reading an absent session costs no query and creates no session.
    """
    return request.session.get(OWN_COMMENTS_SESSION_KEY, [])


def _remember_own(request, comment_id: int) -> None:
    own = [pk for pk in request.session.get(OWN_COMMENTS_SESSION_KEY, []) if pk != comment_id]
    request.session[OWN_COMMENTS_SESSION_KEY] = (own + [comment_id])[-OWN_COMMENTS_MAX:]


def _remembered_guest(request) -> dict:
    try:
        raw = request.get_signed_cookie(REMEMBER_COOKIE, salt=REMEMBER_SALT)
        data = json.loads(raw)
    except (KeyError, signing.BadSignature, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: str(data[k]) for k in ("name", "email", "website") if isinstance(data.get(k), str)}


def _int_param(request, name: str) -> int | None:
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() and len(value) < 10 else None


def reader_order(request, site) -> str:
    order = request.GET.get("order", "")
    return order if order in queries.ORDERS else site.default_order


def _page_key(thread, request, page_params) -> str:
    """The thread's key (its page's path): what the API, the feeds and the proof of
    work are asked about, also for a page with no comments (hence no thread) yet."""
    return thread.key if thread is not None else dict(page_params).get("url") or request.path


def _feed_urls(site, thread, request, page_params) -> dict[str, str]:
    """This page's comment feeds (meydan/feeds): {"rss": …, "atom": …}."""
    query = urlencode({"url": _page_key(thread, request, page_params)})
    return {
        fmt: f"{reverse('feeds:thread', args=[site.slug, fmt])}?{query}" for fmt in ("rss", "atom")
    }


def _pow_url(site, thread, request, page_params) -> str:
    """Where the form's pow.js asks for its proof-of-work challenge ("" when off)."""
    if not settings.MEYDAN_POW:
        return ""
    url = _page_key(thread, request, page_params)
    return f"{reverse('api-v1:challenge')}?{urlencode({'site': site.slug, 'url': url})}"


# "2 new comments — show" is written by live.js, in the page's language: the template
# renders the sentence for one number of each plural category (Intl.PluralRules names
# them: one, two, few, many, other; zero), and the script takes the one whose number
# falls in the same category as the count it shows. These cover every language with
# CLDR plural rules for whole numbers that Meydan ships, and Arabic's six forms.
LIVE_SAMPLES = (0, 1, 2, 3, 5, 11, 100)


def section_context(
    request,
    *,
    site,
    thread: Thread | None,
    form=None,
    status_code=200,
    moderator=False,
    page_params=(),
) -> dict:
    """Everything the comments/section.html template needs.

    `moderator`: the reader moderates this site (the front door that hosts the
    section asks moderation.access; this app sits beside moderation, not above it).
    They get Pick and Pin buttons on each comment, in a list rendered for them alone.

    `page_params`: the (name, value) pairs that say which page this is, when its path
    alone does not (the no-JS thread page's site and url). Every link in the section
    starts with them, and the cached list is kept apart per set of them; pass the
    canonical values, so that one thread has one such set (the article page has none).
    """
    order = reader_order(request, site)
    picks_view = request.GET.get("view") == "picks" and thread is not None
    own = own_comment_ids(request)
    reply_to = None
    if form is not None and form.is_bound:
        reply_to = form.cleaned_data.get("parent") if hasattr(form, "cleaned_data") else None
    if reply_to is None:
        reply_to = _int_param(request, "replyto")
    page_number = _int_param(request, "page") or 1
    reply_comment = None
    if thread is not None and reply_to is not None:
        reply_comment = (
            Comment.objects.filter(pk=reply_to, thread=thread)
            .filter(queries.visible_filter(own))
            .select_related("thread__site")
            .first()
        )
        if reply_comment is not None:
            page_number = queries.comment_page_number(reply_comment, order=order, own_ids=own)
    if thread is not None and reply_comment is None:
        shown = _int_param(request, "comment")  # a card's "Go to this comment"
        if shown is not None:
            shown_comment = (
                Comment.objects.filter(pk=shown, thread=thread)
                .filter(queries.visible_filter(own))
                .first()
            )
            if shown_comment is not None:
                shown_comment.thread = thread
                page_number = queries.comment_page_number(shown_comment, order=order, own_ids=own)
    voted = _just_voted(request, thread)
    commenter = commenter_for_request(request)
    if form is None:
        form = _blank_form(request, site, commenter, reply_comment)
    context = {
        "site": site,
        "thread": thread,
        "comments_open": thread.accepts_comments if thread is not None else site.comments_open,
        "comment_count": thread.comment_count if thread is not None else 0,
        "order": order,
        "form": form,
        "reply_to": reply_comment,
        "path": request.path,
        # "site=…&url=…&" or "": what each link's query string starts with.
        "query_base": f"{urlencode(list(page_params))}&" if page_params else "",
        # The page itself: "?site=…&url=…" or "" (the form's action, "Cancel reply").
        "page_query": f"?{urlencode(list(page_params))}" if page_params else "",
        # Report's way back to this page, completed with a comment's id in the list:
        # the article page has none (its comments' permalinks lead back to it).
        "report_next": (
            quote(f"{request.path}?{urlencode(list(page_params))}&comment=", safe="")
            if page_params
            else ""
        ),
        "return_path": request.get_full_path().split("#")[0],
        "commenter": commenter,
        "pow_url": _pow_url(site, thread, request, page_params) if not commenter else "",
        "signin_options": [] if commenter else signin_options(request),
        "orders": Site.Order.choices,
        "voted_ids": voted,
        "moderator": moderator,
        "picks_view": picks_view,
        "view_links": _view_links(request),
        "pinned": queries.thread_pinned(thread) if thread is not None else None,
        "feeds": _feed_urls(site, thread, request, page_params),
        # Live updates (static comments/live.js): the page it asks about, and how often.
        "live_seconds": settings.MEYDAN_LIVE_SECONDS,
        "live_url": _page_key(thread, request, page_params),
        "live_samples": LIVE_SAMPLES,
    }
    context["comment_list"] = _comment_list_html(
        request,
        context,
        page_number=page_number,
        own=own,
        # A moderator's list has buttons (and a CSRF token) for them alone: never in
        # the cache every reader is served from.
        cacheable=reply_comment is None and not voted and not moderator,
    )
    return context


def _just_voted(request, thread) -> set[int]:
    """The comment this reader just up-voted ("?voted=ID", where the vote's redirect
    leads), when their vote is on it: that one page is rendered for them alone, with
    "take my vote back". Every other view of the list is the one cached for everyone,
    which says nothing about who voted (the widget asks GET /api/v1/votes instead)."""
    comment_id = _int_param(request, "voted")
    if comment_id is None or thread is None:
        return set()
    user = request.user if request.user.is_authenticated else None
    voter = voters.voter_for(user, voter_id=voters.voter_id_from_cookie(request))
    if voter is None or comment_id not in queries.votes_by_voter(thread.pk, voter.key):
        return set()
    return {comment_id}


def _view_links(request) -> dict[str, str]:
    """The links to the whole thread and to its picks, keeping the page's own
    parameters (the no-JS thread page's site and url)."""
    kept = [
        (k, v)
        for k, v in request.GET.items()
        if k not in ("view", "page", "replyto", "comment", "voted")
    ]
    return {
        "all": f"?{urlencode(kept)}#comments",
        "picks": f"?{urlencode([*kept, ('view', 'picks')])}#comments",
    }


def _blank_form(request, site, commenter, reply_comment):
    """An unbound form, pre-filled from a draft kept over a sign-in, or from the
    remembered guest details."""
    initial: dict = {}
    draft = drafts.draft_pop(request)
    returning = draft is not None and draft.get("return_path", "").split("?")[0] == request.path
    if returning:
        initial = {k: v for k, v in draft.items() if k in drafts.FIELDS and v}
    if reply_comment is not None:
        initial["parent"] = reply_comment.pk
    if commenter is not None:
        form = CommentForm(site=site, initial=initial)
    else:
        remembered = _remembered_guest(request)
        if remembered:
            compression.personal(request)  # their name and email address: not compressed
        initial = {**remembered, **initial, "remember": bool(remembered)}
        form = GuestCommentForm(site=site, initial=initial)
    if returning:
        # Back from a sign-in begun in this form: the reader goes on where they were,
        # in the comment, not at the top of the page (a keyboard or screen-reader
        # user would otherwise pass the whole article again to get back to it).
        form.fields["body"].widget.attrs["autofocus"] = True
        request.meydan_form_focused = True  # base.html: the messages do not take it
    compression.volatile(request, form.initial["form_token"])
    return form


LIST_CACHE_SECONDS = 60  # also bounds how stale "5 minutes ago" can get


def _comment_list_html(request, context, *, page_number: int, own, cacheable: bool) -> str:
    """The rendered list of one page of comments.

    What every reader sees alike (no own held comments, no reply form inside the
    list) is cached per (thread, order, page, language) with the thread's version
    beside it: any change to the thread bumps its version, so a cached page is never
    out of date in content. A front door whose links carry their own parameters
    (`query_base`: the no-JS thread page's site and url) gets entries of its own,
    told apart by a digest of them and its path, so that a thread shown by both the article page
    and /embed/thread/ never serves one's links to the other. The version is in the
    value, not the key, so a busy thread keeps one entry per page, replaced as it
    changes: in the local-memory cache (which only forgets expired entries when it is
    full, 20,000 of them) one key per version held every old version's HTML, and a
    worker's memory grew with every comment posted (bench/drills/soak.py: +37 MB in
    10 minutes)."""
    thread = context["thread"]
    if thread is None:
        return ""
    key = None
    view = "picks" if context["picks_view"] else context["order"]
    if cacheable and not own:
        key = f"meydan:comment-list:{thread.pk}:{view}:{page_number}:{get_language()}"
        if context["query_base"]:
            front_door = f"{context['path']}?{context['query_base']}"
            digest = hashlib.sha256(front_door.encode()).hexdigest()[:16]
            key = f"{key}:{digest}"
        cached = cache.get(key)
        if cached is not None and cached[0] == thread.version:
            return mark_safe(cached[1])  # noqa: S308 - our own template's output, cached
    if context["picks_view"]:  # the editors' picks alone, oldest first
        template, page = "comments/picks.html", queries.thread_picks_page(thread, page=page_number)
    else:
        template = "comments/list.html"
        page = queries.thread_visible_page(
            thread, page=page_number, order=context["order"], own_ids=own
        )
    html = render_to_string(template, {**context, "page": page}, request=request)
    if key is not None:
        cache.set(key, (thread.version, html), LIST_CACHE_SECONDS)
    return html


def _valid_utf8_form(request) -> bool:
    """Django decodes form bodies leniently (bad bytes become U+FFFD); we refuse them."""
    content_type = request.content_type or ""
    if content_type != "application/x-www-form-urlencoded":
        return True
    try:
        parse_qsl(request.body.decode("utf-8"), keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError):
        return False
    return True


def handle_post(request, *, site, key: str, url: str, title: str, render_page):
    """POST of the guest form for the page at `key`.

    `render_page(form, status)` re-renders the page with the bound form when
    something needs the reader's attention; what they typed is kept.
    Returns the response.
    """
    if not _valid_utf8_form(request):
        return HttpResponseBadRequest(
            _("The form data was not valid UTF-8 text. Reload the page and try again."),
            content_type="text/plain; charset=utf-8",
        )
    commenter = commenter_for_request(request)
    form = (CommentForm if commenter else GuestCommentForm)(request.POST, site=site)
    if not form.is_valid():
        return render_page(form, 400)
    data = form.cleaned_data
    try:
        result = services.comment_submit(
            site=site,
            key=key,
            url=url,
            title=title,
            commenter=commenter,
            guest=services.Author(
                name=data.get("name", ""), email=data.get("email", ""), url=data.get("website", "")
            ),
            body=data["body"],
            parent_id=data["parent"],
            ip=client_ip(request),
            honeypot=data.get("homepage", ""),
            form_token=data.get("form_token") or None,
            challenge=data.get("altcha") or None,
            channel="form",
        )
    except ThreadClosed:
        return error_page(
            request,
            403,
            _("Comments are closed"),
            _("Comments are closed on this page, so your comment was not posted."),
        )
    except InvalidComment as error:
        for field, messages in error.errors.items():
            for message in messages:
                form.add_error(field if field in form.fields else None, message)
        return render_page(form, 400)
    except MeydanError as error:
        form.add_error("parent" if error.field == "parent" else None, str(error.message))
        if error.field == "parent":
            form.cleaned_data["parent"] = None
        # A fresh form token, so that "please try again" works on the next submit.
        form.data = form.data.copy()
        form.data["form_token"] = form_token_issue()
        response = render_page(form, error.status)
        if getattr(error, "retry_after", 0):
            response["Retry-After"] = str(error.retry_after)
        return response

    comment = result.comment
    _remember_own(request, comment.pk)
    subscribe_from_form(
        site=site,
        thread=comment.thread,
        email=data.get("email") or getattr(commenter.user if commenter else None, "email", ""),
        address=commenter.email_stored if commenter else None,
        user=commenter.user if commenter else None,
        comments=data.get("notify_scope") if data.get("notify_comments") else "",
        posts=data.get("notify_posts", False),
    )
    response = HttpResponseRedirect(_comment_location(comment, request=request, on_this_page=True))
    if commenter:
        return response
    if data["remember"]:
        response.set_signed_cookie(
            REMEMBER_COOKIE,
            json.dumps({"name": data["name"], "email": data["email"], "website": data["website"]}),
            salt=REMEMBER_SALT,
            max_age=REMEMBER_MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )
    elif REMEMBER_COOKIE in request.COOKIES:
        response.delete_cookie(REMEMBER_COOKIE, samesite="Lax")
    return response


def _comment_location(comment: Comment, *, request, on_this_page: bool = False) -> str:
    """Where `comment` is shown: the thread's page (its permalink), or, right after
    posting, the page the form was on (the article, or the no-JS thread page) with
    that page's own parameters kept."""
    site = comment.thread.site
    order = reader_order(request, site)
    page = queries.comment_page_number(comment, order=order, own_ids=own_comment_ids(request))
    params = {}
    base = comment.thread.get_absolute_url()
    if base.startswith(("http://", "https://")) and not on_this_page:
        # A page on someone else's site: its own widget finds the comment by anchor.
        return f"{base}#{comment.anchor}"
    if on_this_page:
        base = request.path
        params = {k: v for k, v in request.GET.items() if k not in ("page", "order", "replyto")}
    if page > 1:
        params["page"] = page
    if order != site.default_order:
        params["order"] = order
    query = f"?{urlencode(params)}" if params else ""
    return f"{base}{query}#{comment.anchor}"


@require_safe
def permalink(request, comment_id: int):
    """GET /c/<id> — redirects to the comment on its page (only if it is visible).

    A comment the moderators removed is shown to its author alone (signed in, the
    browser that posted it, or `X-Meydan-Edit-Token`), on a page of its own with
    the statement of reasons; anyone else gets "not found", as before."""
    comment = (
        Comment.objects.select_related("thread__site")
        .filter(queries.visible_filter(own_comment_ids(request)))
        .filter(pk=comment_id)
        .first()
    )
    if comment is not None:
        return HttpResponseRedirect(_comment_location(comment, request=request))
    try:
        removed = access.access_removed_comment_for_author(
            comment_id,
            user=request.user,
            own_ids=own_comment_ids(request),
            token=request.headers.get("X-Meydan-Edit-Token"),
        )
    except MeydanError:
        raise Http404() from None
    response = render(request, "comments/removed.html", {"comment": removed})
    patch_cache_control(response, private=True, no_store=True)
    response["X-Robots-Tag"] = "noindex"
    return response


@csrf_exempt  # checked by origin below, for everyone: the cached list carries no token
@require_POST
def comment_vote(request, comment_id: int):
    """POST /c/<id>/vote — the section's up-vote button (action=unvote takes it back).

    The list is one cached page for every reader, so the form carries no CSRF token;
    instead the browser must say it was sent from a page of this site (Origin, else
    Referer: core.csrf), for signed-in readers too. A signed-in reader's session
    cookie is SameSite=Lax, so a cross-site form never carries it anyway. A guest is
    known by the `meydan_voter` cookie (accounts.voters), set by this answer to their
    first vote: reading sets no cookie. Back to the page the vote came from, with
    "?voted=ID" so that it shows this reader's vote.
    """
    if not sent_from_this_site(request):
        return error_page(request, 403, _("Vote not counted"), REASON_VOTE_ORIGIN)
    try:
        comment = access.access_published_comment(comment_id)
    except MeydanError:
        raise Http404() from None
    up = request.POST.get("action", "vote") != "unvote"
    user = request.user if request.user.is_authenticated else None
    voter_id = new_id = None
    if user is None:
        voter_id = voters.voter_id_from_cookie(request)
        if voter_id is None and up:
            voter_id = new_id = voters.voter_id_new()
    voter = voters.voter_for(user, voter_id=voter_id, own_ids=own_comment_ids(request))
    if voter is not None:
        action = services.comment_vote if up else services.comment_unvote
        try:
            action(comment, voter=voter, ip=client_ip(request))
        except MeydanError as error:
            response = error_page(request, error.status, _("Vote not counted"), str(error.message))
            if isinstance(error, RateLimited):
                response["Retry-After"] = str(error.retry_after)
            return response
    response = HttpResponseRedirect(_vote_return(request, comment, voted=up))
    if new_id is not None:
        voters.set_voter_cookie(response, request, new_id)
    return response


REASON_VOTE_ORIGIN = _lazy("The vote was not sent from a page of this site.")


def _vote_return(request, comment: Comment, *, voted: bool) -> str:
    """The page the vote was sent from (its Referer, when on this site), else the
    comment's permalink; with ?voted=ID after a vote, and the comment's anchor."""
    referer = request.headers.get("Referer", "")
    try:
        parts = urlsplit(referer)
    except ValueError:
        parts = None
    if parts is None or not parts.path or f"{parts.scheme}://{parts.netloc}" != own_origin(request):
        return reverse("comment-permalink", args=[comment.pk])
    params = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "voted"]
    if voted:
        params.append(("voted", str(comment.pk)))
    query = f"?{urlencode(params)}" if params else ""
    return f"{parts.path}{query}#{comment.anchor}"
