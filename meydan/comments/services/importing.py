"""Bringing in comments another system already moderated, and taking them out again.

The importers (meydan.interchange) parse other systems' files; this is the one place
their comments become rows. It differs from posting (services.posting) in what an
import needs: many comments into one thread under one lock, with their own dates,
statuses and authors, no moderation checks and nobody notified — so it announces one
`comments_imported` per thread and batch, not a `comment_posted` per comment.
"""

from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache
from types import SimpleNamespace

from django.db import connection, transaction
from django.db.models import F, Max

from meydan.comments import caching, erasure
from meydan.comments.avatars import avatar_key
from meydan.comments.events import Channel, announce, comment_erased, comments_imported
from meydan.comments.models import Comment, Thread
from meydan.comments.reasons import Reason
from meydan.comments.services.posting import _locked_thread_state
from meydan.comments.tree import SEGMENT, child_path
from meydan.core import sealing, sqlrows

S = Comment.Status


@dataclass(slots=True)
class ImportDraft:
    """One comment to bring in, already cleaned (meydan.interchange does that).

    The comment it answers is `parent`, a stored comment's id in this thread, or
    `parent_index`, an earlier draft of the same call; neither for a top-level
    comment."""

    author_name: str
    author_email: str
    author_url: str
    body: str
    body_html: str
    status: str
    created: datetime
    parent: int | None = None
    parent_index: int | None = None
    user_id: int | None = None
    author_provider: str = ""
    edited: datetime | None = None
    ip_hash: str = ""
    reason: str = "imported"
    # Readers' up-votes, counted elsewhere (no Vote rows come with them), and when
    # an editor picked it (picked_by stays empty: who picked is not carried over).
    vote_count: int = 0
    picked_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Placed:
    """Where a draft landed: its id, and its place in the tree."""

    id: int
    path: str
    depth: int


def _stored(seen: dict, email: str) -> sealing.Stored:
    stored = seen.get(email)
    if stored is None:
        stored = seen[email] = sealing.Stored.of(email)
    return stored


def comments_import(
    thread: Thread,
    drafts: list[ImportDraft],
    *,
    channel: Channel | str = Channel.IMPORT,
    actor=None,
    batch: object = None,
    pin_index: int | None = None,
) -> list[Placed]:
    """Save `drafts` into `thread` (loaded with its site), in order, in one transaction.

    - Each draft's parent must be a stored comment of this thread or an earlier
      draft of the call (ImportDraft), else ValueError and nothing is saved.
    - A reply deeper than the site's nesting limit is attached at the limit, as
      posting does; `replied_to` keeps the comment it answered.
    - A draft with `picked_at` is an editor's pick (with no picker); the thread's
      pick count counts the published ones.
    - `pin_index` names a draft to pin to the top of the thread: pinned if it is
      published and the thread has no pinned comment (an editor's choice made here
      is kept); `thread.pinned_id` says afterwards which comment is pinned.
    - The thread's sequence, version, published count, pick count, pin and
      last-comment date move once for the whole batch (one version bump: caches
      refresh). comments_imported is announced after commit, and nothing else.
    - Returns where each draft landed, in the same order.
    """
    if not drafts:
        return []
    max_depth = thread.site.max_depth
    with transaction.atomic():
        _, last_seq = _locked_thread_state(thread)
        stored = _parents_of(thread, {d.parent for d in drafts if d.parent is not None})
        rows: list[Comment] = []
        # Per row: (answered, attached): each a stored id or an earlier row, by its
        # path for the attached one (a reply beyond the limit goes to an ancestor).
        links: list[tuple[object, str]] = []
        levels: list[int] = []
        by_path: dict[str, object] = {}
        # One seal per author, not per comment (a sealed box costs ~0.25 ms; the same
        # sealed copy for one address says no more than its hash already does).
        addresses: dict[str, sealing.Stored] = {}
        for index, draft in enumerate(drafts):
            last_seq += 1
            answered: object = None
            parent_path, parent_depth, level = "", -1, 0
            if draft.parent_index is not None:
                if not 0 <= draft.parent_index < index:
                    raise ValueError(f"draft {index}: parent_index must name an earlier draft")
                parent_row = rows[draft.parent_index]
                answered, parent_path, parent_depth = parent_row, parent_row.path, parent_row.depth
            elif draft.parent is not None:
                if draft.parent not in stored:
                    raise ValueError(f"parent {draft.parent} is not a comment of this thread")
                answered = draft.parent
                parent_path, parent_depth = stored[draft.parent]
                by_path.setdefault(parent_path, draft.parent)
            while parent_depth + 1 >= max_depth:
                parent_path, parent_depth = parent_path[:-SEGMENT], parent_depth - 1
            path = child_path(parent_path, last_seq)
            row = _row(
                thread_id=thread.pk,
                seq=last_seq,
                root_seq=int(path[:SEGMENT], 36),
                path=path,
                depth=parent_depth + 1,
                user_id=draft.user_id,
                author_name=draft.author_name,
                author_email_hash=(address := _stored(addresses, draft.author_email)).hash,
                author_email_sealed=address.sealed,
                author_url=draft.author_url,
                avatar_key=avatar_key(email=address.hash, name=draft.author_name),
                author_provider=draft.author_provider,
                body=draft.body,
                body_html=draft.body_html,
                status=draft.status,
                moderation_reason=draft.reason,
                reason_code=(why := _reason_of(draft.reason)).code,
                reason_params=why.params,
                created=draft.created,
                edited=draft.edited,
                ip_hash=draft.ip_hash,
                vote_count=draft.vote_count,
                is_pick=draft.picked_at is not None,
                picked_at=draft.picked_at,
            )
            rows.append(row)
            by_path[path] = row
            links.append((answered, parent_path))
            if isinstance(answered, SimpleNamespace):
                level = levels[draft.parent_index] + 1
            levels.append(level)
        _attach_and_insert(thread, rows, links, levels, by_path)
        published = [row.created for row in rows if row.status == S.APPROVED]
        picks = sum(1 for row in rows if row.status == S.APPROVED and row.is_pick)
        pin = None
        if pin_index is not None and rows[pin_index].status == S.APPROVED:
            pin = rows[pin_index].pk
        _thread_moved(thread, last_seq=last_seq, published=published, picks=picks, pin=pin)
        announce(
            comments_imported,
            Comment,
            thread=thread,
            comment_ids=[row.pk for row in rows],
            batch=batch,
            channel=channel,
            actor=actor,
        )
    return [Placed(row.pk, row.path, row.depth) for row in rows]


def _parents_of(thread: Thread, ids: set[int]) -> dict[int, tuple[str, int]]:
    """{id: (path, depth)} of the given comments that are in `thread`."""
    found: dict[int, tuple[str, int]] = {}
    ids_list = sorted(ids)
    for start in range(0, len(ids_list), 500):
        chunk = ids_list[start : start + 500]
        for pk, path, depth in Comment.objects.filter(thread=thread, pk__in=chunk).values_list(
            "pk", "path", "depth"
        ):
            found[pk] = (path, depth)
    return found


def _attach_and_insert(thread, rows, links, levels, by_path) -> None:
    """Insert the rows a level at a time (a row after the rows it links to, whose ids
    it needs), each level with one bulk INSERT. A capped reply's parent is the
    ancestor at the limit, found by its path among the stored comments or the rows."""
    missing = {path for _, path in links if path and path not in by_path}
    if missing:
        by_path.update(
            Comment.objects.filter(thread=thread, path__in=missing).values_list("path", "pk")
        )
    for level in range(max(levels) + 1):
        batch = []
        for row, (answered, parent_path), row_level in zip(rows, links, levels, strict=True):
            if row_level != level:
                continue
            row.replied_to_id = answered.pk if isinstance(answered, SimpleNamespace) else answered
            if parent_path:
                parent = by_path[parent_path]
                row.parent_id = parent.pk if isinstance(parent, SimpleNamespace) else parent
            batch.append(row)
        sqlrows.insert_many(Comment, batch)
        with connection.cursor() as cursor:
            cursor.execute(sqlrows.statement(_ids_sql), [thread.pk, batch[0].seq, batch[-1].seq])
            ids = dict(cursor.fetchall())
        for row in batch:
            row.pk = ids[row.seq]


def _ids_sql() -> str:
    q = sqlrows.quote
    return (
        f"SELECT {q('seq')}, {q('id')} FROM {sqlrows.table(Comment)} "  # noqa: S608 - names from the models, values as parameters
        f"WHERE {q('thread_id')} = %s AND {q('seq')} BETWEEN %s AND %s"
    )


@lru_cache(maxsize=1024)
def _reason_of(text: str) -> Reason:
    """The code and parameters of an imported comment's reason: the text an export
    kept ("held: 3 links", from this or an older version) or "imported from wxr",
    stored as it came and read once per distinct text. Shared between rows: the
    parameters are never changed in place."""
    return Reason.parse(text)


@cache
def _defaults() -> dict:
    return {f.attname: f.get_default() for f in Comment._meta.concrete_fields if not f.primary_key}


def _row(**values) -> SimpleNamespace:
    """A comment row to insert: the model's columns (defaults, then `values`), without
    building a model instance for each of a million imported comments."""
    row = SimpleNamespace(**_defaults())
    row.__dict__.update(values)
    row.pk = None
    return row


def _thread_moved(
    thread: Thread, *, last_seq: int, published: list[datetime], picks: int = 0, pin=None
) -> None:
    """The thread's sequence, version, counts, pin and last-comment date after a
    batch: one UPDATE (hand-written, see core.sqlrows: it runs for every thread of an
    import). `pin` is taken only where no comment is pinned."""
    params: list = [last_seq]
    if published:
        newest = connection.ops.adapt_datetimefield_value(max(published))
        params += [len(published), newest, newest]
    if picks:
        params.append(picks)
    if pin is not None:
        params.append(pin)
    statement = sqlrows.statement(_moved_sql, bool(published), bool(picks), pin is not None)
    with connection.cursor() as cursor:
        cursor.execute(statement, [*params, thread.pk])
    thread.last_seq = last_seq
    if pin is not None:  # the thread is locked: this is the pin now
        thread.pinned_id = (
            Thread.objects.filter(pk=thread.pk).values_list("pinned_id", flat=True).first()
        )
    page = (thread.site_id, thread.key)
    transaction.on_commit(lambda: caching.thread_state_forget([page]))


def _moved_sql(published: bool, picks: bool = False, pin: bool = False) -> str:
    q = sqlrows.quote
    sets = [f"{q('version')} = {q('version')} + 1", f"{q('last_seq')} = %s"]
    if published:
        at = q("last_comment_at")
        sets += [
            f"{q('comment_count')} = {q('comment_count')} + %s",
            f"{at} = CASE WHEN {at} IS NULL OR {at} < %s THEN %s ELSE {at} END",
        ]
    if picks:
        sets.append(f"{q('pick_count')} = {q('pick_count')} + %s")
    if pin:
        pinned = q("pinned_id")
        sets.append(f"{pinned} = CASE WHEN {pinned} IS NULL THEN %s ELSE {pinned} END")
    return f"UPDATE {sqlrows.table(Thread)} SET {', '.join(sets)} WHERE {q('id')} = %s"  # noqa: S608 - names from the models, values as parameters


def threads_for_import(site, pages: list[tuple[str, str, str, bool | None]]) -> dict:
    """{key: (thread, created)} for the pages (key, url, title, is_open) an import
    writes into: the site's threads at those keys, the missing ones created (open as
    the page was, or per the site's policy) — a query for all, not one per page."""
    keys = sorted({key for key, _, _, _ in pages})
    found = _threads_by_key(site, keys)
    missing = {key: (url, title, is_open) for key, url, title, is_open in pages if key not in found}
    if missing:
        Thread.objects.bulk_create(
            [
                Thread(
                    site=site,
                    key=key,
                    url=url or key,
                    title=title[:300],
                    is_open=site.comments_open if is_open is None else is_open,
                )
                for key, (url, title, is_open) in missing.items()
            ],
            ignore_conflicts=True,  # a reader's first comment on the page meanwhile
        )
        for key in missing:
            transaction.on_commit(lambda key=key: caching.page_state_forget(site.pk, key))
        found |= _threads_by_key(site, sorted(missing))
    result = {}
    for key, thread in found.items():
        thread.site = site
        result[key] = (thread, key in missing)
    return result


def _threads_by_key(site, keys: list[str]) -> dict:
    found = {}
    for start in range(0, len(keys), 500):
        for thread in Thread.objects.filter(site=site, key__in=keys[start : start + 500]):
            found[thread.key] = thread
    return found


def comments_unimport(
    thread: Thread,
    comment_ids: list[int],
    *,
    reason: str = "import undone",
    channel: Channel | str = Channel.IMPORT,
    actor=None,
) -> tuple[int, int]:
    """Delete imported comments of `thread` again (an import undone).

    A comment that a comment outside `comment_ids` replies to (a reader answered it
    since the import) is kept, and so are its ancestors. Every copy other apps keep
    is scrubbed (comments.erasure) in the same transaction, the thread's count and
    last-comment date are recounted, and comment_erased is announced per comment.
    Returns (deleted, kept).
    """
    wanted = set(comment_ids)
    with transaction.atomic():
        _locked_thread_state(thread)
        # The thread's rows read once (a big thread has more ids than a statement may
        # have parameters): the ones going, and the paths of the ones staying.
        rows, held_paths = [], []
        for pk, path in Comment.objects.filter(thread=thread).values_list("pk", "path"):
            if pk in wanted:
                rows.append((pk, path))
            else:
                held_paths.append(path)
        # Every ancestor of a comment that is not going keeps its place.
        keep_paths = set()
        for path in held_paths:
            for end in range(SEGMENT, len(path), SEGMENT):
                keep_paths.add(path[:end])
        going = sorted((p for p in rows if p[1] not in keep_paths), key=lambda p: -len(p[1]))
        going_ids = [pk for pk, _ in going]
        pinned = Thread.objects.filter(pk=thread.pk).values_list("pinned_id", flat=True).first()
        unpin = {"pinned": None} if pinned is not None and pinned in set(going_ids) else {}
        for start in range(0, len(going_ids), 500):
            for row in Comment.objects.filter(pk__in=going_ids[start : start + 500]):
                erasure.scrub(row, text=True)
        # Deepest first: a row goes after the replies to it.
        for start in range(0, len(going_ids), 500):
            Comment.objects.filter(pk__in=going_ids[start : start + 500]).delete()
        published = Comment.objects.filter(thread=thread, status=S.APPROVED)
        Thread.objects.filter(pk=thread.pk).update(
            **unpin,
            version=F("version") + 1,
            comment_count=published.count(),
            pick_count=published.filter(is_pick=True).count(),
            last_comment_at=published.aggregate(at=Max("created"))["at"],
        )
        page = (thread.site_id, thread.key)
        transaction.on_commit(lambda: caching.thread_state_forget([page]))
        for pk in going_ids:
            announce(
                comment_erased,
                Comment,
                comment_id=pk,
                thread_id=thread.pk,
                site_id=thread.site_id,
                text_kept=False,
                row_kept=False,
                reason=reason,
                channel=channel,
                actor=actor,
            )
    return len(going_ids), len(rows) - len(going_ids)
