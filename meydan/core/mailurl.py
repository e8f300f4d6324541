"""MEYDAN_EMAIL_URL: one address for the whole mail configuration, read by settings.py.

    smtp://user:password@host:25        plain SMTP (a relay on the same network)
    smtp+tls://user:password@host:587   SMTP with STARTTLS (most providers' submission port)
    smtps://user:password@host:465      SMTP over TLS from the first byte (also smtp+ssl://)
    console://                          print every message (the default: `make run`)
    file:///path/to/dir                 one .log file per message in that directory
    memory://                           keep messages in memory (Django's locmem; tests)

User name and password are percent-decoded (write `@` as %40). A timeout (seconds)
may be given as ?timeout=20 (default 20). Anything else is refused with a message
saying what is expected: a typo in a mail URL should stop start-up, not lose mail.
"""

from urllib.parse import parse_qs, unquote, urlsplit

SMTP_SCHEMES = {"smtp": (False, False), "smtp+tls": (True, False), "smtps": (False, True),
                "smtp+ssl": (False, True)}  # fmt: skip


class MailUrlError(ValueError):
    pass


def email_settings(url: str, *, var_dir) -> dict:
    """Django's EMAIL_* settings for `url` (empty: the console)."""
    url = (url or "").strip()
    if not url or url == "console://":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if url == "memory://":
        return {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    parts = urlsplit(url)
    if parts.scheme == "file":
        path = unquote(parts.path) or str(var_dir / "mail")
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": path,
        }
    if parts.scheme not in SMTP_SCHEMES:
        raise MailUrlError(
            f"MEYDAN_EMAIL_URL must start with smtp://, smtp+tls://, smtps://, console://, "
            f"file:// or memory://, not {parts.scheme + '://' if parts.scheme else url!r}"
        )
    try:
        port = parts.port
    except ValueError:
        raise MailUrlError("MEYDAN_EMAIL_URL has a port that is not a number") from None
    if not parts.hostname:
        raise MailUrlError("MEYDAN_EMAIL_URL names no host, e.g. smtp+tls://user:pass@host:587")
    query = parse_qs(parts.query)
    try:
        timeout = float(query.get("timeout", ["20"])[0])
    except ValueError:
        raise MailUrlError("MEYDAN_EMAIL_URL's timeout must be a number of seconds") from None
    use_tls, use_ssl = SMTP_SCHEMES[parts.scheme]
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname,
        "EMAIL_PORT": port or (465 if use_ssl else 587 if use_tls else 25),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": use_tls,
        "EMAIL_USE_SSL": use_ssl,
        "EMAIL_TIMEOUT": timeout,
    }
