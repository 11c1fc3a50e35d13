"""Celery tasks of the quarter's import: ids in, idempotent (the batch's status, taken under its
row lock, says whether there is anything left to do)."""

from celery import shared_task

from jobs.services import job_run
from riskcomp.audit import audit_context

from .import_services import import_batch_commit, import_batch_validate


@shared_task(name="loans.tasks.validate_import", acks_late=True)
def validate_import(batch_id: int, job_id: int | None = None) -> None:
    """Judge every row of an uploaded batch and store the preview."""
    job_run(job_id, lambda: import_batch_validate(batch_id))


@shared_task(name="loans.tasks.commit_import", acks_late=True)
def commit_import(batch_id: int, actor_id: int, job_id: int | None = None) -> None:
    """Write the accepted rows of a confirmed batch, in one transaction."""

    def body() -> None:
        with audit_context(actor=actor_id):  # the officer who confirmed, on every entry written
            import_batch_commit(batch_id, actor_id)

    job_run(job_id, body)
