"""Server-rendered SVG charts: no JavaScript, readable without a network, printable.

Every piece of text is escaped; the pages embed the SVG inline as trusted markup.
"""

from __future__ import annotations

from html import escape

from markupsafe import Markup

BRAND = "#b3261e"
INK = "#1d1d1f"
MUTED = "#6b6b70"
FONT = 'font-family="PingFang SC, Microsoft YaHei, WenQuanYi Zen Hei, sans-serif"'


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bar_chart(
    items: list[tuple[str, int]], *, title: str, chart_id: str, width: int = 360
) -> Markup:
    """Horizontal bars, one per item, labelled with the item and its count."""
    row, top, label_w, count_w = 24, 6, 120, 48
    height = top * 2 + row * max(len(items), 1)
    peak = max((n for _, n in items), default=0) or 1
    bar_room = width - label_w - count_w
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{escape(chart_id)}" class="chart" '
        f'role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}" {FONT} '
        f'font-size="13"><title>{escape(title)}</title>'
    ]
    for i, (label, n) in enumerate(items):
        y = top + i * row
        w = round(bar_room * n / peak)
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 17}" text-anchor="end" fill="{INK}">'
            f"<title>{escape(label)}</title>{escape(_short(label, 9))}</text>"
            f'<rect x="{label_w}" y="{y + 3}" width="{max(w, 1)}" height="{row - 6}" '
            f'fill="{BRAND}" data-label="{escape(label)}" data-count="{n}"/>'
            f'<text x="{label_w + w + 4}" y="{y + 17}" fill="{MUTED}">{n}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text above is escaped)


def column_chart(
    items: list[tuple[str, int]], *, title: str, chart_id: str, width: int = 640, height: int = 200
) -> Markup:
    """Vertical columns in order (months), with every few labels on the axis."""
    left, bottom, top = 36, 24, 10
    plot_w, plot_h = width - left - 8, height - bottom - top
    peak = max((n for _, n in items), default=0) or 1
    step = plot_w / max(len(items), 1)
    every = max(1, round(len(items) / 8))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{escape(chart_id)}" class="chart" '
        f'role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}" {FONT} '
        f'font-size="11"><title>{escape(title)}</title>'
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 8}" y2="{top + plot_h}" '
        f'stroke="{MUTED}"/>'
        f'<text x="{left - 4}" y="{top + 8}" text-anchor="end" fill="{MUTED}">{peak}</text>'
        f'<text x="{left - 4}" y="{top + plot_h}" text-anchor="end" fill="{MUTED}">0</text>'
    ]
    for i, (label, n) in enumerate(items):
        h = round(plot_h * n / peak)
        x = left + i * step
        parts.append(
            f'<rect x="{x + 1:.1f}" y="{top + plot_h - h}" width="{max(step - 2, 1):.1f}" '
            f'height="{h}" fill="{BRAND}" data-label="{escape(label)}" data-count="{n}">'
            f"<title>{escape(label)}: {n}</title></rect>"
        )
        if i % every == 0:
            parts.append(
                f'<text x="{x + step / 2:.1f}" y="{height - 8}" text-anchor="middle" '
                f'fill="{MUTED}">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text above is escaped)
