from types import SimpleNamespace

import pytest

from meydan.comments.tree import ancestor_paths, child_path, encode_segment, flatten


def c(path, pk=None):
    return SimpleNamespace(path=path, depth=len(path) // 6 - 1, pk=pk or path)


def test_segments_sort_like_numbers():
    values = [0, 1, 9, 10, 35, 36, 1295, 1296, 36**6 - 1]
    assert sorted(encode_segment(v) for v in values) == [encode_segment(v) for v in values]
    assert len({len(encode_segment(v)) for v in values}) == 1


def test_segment_out_of_range():
    with pytest.raises(ValueError):
        encode_segment(36**6)


def test_ancestor_paths():
    path = child_path(child_path(encode_segment(1), 2), 3)
    assert ancestor_paths(path) == [path[:6], path[:12]]


def test_flatten_opens_and_closes_levels():
    a = encode_segment(1)
    b = child_path(a, 2)
    d = child_path(b, 3)
    e = encode_segment(4)
    nodes = flatten([c(a), c(b), c(d), c(e)])
    assert [(n.depth, n.has_children, len(n.closes)) for n in nodes] == [
        (0, True, 0),
        (1, True, 0),
        (2, False, 2),
        (0, False, 0),
    ]


def test_flatten_inserts_placeholder_for_missing_ancestor():
    a = encode_segment(1)
    b = child_path(a, 2)
    nodes = flatten([c(b)])
    assert [n.comment is None for n in nodes] == [True, False]
    assert nodes[0].has_children and len(nodes[1].closes) == 1
