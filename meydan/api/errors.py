"""Errors as JSON: a stable machine code, a message a person understands, and
per-field messages where they apply.

    {"error": {"code": "invalid", "message": "…", "fields": {"email": ["…"]}}}

Codes are a closed list: the domain's errors (meydan.core.errors) and the HTTP-level
ones below, together ERROR_CODES. The OpenAPI document lists them as the enum of
`error.code` with what each means, and the schema test (tests/api/v1/test_openapi.py)
fails on a response with a code outside it.
"""

from django.http import JsonResponse

from meydan.core.errors import domain_errors

HTTP_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    503: "unavailable",
}
_HTTP_MEANINGS = {
    "bad_request": "The request could not be read (bad JSON, bad encoding, a malformed address).",
    "method_not_allowed": "This path does not take that HTTP method.",
    "too_large": "The request body is larger than this site accepts.",
    "unsupported_media_type": "Send JSON (Content-Type: application/json).",
    "unavailable": (
        "The database cannot be reached for a moment (Retry-After says when to try "
        "again); nothing was changed."
    ),
}


def _codes() -> dict[str, tuple[int, str]]:
    codes = {kind.code: (kind.status, str(kind.message)) for kind in domain_errors()}
    for status, code in HTTP_CODES.items():
        codes.setdefault(code, (status, _HTTP_MEANINGS.get(code, "")))
    return codes


# code -> (usual HTTP status, what it means)
ERROR_CODES: dict[str, tuple[int, str]] = _codes()


def error_response(
    status: int, code: str, message: str, fields: dict | None = None, **headers
) -> JsonResponse:
    body: dict = {"code": code, "message": str(message)}
    if fields:
        body["fields"] = {name: [str(m) for m in msgs] for name, msgs in fields.items()}
    response = JsonResponse(
        {"error": body}, status=status, json_dumps_params={"ensure_ascii": False}
    )
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response
