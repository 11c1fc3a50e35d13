"""Writes of the background jobs: submit, run (with a heartbeat), retry, and the sweeper.

A job is sent to the broker once its row is committed. When the broker cannot be reached the
row stays without ``sent_at`` and the sweeper sends it again once the broker answers. A worker
killed mid-job stops its heartbeat: after ``JOBS_STALE_SECONDS`` the sweeper sends the job
again, up to ``JOBS_MAX_ATTEMPTS`` runs, then marks it and its record failed for the user to
submit again. A job sent ``JOBS_UNSTARTED_SECONDS`` ago, never started and no longer waiting
in any queue was taken by a worker that died before running it (the broker would hand it out
again only after its 2 h visibility timeout): the sweeper sends it again. Every task body is
idempotent (its record's status, checked under a row lock, says whether anything is left to
do), and a run starts only when it claims the job's row: whichever copy of a message claims
the job first runs it, and a copy delivered later (the original, once the broker restores it)
finds the job running or finished and does nothing."""

import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from riskcomp.audit import audit_context

from . import broker
from .kinds import KINDS
from .models import LIVE_STATES, Job

logger = logging.getLogger(__name__)

State = Job.State
ERROR_MAX_CHARS = 2000


def _in_portal_language(text: Any) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return str(text)


# --- Submit and send ----------------------------------------------------------------------------

def job_submit(*, kind: str, object_id: int, actor: Any = None) -> Job:
    """Record a job for the record ``object_id`` and send it once the caller's transaction
    commits. A job still live for the same record is sent again instead of doubled."""
    job = (Job.objects.filter(kind=kind, object_id=object_id, state__in=LIVE_STATES)
           .order_by("-pk").first())
    if job is None:
        job = Job.objects.create(kind=kind, object_id=object_id,
                                 actor_id=getattr(actor, "pk", actor))
    transaction.on_commit(partial(job_send, job.pk))
    return job


def job_send(job_id: int) -> bool:
    """Hand the job to the broker; False (logged, never raised) when the broker is down: the
    row then keeps no ``sent_at`` and the sweeper sends it later."""
    job = Job.objects.filter(pk=job_id).first()
    if job is None or job.state not in LIVE_STATES:
        return False
    kind = KINDS[job.kind]
    args: list[Any] = [job.object_id, job.actor_id] if kind.with_actor else [job.object_id]
    try:
        import_string(kind.task).apply_async(args=args, kwargs={"job_id": job.pk})
    except Exception:
        logger.exception("job %s (%s #%s) could not be sent to the broker", job.pk, job.kind,
                         job.object_id)
        Job.objects.filter(pk=job_id, state__in=LIVE_STATES).update(sent_at=None)
        return False
    # An eager run (no broker configured) has finished by now: its row says so already.
    Job.objects.filter(pk=job_id, state__in=(State.QUEUED, State.RETRYING)).update(
        sent_at=timezone.now())
    return True


# --- Run ------------------------------------------------------------------------------------------

@transaction.atomic
def _claim(job_id: int) -> int | None:
    """Take the job for this run: the attempt number, or None when there is nothing to do
    (finished, given up, or being run by a live worker)."""
    job = Job.objects.select_for_update().filter(pk=job_id).first()
    if job is None or job.state not in LIVE_STATES:
        return None
    now = timezone.now()
    if job.state == State.RUNNING and job.heartbeat_at and (
            now - job.heartbeat_at).total_seconds() < settings.JOBS_STALE_SECONDS:
        return None  # a duplicate delivery: another worker is on it
    job.attempts += 1
    job.state, job.heartbeat_at, job.started_at = State.RUNNING, now, now
    job.save(update_fields=["attempts", "state", "heartbeat_at", "started_at"])
    return job.attempts


class _Heartbeat(threading.Thread):
    """Writes ``heartbeat_at`` every ``JOBS_HEARTBEAT_SECONDS`` while the job's body runs, on a
    connection of its own (the body may hold a long transaction); dies with the process."""

    def __init__(self, job_id: int, attempt: int) -> None:
        super().__init__(name=f"job-{job_id}-heartbeat", daemon=True)
        self.job_id, self.attempt, self.stopped = job_id, attempt, threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(settings.JOBS_HEARTBEAT_SECONDS):
                try:
                    Job.objects.filter(pk=self.job_id, state=State.RUNNING,
                                       attempts=self.attempt).update(heartbeat_at=timezone.now())
                except Exception:  # a busy database: the next beat tries again
                    logger.exception("job %s: heartbeat not written", self.job_id)
        finally:
            connections.close_all()

    def stop(self) -> None:
        self.stopped.set()
        self.join()


def job_run(job_id: int | None, body: Callable[[], Any]) -> Any:
    """Run a task's ``body`` as the job ``job_id``: claimed, kept alive by a heartbeat, then
    done, or failed with the record's own message. An exception the body lets out is retried
    as a lost worker is. Without a job (a message sent before jobs were recorded) the body just
    runs."""
    if job_id is None:
        return body()
    attempt = _claim(job_id)
    if attempt is None:
        return None
    heartbeat = _Heartbeat(job_id, attempt)
    heartbeat.start()
    try:
        result = body()
    except Exception as exc:
        logger.exception("job %s failed on attempt %s", job_id, attempt)
        heartbeat.stop()
        _retry_or_give_up(job_id, attempt, f"{type(exc).__name__}: {exc}")
        return None
    heartbeat.stop()
    _finish(job_id, attempt)
    return result


def _finish(job_id: int, attempt: int) -> None:
    job = Job.objects.get(pk=job_id)
    failure = KINDS[job.kind].failure(job.object_id)
    Job.objects.filter(pk=job_id, state=State.RUNNING, attempts=attempt).update(
        state=State.FAILED if failure else State.DONE, error=failure[:ERROR_MAX_CHARS],
        finished_at=timezone.now())


def _retry_or_give_up(job_id: int, attempt: int | None, error: str) -> None:
    """Send the job again, or after ``JOBS_MAX_ATTEMPTS`` runs mark it and its record failed.
    ``attempt``: only if the job is still at that run (None: whatever run it is at)."""
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.state not in LIVE_STATES or (
                attempt is not None and job.attempts != attempt):
            return
        if job.attempts < settings.JOBS_MAX_ATTEMPTS:
            job.state, job.sent_at, job.error = State.RETRYING, None, error[:ERROR_MAX_CHARS]
            job.save(update_fields=["state", "sent_at", "error"])
            transaction.on_commit(partial(job_send, job.pk))
            return
        message = _in_portal_language(_(
            "后台任务执行 %(n)s 次均未完成（%(e)s），未写入任何数据。请点击“重新提交”，"
            "或联系系统管理员。") % {"n": job.attempts, "e": error[:200]})
        job.state, job.error, job.finished_at = State.FAILED, message, timezone.now()
        job.save(update_fields=["state", "error", "finished_at"])
        KINDS[job.kind].give_up(job.object_id, message)


# --- Sweeper ------------------------------------------------------------------------------------

def job_sweep(*, now: Any = None) -> dict[str, int]:
    """The sweeper (beat, every ``JOBS_SWEEP_SECONDS``): send again the jobs the broker never
    received or a dead worker took without starting, and retry (or give up) the jobs whose
    worker stopped beating. Counts per action."""
    now = now or timezone.now()
    unsent = list(Job.objects.filter(state__in=(State.QUEUED, State.RETRYING), sent_at=None,
                                     created_at__lt=now - timedelta(seconds=5))
                  .values_list("pk", flat=True))
    resent = sum(job_send(pk) for pk in unsent)
    unstarted = _send_unstarted(now)
    stale = list(Job.objects.filter(
        state=State.RUNNING,
        heartbeat_at__lt=now - timedelta(seconds=settings.JOBS_STALE_SECONDS))
        .values_list("pk", "attempts"))
    for pk, attempt in stale:
        logger.warning("job %s: no heartbeat for %s s, worker presumed lost", pk,
                       settings.JOBS_STALE_SECONDS)
        _retry_or_give_up(pk, attempt, _in_portal_language(_("执行任务的后台进程中断")))
    return {"resent": resent, "unstarted": unstarted, "stale": len(stale)}


def _send_unstarted(now: Any) -> int:
    """Send again the jobs sent long ago and never started whose message no queue holds any
    more: a worker took it and died before running it. A job still waiting its turn in a queue
    is left there, so a long queue is not lengthened by copies."""
    sent_before = now - timedelta(seconds=settings.JOBS_UNSTARTED_SECONDS)
    # ``sent_at__lt`` leaves out the NULLs; the ``is not None`` tells the type checker so.
    candidates = [(pk, sent_at) for pk, sent_at in
                  Job.objects.filter(state__in=(State.QUEUED, State.RETRYING),
                                     sent_at__lt=sent_before).values_list("pk", "sent_at")
                  if sent_at is not None]
    if not candidates:
        return 0
    waiting = broker.waiting_job_ids()
    if waiting is None:
        return 0  # the queues cannot be read: the broker's own redelivery remains
    count = 0
    for pk, sent_at in candidates:
        # Read after the queues: a job claimed or sent again meanwhile is not sent twice.
        if pk in waiting or not Job.objects.filter(
                pk=pk, state__in=(State.QUEUED, State.RETRYING), sent_at=sent_at).exists():
            continue
        logger.warning("job %s: sent at %s, never started and in no queue, sending it again",
                       pk, sent_at.isoformat())
        count += job_send(pk)
    return count


# --- Retry by a user ---------------------------------------------------------------------------

class JobNotRetryable(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def job_retry(*, job: Job, actor: Any) -> Job:
    """Submit a failed job again (the "重新提交" button): its record goes back to its queued
    state and a new job is sent. Audited: the new job and the record's change carry ``actor``
    and the reason."""
    with transaction.atomic(), audit_context(actor=actor, reason=_in_portal_language(
            _("重新提交失败的后台任务 #%(id)s") % {"id": job.pk})):
        locked = Job.objects.select_for_update().get(pk=job.pk)
        if locked.state != State.FAILED:
            raise JobNotRetryable(_("该任务未失败，无需重新提交。"))
        if Job.objects.filter(kind=locked.kind, object_id=locked.object_id,
                              pk__gt=locked.pk).exists():
            raise JobNotRetryable(_("该任务已重新提交过，请查看最新的任务。"))
        if not KINDS[locked.kind].reset(locked.object_id):
            raise JobNotRetryable(_("该任务的对象已不处于失败状态，或已有新的任务在处理，"
                                    "无法重新提交。"))
        # The work is still the original submitter's (an import is filed as the officer who
        # confirmed it); the trail records who resubmitted it.
        return job_submit(kind=locked.kind, object_id=locked.object_id,
                          actor=locked.actor_id or actor)
