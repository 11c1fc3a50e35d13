"""Reads of the background jobs, scoped to the user."""

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet

from .kinds import jobs_visible_to
from .models import Job


def job_list_for(*, user: Any) -> QuerySet[Job]:
    return jobs_visible_to(user, Job.objects.select_related("actor"))


def job_latest_for(*, kinds: Sequence[str], object_id: int) -> Job | None:
    """The newest job of a record (an import batch has a validation and a commit job)."""
    return Job.objects.filter(kind__in=kinds, object_id=object_id).order_by("-pk").first()


def job_is_unsent(job: Job) -> bool:
    """The broker did not take the job (it is down): the sweeper will send it later."""
    return Job.objects.filter(pk=job.pk, state__in=(Job.State.QUEUED, Job.State.RETRYING),
                              sent_at=None).exists()


def job_state_context(*, user: Any, kinds: Sequence[str], object_id: int) -> dict[str, Any]:
    """What a record's page shows of its newest job (``jobs/_job_state.html``): retrying,
    waiting for the broker, or failed with a "重新提交" button for those who may use it."""
    job = job_latest_for(kinds=kinds, object_id=object_id)
    can_retry = job is not None and job.state == Job.State.FAILED and \
        job_list_for(user=user).filter(pk=job.pk).exists()
    return {"job": job, "job_can_retry": can_retry}
