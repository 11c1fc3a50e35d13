"""Celery tasks of the reports, on the ``reports`` queue (``CELERY_TASK_ROUTES``): ids in,
idempotent, acknowledged late so that a worker killed mid-report leaves the task to be
redelivered (the service restarts a version it finds running)."""

from celery import shared_task

from jobs.services import job_run

from .services import report_generate, report_request_due


@shared_task(name="reports.tasks.generate_report", acks_late=True)
def generate_report(report_id: int, job_id: int | None = None) -> int | None:
    """Generate one queued report version; the id of the version finished, if this run did."""
    report = job_run(job_id, lambda: report_generate(report_id))
    return report.pk if report else None


@shared_task(name="reports.tasks.request_due_reports", acks_late=True)
def request_due_reports() -> list[int]:
    """After a period ends (beat: the first days of January and July), request the reports now
    due that have no current or queued version yet."""
    return [r.pk for r in report_request_due()]
