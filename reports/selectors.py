"""Reads of the reports: the list, one report with its versions, the periods that may be
reported on, and the annual report's due date for the home screens.

RULES.md "Reports": the custodian reports every half-year (H1 Jan–Jun, H2 Jul–Dec; MICRO Art.
10(5), TECH Art. 11(5)) and, by the end of March, on the previous year (MICRO Art. 25, TECH
Art. 25). Period labels are ``2026H1``, ``2026H2`` and ``2025``."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Min, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from fund.models import PolicyVersion
from riskcomp.policy.fund import annual_report_due as annual_report_due_on

from .models import ReportFile

Kind = ReportFile.Kind
Status = ReportFile.Status
ACTIVE_STATUSES = (Status.PENDING, Status.RUNNING)
# The kinds a reviewer generates here; proposals have their own PDF on the proposal page.
GENERATED_KINDS = (Kind.SEMIANNUAL, Kind.ANNUAL, Kind.OPERATIONS)
# The yearly documents (MICRO/TECH Art. 25): the audit report and the operations report.
YEARLY_KINDS = (Kind.ANNUAL, Kind.OPERATIONS)


def report_list() -> QuerySet[ReportFile]:
    return ReportFile.objects.select_related("generated_by")


def report_versions(*, kind: str, period: str) -> QuerySet[ReportFile]:
    """Every version of one report, newest first."""
    return report_list().filter(kind=kind, period=period).order_by("-version")


def active_report(*, kind: str, period: str) -> ReportFile | None:
    """The version of ``kind``/``period`` queued or being generated, if any."""
    return (ReportFile.objects.filter(kind=kind, period=period, status__in=ACTIVE_STATUSES)
            .order_by("-version").first())


def current_report(*, kind: str, period: str) -> ReportFile | None:
    return report_list().filter(kind=kind, period=period, is_current=True).first()


def first_report_year() -> int | None:
    """The year the schemes started (the earliest policy version): nothing to report before."""
    start = PolicyVersion.objects.aggregate(start=Min("valid_from"))["start"]
    return start.year if start else None


def period_label(kind: str, year: int, half: int | None = None) -> str:
    return f"{year}H{half}" if kind == Kind.SEMIANNUAL else f"{year}"


def period_display(kind: str, period: str) -> str:
    """The period in words: 2026 年上半年, 2025 年度."""
    if kind == Kind.SEMIANNUAL and len(period) == 6:
        half = _("上半年") if period.endswith("H1") else _("下半年")
        return _("%(y)s 年%(h)s") % {"y": period[:4], "h": half}
    return _("%(y)s 年度") % {"y": period}


def closed_periods(*, today: date) -> dict[str, list[str]]:
    """Per kind, the periods that have ended by ``today`` (newest first), from the schemes'
    start: only these may be generated."""
    from . import figures  # the report content's module: loaded by the report screens only

    first = first_report_year()
    result: dict[str, list[str]] = {Kind.SEMIANNUAL: [], Kind.ANNUAL: [], Kind.OPERATIONS: []}
    if first is None:
        return result
    for year in range(today.year, first - 1, -1):
        for half in (2, 1):
            label = period_label(Kind.SEMIANNUAL, year, half)
            if figures.report_period(Kind.SEMIANNUAL, label)[1] < today:
                result[Kind.SEMIANNUAL].append(label)
        if figures.report_period(Kind.ANNUAL, str(year))[1] < today:
            for kind in YEARLY_KINDS:
                result[kind].append(str(year))
    return result


def last_closed_periods(*, today: date) -> list[tuple[str, str]]:
    """The reports due after the latest period end: the half-year that ended last (H1 after
    30 June, H2 of the past year after 31 December) and the past year's annual report. Periods
    before the schemes started are left out."""
    first = first_report_year()
    half = ((Kind.SEMIANNUAL, period_label(Kind.SEMIANNUAL, today.year, 1)) if today.month > 6
            else (Kind.SEMIANNUAL, period_label(Kind.SEMIANNUAL, today.year - 1, 2)))
    yearly = [(kind, period_label(kind, today.year - 1)) for kind in YEARLY_KINDS]
    return [(k, p) for k, p in (half, *yearly) if first is not None and int(p[:4]) >= first]


@dataclass(frozen=True)
class AnnualReportDue:
    year: int
    period: str
    due_on: date
    days_left: int
    report: ReportFile | None  # the current (issued) version
    active: ReportFile | None  # a version queued or being generated
    first_issued_on: date | None = None  # the first version's day (a later one may correct it)

    @property
    def is_overdue(self) -> bool:
        return self.report is None and self.days_left < 0

    @property
    def issued_late_by(self) -> int:
        """Days the first version came after the due date (0 when on time or not issued)."""
        if self.first_issued_on is None:
            return 0
        return max((self.first_issued_on - self.due_on).days, 0)

    @property
    def days_overdue(self) -> int:
        return -self.days_left


def annual_report_due(*, today: date) -> AnnualReportDue | None:
    """The past year's annual report: its due date (31 March) and whether it has been issued.
    None before the schemes' first full year has ended."""
    first = first_report_year()
    year = today.year - 1
    if first is None or year < first:
        return None
    period = period_label(Kind.ANNUAL, year)
    due_on = annual_report_due_on(year)
    report = current_report(kind=Kind.ANNUAL, period=period)
    first_issued = None
    if report is not None and report.finished_at is not None:
        issued_at = report.finished_at
        if report.version > 1:  # an earlier version was issued first
            issued_at = (ReportFile.objects.filter(kind=Kind.ANNUAL, period=period,
                                                   status=ReportFile.Status.DONE)
                         .aggregate(first=Min("finished_at"))["first"]) or issued_at
        first_issued = timezone.localtime(issued_at).date()
    return AnnualReportDue(
        year=year, period=period, due_on=due_on, days_left=(due_on - today).days,
        report=report, active=active_report(kind=Kind.ANNUAL, period=period),
        first_issued_on=first_issued,
    )
