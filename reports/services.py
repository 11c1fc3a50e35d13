"""Writes of the reports (RULES.md "Reports"): a request adds a version, the task generates it.

Issued files are never overwritten: every request is a new version with a new file name, and
``is_current`` moves to a version only once it is done, so a failed regeneration never hides the
report already issued. Generation is idempotent under the ``reports`` queue's late
acknowledgement: a duplicate delivery of a finished report does nothing, a redelivery after a
killed worker restarts the generation, and a superseded attempt never records its file."""

import hashlib
import logging
import posixpath
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from jobs.models import Job
from jobs.services import job_submit
from riskcomp.validation import invalid

from .models import ReportFile
from .selectors import ACTIVE_STATUSES, GENERATED_KINDS, last_closed_periods, period_display

logger = logging.getLogger(__name__)

Status = ReportFile.Status
# A version still queued or running this long after its request is taken as abandoned (the
# broker's visibility timeout is 2 hours: by then a lost task would have been redelivered).
STALE_AFTER = timedelta(hours=2)
# Progress is written to the row at most once per this many percentage points.
PROGRESS_STEP = 5
# Shares of the progress bar: gathering the figures, then laying out the PDF.
DATA_SHARE = 10
ERROR_MAX_CHARS = 2000


# --- Request ------------------------------------------------------------------------------------

def _refuse_open_period(kind: str, period: str, end: Any, today: Any) -> None:
    if today <= end:
        raise invalid("period", _(
            "报告期 %(p)s 尚未结束（%(end)s 截止），%(next)s 起方可生成%(k)s。") % {
            "p": period_display(kind, period), "end": end.isoformat(),
            "next": (end + timedelta(days=1)).isoformat(),
            "k": ReportFile.Kind(kind).label}, "period_open")


@transaction.atomic
def report_request(*, kind: str, period: str, actor: Any,
                   now: datetime | None = None) -> ReportFile:
    """Queue a new version of the ``kind`` report of ``period`` (``actor`` None: the schedule).

    Refused while the period has not ended, and while a version of the same report is queued
    or being generated. Earlier versions stay as they are; the task is sent once the new row is
    committed."""
    from . import figures  # loaded where a report is made, not by every page of the portal

    now = now or timezone.now()
    if kind not in GENERATED_KINDS:
        raise invalid("kind", _("请选择半年度报告、年度审计报告或年度运营管理工作报告。"), "kind")
    period = (period or "").strip().upper()
    try:
        start, end = figures.report_period(kind, period)
    except ValueError as exc:
        raise invalid("period", str(exc), "period_format") from exc
    _refuse_open_period(kind, period, end, timezone.localtime(now).date())
    # Every version of the report, locked: two reviewers requesting at once are serialised.
    versions = list(ReportFile.objects.select_for_update()
                    .filter(kind=kind, period=period).order_by("-version"))
    for active in (v for v in versions if v.status in ACTIVE_STATUSES):
        if active.created_at > now - STALE_AFTER:
            raise invalid(None, _(
                "%(k)s %(p)s 的 v%(v)d 正在%(s)s（%(n)d%%），请待其完成后再生成新版本。") % {
                "k": active.get_kind_display(), "p": period_display(kind, period),
                "v": active.version, "s": active.get_status_display(), "n": active.progress},
                "already_running")
        active.status, active.finished_at = Status.FAILED, now
        active.error = _("提交后两小时仍未完成，视为生成中断；已由新的生成请求取代。")
        active.save(update_fields=["status", "finished_at", "error"])
    version = versions[0].version + 1 if versions else 1
    try:
        with transaction.atomic():
            report = ReportFile.objects.create(
                kind=kind, period=period, period_start=start, period_end=end,
                version=version, is_current=False, status=Status.PENDING, progress=0,
                parameters={"as_of": now.isoformat(), "attempt": 0},
                generated_by=actor,
            )
    except IntegrityError as exc:  # the first version, requested twice at the same moment
        raise invalid(None, _("同一报告期的另一生成请求刚刚提交，请刷新页面查看。"),
                      "concurrent_request") from exc
    # Sent once the row is committed; with the broker down the job waits for the sweeper.
    job_submit(kind=Job.Kind.REPORT_GENERATE, object_id=report.pk, actor=actor)
    return report


def report_request_due(*, now: datetime | None = None) -> list[ReportFile]:
    """The schedule's requests after a period ends: the half-year that ended last and the past
    year's annual report, each unless a current or queued version exists already."""
    now = now or timezone.now()
    requested = []
    for kind, period in last_closed_periods(today=timezone.localtime(now).date()):
        if ReportFile.objects.filter(kind=kind, period=period).filter(
                Q(is_current=True) | Q(status__in=ACTIVE_STATUSES)).exists():
            continue
        try:
            requested.append(report_request(kind=kind, period=period, actor=None, now=now))
        except ValidationError:
            logger.exception("scheduled request of %s %s refused", kind, period)
    return requested


# --- Generation ---------------------------------------------------------------------------------

@transaction.atomic
def _start(report_id: int) -> tuple[ReportFile, int] | None:
    """Mark the version running and count the attempt; None when there is nothing to do (done,
    failed, or gone). A version found running was left by a worker that died: it restarts."""
    report = ReportFile.objects.select_for_update().filter(pk=report_id).first()
    if report is None or report.status not in ACTIVE_STATUSES:
        return None
    attempt = int(report.parameters.get("attempt", 0)) + 1
    # Files an earlier attempt stored before its worker died: never recorded, not kept.
    leftovers = list(report.parameters.get(UNFINISHED, ()))
    parameters = {k: v for k, v in report.parameters.items() if k != UNFINISHED}
    report.parameters = {**parameters, "attempt": attempt,
                         "started_at": timezone.now().isoformat()}
    report.status, report.progress, report.error = Status.RUNNING, 0, ""
    report.save(update_fields=["parameters", "status", "progress", "error"])
    if leftovers:
        storage = report.file.storage

        def drop_leftovers() -> None:
            for name in leftovers:
                storage.delete(name)

        transaction.on_commit(drop_leftovers)
    return report, attempt


# The parameter listing the files an attempt has stored and not yet recorded.
UNFINISHED = "unfinished_files"


def _note_stored(report_id: int, attempt: int, names: list[str]) -> None:
    """Write down what this attempt has stored so far, so that an attempt after a crash can
    delete it."""
    row = _mine(report_id, attempt)
    current = row.values_list("parameters", flat=True).first()
    if current is not None:
        row.update(parameters={**current, UNFINISHED: list(names)})


def _mine(report_id: int, attempt: int) -> Any:
    """The row while this attempt still owns it (a restart counts a new attempt)."""
    return ReportFile.objects.filter(pk=report_id, status=Status.RUNNING,
                                     parameters__attempt=attempt)


def _progress_writer(report_id: int, attempt: int) -> Callable[[float], None]:
    """A ``progress(0..100)`` callback for the renderer, mapped onto the part of the bar after
    the figures and written at most every ``PROGRESS_STEP`` points (never 100: that is done)."""
    last = {"value": DATA_SHARE}

    def progress(percent: float) -> None:
        value = DATA_SHARE + int((100 - DATA_SHARE) * max(0.0, min(float(percent), 100.0)) / 100)
        value = min(value, 99)
        if value - last["value"] >= PROGRESS_STEP:
            last["value"] = value
            _mine(report_id, attempt).update(progress=value)

    return progress


def report_as_of(report: ReportFile) -> datetime:
    """The report's date (its request): a retry prints the same date as the first attempt."""
    value = parse_datetime(str(report.parameters.get("as_of", "")))
    return value or report.created_at


def report_file_name(report: ReportFile, extension: str) -> str:
    return f"{report.kind}-{report.period}-v{report.version}.{extension}"


@dataclass(frozen=True)
class _Stored:
    pdf: str
    pdf_bytes: bytes
    pages: int
    xlsx: str
    xlsx_bytes: bytes


def report_generate(report_id: int) -> ReportFile | None:
    """Generate a queued version (called by the task): the figures, the PDF with progress and
    the workbook of its tables, both stored under the version's own names with their SHA-256;
    then done and current. The workbook is made from the same figures as the PDF, so the two
    files of a version always agree. Any failure marks the version failed with the error, and
    the current version stays what it was. Returns the version when this call finished it."""
    from . import figures, rendering  # WeasyPrint: heavy, loaded by the report task only

    started = _start(report_id)
    if started is None:
        return None
    report, attempt = started
    storage = report.file.storage
    names: list[str] = []

    def store(extension: str, content: bytes) -> str:
        # A new name for every version; the storage never reuses a taken name either.
        name = storage.save(report.file.field.generate_filename(
            report, report_file_name(report, extension)), ContentFile(content))
        names.append(name)
        _note_stored(report_id, attempt, names)
        return name

    try:
        data = figures.report_data(report.kind, report.period, now=report_as_of(report))
        _mine(report_id, attempt).update(progress=DATA_SHARE)
        # The workbook first: the PDF cites its stored name for the listings it holds alone.
        xlsx = rendering.report_workbook(data)
        xlsx_name = store("xlsx", xlsx)
        pdf, pages = rendering.render_report_pdf(
            data, progress=_progress_writer(report_id, attempt),
            workbook_name=posixpath.basename(xlsx_name))
        stored = _Stored(pdf=store("pdf", pdf), pdf_bytes=pdf, pages=pages,
                         xlsx=xlsx_name, xlsx_bytes=xlsx)
        if _finish(report_id, attempt, stored):
            return ReportFile.objects.get(pk=report_id)
        for name in names:  # superseded by a newer attempt: not recorded, not kept
            storage.delete(name)
        return None
    except Exception as exc:
        logger.exception("report %s failed", report_id)
        for name in names:
            storage.delete(name)
        _mine(report_id, attempt).update(
            status=Status.FAILED, finished_at=timezone.now(),
            error=f"{type(exc).__name__}: {exc}"[:ERROR_MAX_CHARS])
        return None


@transaction.atomic
def _finish(report_id: int, attempt: int, stored: _Stored) -> bool:
    """Record the files and make this version the current one, in one transaction with every
    version of the report locked; False when the attempt was superseded meanwhile."""
    kind, period = ReportFile.objects.values_list("kind", "period").get(pk=report_id)
    versions = list(ReportFile.objects.select_for_update()
                    .filter(kind=kind, period=period).order_by("version"))
    report = next(v for v in versions if v.pk == report_id)
    if report.status != Status.RUNNING or report.parameters.get("attempt") != attempt:
        return False
    ReportFile.objects.filter(pk__in=[v.pk for v in versions if v.is_current]).update(
        is_current=False)
    report.file.name = stored.pdf
    report.sha256 = hashlib.sha256(stored.pdf_bytes).hexdigest()
    report.page_count = stored.pages
    report.parameters = {
        **{k: v for k, v in report.parameters.items() if k != UNFINISHED},
        "size": len(stored.pdf_bytes), "xlsx": stored.xlsx,
        "xlsx_sha256": hashlib.sha256(stored.xlsx_bytes).hexdigest(),
    }
    report.status, report.progress, report.is_current = Status.DONE, 100, True
    report.finished_at, report.error = timezone.now(), ""
    report.save(update_fields=["file", "sha256", "page_count", "parameters", "status",
                               "progress", "is_current", "finished_at", "error"])
    return True
