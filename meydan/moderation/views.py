"""The moderators' workspace at /moderation/: the queue, actions (one or many),
edit, reply, bans, and the audit log. Staff only; every action is a POST with CSRF."""

from datetime import timedelta
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from meydan.comments.models import Comment
from meydan.core.errors import InvalidComment, MeydanError, RateLimited
from meydan.core.privacy import client_ip
from meydan.core.ratelimit import rate_limit
from meydan.core.views import error_page
from meydan.moderation import access, auditchain, queries, services
from meydan.moderation.forms import BanForm, EditForm, RemovalForm, ReplyForm, ReportForm
from meydan.moderation.models import AuditEntry, Ban
from meydan.moderation.spam import spam_training
from meydan.moderation.wording import audit_action_label
from meydan.notifications.models import ModeratorMail


def moderator_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not access.is_moderator(request.user):
            raise PermissionDenied(_("You do not moderate any site."))
        return view(request, *args, **kwargs)

    return wrapper


def _int(value) -> int | None:
    return int(value) if str(value or "").isdigit() and len(str(value)) < 12 else None


def _back(request) -> str:
    target = request.POST.get("next") or reverse("moderation:queue")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse("moderation:queue")


@moderator_required
@require_safe
def queue(request):
    """GET /moderation/ — Pending / Spam / Trash / All, with filters."""
    sites = access.sites_moderated_by(request.user)
    tab = request.GET.get("tab", "pending")
    if tab not in queries.TABS:
        tab = "pending"
    page = queries.queue_page(
        sites,
        tab=tab,
        site_id=_int(request.GET.get("site")),
        thread_id=_int(request.GET.get("thread")),
        author=request.GET.get("author", "")[:254],
        page=_int(request.GET.get("page")) or 1,
    )
    histories = queries.author_histories(page.object_list, sites)
    reports = queries.reports_of([c.pk for c in page.object_list if c.flag_count])
    rows = [
        {
            "comment": c,
            "history": histories.get(queries.author_key(c), {}),
            "actions": services.actions_for(c.status),
            "reports": reports.get(c.pk),
        }
        for c in page.object_list
    ]
    return render(
        request,
        "moderation/queue.html",
        {
            "mail": ModeratorMail.objects.filter(user=request.user).first()
            or ModeratorMail(user=request.user),
            "mail_choices": ModeratorMail.Choice.choices,
            # What each site's spam filter has learned from these moderators so far.
            "training": [(s, spam_training(s)) for s in sites],
            "tab": tab,
            "tabs": [
                ("pending", _("Pending")),
                ("spam", _("Spam")),
                ("trash", _("Trash")),
                ("all", _("All")),
            ],
            "counts": queries.tab_counts(sites),
            "page": page,
            "rows": rows,
            "sites": sites,
            "filters": request.GET,
            "actions": services.ACTIONS.values(),
            "removal_reasons": Comment.RemovalReason.choices,
        },
    )


# A row's Pick / Unpick / Pin / Unpin (published comments): audited like the rest.
EDITORIAL = {
    "pick": (services.comment_pick, True),
    "unpick": (services.comment_pick, False),
    "pin": (services.comment_pin, True),
    "unpin": (services.comment_pin, False),
}


@moderator_required
@require_POST
def act(request):
    """POST /moderation/act/ — one action on the selected comments (ids)."""
    action = request.POST.get("action", "")
    ids = [i for i in (_int(v) for v in request.POST.getlist("ids")) if i]
    one = request.POST.get("one", "")
    if one:  # a row's own button: "approve:12" acts on that comment alone
        action, _sep, raw = one.partition(":")
        ids = [i for i in [_int(raw)] if i]
    if not ids:
        messages.error(request, _("Select at least one comment."))
        return HttpResponseRedirect(_back(request))
    comments = list(access.access_comments_for_moderation(request.user, ids))
    removal = RemovalForm(request.POST)
    if not removal.is_valid():
        messages.error(request, _("Choose a reason for the removal from the list."))
        return HttpResponseRedirect(_back(request))
    why = removal.cleaned_data
    try:
        if action == "delete":
            for comment in comments:
                services.comment_delete_forever(comment, actor=request.user, **why)
            done = len(comments)
        elif action in EDITORIAL:
            service, on = EDITORIAL[action]
            for comment in comments:
                service(comment, on, actor=request.user)
            done = len(comments)
        else:
            done = services.comments_moderate_bulk(comments, action, actor=request.user, **why)
    except MeydanError as error:
        messages.error(request, str(error.message))
        return HttpResponseRedirect(_back(request))
    words = ngettext("%(n)d comment: %(action)s.", "%(n)d comments: %(action)s.", done)
    messages.success(request, words % {"n": done, "action": audit_action_label(action)})
    return HttpResponseRedirect(_back(request))


@moderator_required
@require_http_methods(["GET", "POST"])
def edit(request, comment_id: int):
    """GET/POST /moderation/comments/<id>/edit/ — correct a comment; reply to it."""
    comment = access.access_comment_for_moderation(request.user, comment_id)
    form = EditForm(request.POST or None, initial={"body": comment.body})
    reply_form = ReplyForm()
    if request.method == "POST" and form.is_valid():
        try:
            services.comment_moderator_edit(
                comment, actor=request.user, body=form.cleaned_data["body"]
            )
        except InvalidComment as error:
            for message in error.errors.get("body", []):
                form.add_error("body", message)
        else:
            messages.success(request, _("Comment saved."))
            return HttpResponseRedirect(reverse("moderation:edit", args=[comment.pk]))
    return render(
        request,
        "moderation/edit.html",
        {"comment": comment, "form": form, "reply_form": reply_form},
    )


@moderator_required
@require_POST
def reply(request, comment_id: int):
    """POST /moderation/comments/<id>/reply/ — answer as the moderator."""
    comment = access.access_comment_for_moderation(request.user, comment_id)
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            services.comment_moderator_reply(
                comment, actor=request.user, body=form.cleaned_data["body"]
            )
            messages.success(request, _("Reply posted."))
        except MeydanError as error:
            messages.error(request, str(error.message))
    else:
        messages.error(request, _("Write a reply first."))
    return HttpResponseRedirect(reverse("moderation:edit", args=[comment.pk]))


def _editorial(request, comment_id: int, field: str, service, done: dict):
    """Pick / Pin from a comment's own buttons (article page, no-JS thread page):
    `field` is "1" to pick or pin, "0" to undo; back to `next`."""
    comment = access.access_comment_for_moderation(request.user, comment_id)
    on = request.POST.get(field) != "0"
    try:
        service(comment, on, actor=request.user)
    except MeydanError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, done[on])
    return HttpResponseRedirect(_back(request))


@moderator_required
@require_POST
def pick(request, comment_id: int):
    """POST /moderation/comments/<id>/pick/ — picked=1 makes it an editor's pick, 0 not."""
    done = {True: _("Marked as an editor's pick."), False: _("No longer an editor's pick.")}
    return _editorial(request, comment_id, "picked", services.comment_pick, done)


@moderator_required
@require_POST
def pin(request, comment_id: int):
    """POST /moderation/comments/<id>/pin/ — pinned=1 pins it to the top of its thread
    (in place of the one pinned before), 0 unpins it."""
    done = {True: _("Pinned to the top of the discussion."), False: _("Unpinned.")}
    return _editorial(request, comment_id, "pinned", services.comment_pin, done)


@moderator_required
@require_http_methods(["GET", "POST"])
def bans(request):
    """GET/POST /moderation/bans/ — ban by account, email or IP hash; lift bans."""

    sites = access.sites_moderated_by(request.user)
    initial = {k: request.GET[k] for k in ("kind", "value", "site") if k in request.GET}
    form = BanForm(request.POST or None, sites=sites, initial=initial)
    if request.method == "POST" and "lift" in request.POST:
        ban = Ban.objects.filter(pk=_int(request.POST["lift"]), site__in=sites).first()
        if ban is not None:
            services.ban_lift(ban, actor=request.user)
            messages.success(request, _("Ban lifted."))
        return HttpResponseRedirect(reverse("moderation:bans"))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        days = data.get("days")
        try:
            services.ban_create(
                actor=request.user,
                site=access.access_site_for_moderation(request.user, data["site"]),
                kind=data["kind"],
                value=data["value"],
                shadow=data["shadow"],
                expires=timezone.now() + timedelta(days=days) if days else None,
                reason=data["reason"],
            )
        except (MeydanError, ValidationError) as error:
            form.add_error(None, str(getattr(error, "message", error)))
        else:
            messages.success(request, _("Ban saved."))
            return HttpResponseRedirect(reverse("moderation:bans"))
    active = Ban.objects.filter(site__in=sites).select_related("site", "created_by")
    return render(request, "moderation/bans.html", {"form": form, "bans": active})


@moderator_required
@require_safe
def log(request):
    """GET /moderation/log/ — the audit log (read only)."""
    from django.core.paginator import Paginator

    sites = access.sites_moderated_by(request.user)
    entries = (
        AuditEntry.objects.filter(site__in=sites)
        .select_related("actor", "site")
        .order_by("-created", "-pk")
    )
    page = Paginator(entries, 100).get_page(_int(request.GET.get("page")) or 1)
    heads = auditchain.chain_heads(list(sites.order_by("name")))
    return render(request, "moderation/log.html", {"page": page, "heads": heads})


def comment_report(request, comment_id: int):
    """POST /c/<id>/report — a reader reports a comment (counted once per reader)."""
    from django.shortcuts import get_object_or_404

    comment = get_object_or_404(Comment, pk=comment_id, status=Comment.Status.APPROVED)
    back = _report_back(request, comment)
    form = ReportForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        try:
            rate_limit(request, "report")
        except RateLimited as error:
            response = error_page(request, 429, _("Please wait a moment"), str(error.message))
            response["Retry-After"] = str(error.retry_after)
            return response
    if request.method != "POST" or not form.is_valid():
        status = 400 if form.is_bound else 200
        context = {"comment": comment, "back": back, "form": form}
        return render(request, "moderation/report.html", context, status=status)
    reporter = services.reporter_key(
        user=request.user, ip=client_ip(request), session_key=request.session.session_key
    )
    services.comment_flag(
        comment,
        reporter_key=reporter,
        reason=form.cleaned_data["reason"],
        note=form.cleaned_data["note"],
        channel="form",
    )
    messages.success(request, _("Thank you. A moderator will look at this comment."))
    return HttpResponseRedirect(back)


def _report_back(request, comment) -> str:
    """Where Cancel and the report lead: `?next=` when it is a path on this server
    (the no-JS thread page passes itself, which a permalink would not lead back to),
    else the comment's permalink. The form posts to this same address, `next` kept."""
    target = request.GET.get("next", "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}
    ):
        return target
    return reverse("comment-permalink", args=[comment.pk])


@moderator_required
@require_http_methods(["POST"])
def mail_choice(request):
    """POST /moderation/mail/ — how this moderator hears of comments that wait."""
    choice = request.POST.get("held", "")
    if choice not in ModeratorMail.Choice.values:
        messages.error(request, _("Choose how to hear of comments that wait."))
    else:
        ModeratorMail.objects.update_or_create(user=request.user, defaults={"held": choice})
        messages.success(
            request, _("Saved: %(choice)s.") % {"choice": ModeratorMail.Choice(choice).label}
        )
    return HttpResponseRedirect(_back(request))


def _imports_of(user):
    from meydan.interchange.models import ImportBatch

    return ImportBatch.objects.filter(site__in=access.sites_moderated_by(user)).select_related(
        "site", "created_by"
    )


@moderator_required
@require_http_methods(["GET", "POST"])
def imports(request):
    """GET/POST /moderation/imports/ — upload another system's export; the worker
    imports it (the same import as `meydan import`) while this page shows progress."""
    from meydan.interchange import services as imports_service
    from meydan.interchange.readers import FORMATS
    from meydan.interchange.urlmap import MapError
    from meydan.interchange.wording import import_error_display
    from meydan.moderation.forms import ImportForm

    sites = access.sites_moderated_by(request.user)
    form = ImportForm(request.POST or None, request.FILES or None, sites=sites, formats=FORMATS)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        site = access.access_site_for_moderation(request.user, data["site"])
        try:
            batch = imports_service.queue_upload(
                site,
                data["file"],
                fmt=data["format"] or None,
                maps=data["maps"],
                dry_run=data["dry_run"],
                actor=request.user,
            )
        except MapError as error:
            form.add_error("maps", import_error_display(error.code, error.params, str(error)))
        else:
            services.audit_record(
                actor=request.user,
                action="import",
                site=site,
                note=f"batch {batch.pk}: {batch.filename}"
                + (" (dry run)" if batch.dry_run else ""),
            )
            return HttpResponseRedirect(reverse("moderation:import", args=[batch.pk]))
    return render(
        request,
        "moderation/imports.html",
        {"form": form, "batches": _imports_of(request.user)[:50]},
    )


@moderator_required
@require_http_methods(["GET", "POST"])
def import_detail(request, batch_id: int):
    """GET /moderation/imports/N/ — progress (the page reloads itself while the
    import runs) and report; POST undo=1 takes the whole import back out."""
    from meydan.interchange import services as imports_service
    from meydan.interchange.models import ImportBatch
    from meydan.interchange.wording import import_error_display

    batch = _imports_of(request.user).filter(pk=batch_id).first()
    if batch is None:
        return error_page(
            request,
            404,
            _("No such import"),
            _("There is no import with this number, or you do not moderate its site."),
        )
    if request.method == "POST":
        if request.POST.get("undo") and batch.state == ImportBatch.State.DONE and not batch.dry_run:
            result = imports_service.undo(batch, actor=request.user)
            services.audit_record(
                actor=request.user,
                action="import undo",
                site=batch.site,
                note=f"batch {batch.pk}: {result['deleted']} comments removed, "
                f"{result['kept']} kept",
            )
            deleted = result["deleted"]
            messages.success(
                request,
                ngettext(
                    "Import undone: %(n)d comment removed.",
                    "Import undone: %(n)d comments removed.",
                    deleted,
                )
                % {"n": deleted},
            )
        return HttpResponseRedirect(reverse("moderation:import", args=[batch.pk]))
    running = batch.state in (
        ImportBatch.State.QUEUED,
        ImportBatch.State.CHECKING,
        ImportBatch.State.RUNNING,
    )
    percent = int(100 * batch.done / batch.total) if batch.total else 0
    error = batch.error and import_error_display(batch.error_code, batch.error_params, batch.error)
    return render(
        request,
        "moderation/import.html",
        {
            "batch": batch,
            "running": running,
            "percent": percent,
            "report": batch.report,
            "error": error,
        },
    )
