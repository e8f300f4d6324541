"""Rewriting the page addresses an export brings, so that they land on this site's
pages: the same article moved host, went https, lost or gained a trailing slash, or
was renamed (a CSV of old URL to new URL).

Rules, applied in the order given, each to the result of the one before:

    host:OLD=NEW      replace the host (and port) OLD with NEW
    prefix:OLD=NEW    replace an address starting with OLD by NEW + the rest
    https             http:// becomes https://
    slash:add         end every path with "/"  (slash:strip removes it)
    csv:FILE          exact old → new pairs, two columns, one pair a line

An address the rules do not change stays as it was.
"""

import csv
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit


class MapError(ValueError):
    """A rule that cannot be used. The message is English (the command line's);
    `code` and `params` are what the workspace words (interchange.wording)."""

    def __init__(self, message: str, *, code: str = "bad_map", params: dict | None = None):
        super().__init__(message)
        self.code = code
        self.params = dict(params or {}) if params is not None else {"detail": message}


@dataclass
class UrlMap:
    rules: list[tuple[str, object]] = field(default_factory=list)

    @classmethod
    def parse(cls, specs: list[str]) -> "UrlMap":
        rules: list[tuple[str, object]] = []
        for spec in specs or []:
            kind, _, arg = spec.partition(":")
            if kind in ("host", "prefix"):
                old, sep, new = arg.partition("=")
                if not sep or not old or not new:
                    raise MapError(
                        f"--map {spec!r}: write {kind}:OLD=NEW",
                        code="map_incomplete",
                        params={"rule": spec, "kind": kind},
                    )
                rules.append((kind, (old.lower() if kind == "host" else old, new)))
            elif spec == "https":
                rules.append(("https", None))
            elif spec in ("slash:add", "slash:strip"):
                rules.append((spec, None))
            elif kind == "csv" and arg:
                rules.append(("csv", _read_csv(arg)))
            else:
                raise MapError(
                    f"--map {spec!r} is not a rule: use host:OLD=NEW, prefix:OLD=NEW, https, "
                    "slash:add, slash:strip or csv:FILE",
                    code="map_unknown",
                    params={"rule": spec},
                )
        return cls(rules)

    def __call__(self, url: str) -> str:
        for kind, arg in self.rules:
            if kind == "csv":
                url = arg.get(url, url)
            elif kind == "prefix":
                old, new = arg
                if url.startswith(old):
                    url = new + url[len(old) :]
            elif kind == "https":
                if url.startswith("http://"):
                    url = "https://" + url[len("http://") :]
            else:
                parts = urlsplit(url)
                if kind == "host":
                    old, new = arg
                    if parts.netloc.lower() == old:
                        url = urlunsplit(parts._replace(netloc=new))
                elif kind == "slash:add" and not parts.path.endswith("/"):
                    url = urlunsplit(parts._replace(path=parts.path + "/"))
                elif kind == "slash:strip" and parts.path.endswith("/") and parts.path != "/":
                    url = urlunsplit(parts._replace(path=parts.path.rstrip("/")))
        return url


def _read_csv(path: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    try:
        with open(path, newline="", encoding="utf-8") as f:
            for number, row in enumerate(csv.reader(f), start=1):
                if not row or row[0].startswith("#"):
                    continue
                if len(row) < 2 or not row[0].strip() or not row[1].strip():
                    raise MapError(f"{path}, line {number}: give two columns, old URL and new URL")
                pairs[row[0].strip()] = row[1].strip()
    except OSError as error:
        raise MapError(f"--map csv:{path}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise MapError(f"--map csv:{path}: the file is not UTF-8") from None
    return pairs
