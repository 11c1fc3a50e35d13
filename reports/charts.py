"""Small SVG charts for the reports, drawn on the server (no JavaScript, no float in the data:
values are Decimal and only the drawing coordinates are computed in floating point).

Amounts are shown in 万元 (ten thousand yuan), the unit Chinese fund reports use for trends."""

from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _

WAN = Decimal(10000)
WIDTH, HEIGHT = 640, 250
LEFT, RIGHT, TOP, BOTTOM = 64, 12, 30, 34
PALETTE = ("#2f5d8a", "#c0703a", "#5b8f4e", "#8a5a9e")
FONT = "Noto Sans CJK SC"


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[Decimal, ...]


@dataclass(frozen=True)
class Chart:
    """``kind``: ``stacked`` or ``grouped`` bars, or a ``line``; one value per label. Values are
    yuan shown in 万元, unless ``unit`` names another unit (户, 天, %) shown as the values are."""

    key: str
    title: str
    labels: tuple[str, ...]
    series: tuple[Series, ...]
    kind: str = "grouped"
    unit: str = ""

    @property
    def is_empty(self) -> bool:
        return not any(v for s in self.series for v in s.values)


def _nice_ceiling(value: Decimal) -> Decimal:
    """The smallest 1, 2, 2.5 or 5 × 10^n at or above ``value`` (for the axis' top)."""
    if value <= 0:
        return Decimal(1)
    exponent = value.adjusted()
    for step in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10)):
        top = step.scaleb(exponent)
        if top >= value:
            return top
    return Decimal(10).scaleb(exponent)  # pragma: no cover - the loop always returns


def _wan(value: Decimal) -> str:
    text = f"{(value / WAN).quantize(Decimal('0.01'), rounding=ROUND_CEILING):,.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _plain(value: Decimal) -> str:
    text = f"{value.quantize(Decimal('0.01'), rounding=ROUND_CEILING):,.2f}"
    return text.rstrip("0").rstrip(".")


def _bounds(chart: Chart) -> tuple[Decimal, Decimal]:
    if chart.kind == "stacked":
        highs = [sum((s.values[i] for s in chart.series), Decimal(0))
                 for i in range(len(chart.labels))]
        lows = [Decimal(0)]
    else:
        highs = [v for s in chart.series for v in s.values]
        lows = [min([Decimal(0), *highs])]
    high = max([Decimal(0), *highs])
    low = min(lows)
    top = _nice_ceiling(high) if high > 0 else Decimal(0)
    bottom = -_nice_ceiling(-low) if low < 0 else Decimal(0)
    if top == bottom:
        top = Decimal(1) if chart.unit else WAN
    return bottom, top


def chart_svg(chart: Chart) -> str:
    """The chart as an inline ``<svg>`` element (text in the CJK font the PDF embeds)."""
    bottom, top = _bounds(chart)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    span = top - bottom

    def y(value: Decimal) -> float:
        return TOP + plot_h * float((top - value) / span)

    unit = _("单位：%(unit)s") % {"unit": chart.unit or _("万元")}
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
             f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="{FONT}" font-size="10">']
    parts.append(f'<text x="{LEFT}" y="14" font-size="9" fill="#555">'
                 f'{escape(unit)}</text>')
    tick = _plain if chart.unit else _wan
    for i in range(6):
        value = bottom + span * i / 5
        yy = y(value)
        parts.append(f'<line x1="{LEFT}" y1="{yy:.1f}" x2="{WIDTH - RIGHT}" y2="{yy:.1f}" '
                     f'stroke="{"#888" if value == 0 else "#ddd"}" stroke-width="0.6"/>')
        parts.append(f'<text x="{LEFT - 4}" y="{yy + 3:.1f}" text-anchor="end" fill="#444">'
                     f'{tick(value)}</text>')
    n = max(len(chart.labels), 1)
    slot = plot_w / n
    for i, label in enumerate(chart.labels):
        parts.append(f'<text x="{LEFT + slot * (i + 0.5):.1f}" y="{HEIGHT - BOTTOM + 13}" '
                     f'text-anchor="middle" fill="#444">{escape(label)}</text>')
    if chart.kind == "line":
        for k, series in enumerate(chart.series):
            colour = PALETTE[k % len(PALETTE)]
            points = " ".join(f"{LEFT + slot * (i + 0.5):.1f},{y(v):.1f}"
                              for i, v in enumerate(series.values))
            parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" '
                         f'stroke-width="1.8"/>')
            for i, v in enumerate(series.values):
                parts.append(f'<circle cx="{LEFT + slot * (i + 0.5):.1f}" cy="{y(v):.1f}" '
                             f'r="2.4" fill="{colour}"/>')
    else:
        groups = 1 if chart.kind == "stacked" else max(len(chart.series), 1)
        bar = slot * 0.7 / groups
        for i in range(len(chart.labels)):
            base = Decimal(0)
            for k, series in enumerate(chart.series):
                value = series.values[i]
                colour = PALETTE[k % len(PALETTE)]
                if chart.kind == "stacked":
                    x = LEFT + slot * i + slot * 0.15
                    y0, y1 = y(base + value), y(base)
                    base += value
                else:
                    x = LEFT + slot * i + slot * 0.15 + bar * k
                    y0, y1 = sorted((y(value), y(Decimal(0))))
                if y1 - y0 > 0:
                    parts.append(f'<rect x="{x:.1f}" y="{y0:.1f}" width="{bar:.1f}" '
                                 f'height="{y1 - y0:.1f}" fill="{colour}"/>')
    legend_x = WIDTH - RIGHT
    for k, series in reversed(list(enumerate(chart.series))):
        legend_x -= 14 + 10 * len(series.name) + 10
        parts.append(f'<rect x="{legend_x}" y="6" width="10" height="10" '
                     f'fill="{PALETTE[k % len(PALETTE)]}"/>')
        parts.append(f'<text x="{legend_x + 14}" y="15" fill="#333">'
                     f'{escape(series.name)}</text>')
    parts.append("</svg>")
    return "".join(parts)
