"""Load the shared benchmark dataset (bench/data/dataset.jsonl) into a Meydan
database through the service layer: `services.comment_post(moderate=False)`, with
the dataset's authors, addresses and reply tree, in file order.

Run by bench/bench.py in a throw-away MEYDAN_VAR_DIR (after `meydan migrate` and
`meydan site add`); writes the idmap (thread -> Meydan ids by dataset idx) as JSON.

    MEYDAN_VAR_DIR=... .venv/bin/python bench/meydan_load.py SITE DATASET IDMAP [THREAD ...]
"""

import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meydan.settings")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django  # noqa: E402

django.setup()

from django.db import transaction  # noqa: E402

from meydan.comments import services  # noqa: E402
from meydan.sites.models import Site  # noqa: E402


def load(site_slug: str, dataset: str, idmap_path: str, only: set[str] | None) -> None:
    threads: dict[str, list[dict]] = {}
    with open(dataset, encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if only is None or row["thread"] in only:
                threads.setdefault(row["thread"], []).append(row)

    site = Site.objects.get(slug=site_slug)
    # Isso's bench config has require-email = false, and a third of the dataset's
    # authors give no email: the bench site asks for neither (a per-site policy).
    site.require_name_email = False
    # One response must hold a whole 100-comment thread (as Isso's does): the
    # page size must cover the largest number of top-level comments of an article.
    widest = max(
        sum(1 for c in rows if c["parent_idx"] is None)
        for uri, rows in threads.items()
        if uri != "/big"
    )
    if site.page_size < widest:
        site.page_size = widest
    site.save()

    started = time.perf_counter()
    idmap: dict[str, list[int]] = {}
    done = 0
    for uri, rows in threads.items():
        thread = services.thread_get_or_create(site=site, key=uri, url=uri, title=rows[0]["title"])
        ids: list[int] = []
        with transaction.atomic():  # one commit per thread; each comment is its own savepoint
            for row in rows:
                parent = ids[row["parent_idx"]] if row["parent_idx"] is not None else None
                result = services.comment_post(
                    thread=thread,
                    author=services.Author(
                        name=row["author"], email=row["email"] or "", url=row["website"] or ""
                    ),
                    body=row["text"],
                    parent_id=parent,
                    ip=row["ip"],
                    moderate=False,
                    channel="command",
                )
                ids.append(result.comment.pk)
        idmap[uri] = ids
        done += len(rows)
        if len(idmap) % 50 == 0:
            print(f"  meydan: loaded {done} comments", flush=True)
    elapsed = time.perf_counter() - started
    with open(idmap_path, "w") as fh:
        json.dump(idmap, fh)
    print(
        f"  meydan: {done} comments in {len(idmap)} threads through comment_post in "
        f"{elapsed:.1f} s ({done / elapsed:.0f}/s); site page_size={site.page_size}, "
        f"max_depth={site.max_depth}",
        flush=True,
    )


if __name__ == "__main__":
    slug, dataset_path, idmap_file, *subset = sys.argv[1:]
    load(slug, dataset_path, idmap_file, set(subset) or None)
