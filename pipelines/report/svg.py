"""Inline SVG charts drawn in Python: the report works offline with no JavaScript library.

Only numbers computed here go into the markup; text (titles) is escaped."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape


def sparkline(values: Sequence[float | None], width: int = 120, height: int = 28) -> Markup:
    """A line over the months with a value (gaps where none), the last point marked."""
    known = [v for v in values if v is not None]
    if not known:
        return Markup('<span class="muted">no history</span>')
    low, high = min(known), max(known)
    span = (high - low) or 1.0
    step = (width - 4) / max(len(values) - 1, 1)

    def point(index: int, value: float) -> tuple[float, float]:
        return 2 + index * step, height - 2 - (value - low) / span * (height - 4)

    segments, current = [], []
    for index, value in enumerate(values):
        if value is None:
            if current:
                segments.append(current)
            current = []
        else:
            current.append(point(index, value))
    if current:
        segments.append(current)
    lines = "".join(
        '<polyline fill="none" stroke="#336" stroke-width="1.5" points="'
        + " ".join(f"{x:.1f},{y:.1f}" for x, y in segment)
        + '"/>'
        for segment in segments
    )
    x, y = segments[-1][-1]  # the latest month with a value
    return Markup(
        f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="12-month trend">{lines}'
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="#c60"/></svg>'
    )


def bars(items: Sequence[tuple[str, float | None]], width: int = 420) -> Markup:
    """Horizontal bars, one per labelled value (the funnel), widths relative to the largest."""
    row_height, label_width = 26, 70
    largest = max((v for _, v in items if v), default=0) or 1.0
    parts = []
    for index, (label, value) in enumerate(items):
        y = index * row_height
        length = (value or 0) / largest * (width - label_width - 80)
        shown = "-" if value is None else f"{value:,.0f}"
        parts.append(
            f'<text x="0" y="{y + 17}" font-size="13">{escape(label)}</text>'
            f'<rect x="{label_width}" y="{y + 4}" width="{length:.1f}" height="18" fill="#579"/>'
            f'<text x="{label_width + length + 6:.1f}" y="{y + 17}" font-size="13">'
            f"{escape(shown)}</text>"
        )
    height = row_height * len(items)
    return Markup(
        f'<svg class="bars" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="funnel">{"".join(parts)}</svg>'
    )
