"""The port through which other apps' copies of a comment are erased with it.

An app that keeps a copy of a comment's text or author elsewhere (moderation keeps
audit snapshots, readers' reports and the spam filter's memory) registers a scrubber
here from its AppConfig.ready(). services.removal.comment_erase calls every scrubber
inside its own transaction, before the row is wiped: a copy is gone exactly when the
comment is, and a crash between the two cannot leave one behind. (The comment_erased
event, sent after commit, is for fan-out; a copy wiped there could outlive a crash.)

A scrubber is `scrub(comment, *, text: bool) -> None`: forget the author's identity
held for `comment`, and its text too when `text` is True. It must not raise for a
comment it holds nothing about.
"""

from collections.abc import Callable

Scrubber = Callable[..., None]

_scrubbers: dict[str, Scrubber] = {}


def register(name: str, scrubber: Scrubber) -> None:
    """Add (or, under the same name, replace) a scrubber."""
    _scrubbers[name] = scrubber


def scrub(comment, *, text: bool) -> None:
    for scrubber in _scrubbers.values():
        scrubber(comment, text=text)


def registered() -> list[str]:
    return sorted(_scrubbers)
