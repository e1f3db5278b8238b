"""Charts drawn on the server as SVG (no chart library, nothing from a CDN): each is
shown beside its data table, for screen readers and print (docs/users/km-team.md).

Pure functions: labels and values in, SVG text out (every label escaped).
"""

from __future__ import annotations

from html import escape

from ..thai_dates import thai_digits


def _num(value: float, digits: str) -> str:
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    return thai_digits(text) if digits == "thai" else text


def bar_chart(title: str, labels: list[str], values: list[float], digits: str = "arabic",
              width: int = 560, height: int = 260) -> str:
    """Vertical bars, one per label (months), with the value over each bar."""
    n = max(len(values), 1)
    top = max([*values, 1])
    left, bottom, gap = 8, 40, 6
    bar = (width - 2 * left) / n
    parts = [(f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
             f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'),
             f'<line x1="{left}" y1="{height - bottom}" x2="{width - left}" y2="{height - bottom}" class="axis"/>']
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        h = (height - bottom - 24) * value / top
        x = left + i * bar + gap / 2
        y = height - bottom - h
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar - gap:.1f}" height="{h:.1f}" class="bar"/>')
        parts.append(f'<text x="{x + (bar - gap) / 2:.1f}" y="{y - 4:.1f}" class="value">{_num(value, digits)}</text>')
        parts.append(f'<text x="{x + (bar - gap) / 2:.1f}" y="{height - bottom + 16}" class="label">{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def hbar_chart(title: str, labels: list[str], values: list[float], digits: str = "arabic",
               width: int = 560, row: int = 30) -> str:
    """Horizontal bars, one per label (units), the label on the left."""
    top = max([*values, 1])
    label_w, pad = 230, 8
    height = max(row * len(values), row) + 2 * pad
    parts = [(f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
             f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>')]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = pad + i * row
        w = (width - label_w - 60) * value / top
        short = label if len(label) <= 24 else label[:23] + "…"
        parts.append(f'<text x="{label_w - 6}" y="{y + row * 0.65:.1f}" class="label end">{escape(short or "ไม่ระบุ")}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" class="bar"/>')
        parts.append(f'<text x="{label_w + w + 4:.1f}" y="{y + row * 0.65:.1f}" class="value start">{_num(value, digits)}</text>')
    parts.append("</svg>")
    return "".join(parts)
