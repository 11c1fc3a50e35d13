"""The background job of a report version's generation, registered with the jobs app from
``ReportsConfig.ready()``. Bank officers see no report jobs."""

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from jobs.kinds import JobKind, register_kind
from jobs.models import Job


def _report_give_up(report_id: int, message: str) -> None:
    from .models import ReportFile
    from .selectors import ACTIVE_STATUSES

    ReportFile.objects.filter(pk=report_id, status__in=ACTIVE_STATUSES).update(
        status=ReportFile.Status.FAILED, finished_at=timezone.now(), error=message)


@transaction.atomic
def _report_reset(report_id: int) -> bool:
    """A failed version is generated again unless another version of the same report is queued
    or running meanwhile (the request screen refuses two at once as well)."""
    from .models import ReportFile
    from .selectors import ACTIVE_STATUSES

    report = ReportFile.objects.filter(pk=report_id).first()
    if report is None or report.status != ReportFile.Status.FAILED:
        return False
    versions = list(ReportFile.objects.select_for_update()
                    .filter(kind=report.kind, period=report.period))
    if any(v.status in ACTIVE_STATUSES for v in versions):
        return False
    return bool(ReportFile.objects.filter(pk=report_id, status=ReportFile.Status.FAILED).update(
        status=ReportFile.Status.PENDING, progress=0, error="", finished_at=None))


def _report_failure(report_id: int) -> str:
    from .models import ReportFile

    found = ReportFile.objects.filter(pk=report_id).values_list("status", "error").first()
    return (found[1] or "-") if found and found[0] == ReportFile.Status.FAILED else ""


def _report_url(report_id: int) -> str:
    return reverse("reports:report_detail", args=[report_id])


def register() -> None:
    register_kind(Job.Kind.REPORT_GENERATE, JobKind(
        task="reports.tasks.generate_report", with_actor=False,
        give_up=_report_give_up, reset=_report_reset, failure=_report_failure, url=_report_url))
