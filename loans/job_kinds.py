"""The background jobs of loan imports (validation and commit of an import batch), registered
with the jobs app from ``LoansConfig.ready()``."""

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse

from jobs.kinds import JobKind, register_kind
from jobs.models import Job

IMPORT_KINDS = (Job.Kind.IMPORT_VALIDATE, Job.Kind.IMPORT_COMMIT)


def _batch_give_up(running: tuple[str, ...]) -> Callable[[int, str], None]:
    def give_up(batch_id: int, message: str) -> None:
        from .import_services import batch_give_up

        batch_give_up(batch_id, running=running, message=message)

    return give_up


def _batch_reset(status: str) -> Callable[[int], bool]:
    def reset(batch_id: int) -> bool:
        from .import_services import batch_reset

        return batch_reset(batch_id, status=status)

    return reset


def _batch_failure(batch_id: int) -> str:
    from .models import ImportBatch

    found = (ImportBatch.objects.filter(pk=batch_id).values_list("status", "message").first())
    return (found[1] or "-") if found and found[0] == ImportBatch.Status.FAILED else ""


def _batch_url(batch_id: int) -> str:
    return reverse("loans:import_detail", args=[batch_id])


def _batch_visible_ids(user: Any) -> QuerySet[Any]:
    from .import_selectors import import_batch_list_for

    return import_batch_list_for(user=user).values("pk")


def register() -> None:
    register_kind(Job.Kind.IMPORT_VALIDATE, JobKind(
        task="loans.tasks.validate_import", with_actor=False,
        give_up=_batch_give_up(("uploaded", "validating")), reset=_batch_reset("uploaded"),
        failure=_batch_failure, url=_batch_url, visible_ids=_batch_visible_ids))
    register_kind(Job.Kind.IMPORT_COMMIT, JobKind(
        task="loans.tasks.commit_import", with_actor=True,
        give_up=_batch_give_up(("committing",)), reset=_batch_reset("committing"),
        failure=_batch_failure, url=_batch_url, visible_ids=_batch_visible_ids))
