"""Presentation helpers shared by every screen: money, ratios, status badges."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django import template
from django.utils.html import format_html

from riskcomp import labels

register = template.Library()

CENT = Decimal("0.01")


def _group(value: Decimal) -> str:
    q = value.quantize(CENT, rounding=ROUND_HALF_UP)
    sign = "-" if q < 0 else ""
    whole, frac = f"{abs(q):.2f}".split(".")
    groups: list[str] = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return f"{sign}{','.join(groups)}.{frac}"


@register.filter
def cny(value: Any) -> str:
    """¥1,234,567.89 — CNY with thousands separators, never through float."""
    if value is None or value == "":
        return "—"
    try:
        d = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    text = _group(d)
    return f"-¥{text[1:]}" if text.startswith("-") else f"¥{text}"


@register.filter
def money(value: Any) -> str:
    """1,234,567.89 without the currency sign, for table columns headed in CNY."""
    if value is None or value == "":
        return "—"
    try:
        return _group(value if isinstance(value, Decimal) else Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return str(value)


@register.filter
def pct(value: Any) -> str:
    """A ratio stored as 0.4000 shown as 40%; a computed one to two decimals (9.82%)."""
    if value is None or value == "":
        return "—"
    d = (Decimal(str(value)) * 100).quantize(Decimal("0.01"), ROUND_HALF_UP).normalize()
    return f"{d:f}%"


BADGE_TONES = {
    "submitted": "info", "supplement": "warn", "passed": "info", "rejected": "danger",
    "proposed": "info", "confirmed": "ok", "bureau_rejected": "danger", "paid": "ok",
    "written_off": "muted", "active": "ok", "settled": "muted", "claimed": "warn",
    "closed": "muted", "suspended": "danger", "running": "ok", "expired": "muted",
    "terminated": "danger", "done": "ok", "failed": "danger", "pending": "info",
    "MICRO": "scheme-micro", "TECH": "scheme-tech",
}


@register.simple_tag
def badge(value: Any, label: Any = None) -> str:
    tone = BADGE_TONES.get(str(value), "muted")
    return format_html('<span class="badge badge-{}">{}</span>', tone,
                       label if label is not None else value)


@register.simple_tag(takes_context=True)
def page_url(context: dict[str, Any], page: int) -> str:
    listing = context["listing"]
    return f"?{listing.params}&page={page}" if listing.params else f"?page={page}"


# Codes as an official reads them (riskcomp.labels): {% badge c.scheme c.scheme|scheme %},
# {{ filing.quarter|quarter }}, {{ rv.reason_code|reason }}, {{ proposal.number|readable }}.
register.filter("scheme", labels.scheme_short)
register.filter("scheme_name", labels.scheme_name)
register.filter("quarter", labels.quarter_label)
register.filter("file_type", labels.file_type_label)
register.filter("reason", labels.reason_label)
register.filter("readable", labels.readable)
register.filter("person", labels.person_name)
