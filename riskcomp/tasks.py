"""Housekeeping jobs of the portal itself."""

from celery import shared_task

from accounts.security import PENDING_DIR, PENDING_POST_MAX_AGE

from .held_uploads import sweep_held_files


@shared_task(name="riskcomp.tasks.sweep_held_files", acks_late=True)
def sweep_held_files_task() -> int:
    # The held claim uploads, and the forms kept across a password check.
    return sweep_held_files(also=((PENDING_DIR, PENDING_POST_MAX_AGE),))
