"""moderation.charts: the SVG is well-formed XML, accessible, escaped, free of inline
style, and its shapes are proportional to the numbers."""

import xml.etree.ElementTree as ET

import pytest

from meydan.moderation.charts import Series, bar_chart, hbar_chart, line_chart, ticks

NS = {"svg": "http://www.w3.org/2000/svg"}
HOSTILE = 'Budget <script>alert("x")</script> & "cuts" \'now\''


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output, parsed to check it


def texts(root) -> list[str]:
    return [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text")]


def bars(root) -> list[ET.Element]:
    return [
        r
        for r in root.iter("{http://www.w3.org/2000/svg}rect")
        if r.find("svg:title", NS) is not None
    ]


def charts_with(text: str):
    return [
        bar_chart("b", text, [text, "2"], [Series(text, [1, 2]), Series("b", [3, 0])]),
        line_chart("l", text, [text, "2"], [Series(text, [1, None])]),
        hbar_chart("h", text, [text, "other"], [5, 2]),
    ]


@pytest.mark.parametrize("index", range(3))
def test_each_chart_is_well_formed_accessible_and_escaped(index):
    svg = charts_with(HOSTILE)[index]
    assert "<script" not in svg
    assert "&lt;script&gt;" in svg and "&amp;" in svg
    assert "style=" not in svg  # the CSP forbids inline style
    root = parse(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("role") == "img"
    title_id, desc_id = root.get("aria-labelledby").split()
    title = root.find("svg:title", NS)
    assert (title.get("id"), title.text) == (title_id, HOSTILE)
    assert root.find("svg:desc", NS).get("id") == desc_id
    # The hostile text comes back as text, never as markup.
    assert not list(root.iter("script")) and not list(root.iter("{*}script"))
    assert any(HOSTILE[:40] in t for t in texts(root))


def test_stacked_bars_are_proportional_and_stack():
    root = parse(
        bar_chart(
            "c", "Posted", ["Mon", "Tue"], [Series("published", [2, 4]), Series("held", [2, 0])]
        )
    )
    drawn = {r.find("svg:title", NS).text: r for r in bars(root)}
    assert set(drawn) == {"Mon: published 2", "Mon: held 2", "Tue: published 4"}
    h = {k: float(r.get("height")) for k, r in drawn.items()}
    assert h["Mon: published 2"] == h["Mon: held 2"] == pytest.approx(h["Tue: published 4"] / 2)
    mon_pub, mon_held = drawn["Mon: published 2"], drawn["Mon: held 2"]
    # held sits on top of published in the same column
    assert mon_pub.get("x") == mon_held.get("x")
    assert float(mon_held.get("y")) + h["Mon: held 2"] == pytest.approx(float(mon_pub.get("y")))


def test_side_by_side_bars_share_the_baseline():
    root = parse(bar_chart("c", "t", ["a"], [Series("x", [1]), Series("y", [3])], stacked=False))
    a, b = bars(root)
    assert float(a.get("y")) + float(a.get("height")) == pytest.approx(
        float(b.get("y")) + float(b.get("height"))
    )
    assert a.get("x") != b.get("x")


def test_a_missing_value_breaks_the_line():
    root = parse(line_chart("m", "Wait", list("abcde"), [Series("h", [1, 2, None, 3, 4])]))
    lines = list(root.iter("{http://www.w3.org/2000/svg}polyline"))
    assert [len(p.get("points").split()) for p in lines] == [2, 2]
    assert len(list(root.iter("{http://www.w3.org/2000/svg}circle"))) == 4


def test_empty_data_draws_an_empty_chart():
    for svg in (
        bar_chart("e", "t", ["a", "b"], [Series("x", [0, 0])]),
        line_chart("e", "t", ["a"], [Series("x", [None])]),
        hbar_chart("e", "t", [], []),
    ):
        parse(svg)


def test_long_labels_are_shortened_in_the_drawing_only():
    long = "A" * 80
    root = parse(hbar_chart("h", "t", [long], [3]))
    assert any(t.endswith("…") and len(t) == 44 for t in texts(root))
    assert root.find(".//svg:rect/svg:title", NS).text == f"{long}: 3"


@pytest.mark.parametrize(
    "top,whole,expected",
    [
        (0, True, [0, 1]),
        (3, True, [0, 1, 2, 3]),
        (7, True, [0, 2, 4, 6, 8]),
        (100, True, [0, 50, 100]),
        (2.5, False, [0, 1, 2, 3]),
        (0.3, False, [0, 0.1, 0.2, 0.30000000000000004]),
    ],
)
def test_ticks(top, whole, expected):
    assert ticks(top, whole=whole) == pytest.approx(expected)
