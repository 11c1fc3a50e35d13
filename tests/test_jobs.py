"""Background jobs: a broker that refuses connections, a worker that stopped beating, the
sweeper, the "重新提交" of a failed job and the jobs screen. The real worker killed mid-commit
is in tests/test_worker_crash.py."""

import base64
import json
from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from jobs.models import Job
from jobs.services import job_sweep
from loans.models import ImportBatch, LoanFiling
from loans.tasks import commit_import
from reports.models import ReportFile
from riskcomp.celery import app

from .conftest import client_for
from .test_import import TODAY, row, tech_row, workbook
from .test_reports import FakeRenderer

REFUSING_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1: connection refused
State = Job.State


@pytest.fixture(autouse=True)
def _today(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path




def _use_broker(url: str, *, eager: bool) -> None:
    app.conf.broker_url = url
    app.conf.task_always_eager = eager
    app._pool = None  # the connection pools keep the old broker's address
    app.amqp._producer_pool = None


@pytest.fixture
def broker_down():  # type: ignore[no-untyped-def]
    """Sending a task fails as it does when Redis is down. ``back()`` brings a broker back:
    here tasks then run in-process, as a worker would run them."""
    before = app.conf.broker_url, app.conf.task_always_eager

    class Broker:
        @staticmethod
        def back() -> None:
            _use_broker(before[0], eager=True)

    _use_broker(REFUSING_BROKER, eager=False)
    yield Broker
    _use_broker(before[0], eager=before[1])


def texts(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def sweep(django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    """The beat task, its sends made once its transactions commit."""

    def run(now=None):  # type: ignore[no-untyped-def]
        with django_capture_on_commit_callbacks(execute=True):
            return job_sweep(now=now)

    return run


@pytest.fixture
def post(django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    def send(client, url, data=None):  # type: ignore[no-untyped-def]
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data or {})

    return send


def later(seconds: float = 600):  # type: ignore[no-untyped-def]
    return timezone.now() + timedelta(seconds=seconds)


# --- Redis down ---------------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)  # the send runs at the view's commit, as served
@pytest.mark.usefixtures("reference_data")
def test_upload_with_the_broker_down_says_so_and_the_sweeper_validates_it_once_it_is_back(
        both_schemes, officer_a, upload, broker_down, sweep):
    client = client_for(officer_a)
    response = upload(client, workbook([row(), tech_row()]))
    assert response.status_code == 302  # not a 500: the file is kept
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.UPLOADED and batch.progress == 0
    [message] = texts(response)
    assert "后台任务队列暂时不可用" in message and "无需重新上传" in message
    job = Job.objects.get()
    assert (job.kind, job.object_id, job.state, job.sent_at) == (
        Job.Kind.IMPORT_VALIDATE, batch.pk, State.QUEUED, None)
    page = client.get(reverse("loans:import_detail", args=[batch.pk])).content.decode()
    assert "队列恢复后将自动开始执行" in page

    # Still down: still waiting.
    assert sweep(now=later()) == {"resent": 0, "unstarted": 0, "stale": 0}
    broker_down.back()
    assert sweep(now=later())["resent"] == 1
    batch.refresh_from_db()
    job.refresh_from_db()
    assert batch.status == ImportBatch.Status.VALIDATED and batch.accepted_rows == 2
    assert (job.state, job.attempts) == (State.DONE, 1)
    assert sweep(now=later()) == {"resent": 0, "unstarted": 0, "stale": 0}  # nothing left to send


@pytest.mark.django_db(transaction=True)  # the send runs at the view's commit, as served
@pytest.mark.usefixtures("reference_data")
def test_confirmation_with_the_broker_down_is_kept_and_committed_once_when_it_is_back(
        both_schemes, officer_a, upload, confirm, broker_down, sweep):
    client = client_for(officer_a)
    broker_down.back()
    upload(client, workbook([row(), tech_row()]))
    batch = ImportBatch.objects.get(status=ImportBatch.Status.VALIDATED)
    _use_broker(REFUSING_BROKER, eager=False)
    response = confirm(client, batch)
    assert response.status_code == 302
    assert any("队列恢复后自动备案" in t for t in texts(response))
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.COMMITTING and LoanFiling.objects.count() == 0
    broker_down.back()
    sweep(now=later())
    sweep(now=later(1200))
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.COMMITTED
    assert LoanFiling.objects.count() == 2
    assert Job.objects.get(kind=Job.Kind.IMPORT_COMMIT).state == State.DONE


@pytest.mark.django_db(transaction=True)  # the send runs at the view's commit, as served
@pytest.mark.usefixtures("reference_data")
def test_report_request_with_the_broker_down_shows_no_success(reviewer, broker_down,
                                                              django_capture_on_commit_callbacks):
    client = client_for(reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:report_generate"),
                               {"kind": "semiannual", "period": "2026H1"})
    assert response.status_code == 302
    report = ReportFile.objects.get()
    assert report.status == ReportFile.Status.PENDING
    [message] = texts(response)
    assert "队列暂时不可用" in message and "已提交生成" not in message
    assert Job.objects.get().sent_at is None


@pytest.mark.django_db(transaction=True)  # the send runs at the view's commit, as served
@pytest.mark.usefixtures("reference_data")
def test_report_request_whose_version_failed_at_once_says_failed(reviewer, monkeypatch,
                                                                django_capture_on_commit_callbacks):
    fake = FakeRenderer()
    fake.fail_with = RuntimeError("layout exploded")
    monkeypatch.setattr("reports.rendering.render_report_pdf", fake)
    monkeypatch.setattr("reports.figures.report_data", lambda kind, period, now=None: "data")
    monkeypatch.setattr("reports.rendering.report_workbook", lambda data: b"PK xlsx")
    client = client_for(reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:report_generate"),
                               {"kind": "semiannual", "period": "2026H1"})
    report = ReportFile.objects.get()
    assert report.status == ReportFile.Status.FAILED
    [message] = texts(response)
    assert "生成失败，可重新提交" in message and "已提交生成" not in message
    job = Job.objects.get()
    assert job.state == State.FAILED and "layout exploded" in job.error
    page = client.get(reverse("reports:report_detail", args=[report.pk])).content.decode()
    assert reverse("jobs:job_retry", args=[job.pk]) in page

    fake.fail_with = None
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("jobs:job_retry", args=[job.pk]))
    report.refresh_from_db()
    assert report.status == ReportFile.Status.DONE and report.is_current


# --- A worker that stopped beating --------------------------------------------------------------

def _killed_mid_commit(batch: ImportBatch, *, attempts: int) -> Job:
    """What a worker killed during the commit leaves: the batch committing (its transaction
    rolled back), the job running with a heartbeat that stopped."""
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.COMMITTING,
                                                   progress=40)
    return Job.objects.create(kind=Job.Kind.IMPORT_COMMIT, object_id=batch.pk,
                              actor=batch.uploaded_by, state=State.RUNNING, attempts=attempts,
                              sent_at=timezone.now(),
                              heartbeat_at=timezone.now() - timedelta(seconds=91))


@pytest.mark.django_db
def test_a_job_whose_worker_died_is_run_again_and_commits_once(both_schemes, officer_a, upload,
                                                                sweep):
    upload(client_for(officer_a), workbook([row(), tech_row()]))
    batch = ImportBatch.objects.get()
    job = _killed_mid_commit(batch, attempts=1)
    # A fresh heartbeat: the job is alive, the sweeper leaves it alone.
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now())
    assert sweep()["stale"] == 0
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=91))
    assert sweep()["stale"] == 1
    job.refresh_from_db()
    batch.refresh_from_db()
    assert (job.state, job.attempts) == (State.DONE, 2)
    assert batch.status == ImportBatch.Status.COMMITTED
    assert LoanFiling.objects.count() == 2
    # The original message, redelivered later, finds the job done and writes nothing.
    commit_import.delay(batch.pk, officer_a.pk, job_id=job.pk)
    assert LoanFiling.objects.count() == 2


@pytest.mark.django_db
def test_a_duplicate_delivery_while_the_job_runs_elsewhere_does_nothing(both_schemes, officer_a,
                                                                        upload):
    upload(client_for(officer_a), workbook([row()]))
    batch = ImportBatch.objects.get()
    job = _killed_mid_commit(batch, attempts=1)
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now())  # alive on another worker
    commit_import.delay(batch.pk, officer_a.pk, job_id=job.pk)
    job.refresh_from_db()
    assert (job.state, job.attempts) == (State.RUNNING, 1)
    assert LoanFiling.objects.count() == 0
    # While the sweeper sends it again, the officer's page says it is being retried.
    Job.objects.filter(pk=job.pk).update(state=State.RETRYING)
    page = client_for(officer_a).get(reverse("loans:import_progress", args=[batch.pk]))
    assert "重试中" in page.content.decode() and "正在提交" in page.content.decode()


# --- A worker that took a job and died before running it ---------------------------------------

def _taken_by_a_dead_worker(batch: ImportBatch, *, sent_seconds_ago: float) -> Job:
    """What a worker killed while holding a reserved message leaves: the batch committing, the
    job queued and sent, never started; the broker's queues no longer hold its message."""
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.COMMITTING,
                                                   progress=0)
    return Job.objects.create(kind=Job.Kind.IMPORT_COMMIT, object_id=batch.pk,
                              actor=batch.uploaded_by, state=State.QUEUED,
                              sent_at=timezone.now() - timedelta(seconds=sent_seconds_ago))


@pytest.mark.django_db
def test_a_job_taken_by_a_dead_worker_is_sent_again_and_commits_once(
        both_schemes, officer_a, upload, sweep, settings, monkeypatch):
    from jobs import broker

    upload(client_for(officer_a), workbook([row(), tech_row()]))
    batch = ImportBatch.objects.get()
    waiting: set[int] = set()
    monkeypatch.setattr(broker, "waiting_job_ids", lambda: waiting)
    job = _taken_by_a_dead_worker(batch, sent_seconds_ago=settings.JOBS_UNSTARTED_SECONDS - 5)
    assert sweep()["unstarted"] == 0  # sent only just now: a worker may be starting it
    waiting.add(job.pk)
    assert sweep(now=later())["unstarted"] == 0  # still waiting its turn in the queue
    assert LoanFiling.objects.count() == 0
    waiting.clear()
    assert sweep(now=later())["unstarted"] == 1
    job.refresh_from_db()
    batch.refresh_from_db()
    assert (job.state, job.attempts) == (State.DONE, 1)
    assert batch.status == ImportBatch.Status.COMMITTED and LoanFiling.objects.count() == 2
    # The original message, handed out again by the broker later, finds the job done.
    commit_import.delay(batch.pk, officer_a.pk, job_id=job.pk)
    job.refresh_from_db()
    assert (job.state, job.attempts, LoanFiling.objects.count()) == (State.DONE, 1, 2)
    assert sweep(now=later())["unstarted"] == 0


@pytest.mark.django_db
def test_unreadable_queues_send_nothing_again(both_schemes, officer_a, upload, sweep,
                                              monkeypatch):
    from jobs import broker

    upload(client_for(officer_a), workbook([row()]))
    job = _taken_by_a_dead_worker(ImportBatch.objects.get(), sent_seconds_ago=600)
    monkeypatch.setattr(broker, "waiting_job_ids", lambda: None)
    assert sweep()["unstarted"] == 0
    job.refresh_from_db()
    assert (job.state, job.attempts) == (State.QUEUED, 0)
    assert LoanFiling.objects.count() == 0


def test_a_task_message_names_its_job():
    from jobs.broker import _job_id

    body = base64.b64encode(json.dumps([[7, 3], {"job_id": 42}, {}]).encode()).decode()
    message = {"body": body, "headers": {"task": "loans.tasks.commit_import"},
               "properties": {"body_encoding": "base64"}}
    assert _job_id(json.dumps(message).encode()) == 42
    assert _job_id(json.dumps({**message, "body": base64.b64encode(b"[[1], {}, {}]")
                               .decode()}).encode()) is None
    assert _job_id(b"not json") is None


@pytest.mark.django_db
def test_after_three_lost_runs_the_job_fails_and_the_officer_resubmits_it(
        both_schemes, officer_a, officer_b, upload, sweep, post):
    client = client_for(officer_a)
    upload(client, workbook([row(), tech_row()]))
    batch = ImportBatch.objects.get()
    job = _killed_mid_commit(batch, attempts=3)
    sweep()
    job.refresh_from_db()
    batch.refresh_from_db()
    assert job.state == State.FAILED and "3 次" in job.error
    assert batch.status == ImportBatch.Status.FAILED and "未写入任何数据" in batch.message
    assert LoanFiling.objects.count() == 0
    page = client.get(reverse("loans:import_detail", args=[batch.pk])).content.decode()
    assert "失败，可重新提交" in page and reverse("jobs:job_retry", args=[job.pk]) in page

    # Another bank's officer cannot see it, let alone resubmit it.
    assert client_for(officer_b).post(
        reverse("jobs:job_retry", args=[job.pk])).status_code == 404
    response = post(client, reverse("jobs:job_retry", args=[job.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("loans:import_detail", args=[batch.pk])
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.COMMITTED and LoanFiling.objects.count() == 2
    retried = Job.objects.filter(kind=Job.Kind.IMPORT_COMMIT).exclude(pk=job.pk).get()
    assert (retried.state, retried.actor) == (State.DONE, officer_a)
    entry = LogEntry.objects.get_for_object(retried).get(action=LogEntry.Action.CREATE)
    assert entry.actor == officer_a
    assert f"重新提交失败的后台任务 #{job.pk}" in str(entry.additional_data)
    # A second click changes nothing.
    again = client.post(reverse("jobs:job_retry", args=[job.pk]))
    assert "已重新提交过" in texts(again)[-1]
    assert LoanFiling.objects.count() == 2


# --- The jobs screen ----------------------------------------------------------------------------

@pytest.mark.django_db
def test_jobs_screen_lists_jobs_by_state_for_the_custodian_and_admin_only(
        both_schemes, officer_a, reviewer, admin_user_, approver, auditor, upload, sweep):
    upload(client_for(officer_a), workbook([row()]))
    batch = ImportBatch.objects.get()
    failed = _killed_mid_commit(batch, attempts=3)
    sweep()
    url = reverse("jobs:job_list")
    for user in (officer_a, approver, auditor):
        assert client_for(user).get(url).status_code == 403
    for user in (reviewer, admin_user_):
        page = client_for(user).get(url, {"state": "failed"}).content.decode()
        assert "失败，可重新提交" in page and "执行 3 次均未完成" in page
        assert reverse("jobs:job_retry", args=[failed.pk]) in page
        assert reverse("loans:import_detail", args=[batch.pk]) in page
        done = client_for(user).get(url, {"state": "done"}).content.decode()
        assert reverse("jobs:job_retry", args=[failed.pk]) not in done
        assert "导入校验" in done
    response = client_for(reviewer).post(reverse("jobs:job_retry", args=[failed.pk]),
                                         {"back": "list"})
    assert response["Location"] == url
    # Resubmitted by the custodian, the commit still files as the officer who confirmed it.
    retried = Job.objects.filter(kind=Job.Kind.IMPORT_COMMIT).exclude(pk=failed.pk).get()
    assert retried.actor == officer_a
    assert LogEntry.objects.get_for_object(retried).get().actor == reviewer
    assert client_for(reviewer).get(url, {"q": "x\x00y"}).status_code in (200, 400)


# --- The kinds registry -----------------------------------------------------------------------

def test_each_app_registers_its_own_kinds_of_job():
    from jobs.kinds import KINDS

    assert set(KINDS) == set(Job.Kind.values)
    for kind in (Job.Kind.IMPORT_VALIDATE, Job.Kind.IMPORT_COMMIT):
        assert KINDS[kind].task.startswith("loans.tasks.")
        assert KINDS[kind].give_up.__module__ == "loans.job_kinds"
    assert KINDS[Job.Kind.REPORT_GENERATE].task == "reports.tasks.generate_report"
    assert KINDS[Job.Kind.REPORT_GENERATE].reset.__module__ == "reports.job_kinds"
    assert KINDS[Job.Kind.IMPORT_COMMIT].with_actor
    assert not KINDS[Job.Kind.IMPORT_VALIDATE].with_actor


def test_registering_an_unknown_or_a_conflicting_kind_is_refused():
    from dataclasses import replace

    from jobs.kinds import KINDS, register_kind

    before = dict(KINDS)
    entry = KINDS[Job.Kind.REPORT_GENERATE]
    with pytest.raises(ValueError, match="unknown job kind"):
        register_kind("nightly_backup", entry)
    with pytest.raises(ValueError, match="already registered"):
        register_kind(Job.Kind.REPORT_GENERATE, replace(entry, with_actor=True))
    register_kind(Job.Kind.REPORT_GENERATE, entry)  # the same entry again (a second ready())
    assert before == KINDS


@pytest.mark.django_db
def test_a_bank_officer_sees_the_jobs_of_their_banks_imports_only(
        both_schemes, officer_a, officer_b, reviewer, approver, upload):
    from jobs.selectors import job_list_for

    upload(client_for(officer_a), workbook([row()]))
    batch = ImportBatch.objects.get()
    validate = Job.objects.get(kind=Job.Kind.IMPORT_VALIDATE, object_id=batch.pk)
    # A report version's job with the same record number is not an import's.
    report_job = Job.objects.create(kind=Job.Kind.REPORT_GENERATE, object_id=batch.pk)
    assert list(job_list_for(user=officer_a)) == [validate]
    assert list(job_list_for(user=officer_b)) == []
    assert list(job_list_for(user=approver)) == []
    assert set(job_list_for(user=reviewer)) == {validate, report_job}
