"""The claims' and recoveries' columns for the Excel exports of their lists."""

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.utils.translation import gettext_lazy as _

from riskcomp.exports import XColumn, xlsx_response
from riskcomp.labels import quarter_label, scheme_short

__all__ = ["CLAIM_COLUMNS", "RECOVERY_COLUMNS", "XColumn", "xlsx_response"]


def _status(obj: Any) -> str:
    return str(obj.get_status_display())


CLAIM_COLUMNS: tuple[XColumn, ...] = (
    XColumn(_("申报编号"), lambda c: c.number, width=16),
    XColumn(_("银行"), lambda c: c.bank.short_name, width=14),
    XColumn(_("借据号"), lambda c: c.filing.iou_number, width=18),
    XColumn(_("借款企业"), lambda c: c.filing.enterprise_name, width=32),
    XColumn(_("统一社会信用代码"), lambda c: c.filing.enterprise.credit_code, width=22),
    XColumn(_("政策"), lambda c: scheme_short(c.scheme), width=8),
    XColumn(_("政策文号"), lambda c: c.filing.policy_version, width=24),
    XColumn(_("放款季度"), lambda c: quarter_label(c.filing.quarter), width=10),
    XColumn(_("不良贷款本金余额（元）"), lambda c: c.base, "money", 18),
    XColumn(_("补偿比例"), lambda c: c.ratio, "ratio", 10),
    XColumn(_("补偿金额（元）"), lambda c: c.compensation, "money", 18),
    XColumn(_("不良分类日期"), lambda c: c.classification_date, "date", 12),
    XColumn(_("申报截止日"), lambda c: c.deadline, "date", 12),
    XColumn(_("提交时间"), lambda c: c.submitted_at, "datetime", 17),
    XColumn(_("状态"), _status, width=14),
)


def _returned(r: Any, attr: str) -> Any:
    try:
        payment = r.return_payment
    except ObjectDoesNotExist:  # no return recorded yet
        return None
    return getattr(payment, attr)


RECOVERY_COLUMNS: tuple[XColumn, ...] = (
    XColumn(_("申报编号"), lambda r: r.claim.number, width=16),
    XColumn(_("银行"), lambda r: r.claim.bank.short_name, width=14),
    XColumn(_("借款企业"), lambda r: r.claim.filing.enterprise_name, width=32),
    XColumn(_("政策"), lambda r: scheme_short(r.claim.scheme), width=8),
    XColumn(_("放款季度"), lambda r: quarter_label(r.claim.filing.quarter), width=10),
    XColumn(_("回收日期"), lambda r: r.recovered_on, "date", 12),
    XColumn(_("回收金额（元）"), lambda r: r.amount, "money", 16),
    XColumn(_("通知日期"), lambda r: r.notified_on, "date", 12),
    XColumn(_("通知截止日"), lambda r: r.notice_deadline, "date", 12),
    XColumn(_("应返还金额（元）"), lambda r: r.return_amount, "money", 16),
    XColumn(_("返还截止日"), lambda r: r.return_deadline, "date", 12),
    XColumn(_("返还日期"), lambda r: _returned(r, "returned_on"), "date", 12),
    XColumn(_("返还金额（元）"), lambda r: _returned(r, "amount"), "money", 16),
    XColumn(_("返还流水号"), lambda r: _returned(r, "reference"), width=22),
    XColumn(_("逾期"), lambda r: str(_("是")) if getattr(r, "is_overdue", False) else "",
            width=8),
)
