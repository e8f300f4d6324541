"""Tree ordering and nesting of comments (pure: no database)."""

from dataclasses import dataclass, field

SEGMENT = 6  # base-36 digits per path segment: 2,176,782,335 comments per thread
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def encode_segment(seq: int) -> str:
    if seq < 0 or seq >= 36**SEGMENT:
        raise ValueError(f"sequence number out of range: {seq}")
    out = []
    for _ in range(SEGMENT):
        seq, digit = divmod(seq, 36)
        out.append(_DIGITS[digit])
    return "".join(reversed(out))


def child_path(parent_path: str, seq: int) -> str:
    return parent_path + encode_segment(seq)


def ancestor_paths(path: str) -> list[str]:
    """Paths of all ancestors, root first (excluding `path` itself)."""
    return [path[:end] for end in range(SEGMENT, len(path), SEGMENT)]


@dataclass
class Node:
    """One row in the rendered tree; `comment` is None for a removed ancestor."""

    path: str
    depth: int
    comment: object | None = None
    has_children: bool = False
    closes: range = field(default_factory=lambda: range(0))


def flatten(comments) -> list[Node]:
    """Turn comments in tree order into rows for a nested list.

    Each row knows whether it opens a list of children and how many levels close
    after it, so a template can render nested <ol>s without recursion. A comment
    whose ancestors are not among `comments` (held, trashed) gets placeholder rows
    for them, so replies are never shown out of context.
    """
    nodes: list[Node] = []
    seen: set[str] = set()
    for comment in comments:
        for ancestor in ancestor_paths(comment.path):
            if ancestor not in seen:
                seen.add(ancestor)
                nodes.append(Node(path=ancestor, depth=len(ancestor) // SEGMENT - 1))
        seen.add(comment.path)
        nodes.append(Node(path=comment.path, depth=comment.depth, comment=comment))
    for index, node in enumerate(nodes):
        next_depth = nodes[index + 1].depth if index + 1 < len(nodes) else 0
        node.has_children = next_depth > node.depth
        node.closes = range(max(0, node.depth - next_depth))
    return nodes
