"""参数维护 → 节假日安排: the years whose holiday schedule was entered, and the screen that
enters one year's whole schedule, shows it as twelve months, previews the stored deadlines it
changes and saves both in one step. For the system administrator."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from accounts.roles import Role, role_required
from riskcomp.form_errors import service_errors_on
from riskcomp.policy.holidays import (
    HolidaySchedule,
    package_differences,
    schedule_text,
    year_grid,
)
from riskcomp.policy.workdays import WorkdayCalendar

from . import calendar_services
from .calendar_forms import FIRST_YEAR, LAST_YEAR, ScheduleForm, default_source
from .calendar_selectors import (
    PREVIEW_ROWS,
    DeadlineChange,
    calendar_years,
    deadline_changes,
    package_calendar,
    stored_schedule,
)
from .models import CalendarYear
from .selectors import calendar_years_missing, policy_context

PREVIEW, SAVE = "preview", "save"


@role_required(Role.ADMIN)
@require_safe
def calendar_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    wanted = request.GET.get("year", "").strip()
    if wanted:
        if wanted.isdigit() and FIRST_YEAR <= int(wanted) <= LAST_YEAR:
            return redirect("calendar:year", year=int(wanted))
        messages.error(request, _("请输入%(a)s至%(b)s之间的年份。") % {"a": FIRST_YEAR,
                                                                    "b": LAST_YEAR})
    package = package_calendar()
    package_years = [y for y in range(FIRST_YEAR, today.year + 3) if package.knows_year(y)]
    return render(request, "fund/calendar_list.html", {
        "years": calendar_years(),
        "missing": calendar_years_missing(today=today),
        "package_first": package_years[0] if package_years else None,
        "package_last": package_years[-1] if package_years else None,
        "next_year": today.year + 1,
    })


@role_required(Role.ADMIN)
def calendar_year(request: HttpRequest, year: int) -> HttpResponse:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Http404
    entry = CalendarYear.objects.filter(year=year).select_related("entered_by").first()
    stored = stored_schedule(year)
    changes = None
    previewed: dict[str, str] = {}
    schedule = stored
    form: ScheduleForm
    if request.method == "POST":
        form = ScheduleForm(request.POST, year=year)
        action = request.POST.get("action")
        if form.is_valid() and form.schedule is not None:
            schedule = form.schedule
            digest = form.content_digest()
            if action == SAVE and form.cleaned_data.get("digest") == digest:
                with service_errors_on(form):
                    done = calendar_services.calendar_year_enter(
                        schedule=schedule, source=form.cleaned_data["source"],
                        override_confirmed=bool(form.cleaned_data.get("override_confirmed")),
                        actor=request.user)
                    messages.success(request, _(
                        "已保存%(y)s年节假日安排；%(n)s项已存储的期限重新计算，"
                        "已通知相关银行。") % {"y": year, "n": len(done.changes)})
                    return redirect("calendar:year", year=year)
            elif action == SAVE:
                messages.warning(request, _("内容与预览不一致，请核对下面的预览后再保存。"))
            if not form.errors:
                changes = _preview_changes(year, schedule)
                previewed = {name: form.cleaned_data.get(name) or ""
                             for name in ("source", "holidays", "makeup_days")}
                if form.cleaned_data.get("override_confirmed"):
                    previewed["override_confirmed"] = "on"
                previewed["digest"] = digest
        elif form.schedule is None:
            schedule = None
    else:
        holidays, makeups = schedule_text(stored) if stored else ("", "")
        form = ScheduleForm(year=year, initial={
            "source": entry.source if entry else default_source(year),
            "holidays": holidays, "makeup_days": makeups})
    package_knows = package_calendar().knows_year(year)
    return render(request, "fund/calendar_year.html", {
        "year": year,
        "entry": entry,
        "form": form,
        "grid": year_grid(schedule) if schedule is not None else None,
        "schedule": schedule,
        "previewing": changes is not None,
        "previewed": previewed,
        "changes": (changes or [])[:PREVIEW_ROWS],
        "change_count": len(changes or []),
        "banks_concerned": len({c.bank_id for c in changes or []}),
        "package_knows": package_knows,
        "package_differences": package_differences(schedule, package_calendar())
        if package_knows and schedule is not None else [],
        "prev_year": year - 1, "next_year": year + 1,
    })


def _preview_changes(year: int, schedule: HolidaySchedule) -> list[DeadlineChange]:
    """What saving ``schedule`` would change: the calendar as it would be, without writing."""
    ctx = policy_context()
    overrides = {d: w for d, w in ctx.calendar.overrides.items() if d.year != year}
    overrides.update(schedule.overrides())
    calendar = WorkdayCalendar(overrides=overrides,
                               known_years={*ctx.calendar.known_years, year})
    return deadline_changes(year=year, params=ctx.params, calendar=calendar)

