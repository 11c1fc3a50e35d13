"""Screens of the reports (报告): the list of every version, one report with its versions and
progress, the generation form, and the downloads (the issued PDF, the Excel of its tables).

The custodian reviewer generates; the custodian, the bureau, auditors and the admin read and
download. Bank officers get 403 before any id is looked at."""

from urllib.parse import quote

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe
from django_htmx.http import HttpResponseClientRefresh

from accounts.roles import Role, role_of, role_required
from jobs.models import Job
from jobs.selectors import job_is_unsent, job_latest_for, job_state_context
from riskcomp.exports import XLSX
from riskcomp.form_errors import service_errors_on
from riskcomp.htmx import HtmxHttpRequest
from riskcomp.labels import quarter_label
from riskcomp.listing import Column, Filter, build_listing

from . import selectors, services
from .forms import ReportRequestForm
from .models import ReportFile

_lazy = gettext_lazy
READERS = (Role.REVIEWER, Role.APPROVER, Role.AUDITOR, Role.ADMIN)
GENERATORS = (Role.REVIEWER,)
Status = ReportFile.Status


def _can_generate(request: HttpRequest) -> bool:
    return role_of(request.user) in GENERATORS


@role_required(*READERS)
@require_safe
def report_list(request: HttpRequest) -> HttpResponse:
    periods = tuple((p, quarter_label(p)) for p in ReportFile.objects.order_by("-period")
                    .values_list("period", flat=True).distinct())
    listing = build_listing(
        request, selectors.report_list(),
        search_fields=("period", "sha256"),
        filters=(
            Filter("kind", str(_("报告类型")), "kind", tuple(ReportFile.Kind.choices)),
            Filter("period", str(_("报告期")), "period", periods),
            Filter("current", str(_("版本")), "is_current",
                   (("1", str(_("当前版本"))), ("0", str(_("历史版本"))))),
            Filter("status", str(_("状态")), "status", tuple(Status.choices)),
        ),
        columns=(
            ("kind", Column(_lazy("报告类型"), "kind")),
            ("period", Column(_lazy("报告期"), "period_end")),
            ("version", Column(_lazy("版本"), "version", numeric=True)),
            ("status", Column(_lazy("状态"), "status")),
            ("pages", Column(_lazy("页数"), "page_count", numeric=True)),
            ("size", Column(_lazy("大小"), numeric=True)),
            ("sha256", Column(_lazy("SHA-256"))),
            ("generated", Column(_lazy("生成人 / 完成时间"), "finished_at")),
            ("files", Column(_lazy("下载"))),
        ),
        default_sort="-period",
    )
    return render(request, "reports/report_list.html", {
        "listing": listing, "can_generate": _can_generate(request),
        "annual": selectors.annual_report_due(today=timezone.localdate()),
    })


@role_required(*READERS)
@require_safe
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = get_object_or_404(selectors.report_list(), pk=pk)
    versions = list(selectors.report_versions(kind=report.kind, period=report.period))
    active = next((v for v in versions if v.status in selectors.ACTIVE_STATUSES), None)
    return render(request, "reports/report_detail.html", {
        "report": report, "versions": versions, "active": active,
        "period_display": selectors.period_display(report.kind, report.period),
        "can_regenerate": _can_generate(request) and active is None
        and report.kind in selectors.GENERATED_KINDS,
        "next_version": versions[0].version + 1,
        "current": next((v for v in versions if v.is_current), None),
        **job_state_context(user=request.user, kinds=(Job.Kind.REPORT_GENERATE,),
                            object_id=report.pk),
    })


@role_required(*READERS)
@require_safe
def report_progress(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Polled by htmx every 2 s while the version is queued or generated; once it has finished
    (done or failed) the page reloads to show the result."""
    report = get_object_or_404(ReportFile, pk=pk)
    running = report.status in selectors.ACTIVE_STATUSES
    if not running and request.htmx:
        return HttpResponseClientRefresh()
    return render(request, "reports/_progress.html", {"report": report, "running": running})


def _request_message(request: HttpRequest, report: ReportFile) -> None:
    """Success only for a version that is queued or done by now (with eager tasks it may have
    run already); a version that failed, or waits for the broker, says so."""
    report.refresh_from_db(fields=["status", "error"])
    job = job_latest_for(kinds=(Job.Kind.REPORT_GENERATE,), object_id=report.pk)
    if report.status == ReportFile.Status.FAILED:
        messages.error(request, _("%(r)s 生成失败，可重新提交。") % {"r": report})
    elif job is not None and job_is_unsent(job):
        messages.warning(request, _(
            "已保存 %(r)s 的生成请求，但后台任务队列暂时不可用；队列恢复后将自动开始生成。")
            % {"r": report})
    else:
        messages.success(request, _("已提交生成 %(r)s，生成完成后即成为当前版本。")
                         % {"r": report})


@role_required(*GENERATORS)
def report_generate(request: HttpRequest) -> HttpResponse:
    """GET: the form. POST: a first version is queued at once (the button asked); when versions
    exist, a confirmation step says that a new version is made and the others are kept."""
    today = timezone.localdate()
    if request.method != "POST":
        initial = {k: request.GET[k] for k in ("kind", "period") if request.GET.get(k)}
        form = ReportRequestForm(initial=initial, today=today)
        return render(request, "reports/report_generate.html", {"form": form})
    form = ReportRequestForm(request.POST, today=today)
    if form.is_valid():
        data = form.cleaned_data
        versions = list(selectors.report_versions(kind=data["kind"], period=data["period"]))
        if versions and not data["confirmed"]:
            return render(request, "reports/report_confirm.html", {
                "form": form, "versions": versions, "next_version": versions[0].version + 1,
                "kind_label": ReportFile.Kind(data["kind"]).label,
                "period_display": selectors.period_display(data["kind"], data["period"]),
                "current": next((v for v in versions if v.is_current), None),
            })
        with service_errors_on(form):
            report = services.report_request(kind=data["kind"], period=data["period"],
                                             actor=request.user)
            _request_message(request, report)
            return redirect("reports:report_detail", pk=report.pk)
    return render(request, "reports/report_generate.html", {"form": form})


def _attachment(response: FileResponse, filename: str) -> FileResponse:
    ascii_name = filename.encode("ascii", "ignore").decode() or "report"
    response["Content-Disposition"] = (
        f'attachment; filename="{ascii_name}"; filename*=UTF-8\'\'{quote(filename)}')
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _done_report(pk: int) -> ReportFile:
    report = get_object_or_404(ReportFile, pk=pk)
    if report.status != Status.DONE or not report.file:
        raise Http404(_("该版本尚未生成完成，没有可下载的文件。"))
    return report


def _download_name(report: ReportFile, extension: str) -> str:
    return f"{report.get_kind_display()}-{report.period}-v{report.version}.{extension}"


@role_required(*READERS)
@require_safe
def report_pdf(request: HttpRequest, pk: int) -> FileResponse:
    """The stored PDF as issued, with its SHA-256 in ``X-Report-SHA256`` so that a copy can be
    checked against the portal's record."""
    report = _done_report(pk)
    try:
        # _done_report refused a version without a file, so the name is set.
        handle = report.file.storage.open(str(report.file.name), "rb")
    except OSError as exc:
        raise Http404(_("报告文件不存在或已被移除。")) from exc
    response = FileResponse(handle, content_type="application/pdf")
    response["X-Report-SHA256"] = report.sha256
    return _attachment(response, _download_name(report, "pdf"))


@role_required(*READERS)
@require_safe
def report_xlsx(request: HttpRequest, pk: int) -> FileResponse:
    """The tables of the report as Excel, stored with its PDF from the same figures."""
    report = _done_report(pk)
    name = report.parameters.get("xlsx")
    if not name:
        raise Http404(_("该版本没有 Excel 文件。"))
    try:
        handle = report.file.storage.open(name, "rb")
    except OSError as exc:
        raise Http404(_("报告文件不存在或已被移除。")) from exc
    response = FileResponse(handle, content_type=XLSX)
    response["X-Report-SHA256"] = report.parameters.get("xlsx_sha256", "")
    return _attachment(response, _download_name(report, "xlsx"))
