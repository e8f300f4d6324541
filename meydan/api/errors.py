"""Errors as JSON: a stable machine code, a message a person understands, and
per-field messages where they apply.

    {"error": {"code": "invalid", "message": "…", "fields": {"email": ["…"]}}}

Codes are the closed list in meydan.core.errors plus the HTTP-level ones below.
"""

from django.http import JsonResponse

HTTP_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
}


def error_response(
    status: int, code: str, message: str, fields: dict | None = None, **headers
) -> JsonResponse:
    body: dict = {"code": code, "message": str(message)}
    if fields:
        body["fields"] = {name: [str(m) for m in msgs] for name, msgs in fields.items()}
    response = JsonResponse({"error": body}, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response
