"""A worker killed with SIGKILL in the middle of an import commit or of a report's layout, on
PostgreSQL with a real Redis broker: a restarted worker finishes the job, every row is filed
exactly once, and the report version is made once.

The test runs its own worker and beat on a Redis database of their own (the session's worker of
tests/test_worker.py must not take the job), with the job intervals shortened through the
environment: a heartbeat every second, a job silent for 5 s taken as lost, a sweep every
second, a job sent 5 s ago and never started taken as lost by its worker. Runs when REDIS_URL is
set and the database is PostgreSQL; skipped otherwise."""

import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from auditlog.models import LogEntry
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from jobs.models import Job
from riskcomp.celery import app

from .test_worker import _database_url

pytestmark = [pytest.mark.worker]

# Shortened unless the environment sets them (the production values measure the real delay).
INTERVALS = {name: os.environ.get(name, short) for name, short in (
    ("RISKCOMP_JOBS_HEARTBEAT_SECONDS", "1"), ("RISKCOMP_JOBS_STALE_SECONDS", "5"),
    ("RISKCOMP_JOBS_SWEEP_SECONDS", "1"), ("RISKCOMP_JOBS_UNSTARTED_SECONDS", "5"))}
STALE = float(INTERVALS["RISKCOMP_JOBS_STALE_SECONDS"])
SWEEP = float(INTERVALS["RISKCOMP_JOBS_SWEEP_SECONDS"])
UNSTARTED = float(INTERVALS["RISKCOMP_JOBS_UNSTARTED_SECONDS"])


def _own_broker(url: str) -> str:
    """The same Redis server, another database (eight further on; 15 is the test script's)."""
    parts = urlsplit(url)
    db = int(parts.path.strip("/") or 0)
    own = (db + 8) % 16
    return urlunsplit(parts._replace(path=f"/{14 if own == 15 else own}"))


def _use_broker(url: str, *, eager: bool) -> None:
    app.conf.broker_url = url
    app.conf.task_always_eager = eager
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def crash_rig(tmp_path):  # type: ignore[no-untyped-def]
    if not settings.REDIS_URL:
        pytest.skip("REDIS_URL not set: no real broker")
    if connection.vendor != "postgresql":
        pytest.skip("the worker needs a database shared across processes (PostgreSQL)")
    broker = os.environ.get("RISKCOMP_TEST_CRASH_REDIS_URL") or _own_broker(settings.REDIS_URL)
    redis.Redis.from_url(broker).flushdb()
    env = {**os.environ, "DATABASE_URL": _database_url(), "DB_CONN_MAX_AGE": "0",
           "DJANGO_SETTINGS_MODULE": "riskcomp.settings.test", "REDIS_URL": broker,
           "RISKCOMP_TEST_MEDIA": str(tmp_path / "media"), **INTERVALS}
    before = app.conf.broker_url, app.conf.task_always_eager
    _use_broker(broker, eager=False)
    procs: list[subprocess.Popen] = []  # type: ignore[type-arg]

    def start(argv: list[str]) -> subprocess.Popen:  # type: ignore[type-arg]
        # A session of its own: a worker and its pool processes are killed together.
        proc = subprocess.Popen(  # noqa: S603 - fixed argv, our own worker
            [sys.executable, "-m", "celery", "-A", "riskcomp", *argv], env=env,
            cwd=settings.BASE_DIR, start_new_session=True)
        procs.append(proc)
        return proc

    class Rig:
        broker_url = broker

        @staticmethod
        def worker(name: str, pool: tuple[str, ...] = ("--pool", "solo")
                   ) -> subprocess.Popen:  # type: ignore[type-arg]
            proc = start(["worker", "-Q", "celery,reports", *pool, "-l", "warning",
                          "-n", f"{name}-{os.getpid()}@%h"])
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if any(name in host for reply in app.control.ping(timeout=1.0)
                       for host in reply):
                    return proc
                if proc.poll() is not None:
                    pytest.fail("the Celery worker exited at start-up")
            pytest.fail("the Celery worker did not answer within 60 s")

        @staticmethod
        def beat() -> subprocess.Popen:  # type: ignore[type-arg]
            return start(["beat", "-l", "warning", "-s", str(tmp_path / "beat-schedule"),
                          "--pidfile="])

    yield Rig
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
    _use_broker(before[0], eager=before[1])
    redis.Redis.from_url(broker).flushdb()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("reference_data")
def test_worker_killed_mid_commit_is_recovered_and_files_every_row_once(
        crash_rig, bank_a, officer_a, settings, tmp_path):
    from loans.import_services import import_batch_confirm, import_batch_create
    from loans.importing import CHUNK_ROWS, FILINGS, read_workbook
    from loans.models import ImportBatch, LoanFiling

    from .factories import AgreementFactory, make_credit_code
    from .test_import import row, workbook

    settings.MEDIA_ROOT = tmp_path
    AgreementFactory(bank=bank_a, scheme="MICRO")
    drawdown = timezone.localdate() - timedelta(days=3)
    dates = {"放款日期": drawdown.isoformat(),
             "征信报告日期": (drawdown - timedelta(days=3)).isoformat(),
             "合同到期日": (drawdown + timedelta(days=364)).isoformat()}
    n = 6 * CHUNK_ROWS
    content = workbook([row(**{"借据号": f"JJ-K{i:05d}", "合同号": f"HT-K{i:05d}",
                               "贷款金额": "100000", "首笔贷款": "否", **dates,
                               "统一社会信用代码": make_credit_code(5000 + i % 1500)})
                        for i in range(n)])
    first = crash_rig.worker("crash-first")
    crash_rig.beat()
    batch = import_batch_create(bank=bank_a, kind="filings", original_name="k.xlsx",
                                data=content, parsed=read_workbook(content, FILINGS),
                                actor=officer_a)

    def state() -> tuple[str, int]:
        return ImportBatch.objects.values_list("status", "progress").get(pk=batch.pk)

    deadline = time.monotonic() + 240
    while state()[0] != "validated":
        assert time.monotonic() < deadline and state()[0] != "failed", state()
        time.sleep(0.05)
    assert import_batch_confirm(batch=batch, actor=officer_a)
    while not (state()[0] == "committing" and 0 < state()[1] < 100):
        assert time.monotonic() < deadline and state()[0] == "committing", state()
        time.sleep(0.01)
    os.kill(first.pid, signal.SIGKILL)  # mid-commit: some chunks written, none committed
    killed_at = time.monotonic()
    first.wait(timeout=10)
    job = Job.objects.get(kind=Job.Kind.IMPORT_COMMIT, object_id=batch.pk)
    assert (job.state, job.attempts) == (Job.State.RUNNING, 1)
    assert LoanFiling.objects.filter(bank=bank_a).count() == 0  # its transaction rolled back

    crash_rig.worker("crash-restarted")
    while state()[0] != "committed":
        assert time.monotonic() - killed_at < STALE + 2 * SWEEP + 180, state()
        assert state()[0] != "failed", state()
        time.sleep(0.05)
    recovery = time.monotonic() - killed_at
    print(f"\nworker_crash_recovery_s: {recovery:.1f}")

    # The job is marked done just after the batch's transaction commits.
    while Job.objects.filter(pk=job.pk, state=Job.State.RUNNING).exists():
        assert time.monotonic() - killed_at < recovery + 30
        time.sleep(0.05)
    job.refresh_from_db()
    assert (job.state, job.attempts) == (Job.State.DONE, 2)
    filings = LoanFiling.objects.filter(bank=bank_a)
    assert filings.count() == n == filings.values("iou_number").distinct().count()
    assert ImportBatch.objects.get(pk=batch.pk).accepted_rows == n
    # Filed once in the trail as well: one creation entry per filing, none from the lost run.
    created = LogEntry.objects.filter(content_type__model="loanfiling",
                                      action=LogEntry.Action.CREATE)
    assert created.count() == n
    # Detection (no heartbeat for STALE), the next sweep, the restart and the whole commit again.
    assert recovery < STALE + 2 * SWEEP + 120


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("reference_data")
def test_worker_killed_mid_render_is_recovered_and_the_version_becomes_current_once(
        crash_rig, reviewer, tmp_path):
    from reports.models import ReportFile
    from reports.services import report_request

    first = crash_rig.worker("crash-render")
    crash_rig.beat()
    report = report_request(kind=ReportFile.Kind.SEMIANNUAL, period="2026H1", actor=reviewer)

    def state() -> tuple[str, int]:
        return ReportFile.objects.values_list("status", "progress").get(pk=report.pk)

    deadline = time.monotonic() + 240
    while not (state()[0] == "running" and state()[1] > 10):
        assert time.monotonic() < deadline and state()[0] in ("pending", "running"), state()
        time.sleep(0.01)
    os.kill(first.pid, signal.SIGKILL)  # laying out the PDF
    killed_at = time.monotonic()
    first.wait(timeout=10)

    crash_rig.worker("crash-render-restarted")
    while state()[0] != "done":
        assert time.monotonic() - killed_at < STALE + 2 * SWEEP + 180, state()
        assert state()[0] != "failed", state()
        time.sleep(0.05)
    print(f"\nworker_crash_render_recovery_s: {time.monotonic() - killed_at:.1f}")
    while Job.objects.filter(object_id=report.pk, state=Job.State.RUNNING).exists():
        time.sleep(0.05)
    job = Job.objects.get(kind=Job.Kind.REPORT_GENERATE, object_id=report.pk)
    assert (job.state, job.attempts) == (Job.State.DONE, 2)
    report.refresh_from_db()
    assert report.is_current and report.parameters["attempt"] == 2
    # Only the finished attempt's PDF and workbook are stored.
    media = tmp_path / "media"  # the workers'
    stored = {str(p.relative_to(media)) for p in media.rglob("*") if p.is_file()}
    assert stored == {report.file.name, report.parameters["xlsx"]}


def _messages_of(client: redis.Redis, job_ids: set[int]) -> dict[str, int]:
    """How many messages of these jobs wait in the queue and sit unacknowledged in Redis."""
    from jobs.broker import _job_id

    queued = sum(job_id in job_ids for job_id in map(_job_id, client.lrange("celery", 0, -1))
                 if job_id is not None)
    unacked = sum(job_id in job_ids for job_id in map(_messages_of_one, client.hvals("unacked"))
                  if job_id is not None)
    return {"queued": queued, "unacked": unacked}


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("reference_data")
def test_worker_killed_holding_jobs_it_never_started_is_recovered_and_files_every_row_once(
        crash_rig, bank_a, officer_a, settings, tmp_path):
    """A prefork worker holds two messages it has not started: one in its pool process, which
    waits for the job's row (held here, as a busy database would), and one reserved behind it
    (the worker is started with a prefetch of two). Killed with SIGKILL, it leaves both jobs
    "排队中" and their messages unacknowledged in Redis, which would hand them out again after
    two hours; the sweeper sends them again and a new worker commits each batch once. The two
    original messages, handed out again at last, change nothing."""
    from loans.import_services import import_batch_confirm, import_batch_create
    from loans.importing import FILINGS, read_workbook
    from loans.models import ImportBatch, LoanFiling

    from .factories import AgreementFactory, make_credit_code
    from .test_import import row, workbook

    settings.MEDIA_ROOT = tmp_path
    AgreementFactory(bank=bank_a, scheme="MICRO")
    drawdown = timezone.localdate() - timedelta(days=3)
    dates = {"放款日期": drawdown.isoformat(),
             "征信报告日期": (drawdown - timedelta(days=3)).isoformat(),
             "合同到期日": (drawdown + timedelta(days=364)).isoformat()}
    n = 300
    validator = crash_rig.worker("reserve-validate")
    batches = []
    for part in range(2):
        content = workbook([row(**{"借据号": f"JJ-R{part}{i:04d}", "合同号": f"HT-R{part}{i:04d}",
                                   "贷款金额": "100000", "首笔贷款": "否", **dates,
                                   "统一社会信用代码": make_credit_code(6000 + part * n + i)})
                            for i in range(n)])
        batches.append(import_batch_create(
            bank=bank_a, kind="filings", original_name=f"r{part}.xlsx", data=content,
            parsed=read_workbook(content, FILINGS), actor=officer_a))

    def statuses() -> list[str]:
        return [ImportBatch.objects.get(pk=b.pk).status for b in batches]

    deadline = time.monotonic() + 240
    while statuses() != ["validated", "validated"]:
        assert time.monotonic() < deadline and "failed" not in statuses(), statuses()
        time.sleep(0.05)
    validator.terminate()
    validator.wait(timeout=30)

    for batch in batches:
        assert import_batch_confirm(batch=batch, actor=officer_a)
    jobs = list(Job.objects.filter(kind=Job.Kind.IMPORT_COMMIT).order_by("pk"))
    ids = {job.pk for job in jobs}
    client = redis.Redis.from_url(crash_rig.broker_url)
    assert _messages_of(client, ids) == {"queued": 2, "unacked": 0}
    with transaction.atomic():
        list(Job.objects.select_for_update().filter(pk__in=ids))
        holder = crash_rig.worker("reserve-holder", ("--pool", "prefork", "--concurrency", "1",
                                                     "--prefetch-multiplier", "2"))
        while _messages_of(client, ids) != {"queued": 0, "unacked": 2}:
            assert time.monotonic() < deadline, _messages_of(client, ids)
            time.sleep(0.05)
        os.killpg(holder.pid, signal.SIGKILL)  # the worker and its pool process
        killed_at = time.monotonic()
        holder.wait(timeout=10)
    # Neither job ever started; Redis keeps both messages for its two-hour redelivery.
    assert [(j.state, j.attempts, j.started_at) for j in Job.objects.filter(pk__in=ids)] == [
        (Job.State.QUEUED, 0, None)] * 2
    assert _messages_of(client, ids) == {"queued": 0, "unacked": 2}
    originals = {tag: raw for tag, raw in client.hgetall("unacked").items()
                 if _messages_of_one(raw) in ids}

    crash_rig.beat()
    crash_rig.worker("reserve-restarted")
    while statuses() != ["committed", "committed"]:
        assert time.monotonic() - killed_at < UNSTARTED + 2 * SWEEP + 180, statuses()
        assert "failed" not in statuses(), statuses()
        time.sleep(0.05)
    recovery = time.monotonic() - killed_at
    print(f"\nworker_reserved_recovery_s: {recovery:.1f}")
    while Job.objects.filter(pk__in=ids).exclude(state=Job.State.DONE).exists():
        assert time.monotonic() - killed_at < recovery + 30
        time.sleep(0.05)
    assert [(j.state, j.attempts) for j in Job.objects.filter(pk__in=ids)] == [
        (Job.State.DONE, 1)] * 2

    def filed_once() -> None:
        filings = LoanFiling.objects.filter(bank=bank_a)
        assert filings.count() == 2 * n == filings.values("iou_number").distinct().count()
        assert [b.accepted_rows for b in ImportBatch.objects.filter(
            pk__in=[b.pk for b in batches])] == [n, n]
        assert LogEntry.objects.filter(content_type__model="loanfiling",
                                       action=LogEntry.Action.CREATE).count() == 2 * n

    filed_once()
    # Each job sent again once, not on every sweep.
    assert client.llen("celery") < 5

    # Redis hands the originals out again, as it does once their visibility timeout expires.
    for tag, raw in originals.items():
        message, _exchange, routing_key = json.loads(raw)
        client.lpush(routing_key or "celery", json.dumps(message))
        client.hdel("unacked", tag)
        client.zrem("unacked_index", tag)
    # Acknowledged once run (late acknowledgement): then neither is anywhere in Redis.
    while _messages_of(client, ids) != {"queued": 0, "unacked": 0}:
        assert time.monotonic() - killed_at < recovery + 60, _messages_of(client, ids)
        time.sleep(0.05)
    assert [(j.state, j.attempts) for j in Job.objects.filter(pk__in=ids)] == [
        (Job.State.DONE, 1)] * 2
    filed_once()
    # Detection (UNSTARTED since the send), the next sweep, the restart and both commits.
    assert recovery < UNSTARTED + 2 * SWEEP + 120


def _messages_of_one(raw: bytes | str) -> int | None:
    """The job of an entry of Redis's "unacked" hash: [message, exchange, routing key]."""
    from jobs.broker import _job_id

    return _job_id(json.dumps(json.loads(raw)[0]).encode())
