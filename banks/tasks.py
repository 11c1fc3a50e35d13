from celery import shared_task

from .services import suspension_recompute


@shared_task(name="banks.tasks.recompute_suspensions", acks_late=True)
def recompute_suspensions() -> int:
    """Nightly and after every payment or return: recompute suspension states. Idempotent."""
    return len(suspension_recompute())
