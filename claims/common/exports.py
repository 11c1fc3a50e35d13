"""The claims' and recoveries' columns, for their lists and the Excel exports of them."""

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.utils.translation import gettext_lazy as _

from riskcomp.columns import Col, Columns
from riskcomp.exports import XColumn, xlsx_response
from riskcomp.labels import quarter_label, scheme_short

__all__ = ["CLAIM", "CLAIM_COLUMNS", "RECOVERY", "RECOVERY_COLUMNS", "XColumn", "xlsx_response"]


def _status(obj: Any) -> str:
    return str(obj.get_status_display())


CLAIM = Columns(
    number=Col(_("申报编号"), lambda c: c.number, width=16, sort="number"),
    bank=Col(_("银行"), lambda c: c.bank.short_name, width=14, sort="bank__short_name"),
    iou=Col(_("借据号"), lambda c: c.filing.iou_number, width=18),
    enterprise=Col(_("借款企业"), lambda c: c.filing.enterprise_name, width=32,
                   sort="filing__enterprise_name"),
    credit_code=Col(_("统一社会信用代码"), lambda c: c.filing.enterprise.credit_code, width=22),
    scheme=Col(_("政策"), lambda c: scheme_short(c.scheme), width=8, sort="scheme"),
    version=Col(_("政策文号"), lambda c: c.filing.policy_version, width=24),
    quarter=Col(_("放款季度"), lambda c: quarter_label(c.filing.quarter), width=10),
    base=Col(_("基数（元）"), lambda c: c.base, "money", 18, sort="base",
             export_label=_("不良贷款本金余额（元）")),
    ratio=Col(_("补偿比例"), lambda c: c.ratio, "ratio", 10),
    compensation=Col(_("补偿金额（元）"), lambda c: c.compensation, "money", 18,
                     sort="compensation"),
    classified=Col(_("不良分类日期"), lambda c: c.classification_date, "date", 12),
    deadline=Col(_("申报截止日"), lambda c: c.deadline, "date", 12),
    submitted=Col(_("提交时间"), lambda c: c.submitted_at, "datetime", 17, sort="submitted_at"),
    status=Col(_("状态"), _status, width=14, sort="status"),
)
CLAIM_COLUMNS = CLAIM.export(
    "number", "bank", "iou", "enterprise", "credit_code", "scheme", "version", "quarter", "base",
    "ratio", "compensation", "classified", "deadline", "submitted", "status")


def _returned(r: Any, attr: str) -> Any:
    try:
        payment = r.return_payment
    except ObjectDoesNotExist:  # no return recorded yet
        return None
    return getattr(payment, attr)


RECOVERY = Columns(
    claim=Col(_("申报编号"), lambda r: r.claim.number, width=16, sort="claim__number"),
    bank=Col(_("银行"), lambda r: r.claim.bank.short_name, width=14,
             sort="claim__bank__short_name"),
    enterprise=Col(_("借款企业"), lambda r: r.claim.filing.enterprise_name, width=32,
                   sort="claim__filing__enterprise_name"),
    scheme=Col(_("政策"), lambda r: scheme_short(r.claim.scheme), width=8, sort="claim__scheme"),
    quarter=Col(_("放款季度"), lambda r: quarter_label(r.claim.filing.quarter), width=10),
    recovered=Col(_("回收日期"), lambda r: r.recovered_on, "date", 12, sort="recovered_on"),
    amount=Col(_("回收金额（元）"), lambda r: r.amount, "money", 16, sort="amount"),
    notified=Col(_("通知日期"), lambda r: r.notified_on, "date", 12),
    notice_deadline=Col(_("通知截止日"), lambda r: r.notice_deadline, "date", 12,
                        sort="notice_deadline"),
    due=Col(_("应返还（元）"), lambda r: r.return_amount, "money", 16, sort="return_amount",
            export_label=_("应返还金额（元）")),
    return_deadline=Col(_("返还截止日"), lambda r: r.return_deadline, "date", 12,
                        sort="return_deadline"),
    returned_on=Col(_("返还日期"), lambda r: _returned(r, "returned_on"), "date", 12),
    returned_amount=Col(_("返还金额（元）"), lambda r: _returned(r, "amount"), "money", 16),
    reference=Col(_("返还流水号"), lambda r: _returned(r, "reference"), width=22),
    overdue=Col(_("逾期"), lambda r: str(_("是")) if getattr(r, "is_overdue", False) else "",
                width=8),
    state=Col(_("返还状态"), sort="return_state"),
)
RECOVERY_COLUMNS = RECOVERY.export(
    "claim", "bank", "enterprise", "scheme", "quarter", "recovered", "amount", "notified",
    "notice_deadline", "due", "return_deadline", "returned_on", "returned_amount", "reference",
    "overdue")
