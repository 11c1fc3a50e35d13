"""Report generation: versions that are never overwritten, ``is_current`` moving only on success,
idempotent task deliveries, refusals, the screens and who may download."""

import hashlib
from datetime import date, datetime, timedelta
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from reports import selectors, services
from reports.models import ReportFile
from reports.tasks import generate_report, request_due_reports
from riskcomp.celery import app

from .conftest import client_for

SH = ZoneInfo("Asia/Shanghai")
# 2026H1 closed on 30 June; its report may be generated from 1 July.
AFTER_H1 = datetime(2026, 7, 3, 9, 0, tzinfo=SH)
Status = ReportFile.Status
Kind = ReportFile.Kind


class FakeRenderer:
    """A stand-in for the PDF layout: distinct bytes per call, progress 0..100 by 1."""

    def __init__(self) -> None:
        self.calls: list[object] = []
        self.workbook_names: list[str | None] = []
        self.fail_with: Exception | None = None
        self.during: object = None  # called half-way, to simulate what happens meanwhile

    def __call__(self, data, *, progress=None, workbook_name=None):  # type: ignore[no-untyped-def]
        self.calls.append(data)
        self.workbook_names.append(workbook_name)
        for p in range(101):
            if progress:
                progress(p)
            if p == 50 and self.during:
                self.during()  # type: ignore[operator]
            if p == 60 and self.fail_with:
                raise self.fail_with
        return f"%PDF-1.7 fake report {len(self.calls)} of {data}".encode(), 7


@pytest.fixture
def media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def renderer(monkeypatch, media):  # type: ignore[no-untyped-def]
    fake = FakeRenderer()
    seen: list[tuple[str, str, datetime | None]] = []

    def data(kind, period, *, now=None):  # type: ignore[no-untyped-def]
        seen.append((kind, period, now))
        return f"{kind}:{period}"

    monkeypatch.setattr("reports.rendering.render_report_pdf", fake)
    monkeypatch.setattr("reports.rendering.report_workbook", lambda d: f"PK xlsx of {d}".encode())
    monkeypatch.setattr("reports.figures.report_data", data)
    fake.data_calls = seen  # type: ignore[attr-defined]
    return fake


@pytest.fixture
def run_tasks(django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    """Request a report and run its task as the commit would."""

    def request(kind: str = Kind.SEMIANNUAL, period: str = "2026H1", actor=None,  # type: ignore[no-untyped-def]
                now: datetime = AFTER_H1) -> ReportFile:
        with django_capture_on_commit_callbacks(execute=True):
            report = services.report_request(kind=kind, period=period, actor=actor, now=now)
        report.refresh_from_db()
        return report

    return request


def stored_files(media) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file())


def files_of(*reports: ReportFile) -> list[str]:
    """The PDF and the workbook stored for each version."""
    return sorted(str(n) for r in reports for n in (r.file.name, r.parameters["xlsx"]))


def read(report: ReportFile) -> bytes:
    with report.file.storage.open(str(report.file.name), "rb") as handle:
        return bytes(handle.read())


# --- Request --------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_request_queues_a_pending_version_that_is_not_current_yet(
        renderer, reviewer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        report = services.report_request(kind=Kind.SEMIANNUAL, period="2026h1", actor=reviewer,
                                         now=AFTER_H1)
    assert len(callbacks) == 1  # the task is sent only once the row is committed
    assert (report.period, report.version, report.status) == ("2026H1", 1, Status.PENDING)
    assert not report.is_current
    assert (report.period_start, report.period_end) == (date(2026, 1, 1), date(2026, 6, 30))
    assert renderer.calls == []


@pytest.mark.django_db
def test_generation_stores_the_file_with_its_sha256_and_page_count(renderer, reviewer, run_tasks,
                                                                    media):
    report = run_tasks(actor=reviewer)
    assert (report.status, report.progress, report.is_current) == (Status.DONE, 100, True)
    content = read(report)
    assert content.startswith(b"%PDF-1.7 fake report 1")
    assert report.sha256 == hashlib.sha256(content).hexdigest()
    assert report.page_count == 7
    assert report.parameters["size"] == len(content)
    assert report.file.name.endswith("semiannual-2026H1-v1.pdf")
    assert report.finished_at is not None and report.error == ""
    assert report.generated_by == reviewer


@pytest.mark.django_db
def test_regenerating_adds_a_version_and_never_overwrites_the_issued_file(renderer, reviewer,
                                                                          run_tasks, media):
    first = run_tasks(actor=reviewer)
    first_bytes, first_name = read(first), first.file.name
    second = run_tasks(actor=reviewer)
    first.refresh_from_db()
    assert second.version == 2 and second.is_current and not first.is_current
    assert first.file.name == first_name and read(first) == first_bytes
    assert second.file.name != first.file.name and second.file.name.endswith("-v2.pdf")
    assert read(second) != first_bytes
    assert second.parameters["xlsx"].endswith("semiannual-2026H1-v2.xlsx")
    # Each PDF cites its own version's workbook.
    assert renderer.workbook_names == ["semiannual-2026H1-v1.xlsx", "semiannual-2026H1-v2.xlsx"]
    assert stored_files(media) == files_of(first, second)
    assert ReportFile.objects.filter(kind=Kind.SEMIANNUAL, period="2026H1",
                                     is_current=True).get() == second


@pytest.mark.django_db
def test_the_issued_version_stays_current_while_a_new_one_is_queued(
        renderer, reviewer, run_tasks, django_capture_on_commit_callbacks):
    first = run_tasks(actor=reviewer)
    with django_capture_on_commit_callbacks(execute=False):
        pending = services.report_request(kind=Kind.SEMIANNUAL, period="2026H1",
                                          actor=reviewer, now=AFTER_H1)
    first.refresh_from_db()
    assert first.is_current and not pending.is_current
    assert selectors.current_report(kind=Kind.SEMIANNUAL, period="2026H1") == first


@pytest.mark.django_db
def test_a_failed_regeneration_keeps_the_old_current_and_stores_no_file(renderer, reviewer,
                                                                        run_tasks, media):
    first = run_tasks(actor=reviewer)
    renderer.fail_with = RuntimeError("字体缺失")
    second = run_tasks(actor=reviewer)
    first.refresh_from_db()
    assert second.status == Status.FAILED and not second.is_current
    assert "RuntimeError: 字体缺失" in second.error
    assert not second.file and second.sha256 == ""
    assert first.is_current and first.status == Status.DONE
    assert stored_files(media) == files_of(first)
    # The failed version no longer blocks: a third request is accepted and becomes current.
    renderer.fail_with = None
    third = run_tasks(actor=reviewer)
    first.refresh_from_db()
    assert third.version == 3 and third.is_current and not first.is_current


@pytest.mark.django_db
def test_a_duplicate_delivery_of_a_done_report_does_nothing(renderer, reviewer, run_tasks):
    report = run_tasks(actor=reviewer)
    before = (report.file.name, report.sha256, report.finished_at)
    assert generate_report.delay(report.pk).get() is None
    report.refresh_from_db()
    assert (report.file.name, report.sha256, report.finished_at) == before
    assert len(renderer.calls) == 1


@pytest.mark.django_db
def test_a_delivery_for_a_failed_or_missing_version_does_nothing(renderer, reviewer, run_tasks):
    renderer.fail_with = ValueError("boom")
    failed = run_tasks(actor=reviewer)
    assert services.report_generate(failed.pk) is None
    assert services.report_generate(failed.pk + 1000) is None
    failed.refresh_from_db()
    assert failed.status == Status.FAILED and len(renderer.calls) == 1


@pytest.mark.django_db
def test_a_retry_after_a_killed_worker_restarts_and_finishes(
        renderer, reviewer, django_capture_on_commit_callbacks, media):
    with django_capture_on_commit_callbacks(execute=False):
        report = services.report_request(kind=Kind.ANNUAL, period="2025", actor=reviewer,
                                         now=AFTER_H1)
    # The first worker marked it running, got to 40% and was killed (no file, no failure).
    ReportFile.objects.filter(pk=report.pk).update(
        status=Status.RUNNING, progress=40, parameters={**report.parameters, "attempt": 1})
    assert generate_report.delay(report.pk).get() == report.pk  # the broker redelivers
    report.refresh_from_db()
    assert (report.status, report.progress, report.is_current) == (Status.DONE, 100, True)
    assert report.parameters["attempt"] == 2
    assert stored_files(media) == files_of(report)


@pytest.mark.django_db
def test_a_superseded_attempt_never_records_or_leaves_its_file(renderer, reviewer,
                                                               django_capture_on_commit_callbacks,
                                                               media):
    with django_capture_on_commit_callbacks(execute=False):
        report = services.report_request(kind=Kind.SEMIANNUAL, period="2026H1",
                                         actor=reviewer, now=AFTER_H1)
    # Half-way through the first attempt the task is delivered again and runs to the end.
    renderer.during = lambda: (setattr(renderer, "during", None),
                               services.report_generate(report.pk))
    assert services.report_generate(report.pk) is None  # the first attempt gives way
    report.refresh_from_db()
    assert report.status == Status.DONE and report.parameters["attempt"] == 2
    assert read(report).startswith(b"%PDF-1.7 fake report 2")
    assert stored_files(media) == files_of(report)


@pytest.mark.django_db
def test_an_attempt_overtaken_by_a_restart_still_running_gives_way(
        renderer, reviewer, django_capture_on_commit_callbacks, media):
    with django_capture_on_commit_callbacks(execute=False):
        report = services.report_request(kind=Kind.SEMIANNUAL, period="2026H1",
                                         actor=reviewer, now=AFTER_H1)
    # Half-way through, a redelivery starts the report again and is still at work.
    renderer.during = lambda: (setattr(renderer, "during", None), services._start(report.pk))
    assert services.report_generate(report.pk) is None
    report.refresh_from_db()
    assert (report.status, report.parameters["attempt"]) == (Status.RUNNING, 2)
    assert report.progress < 15  # the overtaken attempt stopped writing its progress
    assert not report.file and stored_files(media) == []


@pytest.mark.django_db
def test_progress_is_written_in_steps_not_on_every_callback(renderer, reviewer,
                                                            django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        report = services.report_request(kind=Kind.SEMIANNUAL, period="2026H1",
                                         actor=reviewer, now=AFTER_H1)
    seen: list[int] = []
    renderer.during = lambda: seen.append(
        ReportFile.objects.values_list("progress", flat=True).get(pk=report.pk))
    with CaptureQueriesContext(connection) as queries:
        services.report_generate(report.pk)
    progress_writes = [q for q in queries.captured_queries
                       if q["sql"].startswith("UPDATE") and '"progress"' in q["sql"]]
    assert 5 <= len(progress_writes) <= 100 // services.PROGRESS_STEP + 2
    assert 40 <= seen[0] <= 60  # half-way through the layout, as the poller sees it


@pytest.mark.django_db
def test_the_excel_is_the_workbook_made_with_the_pdf_even_if_records_change_later(
        renderer, reviewer, run_tasks, monkeypatch):
    report = run_tasks(actor=reviewer)
    assert renderer.data_calls == [("semiannual", "2026H1", AFTER_H1)]  # dated at the request
    monkeypatch.setattr("reports.figures.report_data", lambda *a, **k: "changed since")
    response = client_for(reviewer).get(reverse("reports:report_xlsx", args=[report.pk]))
    body = b"".join(response.streaming_content)
    assert response.status_code == 200
    assert body == b"PK xlsx of semiannual:2026H1"
    assert response["X-Report-SHA256"] == hashlib.sha256(body).hexdigest()
    assert response["Content-Disposition"].startswith("attachment;")


@pytest.mark.django_db
def test_a_real_report_is_rendered_and_stored_with_matching_hash_and_pages(reviewer, run_tasks,
                                                                           media):
    from openpyxl import load_workbook
    from pypdf import PdfReader

    report = run_tasks(kind=Kind.SEMIANNUAL, period="2025H2", actor=reviewer)
    assert report.status == Status.DONE, report.error
    content = read(report)
    assert content.startswith(b"%PDF")
    assert hashlib.sha256(content).hexdigest() == report.sha256
    assert len(PdfReader(BytesIO(content)).pages) == report.page_count > 0
    with report.file.storage.open(report.parameters["xlsx"], "rb") as handle:
        assert load_workbook(BytesIO(handle.read()), read_only=True).sheetnames


# --- Refusals -------------------------------------------------------------------------------------

def _code(exc: ValidationError) -> str | None:
    errors = exc.error_dict if hasattr(exc, "error_dict") else {None: exc.error_list}
    return next(e.code for field in errors.values() for e in field)


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "period", "now", "code"), [
    (Kind.SEMIANNUAL, "2026H1", datetime(2026, 6, 30, 23, 0, tzinfo=SH), "period_open"),
    (Kind.SEMIANNUAL, "2026H2", AFTER_H1, "period_open"),
    (Kind.ANNUAL, "2026", AFTER_H1, "period_open"),
    (Kind.SEMIANNUAL, "2026H3", AFTER_H1, "period_format"),
    (Kind.ANNUAL, "2026H1", AFTER_H1, "period_format"),
    (Kind.PROPOSAL, "2026Q1", AFTER_H1, "kind"),
])
def test_requests_for_an_open_or_malformed_period_are_refused(renderer, reviewer, kind, period,
                                                              now, code):
    with pytest.raises(ValidationError) as caught:
        services.report_request(kind=kind, period=period, actor=reviewer, now=now)
    assert _code(caught.value) == code
    assert not ReportFile.objects.exists()


@pytest.mark.django_db
def test_the_open_period_refusal_says_from_when_it_may_be_generated(renderer, reviewer):
    with pytest.raises(ValidationError) as caught:
        services.report_request(kind=Kind.SEMIANNUAL, period="2026H1", actor=reviewer,
                                now=datetime(2026, 6, 30, 12, 0, tzinfo=SH))
    assert "2026-07-01 起方可生成" in str(caught.value)


@pytest.mark.django_db
@pytest.mark.parametrize("status", [Status.PENDING, Status.RUNNING])
def test_a_second_request_while_one_is_queued_or_running_is_refused(
        renderer, reviewer, status, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        report = services.report_request(kind=Kind.SEMIANNUAL, period="2026H1",
                                         actor=reviewer, now=AFTER_H1)
    ReportFile.objects.filter(pk=report.pk).update(status=status)
    with pytest.raises(ValidationError) as caught:
        services.report_request(kind=Kind.SEMIANNUAL, period="2026H1", actor=reviewer,
                                now=AFTER_H1 + timedelta(minutes=5))
    assert _code(caught.value) == "already_running"
    assert "v1" in str(caught.value)
    # Another period is not affected.
    with django_capture_on_commit_callbacks(execute=False):
        services.report_request(kind=Kind.ANNUAL, period="2025", actor=reviewer, now=AFTER_H1)


@pytest.mark.django_db
def test_a_version_abandoned_for_hours_gives_way_to_a_new_request(
        renderer, reviewer, run_tasks, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        lost = services.report_request(kind=Kind.SEMIANNUAL, period="2026H1",
                                       actor=reviewer, now=AFTER_H1)
    ReportFile.objects.filter(pk=lost.pk).update(created_at=AFTER_H1 - timedelta(hours=3))
    report = run_tasks(actor=reviewer)
    lost.refresh_from_db()
    assert lost.status == Status.FAILED and "中断" in lost.error
    assert report.version == 2 and report.is_current
    # The late delivery of the abandoned version finds it failed and does nothing.
    assert services.report_generate(lost.pk) is None


# --- Schedule -------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_schedule_requests_each_report_once_after_its_period(renderer):
    july = datetime(2026, 7, 1, 2, 10, tzinfo=SH)
    queued = services.report_request_due(now=july)
    # The half-year, and the year's two documents: the audit report and the operations report.
    assert sorted((r.kind, r.period) for r in queued) == [("annual", "2025"),
                                                          ("operations", "2025"),
                                                          ("semiannual", "2026H1")]
    assert all(r.generated_by is None for r in queued)
    assert services.report_request_due(now=july + timedelta(days=1)) == []  # still queued
    for r in queued:
        services.report_generate(r.pk)
    assert services.report_request_due(now=july + timedelta(days=2)) == []  # now current
    january = datetime(2027, 1, 1, 2, 10, tzinfo=SH)
    assert sorted((r.kind, r.period) for r in services.report_request_due(now=january)) == [
        ("annual", "2026"), ("operations", "2026"), ("semiannual", "2026H2")]


@pytest.mark.django_db
def test_the_schedule_skips_periods_before_the_schemes_started(renderer):
    # The schemes started on 30 June 2025: no annual report for 2024.
    queued = services.report_request_due(now=datetime(2025, 7, 2, tzinfo=SH))
    assert [(r.kind, r.period) for r in queued] == [("semiannual", "2025H1")]


def test_the_schedule_and_the_queue_are_configured():
    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values()
                 if e["task"] == request_due_reports.name)
    assert entry["schedule"].month_of_year == {1, 7}
    route = app.amqp.router.route({}, generate_report.name)
    assert route["queue"].name == "reports"
    assert generate_report.acks_late


# --- Selectors ------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_closed_periods_are_those_ended_before_today():
    periods = selectors.closed_periods(today=date(2026, 7, 1))
    assert periods == {"semiannual": ["2026H1", "2025H2", "2025H1"], "annual": ["2025"],
                       "operations": ["2025"]}
    assert selectors.closed_periods(today=date(2026, 6, 30))["semiannual"][0] == "2025H2"


@pytest.mark.django_db
def test_the_annual_report_is_due_on_31_march_and_shows_when_it_is_late(renderer, run_tasks):
    due = selectors.annual_report_due(today=date(2026, 3, 1))
    assert (due.period, due.due_on, due.days_left) == ("2025", date(2026, 3, 31), 30)
    assert not due.is_overdue
    late = selectors.annual_report_due(today=date(2026, 4, 2))
    assert late.is_overdue and late.days_overdue == 2
    report = run_tasks(kind=Kind.ANNUAL, period="2025")
    done = selectors.annual_report_due(today=date(2026, 4, 2))
    assert done.report == report and not done.is_overdue
    assert selectors.annual_report_due(today=date(2025, 12, 1)) is None  # no full year yet


@pytest.mark.django_db
def test_an_annual_report_issued_after_31_march_is_shown_late_by_its_first_version(
        renderer, reviewer, run_tasks, monkeypatch):
    first = run_tasks(kind=Kind.ANNUAL, period="2025")
    ReportFile.objects.filter(pk=first.pk).update(finished_at=datetime(2026, 4, 2, 9, tzinfo=SH))
    state = selectors.annual_report_due(today=date(2026, 4, 20))
    assert state.first_issued_on == date(2026, 4, 2) and state.issued_late_by == 2
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: date(2026, 4, 20))
    page = client_for(reviewer).get(reverse("home")).content.decode()
    assert "已生成 v1" in page and "逾期 2 天生成" in page
    # A corrected second version later on does not make the report later than it was.
    second = run_tasks(kind=Kind.ANNUAL, period="2025")
    assert second.version == 2 and second.is_current
    ReportFile.objects.filter(pk=second.pk).update(finished_at=datetime(2026, 5, 6, 9, tzinfo=SH))
    assert selectors.annual_report_due(today=date(2026, 6, 1)).issued_late_by == 2
    # Issued on time: nothing to say.
    ReportFile.objects.filter(pk=first.pk).update(finished_at=datetime(2026, 3, 31, 23, tzinfo=SH))
    assert selectors.annual_report_due(today=date(2026, 6, 1)).issued_late_by == 0


# --- Screens --------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_auditor_downloads_the_pdf_with_its_sha256(renderer, reviewer, auditor, run_tasks):
    report = run_tasks(actor=reviewer)
    response = client_for(auditor).get(reverse("reports:report_pdf", args=[report.pk]))
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert response["X-Report-SHA256"] == hashlib.sha256(body).hexdigest() == report.sha256
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''%E5%8D%8A" in response["Content-Disposition"]  # 半年度报告-…


@pytest.mark.django_db
@pytest.mark.parametrize("role_fixture", ["reviewer", "approver", "auditor", "admin_user_"])
def test_custodian_bureau_auditor_and_admin_read_and_download(request, renderer, reviewer,
                                                              run_tasks, role_fixture):
    report = run_tasks(actor=reviewer)
    client = client_for(request.getfixturevalue(role_fixture))
    for name, args in (("report_list", []), ("report_detail", [report.pk]),
                       ("report_pdf", [report.pk]), ("report_xlsx", [report.pk]),
                       ("report_progress", [report.pk])):
        assert client.get(reverse(f"reports:{name}", args=args)).status_code == 200, name


@pytest.mark.django_db
def test_bank_officers_get_403_everywhere(renderer, reviewer, officer_a, run_tasks):
    report = run_tasks(actor=reviewer)
    client = client_for(officer_a)
    for name, args in (("report_list", []), ("report_generate", []),
                       ("report_detail", [report.pk]), ("report_pdf", [report.pk]),
                       ("report_xlsx", [report.pk]), ("report_progress", [report.pk])):
        assert client.get(reverse(f"reports:{name}", args=args)).status_code == 403, name
    home = client.get(reverse("home")).content.decode()
    assert reverse("reports:report_list") not in home


@pytest.mark.django_db
@pytest.mark.parametrize("role_fixture", ["approver", "auditor"])
def test_only_the_custodian_reviewer_generates(request, renderer, role_fixture):
    client = client_for(request.getfixturevalue(role_fixture))
    response = client.post(reverse("reports:report_generate"),
                           {"kind": "annual", "period": "2025"})
    assert response.status_code == 403
    assert not ReportFile.objects.exists()


@pytest.mark.django_db
def test_a_version_not_done_has_nothing_to_download(renderer, reviewer, auditor,
                                                    django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        report = services.report_request(kind=Kind.ANNUAL, period="2025", actor=reviewer,
                                         now=AFTER_H1)
    client = client_for(auditor)
    assert client.get(reverse("reports:report_pdf", args=[report.pk])).status_code == 404
    assert client.get(reverse("reports:report_xlsx", args=[report.pk])).status_code == 404


@pytest.mark.django_db
def test_reviewer_generates_from_the_form_and_is_asked_before_a_new_version(
        renderer, reviewer, django_capture_on_commit_callbacks):
    client = client_for(reviewer)
    page = client.get(reverse("reports:report_generate")).content.decode()
    assert 'value="2025H2"' in page and 'value="2025"' in page and "data-confirm" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:report_generate"),
                               {"kind": "semiannual", "period": "2025H2"})
    first = ReportFile.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:report_detail", args=[first.pk])
    assert first.status == Status.DONE and first.generated_by == reviewer
    # Again: a confirmation step names the new version, and nothing is created yet.
    response = client.post(reverse("reports:report_generate"),
                           {"kind": "semiannual", "period": "2025H2"})
    text = response.content.decode()
    assert response.status_code == 200 and "新建 v2" in text and "现有版本保留" in text
    assert ReportFile.objects.count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("reports:report_generate"),
                    {"kind": "semiannual", "period": "2025H2", "confirmed": "True"})
    assert list(ReportFile.objects.order_by("version").values_list("version", "is_current")) == [
        (1, False), (2, True)]


@pytest.mark.django_db
def test_the_form_shows_refusals_as_errors(renderer, reviewer, django_capture_on_commit_callbacks):
    client = client_for(reviewer)
    open_half = f"{timezone.localdate().year + 1}H1"  # not offered: the period is still open
    response = client.post(reverse("reports:report_generate"),
                           {"kind": "semiannual", "period": open_half})
    assert response.status_code == 200 and 'class="error"' in response.content.decode()
    response = client.post(reverse("reports:report_generate"), {"kind": "annual",
                                                                "period": "2025H2"})
    assert "所选报告期与报告类型不符" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=False):
        client.post(reverse("reports:report_generate"), {"kind": "annual", "period": "2025"})
    response = client.post(reverse("reports:report_generate"),
                           {"kind": "annual", "period": "2025", "confirmed": "True"})
    assert response.status_code == 200
    assert "请待其完成后再生成新版本" in response.content.decode()
    assert ReportFile.objects.count() == 1


@pytest.mark.django_db
def test_progress_partial_polls_while_running_and_refreshes_when_done(
        renderer, reviewer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        report = services.report_request(kind=Kind.ANNUAL, period="2025", actor=reviewer,
                                         now=AFTER_H1)
    ReportFile.objects.filter(pk=report.pk).update(status=Status.RUNNING, progress=35)
    client = client_for(reviewer)
    url = reverse("reports:report_progress", args=[report.pk])
    partial = client.get(url, headers={"HX-Request": "true"})
    text = partial.content.decode()
    assert partial.status_code == 200
    assert f'hx-get="{url}"' in text and 'hx-trigger="every 2s"' in text
    assert 'value="35"' in text and "<html" not in text
    detail = client.get(reverse("reports:report_detail", args=[report.pk])).content.decode()
    assert f'hx-get="{url}"' in detail
    services.report_generate(report.pk)
    done = client.get(url, headers={"HX-Request": "true"})
    assert done.headers.get("HX-Refresh") == "true"
    assert "hx-get" not in client.get(url).content.decode()  # without htmx: the final state


@pytest.mark.django_db
def test_the_list_filters_by_kind_period_and_current(renderer, reviewer, run_tasks):
    run_tasks(actor=reviewer)
    current = run_tasks(actor=reviewer)
    run_tasks(kind=Kind.ANNUAL, period="2025", actor=reviewer)
    client = client_for(reviewer)
    url = reverse("reports:report_list")

    def rows(**params: str) -> int:
        return client.get(url, params).context["listing"].total

    assert rows() == 3
    assert rows(current="1") == 2
    assert rows(current="0") == 1
    assert rows(kind="annual") == 1
    assert rows(period="2026H1", current="1") == 1
    page = client.get(url).content.decode()
    assert "当前" in page and reverse("reports:report_pdf", args=[current.pk]) in page


@pytest.mark.django_db
def test_the_list_needs_a_fixed_number_of_queries(renderer, reviewer, run_tasks,
                                                  django_assert_max_num_queries):
    for _ in range(4):
        run_tasks(actor=reviewer)
    client = client_for(reviewer)
    client.get(reverse("reports:report_list"))
    with django_assert_max_num_queries(14):
        client.get(reverse("reports:report_list"))


@pytest.mark.django_db
@pytest.mark.parametrize("role_fixture", ["reviewer", "approver", "auditor"])
def test_homes_show_the_annual_report_due_date_and_whether_it_is_issued(
        request, renderer, reviewer, run_tasks, role_fixture):
    client = client_for(request.getfixturevalue(role_fixture))
    year = timezone.localdate().year - 1
    page = client.get(reverse("home")).content.decode()
    assert f"{year} 年度审计报告" in page and f"{year + 1}-03-31" in page
    assert "未生成" in page
    report = run_tasks(kind=Kind.ANNUAL, period=str(year), actor=reviewer,
                       now=datetime(year + 1, 1, 2, tzinfo=SH))
    page = client.get(reverse("home")).content.decode()
    assert "已生成 v1" in page
    assert reverse("reports:report_pdf", args=[report.pk]) in page


@pytest.mark.django_db
def test_nav_shows_reports_to_staff(reviewer, auditor, approver):
    for user in (reviewer, auditor, approver):
        page = client_for(user).get(reverse("home")).content.decode()
        assert f'href="{reverse("reports:report_list")}"' in page


@pytest.mark.django_db
def test_reviewer_requests_the_operations_report_and_the_auditor_downloads_it(
        renderer, reviewer, auditor, django_capture_on_commit_callbacks):
    page = client_for(reviewer).get(reverse("reports:report_generate")).content.decode()
    assert 'value="operations"' in page and "年度运营管理工作报告" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(reviewer).post(reverse("reports:report_generate"),
                                             {"kind": "operations", "period": "2025"})
    report = ReportFile.objects.get()
    assert response.status_code == 302
    assert (report.kind, report.period, report.status) == ("operations", "2025", Status.DONE)
    download = client_for(auditor).get(reverse("reports:report_pdf", args=[report.pk]))
    assert download.status_code == 200
    assert "filename*=UTF-8''%E5%B9%B4%E5%BA%A6%E8%BF%90%E8%90%A5" in \
        download["Content-Disposition"]  # 年度运营…
    listing = client_for(auditor).get(reverse("reports:report_list")).content.decode()
    assert "年度运营管理工作报告" in listing
