"""A second Django process for tests/live/test_stream_server.py: it writes through the
comment services on the SQLite file the stream server reads, one command per line
on stdin ("post", "hold ID", "approve ID"), and answers each with a line."""

import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meydan.settings")
django.setup()

from meydan.comments import services  # noqa: E402
from meydan.comments.models import Comment  # noqa: E402
from meydan.sites.models import Site  # noqa: E402

site = Site.objects.create(
    name="Caspian Ledger", slug="caspian-ledger", domain="127.0.0.1",
    origins="https://blog.example.org",
)  # fmt: skip
thread = services.thread_get_or_create(site=site, key="/rally/", url="/rally/", title="Rally")
print("ready", flush=True)  # noqa: T201
for line in sys.stdin:
    command, *rest = line.split()
    if command == "post":
        result = services.comment_post(
            thread=thread,
            author=services.Author(name="Aynur", email="aynur@example.org", url=""),
            body="Thousands were there.",
            channel="api",
            moderate=False,
        )
        print(result.comment.pk, flush=True)  # noqa: T201
    else:
        status = {"hold": Comment.Status.PENDING, "approve": Comment.Status.APPROVED}[command]
        comment = Comment.objects.get(pk=int(rest[0]))
        services.comment_set_status(comment, status, channel="moderation")
        print("done", flush=True)  # noqa: T201
