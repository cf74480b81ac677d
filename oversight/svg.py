"""Small server-made SVG charts: no JavaScript, readable by screen readers (a title and a
table-like description), sharp at any size."""

from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _


def bar_chart(
    points: list[tuple[str, int]],
    *,
    title: str,
    width: int = 560,
    height: int = 140,
    colour: str = "#417690",
) -> str:
    """Vertical bars, one per (label, value)."""
    if not points:
        return format_html("<p>{}</p>", _("%(chart)s: no data yet.") % {"chart": title})
    top = max(value for _, value in points) or 1
    step = width / len(points)
    bars = []
    for i, (label, value) in enumerate(points):
        bar_height = (height - 20) * value / top
        bars.append(
            f'<rect x="{i * step + 1:.1f}" y="{height - 16 - bar_height:.1f}" '
            f'width="{max(step - 2, 1):.1f}" height="{bar_height:.1f}" fill="{colour}">'
            f"<title>{escape(label)}: {value:,}</title></rect>"
        )
    first, last = escape(points[0][0]), escape(points[-1][0])
    summary = escape(", ".join(f"{label}: {value:,}" for label, value in points))
    return mark_safe(  # noqa: S308 - every interpolated text above is escaped
        f'<svg role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title><desc>{summary}</desc>'
        + "".join(bars)
        + f'<text x="0" y="{height - 2}" font-size="10">{first}</text>'
        f'<text x="{width}" y="{height - 2}" font-size="10" text-anchor="end">{last}</text>'
        "</svg>"
    )


def line_chart(
    points: list[tuple[str, int]],
    *,
    title: str,
    ceiling: int | None = None,
    width: int = 560,
    height: int = 140,
) -> str:
    """A line (e.g. money committed over time), with an optional ceiling (the budget)."""
    if not points:
        return format_html("<p>{}</p>", _("%(chart)s: no data yet.") % {"chart": title})
    top = max([value for _, value in points] + [ceiling or 0]) or 1
    step = width / max(len(points) - 1, 1)

    def y(value: int) -> float:
        return height - 16 - (height - 24) * value / top

    path = " ".join(f"{i * step:.1f},{y(value):.1f}" for i, (_, value) in enumerate(points))
    ceiling_line = (
        f'<line x1="0" x2="{width}" y1="{y(ceiling):.1f}" y2="{y(ceiling):.1f}" '
        f'stroke="#ba2121" stroke-dasharray="4 3"><title>budget {ceiling:,}</title></line>'
        if ceiling
        else ""
    )
    summary = escape(", ".join(f"{label}: {value:,}" for label, value in points))
    return mark_safe(  # noqa: S308 - every interpolated text above is escaped
        f'<svg role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title><desc>{summary}</desc>'
        f'{ceiling_line}<polyline fill="none" stroke="#417690" stroke-width="2" '
        f'points="{path}"/>'
        f'<text x="0" y="{height - 2}" font-size="10">{escape(points[0][0])}</text>'
        f'<text x="{width}" y="{height - 2}" font-size="10" text-anchor="end">'
        f"{escape(points[-1][0])}</text></svg>"
    )
