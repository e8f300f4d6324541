"""Log lines: plain text or one JSON object per line, and no reader's address in them.

`MEYDAN_LOG_FORMAT=json` turns every line of `meydan serve` (granian and Django) and
`meydan worker` into one JSON object: ts, level, logger, message, the fields passed
with `extra=`, and exc_info as one string. The default stays plain text.

`ScrubFilter` sits on every handler (Django's root handler, granian's): whatever a
line would say, an email address becomes `<email>` and an IPv4 or IPv6 address
`<ip>`, at every level. It is a safety net: Meydan's own log calls name ids, not
readers.

The formatter is a small `logging.Formatter` subclass rather than a library (such as
python-json-logger): about forty lines, and it must decide what a field may hold (a
`request` object in `extra` becomes its method and path, never its query string or
socket), which a generic serialiser would not.

This module imports nothing from Django: granian's main process, which has no
Django settings, loads these classes from its log configuration.
"""

import datetime as dt
import decimal
import enum
import ipaddress
import json
import logging
import re
import uuid
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

EMAIL_MASK = "<email>"
IP_MASK = "<ip>"

# Liberal on purpose (a safety net): anything word-like around an @ and a dotted domain.
_EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = re.compile(rf"(?<![\w.]){_OCTET}(?:\.{_OCTET}){{3}}(?![\w]|\.\d)")
# Candidates: hex groups with at least two colons (and an IPv4 tail, a zone); each is
# then checked by `ipaddress`, so times such as 12:30:45 stay as they are.
_IPV6_CANDIDATE = re.compile(r"(?<![\w:.])[0-9A-Fa-f:]*:[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*(?:%\w+)?")

# The attributes every LogRecord has: anything else on a record came from `extra=`.
_RECORD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}
# granian's access log passes its values as a dict; these become fields of the JSON
# line (its `addr`, the client's address, and the query string never do).
GRANIAN_ACCESS_FIELDS = ("method", "path", "protocol", "scheme", "status", "dt_ms")
# The access log without the client's address (granian's default starts with it).
ACCESS_LOG_FORMAT = '[%(time)s] "%(method)s %(path)s %(protocol)s" %(status)d %(dt_ms).3f'
ACCESS_LOG_FORMAT_JSON = '"%(method)s %(path)s %(protocol)s" %(status)d %(dt_ms).3f'


def _personal(address) -> bool:
    """Loopback and "any" addresses (the server's own: 127.0.0.1, ::1, 0.0.0.0) say
    nothing about a person and tell an operator where the server listens."""
    return not (address.is_loopback or address.is_unspecified)


def _mask_ipv4(match: re.Match) -> str:
    return IP_MASK if _personal(ipaddress.IPv4Address(match.group(0))) else match.group(0)


def _mask_ipv6(match: re.Match) -> str:
    text = match.group(0)
    # A sentence's full stop or a port's colon may have been taken in.
    for candidate in (text, text.rstrip(".:")):
        try:
            address = ipaddress.IPv6Address(candidate.split("%", 1)[0])
        except ValueError:
            continue
        if not _personal(address):
            return text
        return IP_MASK + text[len(candidate) :]
    return text


def scrub(text: str) -> str:
    """`text` with every email address and IP address masked."""
    if "@" in text:
        text = _EMAIL.sub(EMAIL_MASK, text)
    if ":" in text:
        text = _IPV6_CANDIDATE.sub(_mask_ipv6, text)
    if "." in text:
        text = _IPV4.sub(_mask_ipv4, text)
    return text


def _scrub_value(value: Any) -> Any:
    """An argument of a log call, masked; numbers stay numbers (for %d), and an object
    whose text shows an address is replaced by that text, masked."""
    if isinstance(value, str):
        return scrub(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    try:
        text = str(value)
    except Exception:  # noqa: BLE001 - a broken __str__ must not lose the line
        return "<unprintable>"
    clean = scrub(text)
    return value if clean == text else clean


class ScrubFilter(logging.Filter):
    """Masks email and IP addresses in a record's message, arguments, `extra` strings
    and traceback. Put it on handlers: a logger's filters do not see records that
    propagate from its children."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = scrub(record.msg)
        else:
            text = str(record.msg)
            if scrub(text) != text:
                record.msg = scrub(text)
        if isinstance(record.args, Mapping):
            record.args = {key: _scrub_value(value) for key, value in record.args.items()}
        elif isinstance(record.args, tuple):
            record.args = tuple(_scrub_value(value) for value in record.args)
        for key, value in list(vars(record).items()):
            if key not in _RECORD_ATTRS and isinstance(value, str):
                setattr(record, key, scrub(value))
        if record.exc_info and not record.exc_text:
            # Formatters reuse exc_text once it is set.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, Mapping):
        return {str(key): _json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_json_value(item) for item in value]
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return _json_value(value.value)
    if isinstance(value, uuid.UUID | decimal.Decimal | PurePath | dt.timedelta):
        return str(value)
    # Anything else (a socket, a model instance…) could say more than it should.
    return f"<{type(value).__name__}>"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts (ISO 8601, UTC), level, logger, message, the
    `extra=` fields, exc_info (the traceback as one string). Newlines inside are
    escaped by JSON, so a record is always one line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, tz=dt.UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.name == "granian.access" and isinstance(record.args, Mapping):
            for key in GRANIAN_ACCESS_FIELDS:
                if key in record.args:
                    line[key] = _json_value(record.args[key])
            if isinstance(line.get("dt_ms"), float):
                line["dt_ms"] = round(line["dt_ms"], 3)
        for key, value in vars(record).items():
            if key in _RECORD_ATTRS or key in line:
                continue
            if key == "request":
                # Django's django.request/django.security put the HttpRequest here, and
                # django.server its socket: method and path only, no query, no address.
                method, path = getattr(value, "method", None), getattr(value, "path", None)
                if isinstance(method, str) and isinstance(path, str):
                    line["method"], line["path"] = method, scrub(path)
                continue
            line[key] = _json_value(value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exc_info"] = record.exc_text
        if record.stack_info:
            line["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def log_format(value: str | None) -> str:
    """MEYDAN_LOG_FORMAT: "text" (the default) or "json"."""
    value = (value or "text").strip().lower()
    if value not in ("text", "json"):
        raise ValueError(f"MEYDAN_LOG_FORMAT must be text or json, not {value!r}")
    return value


def granian_log_config(fmt: str) -> dict:
    """granian's logging (its own lines and the access log), for `--log-config`: its
    defaults (granian.log.LOGGING_CONFIG) with the scrub filter, and JSON lines when
    `fmt` is "json"."""
    if fmt == "json":
        formatters = {
            "generic": {"()": "meydan.core.logs.JsonFormatter"},
            "access": {"()": "meydan.core.logs.JsonFormatter"},
        }
    else:
        formatters = {
            "generic": {"()": "logging.Formatter", "fmt": "[%(levelname)s] %(message)s"},
            "access": {"()": "logging.Formatter", "fmt": "%(message)s"},
        }
    stream = "ext://sys.stdout"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"scrub": {"()": "meydan.core.logs.ScrubFilter"}},
        "formatters": formatters,
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "generic",
                "filters": ["scrub"],
                "stream": stream,
            },
            "access": {
                "class": "logging.StreamHandler",
                "formatter": "access",
                "filters": ["scrub"],
                "stream": stream,
            },
        },
        "loggers": {
            "_granian": {"handlers": ["console"], "level": "INFO", "propagate": False},
            "granian.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
        },
    }


def django_logging(fmt: str, level: str) -> dict:
    """settings.LOGGING: one handler on the root logger (standard error), scrubbed,
    plain or JSON; Django's own loggers (django.request, django.server…) go through it
    instead of the handlers Django adds by default."""
    handler: dict[str, Any] = {"class": "logging.StreamHandler", "filters": ["scrub"]}
    if fmt == "json":
        handler["formatter"] = "json"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"scrub": {"()": "meydan.core.logs.ScrubFilter"}},
        "formatters": {"json": {"()": "meydan.core.logs.JsonFormatter"}},
        "handlers": {"console": handler},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Django's defaults: a console handler for DEBUG and mail to ADMINS (none
            # are set); everything goes to the root handler instead, once.
            "django": {"handlers": [], "level": "INFO", "propagate": True},
            "django.server": {"handlers": [], "level": "INFO", "propagate": True},
            "django.security.DisallowedHost": {"level": "ERROR"},
        },
    }
