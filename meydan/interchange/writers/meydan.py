"""Meydan's JSON (docs/interchange-format.md): lossless, and byte-identical after
export → import into an empty database → export. One comment a line, so a diff of
two exports reads as a list of changed comments."""

import json

from meydan.interchange.readers.meydan import FORMAT_TAG, VERSION
from meydan.interchange.writers import comments_of, email_of, instance, stable_ids, threads_of, utc


def _dump(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def write(
    site, out, *, thread_key=None, only=None, email=None, extra=None, for_author=False
) -> int:
    """The site's comments (or one thread's, or `only` those matching a Q: one
    reader's download) as Meydan's JSON. `email` is written as every comment's
    author address (a reader's own download: they are all theirs); `extra` adds
    top-level members after "threads" (a reader's subscriptions). `for_author`:
    the file is for the comments' author, who sees what moderation shows them (a
    shadow-banned comment as published) and not moderators' reasons."""
    count = 0
    me = instance()

    def stable(pk: int, ids: dict[int, str]) -> str:
        """A comment's id in the file: the one it was imported with, or ours."""
        return ids.get(pk) or f"{me}-{pk}"

    out.write(
        (
            "{\n"
            f'  "format": "{FORMAT_TAG}",\n'
            f'  "version": {VERSION},\n'
            '  "source": "meydan",\n'
            f'  "site": {_dump({"key": site.slug, "name": site.name})},\n'
            '  "threads": ['
        ).encode()
    )
    first_thread = True
    for thread in threads_of(site, thread_key, only):
        ids = stable_ids(thread)
        head = {
            "key": thread.key,
            "url": thread.url or thread.key,
            "title": thread.title,
            "open": thread.is_open,
            "pinned": stable(thread.pinned_id, ids) if thread.pinned_id else None,
        }
        out.write((("\n" if first_thread else ",\n") + "    " + _dump(head)[:-1]).encode())
        out.write(b', "comments": [')
        first_thread = False
        first = True
        for comment in comments_of(thread, only):
            answered = comment.replied_to_id or comment.parent_id
            record = {
                "id": stable(comment.pk, ids),
                "parent": stable(answered, ids) if answered else None,
                "created": utc(comment.created),
                "edited": utc(comment.edited),
                "status": "approved" if for_author and comment.shadow else comment.status,
                "author": {
                    "name": comment.author_name,
                    "email": email_of(comment) if email is None else email,
                    "website": comment.author_url,
                    "provider": comment.author_provider,
                },
                "body": comment.body,
                "reason": "" if for_author else comment.moderation_reason,
                "votes": comment.vote_count,
                # When, not who: moderators' identities are not exported.
                "pick": {"at": utc(comment.picked_at or comment.created)}
                if comment.is_pick
                else None,
            }
            out.write((("\n" if first else ",\n") + "      " + _dump(record)).encode())
            first = False
            count += 1
        out.write(b"\n    ]}" if not first else b"]}")
    out.write(b"\n  ]" if not first_thread else b"]")
    for name, value in (extra or {}).items():
        out.write(f",\n  {_dump(name)}: {_dump(value)}".encode())
    out.write(b"\n}\n")
    return count
