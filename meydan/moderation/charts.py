"""Charts drawn on the server as SVG, for the moderators' dashboard (pure; no DB).

Hand-written rather than a charting library: the pages allow no script and no inline
style (the strict CSP, core.middleware), and three small chart shapes — bars
(stacked or side by side), lines, and horizontal bars with long labels — are about
as much code as adapting a library's output. What they promise:

- the result is one well-formed `<svg>` element, to be placed inline in a page;
  every piece of text in it (titles, labels, thread titles) is escaped here;
- `role="img"` and `aria-labelledby` naming its `<title>` and `<desc>`: a screen
  reader hears what the chart is; the numbers are in the table the page puts under
  each chart;
- colours are presentation attributes (`fill`, `stroke`), which the CSP allows;
  each series also has a class, and the stylesheet adapts text and grid lines to
  dark mode. The palette keeps 3:1 contrast against a white and a near-black page.
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Mid-tone colours: at least 3:1 against #fff and against the dark theme's #121417.
PALETTE = (
    "#3b82f6",  # blue
    "#d97706",  # amber
    "#dc2626",  # red
    "#8b5cf6",  # violet
    "#16a34a",  # green
    "#0891b2",  # teal
    "#db2777",  # pink
    "#6b7280",  # grey
)
FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"
WIDTH = 720
LEFT, RIGHT, TOP, BOTTOM = 52, 12, 34, 30


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]


def _number(value: float) -> str:
    """A coordinate: at most one decimal, no exponent."""
    return f"{value:.1f}".removesuffix(".0")


def _plain(value: float) -> str:
    return f"{value:g}" if value != int(value) else str(int(value))


def ticks(top: float, *, whole: bool = True) -> list[float]:
    """Gridline values from 0 to at least `top`: 1, 2 or 5 times a power of ten apart,
    four or five steps (whole numbers for counts)."""
    top = top if top > 0 else 1
    raw = top / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    if whole:
        step = max(1, math.ceil(step))
    return [step * i for i in range(math.ceil(top / step - 1e-9) + 1)]


def _svg(chart_id: str, title: str, desc: str, height: int, body: list[str]) -> SafeString:
    cid = escape(chart_id)
    return mark_safe(  # noqa: S308 - every text in `body` and here is escaped
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" '
        f'aria-labelledby="{cid}-title {cid}-desc" font-family="{FONT}" font-size="12">'
        f'<title id="{cid}-title">{escape(title)}</title>'
        f'<desc id="{cid}-desc">{escape(desc)}</desc>' + "".join(body) + "</svg>"
    )


def _legend(series: Sequence[Series], y: int = 14) -> list[str]:
    parts, x = [], LEFT
    for i, s in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        parts.append(
            f'<rect x="{x}" y="{y - 10}" width="12" height="12" fill="{colour}" '
            f'class="chart__s{i}"/>'
            f'<text x="{x + 16}" y="{y}" class="chart__text" fill="#222">{escape(s.name)}</text>'
        )
        x += 28 + 7 * len(s.name)
    return parts


def _y_axis(grid: list[float], plot_h: int, fmt: Callable[[float], str]) -> list[str]:
    parts, top = [], grid[-1] or 1
    for value in grid:
        y = TOP + plot_h - plot_h * value / top
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{_number(y)}" y2="{_number(y)}" '
            f'class="chart__grid" stroke="#d0d4d9" stroke-width="1"/>'
            f'<text x="{LEFT - 6}" y="{_number(y + 4)}" text-anchor="end" class="chart__text" '
            f'fill="#222">{escape(fmt(value))}</text>'
        )
    return parts


def _x_labels(labels: Sequence[str], slot: float, plot_h: int) -> list[str]:
    every = max(1, math.ceil(len(labels) * 46 / (WIDTH - LEFT - RIGHT)))
    return [
        f'<text x="{_number(LEFT + slot * (i + 0.5))}" y="{TOP + plot_h + 18}" '
        f'text-anchor="middle" class="chart__text" fill="#222">{escape(label)}</text>'
        for i, label in enumerate(labels)
        if i % every == 0
    ]


def bar_chart(
    chart_id: str,
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    desc: str = "",
    stacked: bool = True,
    height: int = 240,
    fmt: Callable[[float], str] = _plain,
) -> SafeString:
    """Vertical bars per label: the series stacked, or side by side."""
    plot_h = height - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(1, len(labels))
    columns = [[v or 0 for v in values] for values in zip(*(s.values for s in series), strict=True)]
    top = max((sum(c) if stacked else max(c, default=0)) for c in columns) if columns else 0
    grid = ticks(top)
    scale = plot_h / (grid[-1] or 1)
    body = _y_axis(grid, plot_h, fmt)
    bar_w = slot * 0.7 / (1 if stacked else max(1, len(series)))
    for i, column in enumerate(columns):
        base = TOP + plot_h
        for j, value in enumerate(column):
            if not value:
                continue
            h = value * scale
            x = LEFT + slot * i + slot * 0.15 + (0 if stacked else bar_w * j)
            y = base - h if stacked else TOP + plot_h - h
            body.append(
                f'<rect x="{_number(x)}" y="{_number(y)}" width="{_number(bar_w)}" '
                f'height="{_number(h)}" fill="{PALETTE[j % len(PALETTE)]}" class="chart__s{j}">'
                f"<title>{escape(f'{labels[i]}: {series[j].name} {fmt(value)}')}</title></rect>"
            )
            if stacked:
                base -= h
    body += _x_labels(labels, slot, plot_h) + _legend(series)
    return _svg(chart_id, title, desc, height, body)


def line_chart(
    chart_id: str,
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    desc: str = "",
    height: int = 240,
    fmt: Callable[[float], str] = _plain,
    whole: bool = True,
) -> SafeString:
    """A line per series, a dot per value; a missing value (None) breaks the line."""
    plot_h = height - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(1, len(labels))
    values = [v for s in series for v in s.values if v is not None]
    grid = ticks(max(values, default=0), whole=whole)
    scale = plot_h / (grid[-1] or 1)
    body = _y_axis(grid, plot_h, fmt)
    for j, s in enumerate(series):
        colour = PALETTE[j % len(PALETTE)]
        runs: list[list[str]] = [[]]
        for i, value in enumerate(s.values):
            if value is None:
                runs.append([])
                continue
            x, y = LEFT + slot * (i + 0.5), TOP + plot_h - value * scale
            runs[-1].append(f"{_number(x)},{_number(y)}")
            body.append(
                f'<circle cx="{_number(x)}" cy="{_number(y)}" r="3.5" fill="{colour}" '
                f'class="chart__s{j}"><title>{escape(f"{labels[i]}: {s.name} {fmt(value)}")}'
                "</title></circle>"
            )
        body += [
            f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" '
            f'stroke-width="2" class="chart__line{j}"/>'
            for run in runs
            if len(run) > 1
        ]
    body += _x_labels(labels, slot, plot_h) + _legend(series)
    return _svg(chart_id, title, desc, height, body)


def hbar_chart(
    chart_id: str,
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    *,
    desc: str = "",
    fmt: Callable[[float], str] = _plain,
    label_chars: int = 44,
) -> SafeString:
    """One horizontal bar per label (long labels, e.g. thread titles, are shortened)."""
    row, label_w = 24, 330
    height = TOP + row * max(1, len(values)) + 8
    top = ticks(max(values, default=0))[-1]
    scale = (WIDTH - RIGHT - label_w - 40) / (top or 1)
    body = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = TOP + row * i
        shown = label if len(label) <= label_chars else label[: label_chars - 1] + "…"
        w = value * scale
        body.append(
            f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end" class="chart__text" '
            f'fill="#222">{escape(shown)}</text>'
            f'<rect x="{label_w}" y="{y + 4}" width="{_number(w)}" height="{row - 8}" '
            f'fill="{PALETTE[0]}" class="chart__s0"><title>{escape(f"{label}: {fmt(value)}")}'
            "</title></rect>"
            f'<text x="{_number(label_w + w + 6)}" y="{y + 16}" class="chart__text" '
            f'fill="#222">{escape(fmt(value))}</text>'
        )
    return _svg(chart_id, title, desc, height, body)
