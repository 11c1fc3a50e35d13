"""What the job machinery needs to know of each kind of work: the task that does it, what the
work's own record shows when the job is given up or submitted again, and who may see it. The
records (an import batch, a report version) keep their own status for their screens; these
functions keep the two in step."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from .models import Job

Kind = Job.Kind


@dataclass(frozen=True)
class JobKind:
    # The Celery task's dotted path (also its name): record id (and actor id), then job_id.
    task: str
    with_actor: bool
    give_up: Callable[[int, str], None]  # mark the record failed with this message
    reset: Callable[[int], bool]  # put a failed record back in its queued state; False: cannot
    failure: Callable[[int], str]  # after a run: the record's failure message, "" when it is fine
    url: Callable[[int], str]


# --- Import batches ---------------------------------------------------------------------------

def _batch_give_up(running: tuple[str, ...]) -> Callable[[int, str], None]:
    def give_up(batch_id: int, message: str) -> None:
        from loans.import_services import batch_give_up

        batch_give_up(batch_id, running=running, message=message)

    return give_up


def _batch_reset(status: str) -> Callable[[int], bool]:
    def reset(batch_id: int) -> bool:
        from loans.import_services import batch_reset

        return batch_reset(batch_id, status=status)

    return reset


def _batch_failure(batch_id: int) -> str:
    from loans.models import ImportBatch

    found = (ImportBatch.objects.filter(pk=batch_id).values_list("status", "message").first())
    return (found[1] or "-") if found and found[0] == ImportBatch.Status.FAILED else ""


def _batch_url(batch_id: int) -> str:
    return reverse("loans:import_detail", args=[batch_id])


# --- Report versions --------------------------------------------------------------------------

def _report_give_up(report_id: int, message: str) -> None:
    from reports.models import ReportFile
    from reports.selectors import ACTIVE_STATUSES

    ReportFile.objects.filter(pk=report_id, status__in=ACTIVE_STATUSES).update(
        status=ReportFile.Status.FAILED, finished_at=timezone.now(), error=message)


@transaction.atomic
def _report_reset(report_id: int) -> bool:
    """A failed version is generated again unless another version of the same report is queued
    or running meanwhile (the request screen refuses two at once as well)."""
    from reports.models import ReportFile
    from reports.selectors import ACTIVE_STATUSES

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
    from reports.models import ReportFile

    found = ReportFile.objects.filter(pk=report_id).values_list("status", "error").first()
    return (found[1] or "-") if found and found[0] == ReportFile.Status.FAILED else ""


def _report_url(report_id: int) -> str:
    return reverse("reports:report_detail", args=[report_id])


KINDS: dict[str, JobKind] = {
    Kind.IMPORT_VALIDATE: JobKind(
        task="loans.tasks.validate_import", with_actor=False,
        give_up=_batch_give_up(("uploaded", "validating")), reset=_batch_reset("uploaded"),
        failure=_batch_failure, url=_batch_url),
    Kind.IMPORT_COMMIT: JobKind(
        task="loans.tasks.commit_import", with_actor=True,
        give_up=_batch_give_up(("committing",)), reset=_batch_reset("committing"),
        failure=_batch_failure, url=_batch_url),
    Kind.REPORT_GENERATE: JobKind(
        task="reports.tasks.generate_report", with_actor=False,
        give_up=_report_give_up, reset=_report_reset, failure=_report_failure, url=_report_url),
}
IMPORT_KINDS = (Kind.IMPORT_VALIDATE, Kind.IMPORT_COMMIT)


def jobs_visible_to(user: Any, jobs: QuerySet[Job]) -> QuerySet[Job]:
    """The custodian's reviewers and the administrator see every job; a bank officer sees the
    jobs of the import batches of the banks they act for; nobody else any."""
    from accounts.roles import Role, role_of
    from loans.import_selectors import import_batch_list_for

    role = role_of(user)
    if role in (Role.ADMIN, Role.REVIEWER):
        return jobs
    if role == Role.BANK_OFFICER:
        return jobs.filter(kind__in=IMPORT_KINDS,
                           object_id__in=import_batch_list_for(user=user).values("pk"))
    return jobs.none()
