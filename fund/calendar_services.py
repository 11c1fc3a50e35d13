"""Writes of the holiday schedule: one service enters a year's whole schedule and recomputes
every stored deadline it changes, in one transaction."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from riskcomp.audit import audit_bulk_created, audit_context
from riskcomp.policy.holidays import HolidaySchedule

from .calendar_hooks import deadline_notifiers, deadline_sources
from .calendar_selectors import (
    DeadlineChange,
    deadline_changes,
    package_calendar,
)
from .models import CalendarDay, CalendarYear
from .selectors import policy_context

SOURCE_MAX = cast(int, CalendarYear._meta.get_field("source").max_length)  # a CharField: always set


@dataclass(frozen=True)
class ScheduleEntered:
    calendar_year: CalendarYear
    changes: Sequence[DeadlineChange]
    notified: int


def _refuse(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: [ValidationError(message, code=code)]})


@transaction.atomic
def calendar_year_enter(*, schedule: HolidaySchedule, source: str, override_confirmed: bool,
                        actor: Any) -> ScheduleEntered:
    """Enter ``schedule`` as its year's holidays and make-up working days, replacing what was
    entered for the year, and register the year as known: both or neither. Then every stored
    deadline the new calendar gives otherwise (empty ones computed while the year was unknown,
    and any that differ) is recomputed and audited, and each bank concerned is told.

    A year the ``chinesecalendar`` package already covers is replaced only when
    ``override_confirmed`` (the entered schedule then governs that year instead)."""
    year = schedule.year
    source = source.strip()
    if not source:
        raise _refuse("source", _(
            "请填写依据文件（如国务院办公厅关于%(y)s年部分节假日安排的通知）。") % {"y": year},
            "source_missing")
    if len(source) > SOURCE_MAX:
        raise _refuse("source", _("依据文件不超过%(n)s个字。") % {"n": SOURCE_MAX},
                      "source_too_long")
    if not schedule.holidays:
        raise _refuse("holidays", _("请录入该年度的法定节假日。"), "no_holidays")
    if package_calendar().knows_year(year) and not override_confirmed:
        raise _refuse("override_confirmed", _(
            "%(y)s年的节假日安排平台已内置；确需以录入的安排替代，请勾选确认。") % {"y": year},
            "override_unconfirmed")
    reason = _("录入%(y)s年节假日安排（%(source)s）") % {"y": year, "source": source}
    with audit_context(actor=actor, reason=reason):
        entry = CalendarYear.objects.select_for_update().filter(year=year).first()
        if entry is None:
            try:
                with transaction.atomic():
                    entry = CalendarYear.objects.create(year=year, source=source,
                                                        entered_by=actor)
            except IntegrityError:  # entered at the same moment by someone else
                raise _refuse("source", _("%(y)s年的安排刚由他人保存，请刷新页面后核对。")
                              % {"y": year}, "entered_concurrently") from None
        else:
            entry.source, entry.entered_by = source, actor
            entry.save(update_fields=["source", "entered_by"])
        _replace_days(schedule)
        ctx = policy_context()
        changes = deadline_changes(year=year, params=ctx.params, calendar=ctx.calendar)
        _apply(changes, actor=actor, reason=reason)
    key = f"calendar:{year}:{timezone.now().strftime('%Y%m%d%H%M%S%f')}"
    notified = sum(notifier(year, changes, key) for notifier in deadline_notifiers())
    return ScheduleEntered(calendar_year=entry, changes=changes, notified=notified)


def _replace_days(schedule: HolidaySchedule) -> None:
    """The year's stored days become the schedule's: removed, changed and added one by one in
    the trail (a row's save and delete are audited by their signals)."""
    wanted, notes = schedule.overrides(), schedule.notes()
    existing = {d.date: d for d in CalendarDay.objects.select_for_update()
                .filter(date__year=schedule.year)}
    for day, row in existing.items():
        if day not in wanted:
            row.delete()
        elif (row.is_workday, row.note) != (wanted[day], notes[day]):
            row.is_workday, row.note = wanted[day], notes[day]
            row.save(update_fields=["is_workday", "note"])
    fresh = CalendarDay.objects.bulk_create(
        [CalendarDay(date=day, is_workday=working, note=notes[day])
         for day, working in sorted(wanted.items()) if day not in existing])
    audit_bulk_created(fresh)


def _apply(changes: Sequence[DeadlineChange], *, actor: Any, reason: str) -> None:
    """Write the recomputed deadlines, each source its own fields, one trail entry per record
    changed."""
    for source in deadline_sources():
        own = [c for c in changes if c.field in source.fields]
        if own:
            source.apply(own, actor=actor, reason=reason)
