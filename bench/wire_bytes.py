"""Bytes on the wire for a 100-comment thread: plain, gzip and Brotli, as Meydan sends
them (the API's JSON and the no-JS thread page), for two threads of the same shape:

- the shared workload's /article-1 (bench/data/dataset.jsonl, from the shared seed.py:
  sentences of words drawn at random from a list of 236, which compress worse than
  any language does), and
- the same reply tree holding 100 real readers' comments (the hand-labelled non-spam
  comments of the YouTube Spam Collection, tests/fixtures/spam).

The API JSON's Brotli bytes twice: as first sent (quality 5, made when the page is
built) and once the page has settled (quality 11, made in the background: see
core/compression.py). Also the Brotli sizes at every quality, and their time, for
the workload's JSON.

    .venv/bin/python bench/wire_bytes.py [--no-save]

In process (django.test.Client) on a throw-away SQLite database; run `make bench` once
first (it writes the dataset). Prints a table and saves it to
bench/results/<date>-wire-bytes.txt.
"""

import argparse
import csv
import datetime
import gzip
import html
import json
import os
import random
import re
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
DATASET = BENCH / "data" / "dataset.jsonl"
CORPUS = ROOT / "tests" / "fixtures" / "spam" / "youtube-spam-collection"
ARTICLE = "/article-1"

VAR = tempfile.mkdtemp(prefix="meydan-wire-")
os.environ.update(
    DJANGO_SETTINGS_MODULE="meydan.settings",
    MEYDAN_VAR_DIR=VAR,
    DATABASE_URL=f"sqlite:///{VAR}/db.sqlite3",
    MEYDAN_ALLOWED_HOSTS="testserver",
)
os.environ.pop("MEYDAN_CACHE_URL", None)
sys.path.insert(0, str(ROOT))

import brotli  # noqa: E402
import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from django.test import Client  # noqa: E402

from meydan.comments import caching, services  # noqa: E402
from meydan.core import compression  # noqa: E402
from meydan.sites.models import Site  # noqa: E402


def workload_rows() -> list[dict]:
    if not DATASET.exists():
        sys.exit(f"{DATASET} is missing: run `make bench` (or `make bench QUICK=1`) once first")
    with DATASET.open(encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    return [row for row in rows if row["thread"] == ARTICLE]


def real_texts(n: int) -> list[tuple[str, str]]:
    found, seen = [], set()
    for path in sorted(CORPUS.glob("*.csv")):
        with path.open(encoding="utf-8") as f:
            for row in csv.DictReader(f):
                text = html.unescape(row["CONTENT"]).replace("<br />", "\n")
                if row["CLASS"] == "0" and len(text) > 20 and text not in seen:
                    seen.add(text)
                    found.append((row["AUTHOR"][:60], text))
    if len(found) < n:
        sys.exit(f"only {len(found)} real comments in {CORPUS}")
    return found[:n]


def load(site, key: str, rows: list[dict]) -> None:
    thread = services.thread_get_or_create(site=site, key=key, url=key, title=rows[0]["title"])
    ids: list[int] = []
    with transaction.atomic():
        for row in rows:
            parent = ids[row["parent_idx"]] if row["parent_idx"] is not None else None
            result = services.comment_post(
                thread=thread,
                author=services.Author(name=row["author"], email=row["email"] or "", url=""),
                body=row["text"],
                parent_id=parent,
                moderate=False,
                channel="command",
            )
            ids.append(result.comment.pk)


BROWSER = "gzip, deflate, br, zstd"


def sizes(client: Client, path: str) -> dict[str, int]:
    found = {}
    for name, header in (("plain", ""), ("gzip", "gzip"), ("br", BROWSER)):
        response = client.get(path, headers={"accept-encoding": header} if header else {})
        coding = response.get("Content-Encoding", "plain")
        expected = "gzip" if name == "br" and path.startswith("/embed/") else name
        if response.status_code != 200 or coding != expected:
            sys.exit(f"{path} asked for {name}: {response.status_code}, {coding}")
        found[name] = len(response.content)
    if path.startswith("/api/"):
        found["settled"] = settled_size(client, path)
    return found


def settled_size(client: Client, path: str) -> int:
    """The Brotli bytes once the page has settled (comments/caching.Payload): held
    MEYDAN_BROTLI_SETTLE_SECONDS, asked for again, compressed in the background."""
    for _expiry, payload, _size in caching.local_payloads.items.values():
        payload.born -= settings.MEYDAN_BROTLI_SETTLE_SECONDS
    client.get(path, headers={"accept-encoding": BROWSER})
    compression.settler.wait()
    response = client.get(path, headers={"accept-encoding": BROWSER})
    if not response["ETag"].endswith('-brs"'):
        sys.exit(f"{path}: not settled ({response['ETag']})")
    return len(response.content)


def catalogue_texts(language: str, rows: list[dict]) -> list[str]:
    """Each workload comment's text in another script: sentences of Meydan's own
    catalogue for `language` (the only text in those scripts this repository holds),
    drawn at random until as long as the comment's text."""
    po = (ROOT / "meydan" / "locale" / language / "LC_MESSAGES" / "django.po").read_text()
    sentences = [
        text
        for text in re.findall(r'^msgstr "(.+)"$', po, re.MULTILINE)
        if len(text) > 20 and "%" not in text and "{" not in text and "\\" not in text
    ]
    rng = random.Random(language)
    texts = []
    for row in rows:
        words = []
        while sum(map(len, words)) < len(row["text"]):
            words.append(rng.choice(sentences))
        texts.append(" ".join(words))
    return texts


def other_scripts(site, workload: list[dict], client: Client) -> list[str]:
    """The API JSON of the workload's reply tree in Russian, Azerbaijani and Persian:
    as sent (UTF-8) and as it was sent with every non-ASCII letter a \\uXXXX escape."""
    lines = [
        "Text in other scripts (the workload's reply tree, each comment's text sentences of "
        "Meydan's own catalogue): API JSON as sent (UTF-8) and as it was (\\uXXXX escapes)",
        f"{'language':<12} {'JSON':<9} {'plain':>8} {'gzip 6':>8} {'br 5':>8} {'br 11':>8}",
    ]
    for language in ("ru", "az", "fa"):
        texts = catalogue_texts(language, workload)
        key = f"/{language}/"
        load(site, key, [{**row, "text": text} for row, text in zip(workload, texts, strict=True)])
        sent = client.get(f"/api/v1/threads?site=wire&url={key}").content
        escaped = json.dumps(json.loads(sent)).encode()
        for label, body in (("UTF-8", sent), ("escaped", escaped)):
            lines.append(
                f"{language:<12} {label:<9} {len(body):>8,} {len(gzip.compress(body, 6)):>8,} "
                f"{len(brotli.compress(body, quality=5)):>8,} "
                f"{len(brotli.compress(body, quality=11)):>8,}"
            )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    site = Site.objects.create(name="Wire", slug="wire", domain="testserver")
    site.require_name_email = False
    site.page_size = 100
    site.save()
    workload = workload_rows()
    real = [
        {**row, "author": author, "text": text}
        for row, (author, text) in zip(workload, real_texts(len(workload)), strict=True)
    ]
    load(site, "/workload/", workload)
    load(site, "/real/", real)
    client = Client()
    now = datetime.datetime.now(datetime.UTC)
    lines = [
        f"Bytes on the wire, 100-comment threads, {now:%Y-%m-%d %H:%M} UTC",
        f"(bench/wire_bytes.py; {len(workload)} comments each, the reply tree of the shared "
        f"workload's {ARTICLE})",
        "",
        f"{'thread':<34} {'answer':<22} {'plain':>8} {'gzip':>8} {'%':>6} {'br':>8} {'%':>6}"
        f" {'settled':>8} {'%':>6}",
    ]
    for label, key in (
        ("shared workload (random words)", "/workload/"),
        ("real readers' comments", "/real/"),
    ):
        for answer, path in (
            ("API JSON", f"/api/v1/threads?site=wire&url={key}"),
            ("no-JS page (HTML)", f"/embed/thread/?site=wire&url={key}"),
        ):
            got = sizes(client, path)
            plain = got["plain"]
            br = (
                f"{got['br']:>8,} {got['br'] / plain:>6.1%} "
                f"{got['settled']:>8,} {got['settled'] / plain:>6.1%}"
                if answer == "API JSON"
                else (f"{'(gzip)':>8} {'':>6}")
            )
            lines.append(
                f"{label:<34} {answer:<22} {plain:>8,} {got['gzip']:>8,} "
                f"{got['gzip'] / plain:>6.1%} {br}"
            )
    lines += ["", *other_scripts(site, workload, client)]
    body = client.get("/api/v1/threads?site=wire&url=/workload/").content
    lines += [
        "",
        "Brotli quality, the workload's JSON (Meydan uses 5 once per version, then 11 once "
        "the page has settled: unchanged for MEYDAN_BROTLI_SETTLE_SECONDS, 10):",
    ]
    for quality in (1, 3, 5, 7, 9, 10, 11):
        started = time.perf_counter()
        for _ in range(3):
            packed = brotli.compress(body, quality=quality)
        took = (time.perf_counter() - started) / 3 * 1000
        lines.append(
            f"  quality {quality:>2}: {len(packed):>7,} bytes ({len(packed) / len(body):.1%}), "
            f"{took:6.1f} ms"
        )
    text = "\n".join(lines) + "\n"
    print(text, end="")
    if not args.no_save:
        out = BENCH / "results" / f"{now:%Y-%m-%d}-wire-bytes.txt"
        out.write_text(text)
        print(f"saved {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
