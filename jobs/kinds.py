"""What the job machinery needs to know of each kind of work: the task that does it, what the
work's own record shows when the job is given up or submitted again, and who may see it. The
records (an import batch, a report version) keep their own status for their screens; these
functions keep the two in step. Each app that queues jobs registers its kinds from its
``AppConfig.ready()`` (``loans/job_kinds.py``, ``reports/job_kinds.py``): the jobs app sits below
them and does not import them."""

from collections.abc import Callable
from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import Any

from django.db.models import Q, QuerySet

from .models import Job


@dataclass(frozen=True)
class JobKind:
    # The Celery task's dotted path (also its name): record id (and actor id), then job_id.
    task: str
    with_actor: bool
    give_up: Callable[[int, str], None]  # mark the record failed with this message
    reset: Callable[[int], bool]  # put a failed record back in its queued state; False: cannot
    failure: Callable[[int], str]  # after a run: the record's failure message, "" when it is fine
    url: Callable[[int], str]
    # The ids of this kind's records a bank officer may see (their banks' records); None: bank
    # officers see no job of this kind.
    visible_ids: Callable[[Any], QuerySet[Any]] | None = None


# Filled by the apps' ready(); read at run time, so lookups see every registered kind.
KINDS: dict[str, JobKind] = {}


def register_kind(kind: str, job_kind: JobKind) -> None:
    """Adds a kind of work to the registry. A kind is one of ``Job.Kind``; registering the same
    entry again is harmless, another entry for a registered kind is a wiring mistake."""
    if kind not in Job.Kind.values:
        raise ValueError(f"unknown job kind {kind!r}")
    existing = KINDS.get(kind)
    if existing is not None and existing != job_kind:
        raise ValueError(f"job kind {kind!r} is already registered")
    KINDS[kind] = job_kind


def jobs_visible_to(user: Any, jobs: QuerySet[Job]) -> QuerySet[Job]:
    """The custodian's reviewers and the administrator see every job; a bank officer sees the
    jobs of the records of the banks they act for (for the kinds that say which); nobody else
    any."""
    from accounts.roles import Role, role_of

    role = role_of(user)
    if role in (Role.ADMIN, Role.REVIEWER):
        return jobs
    if role != Role.BANK_OFFICER:
        return jobs.none()
    # Kinds sharing one visibility rule (an import's validation and commit) share one subquery.
    by_rule: dict[Callable[[Any], QuerySet[Any]], list[str]] = {}
    for kind, job_kind in KINDS.items():
        if job_kind.visible_ids is not None:
            by_rule.setdefault(job_kind.visible_ids, []).append(kind)
    if not by_rule:
        return jobs.none()
    return jobs.filter(reduce(or_, (Q(kind__in=kinds, object_id__in=rule(user))
                                    for rule, kinds in by_rule.items())))
