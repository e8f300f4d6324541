"""The public JSON API, version 1, with its OpenAPI document at /api/v1/openapi.json
and readable docs at /api/v1/docs."""

import json

from django.core.exceptions import RequestDataTooBig
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI
from ninja.errors import HttpError, ValidationError
from ninja.parser import Parser
from ninja.renderers import JSONRenderer

from meydan.api.errors import HTTP_CODES, error_response
from meydan.api.v1 import challenge, comments, posts, session, threads, votes
from meydan.core.errors import InvalidComment, MeydanError, RateLimited


class JsonOnlyParser(Parser):
    """Request bodies are JSON, said so in Content-Type; anything else is a clear 415/400."""

    def parse_body(self, request):
        if request.content_type != "application/json":
            raise HttpError(
                415, _("Send the request body as JSON (Content-Type: application/json).")
            )
        try:
            data = json.loads(request.body)
        except ValueError:
            raise HttpError(400, _("The request body is not valid JSON (UTF-8).")) from None
        if not isinstance(data, dict):
            # Every body of this API is an object; `false` or `[]` would otherwise pass
            # as "no fields given" where every field has a default.
            raise HttpError(400, _("The request body must be a JSON object: {…}."))
        return data


class Utf8Renderer(JSONRenderer):
    """Text in UTF-8 as it is, as the thread pages are (threads._thread_json)."""

    json_dumps_params = {"ensure_ascii": False}


api = NinjaAPI(
    parser=JsonOnlyParser(),
    renderer=Utf8Renderer(),
    title="Meydan API",
    version="1",
    description=(
        "Reader comments for news sites: read threads, post and edit comments, counts. "
        'Errors are JSON: {"error": {"code", "message", "fields"}}.'
    ),
    urls_namespace="api-v1",
    # No ninja auth classes: sessions are CSRF-checked in meydan.api.auth; guests and
    # bearer tokens need no CSRF (no ambient authority).
)
api.add_router("", threads.router)
api.add_router("", comments.router)
api.add_router("", session.router)
api.add_router("", posts.router)
api.add_router("", votes.router)
api.add_router("", challenge.router)


@api.exception_handler(InvalidComment)
def _invalid(request, error: InvalidComment):
    return error_response(422, error.code, error.message, error.errors)


@api.exception_handler(RateLimited)
def _rate_limited(request, error: RateLimited):
    return error_response(429, error.code, error.message, Retry_After=str(error.retry_after))


@api.exception_handler(MeydanError)
def _domain_error(request, error: MeydanError):
    fields = {error.field: [str(error.message)]} if error.field else None
    return error_response(error.status, error.code, error.message, fields)


def field_message(item: dict) -> str:
    """A schema error in the request's language. pydantic words its errors in English
    only; the kinds a person can meet get Django's own wording (already in Django's
    catalogues for every language) or ours, and anything else a general one."""
    kind, ctx, given = item.get("type", ""), item.get("ctx") or {}, item.get("input")
    size = len(given) if isinstance(given, str) else 0
    if kind == "missing":
        return gettext("This field is required.")
    if kind == "string_too_long":
        limit = ctx.get("max_length", 0)
        return ngettext(
            "Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
            "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).",
            limit,
        ) % {"limit_value": limit, "show_value": size}
    if kind == "string_too_short":
        limit = ctx.get("min_length", 0)
        return ngettext(
            "Ensure this value has at least %(limit_value)d character (it has %(show_value)d).",
            "Ensure this value has at least %(limit_value)d characters (it has %(show_value)d).",
            limit,
        ) % {"limit_value": limit, "show_value": size}
    if kind == "string_pattern_mismatch":
        return gettext("Contains characters that are not allowed here.")
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return gettext("Enter a whole number.")
    if kind in ("bool_parsing", "bool_type"):
        return gettext("Enter true or false.")
    if kind in ("literal_error", "enum"):
        return gettext("Select a valid choice. %(value)s is not one of the available choices.") % {
            "value": str(given)[:100]
        }
    if kind == "string_type":
        return gettext("Enter text.")
    return gettext("Enter a valid value.")


@api.exception_handler(ValidationError)
def _schema_error(request, error: ValidationError):
    fields: dict[str, list[str]] = {}
    for item in error.errors:
        loc = [str(part) for part in item.get("loc", [])]
        # ninja's prefix ("body", "data") or ("query", …) — not a field named "body".
        while len(loc) > 1 and loc[0] in ("body", "data", "query", "path"):
            loc.pop(0)
        if loc and loc[0] in ("data",):
            loc = []
        fields.setdefault(".".join(loc) or "request", []).append(field_message(item))
    return error_response(422, "invalid", _("Some fields need your attention."), fields)


@api.exception_handler(HttpError)
def _http_error(request, error: HttpError):
    if isinstance(error.__cause__, HttpError):  # ninja wraps what our parser raised
        error = error.__cause__
    status = error.status_code
    return error_response(status, HTTP_CODES.get(status, "error"), str(error.message))


@api.exception_handler(RequestDataTooBig)
def _too_big(request, error):
    return error_response(413, "too_large", _("What you sent is larger than this site accepts."))
