"""Meydan's settings: one module, everything that differs per deployment from env vars.

Env vars (all optional; the README's "Configuration" lists every one). The main ones:
  DATABASE_URL            e.g. postgres://user@host:5432/db; default SQLite under var/
  MEYDAN_SECRET_KEY       default: generated once and kept in var/secret_key (mode 600)
  MEYDAN_DEBUG            "1"/"true" to turn debug on (off by default)
  MEYDAN_ALLOWED_HOSTS    comma-separated; default 127.0.0.1,localhost,[::1]
  MEYDAN_VAR_DIR          where SQLite, the secret key and static files live; default ./var
  MEYDAN_CACHE_URL        e.g. redis://127.0.0.1:6379/0; default local memory
  MEYDAN_TRUSTED_PROXIES  how many reverse proxies in front append to X-Forwarded-For (0)
  MEYDAN_LOG_FORMAT       text (default) or json: one JSON object per log line
  MEYDAN_COMMENT_MAX_LENGTH, MEYDAN_MAX_DEPTH, MEYDAN_PAGE_SIZE, MEYDAN_PAGE_COMMENTS:
  comment section limits
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from meydan.core.deferred import defer
from meydan.core.logs import django_logging, log_format
from meydan.core.mailurl import MailUrlError, email_settings
from meydan.core.onion import parse_onion_url

# allauth imports its WebAuthn helpers (and with them fido2 and cryptography, ~12 MB per
# worker) at start-up; they run when a passkey is first used (meydan/core/deferred.py).
defer("allauth.mfa.webauthn.internal.auth")

BASE_DIR = Path(__file__).resolve().parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}")


def env_int(name: str, default: int, minimum: int = 0) -> int:
    value = os.environ.get(name, "")
    if value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None
    if number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {number}")
    return number


def env_seconds_or_off(name: str, default: int) -> int:
    value = (os.environ.get(name) or "").strip().lower()
    if value == "off":
        return 0
    return env_int(name, default)


def env_fraction(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    if value == "":
        return default
    try:
        return float(value)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} must be a number between 0 and 1 (like 0.9), not {value!r}"
        ) from None


def env_live_seconds(name: str, default: float) -> float:
    value = (os.environ.get(name) or "").strip().lower()
    if value == "":
        return default
    if value == "off":
        return 0.0
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not (seconds == 0 or 0.5 <= seconds <= 600):
        raise ImproperlyConfigured(
            f"{name} must be a number of seconds from 0.5 to 600, or off, not {value!r}"
        )
    return seconds


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name, "")
    if not value.strip():
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


VAR_DIR = Path(os.environ.get("MEYDAN_VAR_DIR") or Path.cwd() / "var").resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """The key from the environment, or one generated once and kept in var/ (owner-only)."""
    key = os.environ.get("MEYDAN_SECRET_KEY", "")
    if key:
        return key
    path = VAR_DIR / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    key = secrets.token_urlsafe(50)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


SECRET_KEY = _secret_key()
DEBUG = env_bool("MEYDAN_DEBUG")
ALLOWED_HOSTS = env_list("MEYDAN_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("MEYDAN_CSRF_TRUSTED_ORIGINS", [])
# The onion address of this installation (docs/onion.md): its host is accepted, and
# the ordinary name's pages send Onion-Location (meydan.core.onion).
try:
    _onion = (
        parse_onion_url(os.environ["MEYDAN_ONION_URL"])
        if os.environ.get("MEYDAN_ONION_URL")
        else None
    )
except ValueError as error:
    raise ImproperlyConfigured(str(error)) from None
MEYDAN_ONION_URL = _onion.origin if _onion else ""
MEYDAN_ONION_HOST = _onion.host if _onion else ""
if _onion and _onion.host not in ALLOWED_HOSTS:
    ALLOWED_HOSTS.append(_onion.host)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Before allauth, so that our templates override allauth's.
    "meydan.accounts",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",
    "allauth.socialaccount.providers.facebook",
    "allauth.socialaccount.providers.twitter_oauth2",
    "meydan.accounts.wordpress_com",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.mfa",
    "ninja",  # serves the API docs page (Swagger UI) from our own static files
    "django_tasks",
    "django_tasks_db",
    "meydan.core",
    "meydan.sites",
    "meydan.comments",
    "meydan.moderation",
    "meydan.notifications",
    "meydan.interchange",
    "meydan.webhooks",
    "meydan.privacy",
    "meydan.section",
    "meydan.api",
    "meydan.live",
    "meydan.embed",
    "meydan.newsroom",
]

MIDDLEWARE = [
    # First, so that it sees every answer: names the matched URL pattern for the
    # request metrics (meydan.core.metrics.CountRequests, in meydan/wsgi.py).
    "meydan.core.metrics.RouteLabelMiddleware",
    # gzip for the pages every signed-out reader gets alike, never for one that
    # carries a CSRF token or a reader's own details (BREACH: core/compression.py).
    "meydan.core.compression.CompressPages",
    # Django's SecurityMiddleware, aware of the onion (meydan.core.onion).
    "meydan.core.middleware.OnionAwareSecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "meydan.core.unavailable.DatabaseUnavailableMiddleware",
    "meydan.core.middleware.ContentSecurityPolicyMiddleware",
    "meydan.api.cors.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # LocaleMiddleware, choosing the language by meydan.core.languages' order.
    "meydan.sites.middleware.SiteLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "meydan.accounts.middleware.StaffTwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "meydan.urls"
WSGI_APPLICATION = "meydan.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
# SQLite (WAL, busy timeout, IMMEDIATE transactions so concurrent writers queue
# instead of failing) is the embedded default; DATABASE_URL switches to PostgreSQL.
_SQLITE_PATH = VAR_DIR / "meydan.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{_SQLITE_PATH}",
        conn_max_age=env_int("MEYDAN_DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A database host that does not answer must not hold a request (or /readyz) for
    # longer than this; a stopped server refuses at once (core/unavailable.py).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env_int("MEYDAN_DB_CONNECT_TIMEOUT", 3, minimum=1)
    )
    # Server-side parameters and prepared statements: a post's statements are the
    # same few texts every time, and parsing and planning them again was a third of
    # PostgreSQL's CPU per post (bench/post_profile.py). psycopg prepares a statement
    # on a connection once it has run it five times (its default). Off
    # (MEYDAN_DB_PREPARED=off) behind a pooler that cannot keep prepared statements
    # (PgBouncer before 1.21 in transaction mode, or with max_prepared_statements = 0).
    if env_bool("MEYDAN_DB_PREPARED", True):
        DATABASES["default"]["OPTIONS"].update(server_side_binding=True, prepare_threshold=5)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache --------------------------------------------------------------------
_CACHE_URL = os.environ.get("MEYDAN_CACHE_URL", "")
# Whether every worker process sees the same cache. Only then may a request be
# answered from cached thread state alone (no query for 304s and counts).
MEYDAN_SHARED_CACHE = env_bool(
    "MEYDAN_SHARED_CACHE", _CACHE_URL.startswith(("redis://", "rediss://"))
)
# Mail: one URL (meydan/core/mailurl.py), sent by the worker, never in a request.
try:
    globals().update(email_settings(os.environ.get("MEYDAN_EMAIL_URL", ""), var_dir=VAR_DIR))
except MailUrlError as error:
    raise ImproperlyConfigured(str(error)) from None
DEFAULT_FROM_EMAIL = os.environ.get("MEYDAN_EMAIL_FROM") or "Meydan <comments@localhost>"
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The first wait before trying a message again after a temporary failure; it doubles.
MEYDAN_MAIL_RETRY_SECONDS = env_int("MEYDAN_MAIL_RETRY_SECONDS", 60, minimum=1)
# No flood: after a notification, a reader's next ones for that page wait this long
# and go out as one digest (0: every comment its own message).
MEYDAN_NOTIFY_DIGEST_SECONDS = env_int("MEYDAN_NOTIFY_DIGEST_SECONDS", 300)
# Webhooks (meydan/webhooks, docs/webhooks.md): sent by the worker. Receivers on
# loopback, private or link-local addresses are refused unless the operator allows
# them; the first wait before a retry doubles each time; each try's time limit.
MEYDAN_WEBHOOKS_ALLOW_PRIVATE = env_bool("MEYDAN_WEBHOOKS_ALLOW_PRIVATE")
MEYDAN_WEBHOOKS_RETRY_SECONDS = env_int("MEYDAN_WEBHOOKS_RETRY_SECONDS", 30, minimum=1)
MEYDAN_WEBHOOKS_TIMEOUT = env_int("MEYDAN_WEBHOOKS_TIMEOUT", 10, minimum=1)

# Background work (Django's tasks API, through the django-tasks backport): queued in
# the database by default and run by `meydan worker`, which `make run` starts too.
# With MEYDAN_TASKS_URL=redis://… the queue is Redis (RQ, through django-tasks-rq) and
# `meydan worker` runs an RQ worker with its scheduler (retries wait their turn there).
MEYDAN_TASK_QUEUES = ["default", "email"]
_TASKS_URL = os.environ.get("MEYDAN_TASKS_URL", "")
if _TASKS_URL.startswith(("redis://", "rediss://")):
    INSTALLED_APPS.append("django_rq")  # its rqworker command
    RQ_QUEUES = {name: {"URL": _TASKS_URL} for name in MEYDAN_TASK_QUEUES}
    RQ = {"JOB_CLASS": "django_tasks_rq.Job"}
    _TASKS_BACKEND = "django_tasks_rq.RQBackend"
elif _TASKS_URL:
    raise ImproperlyConfigured("MEYDAN_TASKS_URL must be a redis:// URL or empty")
else:
    _TASKS_BACKEND = "django_tasks_db.DatabaseBackend"
TASKS = {"default": {"BACKEND": _TASKS_BACKEND, "QUEUES": MEYDAN_TASK_QUEUES}}
# Tasks that run on a schedule: each schedules its own next run, and `meydan worker`
# queues one at start when none is waiting (core.periodic). The daily purge of what
# Meydan no longer needs to keep (meydan.privacy.purge); every minute, the sweeps that
# queue again mail and webhook deliveries whose task was lost (core/sweep.py).
MEYDAN_PERIODIC_TASKS = [
    "meydan.privacy.tasks.purge_daily",
    "meydan.notifications.mail.mail_sweep_task",
    "meydan.webhooks.delivery.deliveries_sweep_task",
]

if _CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES = {
        "default": {
            # Django's RedisCache, answering as an empty cache while Redis is away
            # (meydan/core/cache.py says what degrades).
            "BACKEND": "meydan.core.cache.ResilientRedisCache",
            "LOCATION": _CACHE_URL,
        }
    }
elif _CACHE_URL == "dummy://":  # caches nothing: for measuring the uncached path
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
elif _CACHE_URL:
    raise ImproperlyConfigured("MEYDAN_CACHE_URL must be a redis:// URL, dummy:// or empty")
else:
    # Django's default of 300 entries would evict a busy site's thread pages (two
    # entries each) long before memory matters; 20,000 is tens of MB at most.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": env_int("MEYDAN_LOCAL_CACHE_ENTRIES", 20_000, minimum=100)},
        }
    }
# Each worker keeps the thread pages (JSON) it served in its own memory, up to this
# size, in front of the cache above (see comments/caching.py).
MEYDAN_LOCAL_PAYLOAD_BYTES = env_int("MEYDAN_LOCAL_PAYLOAD_MB", 32, minimum=0) * 1024 * 1024
# A page (JSON) that has not changed for this many seconds is compressed again, in
# the background, at Brotli's slowest quality: about a tenth fewer bytes for every
# reader after that; a page that keeps changing never waits for it. "off": never.
MEYDAN_BROTLI_SETTLE_SECONDS = env_seconds_or_off("MEYDAN_BROTLI_SETTLE_SECONDS", 10)
# ...and the compressed pieces of the HTML pages it sent gzip-compressed, by digest
# (core/compression.py).
MEYDAN_COMPRESSED_PIECES_BYTES = env_int("MEYDAN_COMPRESSED_PIECES_MB", 8, minimum=0) * 1024 * 1024

# --- Auth and sessions ----------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"  # staff (local accounts); readers use /signin/
LOGIN_REDIRECT_URL = "/"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("MEYDAN_SECURE_COOKIES")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_FAILURE_VIEW = "meydan.core.views.csrf_failure"

# --- Sign-in (django-allauth) --------------------------------------------------------
# Readers sign in with an account they already have (the providers below); local
# accounts (email + password) are for moderators and admins, created by an admin.
ACCOUNT_ADAPTER = "meydan.accounts.adapters.AccountAdapter"
ACCOUNT_USER_DISPLAY = "meydan.accounts.identity.user_display"
SOCIALACCOUNT_ADAPTER = "meydan.accounts.adapters.SocialAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email", "username"}
ACCOUNT_SIGNUP_FIELDS = ["email", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_GET = False  # Log Out is a POST with a CSRF token
ACCOUNT_SESSION_REMEMBER = True
SOCIALACCOUNT_LOGIN_ON_GET = False  # a GET shows "Connecting to X…", the POST goes on
SOCIALACCOUNT_AUTO_SIGNUP = True
# Never sign in to, or connect, an existing account because an email matches.
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = False
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_QUERY_EMAIL = True
SOCIALACCOUNT_STORE_TOKENS = False  # we only need who the reader is, not their tokens
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_TOTP_ISSUER = os.environ.get("MEYDAN_MFA_ISSUER", "Meydan")
MFA_ADAPTER = "meydan.accounts.adapters.MFAAdapter"
# Passkey accounts (meydan/accounts/passkeys.py, docs/passkeys.md): a display name and a
# passkey, nothing else. Our own pages run allauth's WebAuthn flows, so allauth's
# sign-up-by-passkey (which asks for an email address) stays off.
MEYDAN_PASSKEYS = env_bool("MEYDAN_PASSKEYS", True)
MFA_PASSKEY_LOGIN_ENABLED = False
MFA_PASSKEY_SIGNUP_ENABLED = False
# Staff security keys: the device checks its owner (PIN, fingerprint) when it can. A
# reader's passkey signs in alone, so allauth requires that check for it (passwordless).
MFA_WEBAUTHN_USER_VERIFICATION = "preferred"
# Never skip the browser-origin check: python-fido2 already accepts http://localhost
# (and *.localhost) for development, and browsers refuse WebAuthn on an IP address such
# as 127.0.0.1 whatever the server says (docs/passkeys.md).
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = False
# Recovery codes are shown once, right after sign-up (and when made again).
MFA_RECOVERY_CODES_SHOW_ONCE = True
MEYDAN_STAFF_REQUIRE_MFA = env_bool("MEYDAN_STAFF_REQUIRE_MFA")


def _social_providers() -> dict:
    """Providers configured by env vars; more can be added in the admin (Social applications)."""
    providers: dict = {}
    for provider, prefix, extra in [
        ("google", "GOOGLE", {"SCOPE": ["profile", "email"], "OAUTH_PKCE_ENABLED": True}),
        (
            "facebook",
            "FACEBOOK",
            {
                "METHOD": "oauth2",
                "SCOPE": ["email", "public_profile"],
                # allauth's default Graph fields leave out the picture.
                "FIELDS": ["id", "email", "name", "first_name", "last_name", "picture"],
            },
        ),
        ("twitter_oauth2", "TWITTER", {"OAUTH_PKCE_ENABLED": True}),
        ("wordpress", "WORDPRESS", {"SCOPE": ["auth"]}),
    ]:
        client_id = os.environ.get(f"MEYDAN_{prefix}_CLIENT_ID", "")
        secret = os.environ.get(f"MEYDAN_{prefix}_SECRET", "")
        if client_id and secret:
            providers[provider] = {"APPS": [{"client_id": client_id, "secret": secret}], **extra}
        elif client_id or secret:
            raise ImproperlyConfigured(
                f"Set both MEYDAN_{prefix}_CLIENT_ID and MEYDAN_{prefix}_SECRET, or neither"
            )
    issuer = os.environ.get("MEYDAN_OIDC_ISSUER", "")
    if issuer:
        providers["openid_connect"] = {
            "APPS": [
                {
                    "provider_id": "oidc",
                    "name": os.environ.get("MEYDAN_OIDC_NAME", "OpenID Connect"),
                    "client_id": os.environ.get("MEYDAN_OIDC_CLIENT_ID", ""),
                    "secret": os.environ.get("MEYDAN_OIDC_SECRET", ""),
                    "settings": {"server_url": issuer, "oauth_pkce_enabled": True},
                }
            ],
            "OAUTH_PKCE_ENABLED": True,
        }
    return providers


SOCIALACCOUNT_PROVIDERS = _social_providers()

# --- Security headers -------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env_bool("MEYDAN_SSL_REDIRECT")
if SECURE_SSL_REDIRECT:
    SECURE_HSTS_SECONDS = env_int("MEYDAN_HSTS_SECONDS", 0)
if SECURE_SSL_REDIRECT or env_int("MEYDAN_TRUSTED_PROXIES", 0):
    # Behind our own TLS proxy (the same trust as X-Forwarded-For: Meydan must then be
    # reachable only through it), the proxy says whether the reader used https.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# A request body larger than this is refused with 413 before any form is parsed.
# A 10,000-character comment percent-encoded as 4-byte UTF-8 is about 120 KB.
DATA_UPLOAD_MAX_MEMORY_SIZE = 512 * 1024

# --- i18n -------------------------------------------------------------------------
LANGUAGE_CODE = "en"
# The languages Meydan ships, each a complete catalogue in meydan/locale/ (its .po
# files are the source; `make` compiles the .mo files). Persian is right to left.
LANGUAGES = [
    ("en", "English"),
    ("az", "Azərbaycanca"),
    ("ru", "Русский"),
    ("tr", "Türkçe"),
    ("fa", "فارسی"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files (WhiteNoise serves them, also with DEBUG off) ------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# After `collectstatic` (which `meydan serve` runs) files get content-hashed names and
# far-future caching; before it (tests, `runserver`) they are served from the apps.
_HAVE_MANIFEST = (STATIC_ROOT / "staticfiles.json").exists()
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "meydan.core.staticstorage.StaticFilesStorage"
        if _HAVE_MANIFEST or env_bool("MEYDAN_COLLECTING_STATIC")
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not _HAVE_MANIFEST

# Logs (meydan/core/logs.py): one handler on the root logger, standard error; plain
# text, or one JSON object per line with MEYDAN_LOG_FORMAT=json. Email and IP
# addresses are masked in every line, whatever the level.
try:
    MEYDAN_LOG_FORMAT = log_format(os.environ.get("MEYDAN_LOG_FORMAT"))
except ValueError as error:
    raise ImproperlyConfigured(str(error)) from None
LOGGING = django_logging(MEYDAN_LOG_FORMAT, os.environ.get("MEYDAN_LOG_LEVEL", "INFO"))

# --- Meydan -------------------------------------------------------------------------
# Privacy: client IPs are kept only as keyed hashes (meydan.core.privacy).
MEYDAN_PUBLIC_URL = os.environ.get("MEYDAN_PUBLIC_URL", "").rstrip("/")
MEYDAN_TRUSTED_PROXIES = env_int("MEYDAN_TRUSTED_PROXIES", 0)
# The keys behind stored IP hashes rotate this often (core.privacy); `meydan purge`
# deletes an old key once nothing needs it (docs/retention.md).
MEYDAN_IP_KEY_DAYS = env_int("MEYDAN_IP_KEY_DAYS", 30, minimum=1)
# The purge deletes mail deliveries and finished background-task results (which hold
# their tasks' arguments) this many days after they finished.
MEYDAN_DELIVERY_DAYS = env_int("MEYDAN_DELIVERY_DAYS", 30, minimum=1)
MEYDAN_COMMENT_MAX_LENGTH = env_int("MEYDAN_COMMENT_MAX_LENGTH", 10_000, minimum=1)
MEYDAN_MAX_DEPTH = env_int("MEYDAN_MAX_DEPTH", 5, minimum=1)
MEYDAN_PAGE_SIZE = env_int("MEYDAN_PAGE_SIZE", 50, minimum=1)
MEYDAN_PAGE_COMMENTS = env_int("MEYDAN_PAGE_COMMENTS", 150, minimum=10)
# Live updates: readers with a thread open ask GET /api/v1/live about every this many
# seconds (each reader between 2/3 and 4/3 of it, at random: docs/scaling.md "Live
# updates"); "off" or 0 stops them (pages already open stop at their next answer).
MEYDAN_LIVE_SECONDS = env_live_seconds("MEYDAN_LIVE_SECONDS", 1.4)
# The stream of live updates (meydan/live, `meydan live`; docs/scaling.md "Live updates"):
# every change of a thread's published count is PUBLISHed on this Redis (by default the
# cache's, when that is Redis; "" publishes nothing), on this channel (pub/sub channels
# are shared by all of a Redis server's databases: installations that share one give
# each their own). Where readers find the stream: a path on the API's origin (nginx
# routes it to `meydan live`) or a URL; "" (the default): no stream, pages poll.
MEYDAN_LIVE_REDIS_URL = os.environ.get(
    "MEYDAN_LIVE_REDIS_URL",
    _CACHE_URL if _CACHE_URL.startswith(("redis://", "rediss://")) else "",
).strip()
MEYDAN_LIVE_CHANNEL = os.environ.get("MEYDAN_LIVE_CHANNEL", "").strip() or "meydan:live"
MEYDAN_LIVE_STREAM_URL = os.environ.get("MEYDAN_LIVE_STREAM_URL", "").strip()
# Open streams per `meydan live` process; beyond it a reader gets a 503 and polls.
MEYDAN_LIVE_STREAM_MAX = env_int("MEYDAN_LIVE_STREAM_MAX", 20_000, minimum=1)

# Commenters' addresses are stored as a keyed hash and a copy sealed to this public
# key (meydan.core.sealing; `meydan keys generate`). Give the private key to the mail
# worker only. Without a public key the addresses are stored in clear.
MEYDAN_EMAIL_PUBLIC_KEY = os.environ.get("MEYDAN_EMAIL_PUBLIC_KEY", "").strip()
MEYDAN_EMAIL_PRIVATE_KEY = os.environ.get("MEYDAN_EMAIL_PRIVATE_KEY", "").strip()
MEYDAN_EMAIL_PRIVATE_KEY_FILE = os.environ.get("MEYDAN_EMAIL_PRIVATE_KEY_FILE", "").strip()
# Show moderators whole addresses instead of a•••@g•••.com (needs the private key in
# the web process too: a seized web server then gives the addresses away).
MEYDAN_MODERATION_SEES_EMAIL = env_bool("MEYDAN_MODERATION_SEES_EMAIL")
# The operator's own text above the generated facts on /privacy/: a Markdown file
# (rendered like comments), read again when it changes; a file that cannot be read
# stops start-up (privacy/system_checks.py).
MEYDAN_PRIVACY_TEXT_FILE = os.environ.get("MEYDAN_PRIVACY_TEXT_FILE", "").strip()


def env_rate(name: str, default: str) -> tuple[int, int] | None:
    """ "5/m" -> (5, 60): at most 5 in any 60 seconds; "off" -> None."""
    value = (os.environ.get(name) or default).strip().lower()
    if value == "off":
        return None
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    count, _, unit = value.partition("/")
    if not count.isdigit() or int(count) < 1 or unit not in units:
        raise ImproperlyConfigured(
            f"{name} must look like 5/m (per s, m, h or d) or off, not {value!r}"
        )
    return int(count), units[unit]


# The moderation checks run in this order (the contract: meydan/comments/moderation.py).
# Each is checked at start-up (comments/system_checks.py): it must import and be a
# Check (comments.moderation.Check); tests/moderation/test_check_contract.py holds
# every default one to the contract.
DEFAULT_MODERATION_CHECKS = [
    "meydan.moderation.checks.form_guard.FormGuardCheck",
    "meydan.moderation.checks.bans.BanCheck",
    "meydan.moderation.checks.rate_limit.RateLimitCheck",
    "meydan.moderation.checks.pow.ProofOfWorkCheck",
    "meydan.moderation.checks.words.DisallowedWordsCheck",
    "meydan.moderation.checks.duplicate.DuplicateCheck",
    "meydan.moderation.checks.words.ModerationWordsCheck",
    "meydan.moderation.checks.links.LinksCheck",
    "meydan.moderation.checks.first_comment.FirstCommentCheck",
    "meydan.moderation.checks.hold_all.HoldAllCheck",
    "meydan.moderation.checks.spam.SpamFilterCheck",
]
MEYDAN_MODERATION_CHECKS = env_list("MEYDAN_MODERATION_CHECKS", list(DEFAULT_MODERATION_CHECKS))
# The learned spam filter (meydan/moderation/spam.py): local, trained by moderators.
# Scores at or above SPAM go to spam, at or above HOLD wait for a moderator
# (0 <= HOLD <= SPAM <= 1, checked at start-up: moderation/system_checks.py).
MEYDAN_SPAM_THRESHOLD_SPAM = env_fraction("MEYDAN_SPAM_THRESHOLD_SPAM", 0.97)
MEYDAN_SPAM_THRESHOLD_HOLD = env_fraction("MEYDAN_SPAM_THRESHOLD_HOLD", 0.80)
# Decisions of each kind (spam, not spam) before the filter has an opinion.
MEYDAN_SPAM_MIN_LEARNED = env_int("MEYDAN_SPAM_MIN_LEARNED", 20, minimum=1)
MEYDAN_SPAM_MAX_TOKENS = env_int("MEYDAN_SPAM_MAX_TOKENS", 50_000, minimum=1000)
# Optional, OFF by default: Akismet sends every comment (text, name, email, website and
# the reader's IP address) to a third party. Enabled only when a key is set.
MEYDAN_AKISMET_KEY = os.environ.get("MEYDAN_AKISMET_KEY", "")
MEYDAN_AKISMET_SITE_URL = os.environ.get("MEYDAN_AKISMET_SITE_URL", "")
if MEYDAN_AKISMET_KEY and "meydan.moderation.checks.akismet.AkismetCheck" not in (
    MEYDAN_MODERATION_CHECKS
):
    MEYDAN_MODERATION_CHECKS.append("meydan.moderation.checks.akismet.AkismetCheck")
# Per reader (keyed IP hash, and identity: account or email), and per site.
MEYDAN_RATELIMIT_COMMENTS = env_rate("MEYDAN_RATELIMIT_COMMENTS", "5/m")
MEYDAN_RATELIMIT_SITE_COMMENTS = env_rate("MEYDAN_RATELIMIT_SITE_COMMENTS", "600/m")
# The other writes a stranger can make, per client (meydan/core/ratelimit.py). The
# widget checks a sign-in under way every 1.5 s (40 a minute), so claims allow 120.
MEYDAN_RATELIMIT_REPORTS = env_rate("MEYDAN_RATELIMIT_REPORTS", "10/h")
MEYDAN_RATELIMIT_PREVIEWS = env_rate("MEYDAN_RATELIMIT_PREVIEWS", "60/m")
MEYDAN_RATELIMIT_SIGNIN_CLAIMS = env_rate("MEYDAN_RATELIMIT_SIGNIN_CLAIMS", "120/m")
# Up-votes and taking them back, per client address and per voter.
MEYDAN_RATELIMIT_VOTES = env_rate("MEYDAN_RATELIMIT_VOTES", "30/m")
# Subscription confirmations per address: one a day, so no stranger's inbox can be flooded.
MEYDAN_RATELIMIT_CONFIRMATIONS = env_rate("MEYDAN_RATELIMIT_CONFIRMATIONS", "1/d")
# "Manage my comments" links: per address (beyond it nothing is sent, and the page
# says the same) and per client (beyond it the page asks them to wait).
MEYDAN_RATELIMIT_MANAGE_LINKS = env_rate("MEYDAN_RATELIMIT_MANAGE_LINKS", "3/h")
MEYDAN_RATELIMIT_MANAGE_CLIENT = env_rate("MEYDAN_RATELIMIT_MANAGE_CLIENT", "10/h")
# Messages the worker sends at most, for the whole installation (N/s, N/m, N/h or off);
# beyond it the backlog waits and is drained in order.
MEYDAN_MAIL_RATE = env_rate("MEYDAN_MAIL_RATE", "120/m")
# A comment form must be at least this old (signed timestamp) — bots post at once.
MEYDAN_MIN_FORM_SECONDS = env_seconds_or_off("MEYDAN_MIN_FORM_SECONDS", 3)
MEYDAN_MAX_FORM_SECONDS = env_int("MEYDAN_MAX_FORM_SECONDS", 2 * 86400, minimum=60)
# Proof of work (docs/bot-defence.md): a guest's browser solves an ALTCHA challenge
# (GET /api/v1/challenge) before posting; without a solution the comment is held for a
# moderator, never refused. Signed-in readers skip it. Off: MEYDAN_POW=0.
MEYDAN_POW = env_bool("MEYDAN_POW", True)
# The work (max number; about half of it in SHA-256 hashes on average) when all is
# quiet, and at most under a flood. 50,000 takes a phone well under a second.
MEYDAN_POW_DIFFICULTY = env_int("MEYDAN_POW_DIFFICULTY", 50_000, minimum=1000)
MEYDAN_POW_MAX_DIFFICULTY = env_int("MEYDAN_POW_MAX_DIFFICULTY", 3_200_000, minimum=1000)
# How long a challenge may be used (seconds).
MEYDAN_POW_EXPIRES = env_int("MEYDAN_POW_EXPIRES", 1800, minimum=60)
# A flood, per minute (challenges asked for + guest comments posted): per address, per
# thread, per site. Each doubling over a threshold multiplies the work by 4.
MEYDAN_POW_FLOOD_ADDRESS = env_int("MEYDAN_POW_FLOOD_ADDRESS", 10, minimum=1)
MEYDAN_POW_FLOOD_THREAD = env_int("MEYDAN_POW_FLOOD_THREAD", 40, minimum=1)
MEYDAN_POW_FLOOD_SITE = env_int("MEYDAN_POW_FLOOD_SITE", 120, minimum=1)

# Metrics (meydan/core/metrics.py, docs/metrics.md): GET /metrics in the Prometheus
# text format, only with `Authorization: Bearer <this token>`; without a token the
# page does not exist (404). The server's processes add up their counts in
# PROMETHEUS_MULTIPROC_DIR (default MEYDAN_VAR_DIR/metrics/, set by `meydan serve`).
MEYDAN_METRICS_TOKEN = os.environ.get("MEYDAN_METRICS_TOKEN", "").strip()
if MEYDAN_METRICS_TOKEN and len(MEYDAN_METRICS_TOKEN) < 16:
    raise ImproperlyConfigured(
        "MEYDAN_METRICS_TOKEN must be at least 16 characters (e.g. `openssl rand -hex 32`)"
    )
