"""An experiment, not product code: how fast could a warm thread read be without
Django's middleware stack and django-ninja?

A WSGI wrapper around meydan.wsgi.application that answers GET /api/v1/threads itself
when everything it needs is already in the cache (the site, the thread state, the
page's JSON), with the same bytes and headers as Meydan's view, and hands every other
request (and every miss) to Django. Used only by bench/bench.py --meydan-wsgi:

    .venv/bin/python bench/bench.py --servers meydan,nginx --scenarios thread,thread1,etag \
        --meydan-by-hand --meydan-threads 1 --meydan-wsgi experiment_fastpath:application \
        --meydan-env PYTHONPATH=bench --meydan-env DJANGO_SETTINGS_MODULE=experiment_settings \
        --meydan-env BENCH_LOCMEM_MAX_ENTRIES=10000
"""

from urllib.parse import parse_qsl

from meydan.wsgi import application as django_application

DJANGO_READY = django_application is not None  # the imports below need the app registry

from django.core.cache import cache  # noqa: E402

from meydan.api.v1.lookup import page_key_for  # noqa: E402
from meydan.api.v1.threads import CACHE_CONTROL, _etag  # noqa: E402
from meydan.comments.caching import thread_state_key  # noqa: E402
from meydan.core.middleware import CONTENT_SECURITY_POLICY, PERMISSIONS_POLICY  # noqa: E402

# What Django's middleware adds to the view's response (SecurityMiddleware, CSP,
# XFrameOptions, COOP, LocaleMiddleware's Content-Language and Vary, CORS's Vary).
COMMON = [
    ("X-Frame-Options", "DENY"),
    ("Vary", "Accept-Language, Origin"),
    ("Content-Language", "en"),
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("Permissions-Policy", PERMISSIONS_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
]


def application(environ, start_response):
    if (
        environ.get("PATH_INFO") == "/api/v1/threads"
        and environ.get("REQUEST_METHOD") == "GET"
        and "HTTP_ORIGIN" not in environ  # CORS answers: Django's middleware
        and "HTTP_AUTHORIZATION" not in environ
        and "HTTP_COOKIE" not in environ
    ):
        response = _cached_read(environ)
        if response is not None:
            status, headers, body = response
            start_response(status, headers)
            return [body]
    return django_application(environ, start_response)


def _cached_read(environ):
    params = dict(parse_qsl(environ.get("QUERY_STRING", "")))
    if not set(params) <= {"site", "url", "page", "order"} or "site" not in params:
        return None
    site = cache.get(f"meydan:site:{params['site']}")
    if site is None:
        return None
    try:
        key, _ = page_key_for(site, params.get("url", ""))
        page = int(params.get("page", "1"))
    except Exception:  # noqa: BLE001 - anything unusual: let Django answer it
        return None
    order = params.get("order") or site.default_order
    if order not in ("oldest", "newest") or not 1 <= page <= 100_000:
        return None
    state = cache.get(thread_state_key(site.pk, key))
    if state is None:
        return None
    thread_id, version = state[0], state[1]  # (id, version[, count])
    etag = _etag(version, page, order)
    headers = [("ETag", etag), ("Cache-Control", CACHE_CONTROL), *COMMON]
    if etag in environ.get("HTTP_IF_NONE_MATCH", ""):
        return "304 Not Modified", headers, b""
    body = cache.get(f"meydan:api-thread:{site.pk}:{thread_id}:{version}:{page}:{order}")
    if body is None:
        return None
    data = body.encode()
    headers = [
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(data))),
        *headers,
    ]
    return "200 OK", headers, data
