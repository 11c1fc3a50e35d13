"""The custodian's review screens: the claims queue across banks (with each claim's review age
in working days) and the review page of one claim with its three decisions.

The bureau and auditors may read both; only reviewers (and the administrator) decide. Bank
officers have no business here (403)."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_safe

from accounts.roles import Role, role_of, role_required
from banks.models import Bank
from banks.selectors import suspended_pairs, suspension_of
from fund.calendar_selectors import pending_text
from fund.selectors import policy_context
from loans.views import snapshot_rows
from riskcomp.choices import LoanType, Scheme
from riskcomp.columns import Col, Columns
from riskcomp.exports import wants_xlsx, xlsx_response
from riskcomp.form_errors import add_service_errors
from riskcomp.listing import Filter, build_listing
from riskcomp.policy.contradictions import Finding
from riskcomp.templatetags.portal import cny, pct
from riskcomp.uploads import ALLOWED_TYPES, serve_document

from ..common.exports import CLAIM
from ..filing.selectors import claim_check, document_for
from ..filing.views import claim_timeline
from ..models import Claim, ClaimDocument
from .forms import DECISION_FORMS, decision_forms
from .selectors import (
    AGE_ALERT,
    AGE_BANDS,
    OPEN_STATUSES,
    WAITING_LABELS,
    queue_ages,
    queue_claims,
    queue_marks,
    queue_status_counts,
    review_ages_refresh,
    review_detail_for,
    review_findings,
    review_queue_for,
    with_review_age,
)
from .services import REVIEW_ROLES, claim_request_supplement, claim_review_pass, claim_review_reject

_lazy = gettext_lazy

# Who may read the queue and the review page; deciding is for ``REVIEW_ROLES``.
READ_ROLES = (Role.REVIEWER, Role.ADMIN, Role.APPROVER, Role.AUDITOR)
ALL_STATUSES = "all"

def _yes(flag: bool) -> str:
    return str(_("是")) if flag else ""


QUEUE = CLAIM | Columns(
    # The stored age (``review_ages_refresh``), sorted in the database.
    age=Col(_lazy("审核时长（工作日）"), lambda c: c.review_age, "int", 12, sort="queue_age"),
    # While a year's holiday schedule is unknown the age is the least it can be: say so.
    age_note=Col(_lazy("审核时长说明"), lambda c: _("至少为该数，%(pending)s") % {
        "pending": pending_text(c.age_pending_year)} if c.age_pending_year else "", width=30),
    waiting=Col(_lazy("等待"), lambda c: str(c.waiting_label), width=12),
    suspended=Col(_lazy("银行暂停中"), lambda c: _yes(c.bank_suspended), width=10),
)
QUEUE_COLUMNS = QUEUE.listing("bank", "scheme", "number", "enterprise", "base", "compensation",
                              "status", "age", "waiting")
QUEUE_EXPORT = QUEUE.export("bank", "scheme", "number", "enterprise", "credit_code", "base",
                            "compensation", "status", "submitted", "age", "age_note", "waiting",
                            "suspended")


# --- The queue --------------------------------------------------------------------------------

@role_required(*READ_ROLES)
@require_safe
def review_queue(request: HttpRequest) -> HttpResponse:
    """Every claim across banks, open ones by default, oldest in review first."""
    qs = review_queue_for(user=request.user)
    status = request.GET.get("status", "")
    if status != ALL_STATUSES and status not in Claim.Status.values:
        qs = qs.filter(status__in=OPEN_STATUSES)
    review_ages_refresh(qs, today=timezone.localdate(), calendar=policy_context().calendar)
    band = {b.key: b for b in AGE_BANDS}.get(request.GET.get("age", ""))
    qs = with_review_age(qs, band)
    banks = tuple((str(pk), name) for pk, name in
                  Bank.objects.order_by("short_name").values_list("pk", "short_name"))
    listing = build_listing(
        request, qs.select_related(None).values_list("pk", flat=True),
        search_fields=("number", "filing__enterprise_name", "filing__enterprise__credit_code",
                       "filing__iou_number", "bank__name", "bank__short_name"),
        filters=(
            Filter("bank", str(_("银行")), "bank_id", banks),
            Filter("scheme", str(_("政策")), "scheme", tuple(Scheme.choices)),
            Filter("status", str(_("状态")), "status", tuple(Claim.Status.choices)),
        ),
        columns=QUEUE_COLUMNS,
        default_sort="-age",
    )
    suspended = suspended_pairs()
    if wants_xlsx(request):
        rows = queue_claims(qs, list(listing.page.paginator.object_list))
        return xlsx_response(queue_marks(rows, suspended), QUEUE_EXPORT,
                             title=_("待审队列"), filename="review-queue")
    listing.page.object_list = queue_marks(queue_claims(qs, list(listing.page.object_list)),
                                           suspended)
    counts = queue_status_counts(user=request.user)
    return render(request, "claims/review/queue.html", {
        "listing": listing,
        "status": status if status == ALL_STATUSES or status in Claim.Status.values else "",
        "status_choices": Claim.Status.choices,
        "band": band.key if band else "",
        "bands": AGE_BANDS,
        "age_alert_after": AGE_ALERT - 1,
        "open_count": sum(counts.get(s, 0) for s in OPEN_STATUSES),
        "status_counts": [(v, label, counts.get(v, 0), v in OPEN_STATUSES)
                          for v, label in Claim.Status.choices],
        "can_decide": role_of(request.user) in REVIEW_ROLES,
    })


# --- One claim --------------------------------------------------------------------------------

def _comparison(claim: Claim, findings: list[Finding], history_classified_on: Any
                ) -> list[dict[str, Any]]:
    """The frozen snapshot beside the filing as it is now and the claim, row by row, each row
    marked when a finding names one of its fields."""
    filing = claim.filing
    snap: dict[str, Any] = filing.snapshot if isinstance(filing.snapshot, dict) else {}
    raw_loan = snap.get("loan")
    loan: dict[str, Any] = raw_loan if isinstance(raw_loan, dict) else {}
    loan_types = dict(LoanType.choices)
    schemes = dict(Scheme.choices)
    rows = [
        ("drawdown_date", _("放款日"), loan.get("drawdown_date"), filing.drawdown_date, None),
        ("maturity_date", _("合同到期日"), loan.get("maturity_date"), filing.maturity_date,
         None),
        ("amount", _("贷款金额（人民币）"), _money(loan.get("cny_amount")),
         _money(filing.amount_cny), None),
        ("loan_type", _("贷款品种"), loan_types.get(loan.get("type", ""), loan.get("type")),
         filing.get_loan_type_display(), None),
        ("filed_on", _("备案受理日"), snap.get("decided_on"), filing.filed_on, None),
        ("scheme", _("适用政策"), schemes.get(snap.get("scheme", ""), snap.get("scheme")),
         filing.get_scheme_display(), claim.get_scheme_display()),
        ("policy_version", _("政策版本（文号）"), _snapshot_version(snap),
         filing.policy_version, None),
        ("ratio", _("补偿比例"), _pct(snap.get("ratio")), _pct(filing.ratio), _pct(claim.ratio)),
        ("base", _("本金余额 / 申报基数"), None, _money(filing.outstanding_principal),
         _money(claim.base)),
        ("compensation", _("补偿金额"), None, None, _money(claim.compensation)),
        ("classification_date", _("不良分类日期"), None, history_classified_on,
         claim.classification_date),
        ("submitted_on", _("申报日期"), None, None, timezone.localdate(claim.submitted_at)),
        ("deadline", _("申报截止日"), snap.get("claim_deadline"), None, claim.deadline),
    ]
    # A finding on the outstanding principal marks the base row, where it is shown.
    marks: dict[str, str] = {}
    for f in findings:
        for key in f.fields:
            key = "base" if key == "outstanding" else key
            if marks.get(key) != "contradiction":
                marks[key] = f.level
    return [{"key": key, "label": label, "snapshot": _show(frozen), "filing": _show(now),
             "claim": _show(claimed), "mark": marks.get(key, "")}
            for key, label, frozen, now, claimed in rows]


def _snapshot_version(snap: dict[str, Any]) -> str | None:
    """The document number the snapshot's verdict for the filing's scheme was judged under."""
    verdicts = snap.get("verdicts")
    verdict = verdicts.get(snap.get("scheme")) if isinstance(verdicts, dict) else None
    return verdict.get("version") if isinstance(verdict, dict) else None


def _show(value: Any) -> str:
    if value is None or value == "":
        return "—"
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _money(value: Any) -> str | None:
    return None if value in (None, "") else cny(value)


def _pct(value: Any) -> str | None:
    return None if value in (None, "") else pct(value)


def _wrong_state(exc: ValidationError) -> bool:
    errors = exc.error_list if not hasattr(exc, "error_dict") else [
        e for errs in exc.error_dict.values() for e in errs]
    return any(e.code == "wrong_state" for e in errors)


SUCCESS = {
    "pass": _lazy("申报 %(n)s 初审通过，待报送财政确认。"),
    "reject": _lazy("申报 %(n)s 初审不通过，已告知银行。"),
    "supplement": _lazy("已要求银行为申报 %(n)s 补充材料；银行答复前审核时长暂停计算。"),
}


def _decide(decision: str, claim: Claim, data: dict[str, Any], actor: Any) -> None:
    if decision == "pass":
        claim_review_pass(claim=claim, note=data["note"], actor=actor)
    elif decision == "reject":
        claim_review_reject(claim=claim, code=data["code"], note=data["note"],
                            actor=actor)
    else:
        claim_request_supplement(claim=claim, message=data["message"], actor=actor)


@role_required(*READ_ROLES)
def claim_review(request: HttpRequest, pk: int) -> HttpResponse:
    """The claim beside its frozen filing, the re-check, the documents inline, the history,
    and (for reviewers, while the claim waits for review) the three decisions."""
    claim = get_object_or_404(review_detail_for(user=request.user), pk=pk)
    can_decide = role_of(request.user) in REVIEW_ROLES
    sent = ""
    if request.method == "POST":
        if not can_decide:
            raise PermissionDenied(_("只有托管机构审核人员可以初审补偿申报。"))
        sent = request.POST.get("decision", "")
        if sent not in DECISION_FORMS:
            messages.error(request, _("请选择初审结论。"))
            return redirect("claims:review", pk=claim.pk)
        forms = decision_forms(request.POST, sent=sent)
        form: Form = forms[sent]
        if form.is_valid():
            try:
                _decide(sent, claim, form.cleaned_data, request.user)
            except ValidationError as exc:
                if _wrong_state(exc):  # decided meanwhile (double submit, another reviewer)
                    for message in exc.messages:
                        messages.error(request, message)
                    return redirect("claims:review", pk=claim.pk)
                add_service_errors(form, exc)
            else:
                messages.success(request, SUCCESS[sent] % {"n": claim.number})
                return redirect("claims:review_queue")
    else:
        forms = decision_forms()
    ctx = policy_context()
    submitted_on = timezone.localdate(claim.submitted_at)
    check = claim_check(filing=claim.filing, on=submitted_on, ctx=ctx)
    findings = review_findings(claim, check)
    ages = queue_ages(Claim.objects.filter(pk=claim.pk), today=timezone.localdate(),
                      calendar=ctx.calendar)
    age = ages.get(claim.pk)
    suspension = suspension_of(bank_id=claim.bank_id, scheme=claim.scheme)
    documents = list(claim.documents.all())
    return render(request, "claims/review/review.html", {
        "claim": claim,
        "filing": claim.filing,
        "comparison": _comparison(claim, findings, check.classified_on),
        "snapshot_rows": snapshot_rows(claim.filing.snapshot),
        "contradictions": [f for f in findings if f.is_contradiction],
        "warnings": [f for f in findings if not f.is_contradiction],
        "check": check,
        "age": age,
        "age_pending_year": ages.lower_bounds.get(claim.pk),
        "age_alert": AGE_ALERT,
        "waiting_label": WAITING_LABELS.get(claim.waiting_on or "", ""),
        "suspension": suspension if suspension is not None and suspension.is_suspended else None,
        "documents": documents,
        "timeline": claim_timeline(claim),
        "can_decide": can_decide and claim.status == Claim.Status.SUBMITTED,
        "is_reviewer": can_decide,
        "forms": forms,
        "sent": sent,
    })


@role_required(*READ_ROLES)
@xframe_options_sameorigin
@require_safe
def document_inline(request: HttpRequest, pk: int) -> HttpResponseBase:
    """A claim document shown in the review page (PDF in a frame, images as images):
    ``claims:document_download`` sends files as attachments, which a frame cannot show. Only
    the types ``check_upload`` accepted by content are served inline."""
    doc: ClaimDocument = get_object_or_404(document_for(user=request.user), pk=pk)
    response = serve_document(doc.file, filename=doc.original_name,
                              content_type=doc.content_type)
    if doc.content_type in ALLOWED_TYPES and isinstance(response, FileResponse):
        response["Content-Disposition"] = response["Content-Disposition"].replace(
            "attachment", "inline", 1)
    return response
