"""The sweeper, run by beat every ``JOBS_SWEEP_SECONDS`` (60 s)."""

from celery import shared_task

from .services import job_sweep


@shared_task(name="jobs.tasks.sweep_jobs", ignore_result=True)
def sweep_jobs() -> dict[str, int]:
    """Send again the jobs the broker never received; retry or give up the jobs whose worker
    stopped beating."""
    return job_sweep()
