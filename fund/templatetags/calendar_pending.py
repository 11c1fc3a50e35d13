"""``{% deadline_pending start %}``: in place of a deadline that waits for a year's holiday
schedule, the words saying which year it waits for (never the internal code)."""

from datetime import date
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from fund.calendar_selectors import pending_text
from fund.selectors import entered_calendar_years
from riskcomp.policy.workdays import WorkdayCalendar

register = template.Library()

_CACHE = "_calendar_known"


def _calendar(context: template.Context) -> WorkdayCalendar:
    """The years known, read once per request (a list of recoveries asks for each row)."""
    request = context.get("request")
    cal = getattr(request, _CACHE, None)
    if cal is None:
        cal = WorkdayCalendar(known_years=entered_calendar_years())
        if request is not None:
            setattr(request, _CACHE, cal)
    return cal


@register.simple_tag(takes_context=True)
def deadline_pending(context: template.Context, start: Any) -> str:
    """A badge for a working-day deadline counted from ``start`` that could not be computed."""
    year = _calendar(context).first_unknown_year(start) if isinstance(start, date) else None
    return format_html('<span class="badge badge-warn" title="{}">{}</span>',
                       _("工作日期限取决于该年度的法定节假日和调休安排，录入后自动计算。"),
                       pending_text(year))


@register.simple_tag
def year_pending(year: int | None) -> str:
    """The same words for a known year."""
    return pending_text(year)
