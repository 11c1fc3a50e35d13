"""What in a claim contradicts its filing, its own figures, the policy version its filing
recorded or the order of events: the findings the custodian's review highlights. Pure: the facts
in, the findings out, each naming the fields to highlight."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from .claims import classified_before_filing
from .compensation import compensation_amount
from .deadlines import claim_deadline
from .params import SchemeParams
from .types import FindingCode, ReasonCode

# The order of a loan's events, each pair (earlier, later); the same day is in order. The
# filing form, the quarter's import, the batch check, the classification reports and the review
# all ask this one rule.
EVENT_ORDER: tuple[tuple[str, str], ...] = (
    ("drawdown_date", "maturity_date"),
    ("drawdown_date", "filed_on"),
    ("drawdown_date", "classification_date"),
    ("classification_date", "submitted_on"),
)
_EVENTS = frozenset(name for pair in EVENT_ORDER for name in pair)


def out_of_order(**dates: date | None) -> list[tuple[str, str]]:
    """The pairs of ``EVENT_ORDER`` whose two dates are both given and the wrong way round, in
    the order of ``EVENT_ORDER``. Dates are named as in ``EVENT_ORDER``."""
    unknown = set(dates) - _EVENTS
    if unknown:
        raise TypeError(f"unknown events: {sorted(unknown)}")
    wrong = []
    for earlier, later in EVENT_ORDER:
        first, second = dates.get(earlier), dates.get(later)
        if first is not None and second is not None and first > second:
            wrong.append((earlier, later))
    return wrong


@dataclass(frozen=True)
class Finding:
    """Something the reviewer must look at: ``level`` is ``contradiction`` (the claim and its
    filing cannot both be right, or a rule refuses it) or ``warning`` (worth a question)."""

    code: str
    level: str
    message: str
    fields: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_contradiction(self) -> bool:
        return self.level == "contradiction"


CONTRADICTION = "contradiction"
WARNING = "warning"


def _snapshot_date(snapshot: Mapping[str, Any], key: str) -> date | None:
    loan = snapshot.get("loan")
    value = loan.get(key) if isinstance(loan, Mapping) else None
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _snapshot_decimal(snapshot: Mapping[str, Any], *path: str) -> Decimal | None:
    node: Any = snapshot
    for key in path:
        node = node.get(key) if isinstance(node, Mapping) else None
    try:
        return Decimal(node) if isinstance(node, str) else None
    except InvalidOperation:
        return None


def _d(value: date) -> str:
    return value.isoformat()


def _y(value: Decimal) -> str:
    return f"¥{value:,.2f}"


# How the review words each pair out of order: the message and its placeholders for the earlier
# and the later date.
_ORDER_MESSAGES: dict[tuple[str, str], tuple[str, tuple[str, str]]] = {
    ("drawdown_date", "maturity_date"): (N_("放款日%(d)s晚于合同到期日%(m)s。"), ("d", "m")),
    ("drawdown_date", "filed_on"): (N_("备案受理日%(f)s早于放款日%(d)s。"), ("d", "f")),
    ("drawdown_date", "classification_date"): (N_("不良分类日期%(c)s早于放款日%(d)s。"),
                                               ("d", "c")),
    ("classification_date", "submitted_on"): (N_("不良分类日期%(c)s晚于申报日期%(s)s。"),
                                              ("c", "s")),
}


def claim_contradictions(
    *, drawdown_date: date, maturity_date: date, filed_on: date, amount: Decimal,
    outstanding: Decimal, base: Decimal, ratio: Decimal, filing_ratio: Decimal,
    compensation: Decimal, classification_date: date, history_classified_on: date | None,
    submitted_on: date, deadline: date, scheme: str, filing_scheme: str,
    snapshot: Mapping[str, Any], recorded_version: str = "",
    params: SchemeParams | None = None,
) -> list[Finding]:
    """What in a claim contradicts its filing, its own figures, the policy version the filing
    recorded (``recorded_version``; ``params`` the version chosen for it) or the order of
    events. Pure: the facts in, the findings out (each naming the fields to highlight)."""
    found: list[Finding] = []

    def add(code: str, level: str, message: str, *fields: str) -> None:
        found.append(Finding(code, level, message, frozenset(fields)))

    # The filing's recorded version governs the claim: its ratios and its claim window.
    if recorded_version and (params is None or params.version != recorded_version):
        add(FindingCode.VERSION_UNKNOWN, CONTRADICTION,
            _("备案记录的政策版本%(v)s已不在参数中，补偿比例和申报期限无法按该版本核对。")
            % {"v": recorded_version}, "policy_version")
    elif params is not None:
        allowed = sorted({r for r in (params.base_ratio, params.raised_ratio) if r is not None})
        within_share_cap = (params.risk_share_ratio_cap is not None
                            and Decimal(0) < ratio <= params.risk_share_ratio_cap)
        if ratio not in allowed and not within_share_cap:
            add(FindingCode.RATIO_NOT_IN_VERSION, CONTRADICTION,
                _("补偿比例%(r)s不是备案适用的%(v)s规定的比例（%(a)s）。")
                % {"r": f"{ratio * 100:.0f}%", "v": params.version,
                   "a": _("、").join(f"{a * 100:.0f}%" for a in allowed)}, "ratio")
        expected = claim_deadline(maturity_date, params)
        if deadline != expected:
            add(FindingCode.DEADLINE_DIFFERS, CONTRADICTION,
                _("申报截止日%(d)s与按%(v)s计算的截止日%(e)s不一致。")
                % {"d": _d(deadline), "v": params.version, "e": _d(expected)}, "deadline")

    # MICRO Art. 6(2), TECH Art. 7(4): a loan non-performing before its filing is never paid.
    if classified_before_filing(classification_date, filed_on):
        add(ReasonCode.NPL_BEFORE_FILING, CONTRADICTION,
            _("申报的不良分类日期%(c)s早于备案受理日%(f)s。")
            % {"c": _d(classification_date), "f": _d(filed_on)},
            "classification_date", "filed_on")
    if history_classified_on is not None and history_classified_on != classification_date:
        add(FindingCode.CLASSIFICATION_MISMATCH, WARNING,
            _("申报的不良分类日期%(c)s与五级分类记录（%(h)s起为不良）不一致。")
            % {"c": _d(classification_date), "h": _d(history_classified_on)},
            "classification_date")
    if base > amount:
        add(FindingCode.BASE_ABOVE_AMOUNT, CONTRADICTION,
            _("申报基数%(b)s超过贷款金额%(a)s。") % {"b": _y(base), "a": _y(amount)},
            "base", "amount")
    if base > outstanding:
        add(FindingCode.BASE_ABOVE_OUTSTANDING, CONTRADICTION,
            _("申报基数%(b)s超过备案贷款当前本金余额%(o)s。")
            % {"b": _y(base), "o": _y(outstanding)}, "base", "outstanding")
    elif base != outstanding:
        add(FindingCode.BASE_DIFFERS, WARNING,
            _("申报基数%(b)s与备案贷款当前本金余额%(o)s不一致，请核对征信报告中的不良贷款本金余额。")
            % {"b": _y(base), "o": _y(outstanding)}, "base", "outstanding")
    if ratio != filing_ratio:
        add(FindingCode.RATIO_DIFFERS, CONTRADICTION,
            _("申报的补偿比例与备案确定的比例不一致。"), "ratio")
    if compensation != compensation_amount(base, ratio):
        add(FindingCode.COMPENSATION_WRONG, CONTRADICTION,
            _("补偿金额%(c)s不等于基数×补偿比例（%(e)s）。")
            % {"c": _y(compensation), "e": _y(compensation_amount(base, ratio))},
            "compensation")
    if scheme != filing_scheme:
        add(FindingCode.SCHEME_DIFFERS, CONTRADICTION, _("申报的政策与备案的适用政策不一致。"),
            "scheme")
    order_facts = {"drawdown_date": drawdown_date, "maturity_date": maturity_date,
                   "filed_on": filed_on, "classification_date": classification_date,
                   "submitted_on": submitted_on}
    for earlier, later in out_of_order(**order_facts):
        message, names = _ORDER_MESSAGES[(earlier, later)]
        add(FindingCode.DATES_ORDER, CONTRADICTION,
            _(message) % {names[0]: _d(order_facts[earlier]), names[1]: _d(order_facts[later])},
            earlier, later)
    # MICRO Art. 13, TECH Art. 14: within 12 months of maturity.
    if submitted_on > deadline:
        add(ReasonCode.CLAIM_LATE, CONTRADICTION,
            _("申报日期%(s)s晚于申报截止日%(d)s。") % {"s": _d(submitted_on), "d": _d(deadline)},
            "submitted_on", "deadline")
    # The snapshot froze the loan at filing; a later edit of the filing shows here.
    for key, value, label in (("drawdown_date", drawdown_date, _("放款日")),
                              ("maturity_date", maturity_date, _("合同到期日"))):
        frozen = _snapshot_date(snapshot, key)
        if frozen is not None and frozen != value:
            add(FindingCode.SNAPSHOT_DIFFERS, CONTRADICTION,
                _("%(l)s与备案快照不一致：快照为%(s)s，现为%(v)s。")
                % {"l": label, "s": _d(frozen), "v": _d(value)}, key)
    frozen_amount = _snapshot_decimal(snapshot, "loan", "cny_amount")
    if frozen_amount is not None and frozen_amount != amount:
        add(FindingCode.SNAPSHOT_DIFFERS, CONTRADICTION,
            _("贷款金额与备案快照不一致：快照为%(s)s，现为%(v)s。")
            % {"s": _y(frozen_amount), "v": _y(amount)}, "amount")
    frozen_ratio = _snapshot_decimal(snapshot, "ratio")
    if frozen_ratio is not None and frozen_ratio != filing_ratio:
        add(FindingCode.SNAPSHOT_DIFFERS, CONTRADICTION,
            _("补偿比例与备案快照不一致。"), "ratio")
    return found
