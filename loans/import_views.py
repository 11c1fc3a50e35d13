"""Screens of the quarter's Excel import: templates, upload, progress, preview, confirmation,
the rejected rows, and the history of a bank's uploads. Thin: permission, form, one service
call, message, redirect. An officer sees only the batches of the banks they act for (404
otherwise); the custodian, the bureau and auditors may read every bank's."""

import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe
from django_htmx.http import HttpResponseClientRefresh

from accounts.roles import ANY_ROLE, Role, role_of, role_required
from banks.selectors import banks_for
from jobs.selectors import job_is_unsent, job_latest_for, job_state_context
from riskcomp.choices import Scheme
from riskcomp.htmx import HtmxHttpRequest
from riskcomp.listing import Column, Filter, Listing, build_listing

from .import_selectors import (
    AMOUNT,
    IOU,
    NAME,
    OK,
    SCHEME,
    import_batch_duplicate_of,
    import_batch_header,
    import_batch_list_for,
    import_batch_preview,
    import_rejected_workbook,
)
from .import_services import RUNNING, import_batch_confirm, import_batch_create
from .importing import (
    CLASSIFICATIONS,
    FILINGS,
    LAYOUTS,
    ImportFileError,
    ParsedSheet,
    build_workbook,
    check_size,
    read_workbook,
    spreadsheet_limit,
)
from .job_kinds import IMPORT_KINDS
from .models import ImportBatch

TONES = {"uploaded": "info", "validating": "info", "validated": "warn", "committing": "info",
         "committed": "ok", "failed": "danger"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PREVIEW_PAGE = 50
_lazy = gettext_lazy


class ImportUploadForm(forms.Form):
    """The file and what it holds; the file is checked and read here, before anything is
    written, so every refusal of the whole file is a plain form error."""

    kind = forms.ChoiceField(label=_lazy("导入内容"), choices=ImportBatch.Kind.choices,
                             initial=ImportBatch.Kind.FILINGS, widget=forms.RadioSelect)
    file = forms.FileField(label=_lazy("Excel文件（.xlsx）"), allow_empty_file=True,
                           widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}))

    def __init__(self, *args: Any, banks: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.banks = banks
        self.fields["file"].help_text = _("只接受 .xlsx 文件，不超过 %(mb)s MB，不得含公式。") % {
            "mb": spreadsheet_limit() // 1048576}
        if len(banks) > 1:
            self.fields["bank"] = forms.TypedChoiceField(
                label=_lazy("导入银行"), coerce=int, choices=[(b.pk, b.name) for b in banks])
        self.content = b""
        self.parsed: ParsedSheet | None = None

    def chosen_bank(self) -> Any:
        if len(self.banks) == 1:
            return self.banks[0]
        return next(b for b in self.banks if b.pk == self.cleaned_data["bank"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload = data.get("file")
        kind = data.get("kind")
        if upload is None or kind not in LAYOUTS:
            return data
        try:
            check_size(upload.size)  # before reading a byte of it
            self.content = upload.read()
            self.parsed = read_workbook(self.content, LAYOUTS[kind])
        except ImportFileError as exc:
            self.add_error("file", exc.message)
        return data


def _officer_banks(user: Any) -> list[Any]:
    banks = list(banks_for(user))
    if not banks:
        raise PermissionDenied(_("您的账号尚未获得任何合作银行的授权。"))
    return banks


def _xlsx(content: bytes, filename: str) -> FileResponse:
    return FileResponse(io.BytesIO(content), as_attachment=True, filename=filename,
                        content_type=XLSX)


@role_required(*ANY_ROLE)
@require_safe
def import_template_filings(request: HttpRequest) -> FileResponse:
    return _xlsx(build_workbook(FILINGS), "贷款备案导入模板.xlsx")


@role_required(*ANY_ROLE)
@require_safe
def import_template_classifications(request: HttpRequest) -> FileResponse:
    return _xlsx(build_workbook(CLASSIFICATIONS), "五级分类导入模板.xlsx")


@role_required(*ANY_ROLE)
@require_safe
def import_list(request: HttpRequest) -> HttpResponse:
    listing = build_listing(
        request, import_batch_list_for(user=request.user),
        search_fields=("original_name",),
        filters=(
            Filter("kind", str(_("导入内容")), "kind", tuple(ImportBatch.Kind.choices)),
            Filter("status", str(_("状态")), "status", tuple(ImportBatch.Status.choices)),
        ),
        columns=(
            ("created", Column(_("上传时间"), "created_at")),
            ("name", Column(_("文件"), "original_name")),
            ("kind", Column(_("导入内容"), "kind")),
            ("bank", Column(_("银行"), "bank__short_name")),
            ("status", Column(_("状态"), "status")),
            ("total", Column(_("总行数"), "total_rows", numeric=True)),
            ("accepted", Column(_("通过"), "accepted_rows", numeric=True)),
            ("rejected", Column(_("退回"), "rejected_rows", numeric=True)),
            ("by", Column(_("上传人"))),
        ),
        default_sort="-created",
    )
    for b in listing.page.object_list:
        b.tone = TONES.get(b.status, "muted")
    return render(request, "loans/import_list.html", {
        "listing": listing, "is_officer": role_of(request.user) == Role.BANK_OFFICER})


@role_required(Role.BANK_OFFICER)
def import_upload(request: HttpRequest) -> HttpResponse:
    banks = _officer_banks(request.user)
    if request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES, banks=banks)
        if form.is_valid() and form.parsed is not None:
            upload = form.cleaned_data["file"]
            batch = import_batch_create(
                bank=form.chosen_bank(), kind=form.cleaned_data["kind"],
                original_name=upload.name, data=form.content, parsed=form.parsed,
                actor=request.user)
            if batch.result.get("duplicate_of"):
                messages.warning(request, _(
                    "该文件与本行此前上传的批次 #%(id)s 内容完全相同。已备案的借据将以“重复”"
                    "退回，不会重复备案。") % {"id": batch.result["duplicate_of"]})
            if _waits_for_broker(batch):
                messages.warning(request, _(
                    "文件已上传，共 %(n)s 行。后台任务队列暂时不可用，校验将在队列恢复后自动开始，"
                    "无需重新上传。") % {"n": batch.total_rows})
            else:
                messages.success(request, _("文件已上传，共 %(n)s 行。") % {
                    "n": batch.total_rows})
            return redirect("loans:import_detail", pk=batch.pk)
    else:
        kind = request.GET.get("kind")
        form = ImportUploadForm(banks=banks, initial={"kind": kind} if kind in LAYOUTS else None)
    return render(request, "loans/import_upload.html", {"form": form})


def _waits_for_broker(batch: ImportBatch) -> bool:
    """The batch's task could not be sent (the broker is down); the sweeper sends it later."""
    job = job_latest_for(kinds=IMPORT_KINDS, object_id=batch.pk)
    return job is not None and job_is_unsent(job)


def _batch_for(request: HttpRequest, pk: int) -> ImportBatch:
    return get_object_or_404(import_batch_list_for(user=request.user), pk=pk)


VERDICTS = (("accepted", _lazy("通过")), ("rejected", _lazy("退回")))


def _preview_listing(request: HttpRequest, entries: list[list[Any]]) -> Listing:
    """The preview rows as a listing for the shared toolbar and pagination components."""
    query = request.GET.get("q", "").strip()[:100]
    verdict = request.GET.get("verdict", "")
    if verdict in ("accepted", "rejected"):
        want = 1 if verdict == "accepted" else 0
        entries = [e for e in entries if e[OK] == want]
    else:
        verdict = ""
    if query:
        needle = query.upper()
        entries = [e for e in entries if needle in str(e[IOU]).upper()
                   or needle in str(e[NAME]).upper()]
    page = Paginator(entries, PREVIEW_PAGE).get_page(request.GET.get("page"))
    keep = request.GET.copy()
    keep.pop("page", None)
    return Listing(
        page=page, query=query, sort="", params=keep.urlencode(), total=len(entries),
        filters=[{"name": "verdict", "label": str(_("校验结果")), "value": verdict,
                  "choices": tuple((k, str(v)) for k, v in VERDICTS)}],
        columns=[])


@dataclass
class PreviewTotal:
    label: str
    accepted: bool
    count: int = 0
    amount: Decimal = Decimal("0.00")
    unknown: int = 0  # rows whose amount could not be read


def preview_totals(entries: list[list[Any]]) -> list[PreviewTotal]:
    """Count and amount (CNY) of a filings batch's rows per scheme and verdict, over the whole
    batch whatever page is shown: accepted rows by the scheme they fall under, then the rejected
    rows (no scheme takes them)."""
    labels = dict(Scheme.choices)
    totals: dict[tuple[int, str], PreviewTotal] = {}
    for e in entries:
        ok = bool(e[OK])
        scheme = str(e[SCHEME]) if ok else ""
        key = (0 if ok else 1, scheme)
        if key not in totals:
            label = str(labels.get(scheme, "")) if ok else str(_("退回（不予备案）"))
            totals[key] = PreviewTotal(label=label, accepted=ok)
        row = totals[key]
        row.count += 1
        text = e[AMOUNT] if len(e) > AMOUNT else ""
        if text:
            row.amount += Decimal(text)
        else:
            row.unknown += 1
    return [totals[k] for k in sorted(totals)]


@role_required(*ANY_ROLE)
@require_safe
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch_for(request, pk)
    running = batch.status in RUNNING
    entries = [] if running else import_batch_preview(batch)
    listing = None if running else _preview_listing(request, entries)
    totals = preview_totals(entries) if batch.kind == ImportBatch.Kind.FILINGS else []
    return render(request, "loans/import_detail.html", {
        "batch": batch, "running": running, "listing": listing, "totals": totals,
        "total_count": sum(t.count for t in totals),
        "total_amount": sum((t.amount for t in totals), Decimal("0.00")),
        "tone": TONES.get(batch.status, "muted"), "duplicate_of": import_batch_duplicate_of(batch),
        "header": import_batch_header(batch),
        "layout": LAYOUTS[batch.kind], "scheme_labels": dict(Scheme.choices),
        "can_confirm": role_of(request.user) == Role.BANK_OFFICER
        and batch.status == ImportBatch.Status.VALIDATED and batch.accepted_rows > 0,
        **job_state_context(user=request.user, kinds=IMPORT_KINDS, object_id=batch.pk),
    })


@role_required(*ANY_ROLE)
@require_safe
def import_progress(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Polled by htmx every second while the batch is validated or committed; once it is done,
    the page reloads to show the preview."""
    batch = _batch_for(request, pk)
    if batch.status not in RUNNING and request.htmx:
        return HttpResponseClientRefresh()
    return render(request, "loans/import_progress.html", {
        "batch": batch, "running": batch.status in RUNNING,
        **job_state_context(user=request.user, kinds=IMPORT_KINDS, object_id=batch.pk)})


@role_required(Role.BANK_OFFICER)
def import_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """POST only (a GET, once the batch is found, goes back to the batch)."""
    batch = _batch_for(request, pk)
    if request.method != "POST":
        return redirect("loans:import_detail", pk=batch.pk)
    if import_batch_confirm(batch=batch, actor=request.user):
        if _waits_for_broker(batch):
            messages.warning(request, _(
                "已确认提交。后台任务队列暂时不可用，通过校验的 %(n)s 行将在队列恢复后自动备案，"
                "无需再次确认。") % {"n": batch.accepted_rows})
        else:
            messages.success(request, _("已确认提交，通过校验的 %(n)s 行将在同一事务中备案。")
                             % {"n": batch.accepted_rows})
    else:
        messages.info(request, _("该批次已提交或没有可提交的行，未重复提交。"))
    return redirect("loans:import_detail", pk=batch.pk)


@role_required(*ANY_ROLE)
@require_safe
def import_rejected(request: HttpRequest, pk: int) -> HttpResponseBase:
    batch = _batch_for(request, pk)
    if batch.status in RUNNING or batch.status == ImportBatch.Status.FAILED \
            or not batch.rejected_rows:
        messages.info(request, _("该批次没有退回的行。"))
        return redirect("loans:import_detail", pk=batch.pk)
    stem = batch.original_name.rsplit(".", 1)[0] or "import"
    return _xlsx(import_rejected_workbook(batch), f"{stem}-退回行.xlsx")
