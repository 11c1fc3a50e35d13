"""Housekeeping jobs of the portal itself."""

from celery import shared_task

from .held_uploads import sweep_held_files


@shared_task(name="riskcomp.tasks.sweep_held_files", acks_late=True)
def sweep_held_files_task() -> int:
    return sweep_held_files()
