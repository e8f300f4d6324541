"""One import: read a file in any supported format and bring its comments into a site.

How it runs:

1. The format is recognised from the content (readers' `sniff`), unless given.
2. The whole file is read once without writing anything: a malformed, truncated or
   hostile file is refused here with its line and column, and nothing of it is
   stored. This pass also counts the comments, for the progress bar.
3. The file is read again and written in chunks of up to CHUNK comments, each chunk
   in one transaction (the threads it touches, its comments, their original ids).
   A chunk is whole or absent: an import killed half-way leaves whole chunks, and
   running it again finds them by their original ids and goes on from there.

Memory stays flat: records are read as a stream, the original-id → comment map is
kept for the most recent threads only (older ones are looked up in the database),
and only replies that arrive before their parent wait in memory.

A dry run does both passes but only reads the database: it counts what would be
matched, created and skipped.
"""

import re
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from types import SimpleNamespace

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from meydan.comments import services as comment_services
from meydan.comments import validation
from meydan.comments.events import Channel
from meydan.comments.models import Comment, Thread
from meydan.comments.rendering import render_markdown
from meydan.core import sqlrows
from meydan.core.privacy import ip_hash
from meydan.core.weburl import site_path, web_url
from meydan.interchange import bodies
from meydan.interchange.models import ImportBatch, ImportedComment, ImportedThread
from meydan.interchange.readers import detect, reader_for
from meydan.interchange.records import (
    CommentRecord,
    ImportFileError,
    Skipped,
    Source,
    ThreadRecord,
)
from meydan.interchange.urlmap import UrlMap
from meydan.sites.models import Site

CHUNK = 2000
# Other systems' names for the sign-in providers Meydan knows by another id.
PROVIDER_ALIASES = {"twitter": "twitter_oauth2", "x": "twitter_oauth2", "wordpresscom": "wordpress"}
REMEMBERED = 100_000  # original ids kept in memory (older ones: one query per chunk)
BODY_MAX = 100_000  # characters; an imported comment longer than this is skipped
S = Comment.Status


@dataclass
class Report:
    format: str = ""
    source: str = ""
    read: int = 0
    threads_created: int = 0
    threads_matched: int = 0
    added: Counter = field(default_factory=Counter)  # by status
    already: int = 0  # found from an earlier import of the same source
    orphans: int = 0  # replies whose parent is not in the file: attached to the thread
    skipped: Counter = field(default_factory=Counter)  # reason → count
    cleaned: Counter = field(default_factory=Counter)  # what was changed, per field
    new_pages: list[str] = field(default_factory=list)  # first addresses with no thread
    foreign_pages: list[str] = field(default_factory=list)  # not on the site's origins
    foreign_count: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return {
            "format": self.format,
            "source": self.source,
            "read": self.read,
            "threads_created": self.threads_created,
            "threads_matched": self.threads_matched,
            "added": dict(self.added),
            "added_total": sum(self.added.values()),
            "already_imported": self.already,
            "orphans": self.orphans,
            "skipped": dict(self.skipped),
            "cleaned": dict(self.cleaned),
            "new_pages": self.new_pages,
            "foreign_pages": self.foreign_pages,
            "foreign_count": self.foreign_count,
            "seconds": round(self.seconds, 2),
        }


Progress = Callable[[int, int | None], None]
PAGES_LISTED = 20


@dataclass(slots=True)
class _Thread:
    """A thread of the file, and the thread it lands in once its first comment is
    written. Small on purpose: a big site has tens of thousands of them, kept until
    the end (a Disqus file may name a thread again anywhere)."""

    ref: str
    key: str
    url: str
    title: str
    is_open: bool | None
    thread_id: int | None = None
    resolved: bool = False
    # The comment the file pins to the top (its ref), until it is met in the file.
    pinned_ref: str | None = None


@dataclass(slots=True)
class _Ready:
    record: CommentRecord
    draft: comment_services.ImportDraft


def check(path, fmt: str | None = None) -> tuple[str, int]:
    """(format, comments in the file): the file read whole, nothing written.
    Raises ImportFileError for a file that cannot be imported."""
    fmt = fmt or detect(path)
    count = 0
    for record in reader_for(fmt).read(path):
        if isinstance(record, CommentRecord):
            count += 1
    return fmt, count


def run(
    path,
    site: Site,
    *,
    fmt: str | None = None,
    urlmap: UrlMap | None = None,
    dry_run: bool = False,
    batch: ImportBatch | None = None,
    actor=None,
    progress: Progress | None = None,
    checked: int | None = None,
) -> Report:
    """Import the file at `path` into `site` (see the module's docstring).

    `batch` records what was added (for undo); without one (a dry run) nothing is
    recorded. `checked` is the comment count of a check already made."""
    started = time.monotonic()
    # Hashed under the IP key current now, not the one of an import months ago: the
    # keys rotate and old ones are deleted (core.privacy).
    _ip_hash.cache_clear()
    fmt = fmt or detect(path)
    if checked is None:
        _, checked = check(path, fmt)
    if progress:
        progress(0, checked)
    importer = _Importer(site, fmt, urlmap or UrlMap(), dry_run, batch, actor, progress, checked)
    importer.consume(reader_for(fmt).read(path))
    importer.report.seconds = time.monotonic() - started
    return importer.report


class _Importer:
    def __init__(self, site, fmt, urlmap, dry_run, batch, actor, progress, total):
        self.site = Site.objects.get(pk=site.pk)  # its current policy
        self.fmt = fmt
        self.urlmap = urlmap
        self.dry_run = dry_run
        self.batch = batch
        self.actor = actor
        self.progress = progress
        self.total = total
        self.report = Report(format=fmt)
        self.source = fmt
        self.threads: dict[str, _Thread] = {}
        # (thread ref, original id) → comment id, most recent last.
        self.placed: OrderedDict[tuple[str, str], int] = OrderedDict()
        self.waiting: dict[tuple[str, str], list[CommentRecord]] = {}
        self.buffer: list[CommentRecord] = []
        self.fake_id = 0

    # Reading ---------------------------------------------------------------

    def consume(self, records: Iterator) -> None:
        for record in records:
            if isinstance(record, CommentRecord):
                self.report.read += 1
                self.buffer.append(record)
                if len(self.buffer) >= CHUNK:
                    self.flush()
            elif isinstance(record, ThreadRecord):
                self.threads[record.ref] = self._thread_state(record)
            elif isinstance(record, Skipped):
                self.report.skipped[record.reason] += 1
            elif isinstance(record, Source):
                self.source = f"{self.fmt}:{record.ident}"[:300]
                self.report.source = self.source
        self.flush()
        self._adopt_orphans()
        for state in self.threads.values():
            if state.pinned_ref is not None:
                self._pin_ignored(state, "a pin naming a comment not in the file")

    def _thread_state(self, record: ThreadRecord) -> _Thread:
        address = self.urlmap(record.url.strip())
        parsed = web_url(address)
        if parsed is not None:
            key, url = parsed.path, parsed.origin + parsed.path
            if not self.site.allows_origin(parsed.origin):
                self.report.foreign_count += 1
                if len(self.report.foreign_pages) < PAGES_LISTED:
                    self.report.foreign_pages.append(url)
        else:
            key = (site_path(address) or "").split("?")[0].split("#")[0]
            url = key
        if not key:
            raise ImportFileError(
                f"A thread's address cannot be read: {record.url!r}",
                code="bad_address",
                params={"value": repr(record.url)},
            )
        return _Thread(
            ref=record.ref, key=key[:500], url=url[:2000], title=record.title,
            is_open=record.is_open, pinned_ref=record.pinned_ref,
        )  # fmt: skip

    # Writing ---------------------------------------------------------------

    def flush(self) -> None:
        if not self.buffer:
            return
        records, self.buffer = self.buffer, []
        if self.dry_run:
            self._place_chunk(records)
        else:
            with transaction.atomic():
                self._place_chunk(records)
        if self.progress:
            self.progress(self.report.read, self.total)

    def _place_chunk(self, records: list[CommentRecord]) -> None:
        records = self._drop_known(self._unique(records))
        self._recall_parents(records)
        ready: list[CommentRecord] = []
        coming: set[tuple[str, str]] = set()  # earlier in this chunk: written first
        for record in records:
            if record.thread_ref not in self.threads:
                self.report.skipped["its thread is not in the file"] += 1
                continue
            parent = (record.thread_ref, record.parent_ref)
            if record.parent_ref is None or parent in self.placed or parent in coming:
                ready.append(record)
                coming.add((record.thread_ref, record.ref))
            else:  # its parent later in the file, or never
                self.waiting.setdefault(parent, []).append(record)
        self._write(ready)

    def _unique(self, records: list[CommentRecord]) -> list[CommentRecord]:
        seen: set[str] = set()
        unique = []
        for record in records:
            if record.ref in seen:
                self.report.skipped["the same id twice in the file"] += 1
                continue
            seen.add(record.ref)
            unique.append(record)
        return unique

    def _drop_known(self, records: list[CommentRecord]) -> list[CommentRecord]:
        """Records imported before (same source, same original id: an earlier import,
        or an earlier chunk of this one) are not written again; their ids are
        remembered for their replies."""
        known = dict(self._origins([r.ref for r in records], "source_id", "comment_id"))
        if not known:
            return records
        fresh = []
        for record in records:
            if record.ref in known:
                self.report.already += 1
                self._pin_met(record)  # pinned, or not, by the import that wrote it
                if known[record.ref] is not None:  # None: erased since it was imported
                    self._remember(record.thread_ref, record.ref, known[record.ref])
                self._release(record.thread_ref, record.ref)
            else:
                fresh.append(record)
        return fresh

    def _origins(self, refs, *fields) -> Iterator[tuple]:
        refs = sorted(set(refs))
        for start in range(0, len(refs), 500):
            yield from ImportedComment.objects.filter(
                site=self.site, source=self.source, source_id__in=refs[start : start + 500]
            ).values_list(*fields)

    def _recall_parents(self, records: list[CommentRecord]) -> None:
        """Parents placed by an earlier chunk or import and no longer in memory."""
        in_chunk = {(r.thread_ref, r.ref) for r in records}
        asking: dict[str, list[CommentRecord]] = {}
        for r in records:
            key = (r.thread_ref, r.parent_ref)
            if r.parent_ref is not None and key not in self.placed and key not in in_chunk:
                asking.setdefault(r.parent_ref, []).append(r)
        if not asking:
            return
        for ref, comment_id, thread_key in self._origins(
            asking, "source_id", "comment_id", "comment__thread__key"
        ):
            for record in asking[ref]:
                state = self.threads.get(record.thread_ref)
                if comment_id is not None and state is not None and state.key == thread_key:
                    self._remember(record.thread_ref, ref, comment_id)

    def _write(self, ready: list[CommentRecord]) -> None:
        """Write `ready` and the waiting replies each one frees (after their parents),
        thread by thread."""
        by_thread: dict[str, list[_Ready]] = {}
        queue = list(ready)
        while queue:
            freed: list[CommentRecord] = []
            for record in queue:
                draft = self._draft(record)
                if draft is None:  # skipped: its replies stay, without it
                    if self._pin_met(record):
                        self._pin_ignored(
                            self.threads[record.thread_ref], "a pin naming a comment not imported"
                        )
                    self._release(record.thread_ref, record.ref, orphan=True)
                    continue
                by_thread.setdefault(record.thread_ref, []).append(_Ready(record, draft))
                freed.extend(self.waiting.pop((record.thread_ref, record.ref), []))
            queue = freed
        self._resolve([self.threads[thread_ref] for thread_ref in by_thread])
        for thread_ref, items in by_thread.items():
            self._write_thread(self.threads[thread_ref], items)

    def _release(self, thread_ref: str, ref: str, *, orphan: bool = False) -> None:
        """Write the replies waiting for `ref`, now that it is stored, or (`orphan`)
        attached to the thread when it never will be."""
        children = self.waiting.pop((thread_ref, ref), [])
        if not children:
            return
        if orphan or (thread_ref, ref) not in self.placed:
            for child in children:
                child.parent_ref = None
                self.report.orphans += 1
        self._write(children)

    def _adopt_orphans(self) -> None:
        """What still waits at the end answers a comment the file does not have (or
        one skipped): it is kept, attached to its thread."""
        while self.waiting:
            # Those whose parent is not itself waiting (its descendants follow it as
            # it is written); in a cycle of parents, any one of it.
            waiting_refs = {(c.thread_ref, c.ref) for kids in self.waiting.values() for c in kids}
            roots = [key for key in self.waiting if key not in waiting_refs] or [
                next(iter(self.waiting))
            ]
            children = [child for key in roots for child in self.waiting.pop(key)]
            for child in children:
                child.parent_ref = None
                self.report.orphans += 1
            if self.dry_run:
                self._write(children)
            else:
                with transaction.atomic():
                    self._write(children)

    def _write_thread(self, state: _Thread, items: list[_Ready]) -> None:
        index_of: dict[str, int] = {}
        drafts = []
        pin_index = None
        for position, item in enumerate(items):
            if self._pin_met(item.record):
                if item.draft.status == S.APPROVED:
                    pin_index = position
                else:
                    self._pin_ignored(state, "a pin naming a comment that is not published")
            parent_ref = item.record.parent_ref
            if parent_ref is not None:
                if parent_ref in index_of:
                    item.draft.parent_index = index_of[parent_ref]
                else:
                    item.draft.parent = self.placed.get((state.ref, parent_ref))
                    if item.draft.parent is None:  # forgotten meanwhile: never expected
                        self.report.orphans += 1
            index_of[item.record.ref] = position
            drafts.append(item.draft)
            self.report.added[item.draft.status] += 1
        if self.dry_run:
            for item in items:
                self.fake_id -= 1
                self._remember(state.ref, item.record.ref, self.fake_id)
            return
        thread = self._thread(state)
        placed = comment_services.comments_import(
            thread, drafts, channel=Channel.IMPORT, actor=self.actor, batch=self.batch,
            pin_index=pin_index,
        )  # fmt: skip
        if pin_index is not None and thread.pinned_id != placed[pin_index].id:
            self._pin_ignored(state, "a pin on a thread that already has one")
        for item, where in zip(items, placed, strict=True):
            self._remember(state.ref, item.record.ref, where.id)
        if self.batch is not None:
            sqlrows.insert_many(
                ImportedComment,
                [
                    SimpleNamespace(
                        site_id=self.site.pk,
                        batch_id=self.batch.pk,
                        comment_id=where.id,
                        source=self.source,
                        source_id=item.record.ref[:200],
                    )
                    for item, where in zip(items, placed, strict=True)
                ],
            )

    def _resolve(self, states: list[_Thread]) -> None:
        """The threads the file's threads land in: the site's threads at those
        addresses, or new ones (the first time a comment of each is written)."""
        states = [state for state in states if not state.resolved]
        if not states:
            return
        keys = sorted({s.key for s in states})
        existing = set()
        for start in range(0, len(keys), 500):
            existing.update(
                Thread.objects.filter(
                    site=self.site, key__in=keys[start : start + 500]
                ).values_list("key", flat=True)
            )
        for state in states:
            state.resolved = True
            if state.key in existing:
                self.report.threads_matched += 1
            else:
                self.report.threads_created += 1
                if len(self.report.new_pages) < PAGES_LISTED:
                    self.report.new_pages.append(state.url)
        if self.dry_run:
            return
        threads = comment_services.threads_for_import(
            self.site,
            [(s.key, s.url, s.title, s.is_open) for s in states],
        )
        for state in states:
            state.thread_id = threads[state.key][0].pk
        if self.batch is not None:
            ImportedThread.objects.bulk_create(
                [
                    ImportedThread(batch=self.batch, thread=thread, created=created)
                    for thread, created in threads.values()
                ],
                ignore_conflicts=True,
            )

    def _thread(self, state: _Thread) -> Thread:
        """The thread to write into, as comments_import needs it (its id, key and site:
        the rest it reads under its lock)."""
        thread = Thread(pk=state.thread_id, site_id=self.site.pk, key=state.key)
        thread.site = self.site
        return thread

    def _pin_met(self, record: CommentRecord) -> bool:
        """Whether `record` is the comment its thread's pin names (then the pin is
        settled: applied or reported as the caller sees fit, once)."""
        state = self.threads.get(record.thread_ref)
        if state is None or state.pinned_ref is None or state.pinned_ref != record.ref:
            return False
        state.pinned_ref = None
        return True

    def _pin_ignored(self, state: _Thread, reason: str) -> None:
        state.pinned_ref = None
        self.report.skipped[reason] += 1

    def _remember(self, thread_ref: str, ref: str, comment_id: int) -> None:
        key = (thread_ref, ref)
        self.placed[key] = comment_id
        self.placed.move_to_end(key)
        if len(self.placed) > REMEMBERED:
            self.placed.popitem(last=False)

    # Cleaning --------------------------------------------------------------

    def _draft(self, record: CommentRecord) -> comment_services.ImportDraft | None:
        """The record as a comment, every field cleaned as posting cleans it; None
        (counted as skipped, with why) when there is nothing to import."""
        ready = prepare(record)
        for problem in ready.problems:
            self.report.cleaned[problem] += 1
        for note in record.notes:
            self.report.cleaned[f"note: {note}"] += 1
        if ready.skip:
            self.report.skipped[ready.skip] += 1
            return None
        created = record.created
        if timezone.is_naive(created):
            created = timezone.make_aware(created, timezone.UTC)
        return comment_services.ImportDraft(
            author_name=ready.name or "Anonymous",
            author_email=ready.email,
            author_url=ready.website,
            body=ready.body,
            body_html=ready.body_html,
            status=record.status if record.status in _STATUSES else S.PENDING,
            created=created,
            edited=record.edited,
            author_provider=PROVIDER_ALIASES.get(record.provider, record.provider)[:40],
            ip_hash=ready.ip_hash,
            reason=(f"imported from {self.fmt}" if record.reason is None else record.reason)[:200],
            vote_count=record.votes,
            picked_at=record.picked_at,
        )


@dataclass(slots=True)
class Prepared:
    """A record's fields cleaned and rendered: what needs no database. (Doing this in
    a forked reader process while the main one wrote was tried and measured: the
    records' trip through a pipe cost more than it saved, 49.6 s against 44.2 s for
    100,000 comments on two CPUs.)"""

    body: str = ""
    body_html: str = ""
    name: str = ""
    email: str = ""
    website: str = ""
    ip_hash: str = ""
    problems: tuple = ()
    skip: str = ""


def prepare(record: CommentRecord) -> Prepared:
    problems: list[str] = []
    body = bodies.to_markdown(_printable(record.body, problems, "body"), record.body_format)
    if not body.strip() and record.status != S.TRASH:  # a removed one keeps its place
        return Prepared(problems=tuple(problems), skip="empty comment")
    if len(body) > BODY_MAX:
        return Prepared(problems=tuple(problems), skip=f"longer than {BODY_MAX:,} characters")
    name, problem = _clean_name(_printable(record.name, problems, "name").strip())
    problems += [problem] if problem else []
    email, problem = _clean_email(_printable(record.email, problems, "email").strip())
    problems += [problem] if problem else []
    website, problem = _clean_website(_printable(record.url, problems, "website").strip())
    problems += [problem] if problem else []
    return Prepared(
        body=body,
        body_html=render_markdown(body),
        name=name,
        email=email,
        website=website,
        ip_hash=_ip_hash(record.ip) if record.ip else "",
        problems=tuple(problems),
    )


# The same commenters come back comment after comment: each distinct name, address,
# website and IP is checked (and hashed) once per import (`run` forgets the IPs).
_STATUSES = frozenset(S.values)
_ip_hash = lru_cache(maxsize=65536)(ip_hash)


@lru_cache(maxsize=65536)
def _clean_name(name: str) -> tuple[str, str]:
    try:
        return validation.clean_name(name, required=False), ""
    except ValidationError:
        return name[: validation.NAME_MAX], "name shortened"


@lru_cache(maxsize=65536)
def _clean_email(email: str) -> tuple[str, str]:
    if not email:
        return "", ""
    try:
        return validation.clean_email(email, required=False), ""
    except ValidationError:
        return "", "email dropped (not an address)"


@lru_cache(maxsize=65536)
def _clean_website(website: str) -> tuple[str, str]:
    if not website:
        return "", ""
    try:
        return validation.clean_website(website), ""
    except ValidationError:
        return "", "website dropped (not a web address)"


_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = {c: None for c in range(32) if c not in (9, 10, 13)} | {0x7F: None}


def _printable(value: str, problems: list, label: str) -> str:
    """Without NUL and other control characters (counted): what posting refuses, an
    import removes, as the author can no longer be asked."""
    if not value:
        return ""
    stripped = value.translate(_CONTROL)
    # Lone surrogates (invalid UTF-8 read leniently) cannot be stored.
    if _SURROGATE.search(stripped):
        stripped = stripped.encode("utf-8", "replace").decode("utf-8", "replace")
    if stripped != value:
        problems.append(f"{label}: control characters removed")
    return stripped
