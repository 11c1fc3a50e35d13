"""Reasons (a code and a Chinese message citing the article) and the one domain exception.

Every verdict the portal gives carries one or more ``Reason``s (RULES.md, "Reason codes"). The
messages are lazy translations: they are rendered in the active language when shown, so they may be
built at import time or inside a pure function without touching settings.

A message is picked by the set of figures given to ``reason``: no figures gives the plain
sentence, figures give the sentence that names them. The article is appended in brackets, for the
scheme given, or for both schemes when none is given.
"""

from __future__ import annotations

import functools
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import TypeAlias

from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy, gettext_noop

from .params import SchemeParams
from .types import (
    Classification,
    EnterpriseKind,
    EnterpriseSize,
    LoanType,
    ReasonCode,
    Scheme,
)
from .versions import cite_article

# A user-visible message: a plain string or a lazy translation.
Message: TypeAlias = "str | Promise"

N_ = gettext_noop

# (code, scheme or None for any scheme) -> message templates; ``reason`` picks the one whose
# placeholders are exactly the figures it is given. Scheme-specific templates are tried first.
_TEMPLATES: Mapping[tuple[ReasonCode, Scheme | None], tuple[str, ...]] = {
    (ReasonCode.NO_AGREEMENT, None): (N_("合作银行未与托管机构签订本政策的有效合作协议"),),
    (ReasonCode.OUTSIDE_VALIDITY, None): (
        N_("放款日不在政策有效期内"),
        N_("放款日{drawdown}不在政策有效期（{valid_from}至{valid_to}）内"),
        N_(
            "放款日{drawdown}不在{scheme_name}任何政策版本的有效期内："
            "最近的版本{version}有效期为{valid_from}至{valid_to}"
        ),
        N_("放款日{drawdown}没有可适用的{scheme_name}政策版本"),
    ),
    (ReasonCode.NOT_IN_BDA, None): (N_("借款人不在经开区内经营"),),
    (ReasonCode.BORROWER_KIND, Scheme.MICRO): (
        N_("借款人须为小微企业或个体工商户，不含个人经营性贷款"),
        N_("借款人类型（{kind}）不在支持范围内：须为小微企业或个体工商户，不含个人经营性贷款"),
    ),
    (ReasonCode.BORROWER_KIND, Scheme.TECH): (
        N_("借款人须为企业法人，不含个体工商户"),
        N_("借款人类型（{kind}）不在支持范围内：须为企业法人，不含个体工商户"),
    ),
    (ReasonCode.BORROWER_KIND, None): (
        N_("借款人类型不在支持范围内"),
        N_("借款人类型（{kind}）不在支持范围内"),
    ),
    (ReasonCode.BORROWER_SIZE, Scheme.MICRO): (
        N_("借款企业须符合国家小型、微型企业划型标准"),
        N_("借款企业规模（{size}）不在支持范围内：须为小型或微型企业"),
    ),
    (ReasonCode.BORROWER_SIZE, Scheme.TECH): (
        N_("借款企业须符合国家中型、小型企业划型标准"),
        N_("借款企业规模（{size}）不在支持范围内：须为中型或小型企业"),
    ),
    (ReasonCode.BORROWER_SIZE, None): (
        N_("借款企业规模不在支持范围内"),
        N_("借款企业规模（{size}）不在支持范围内"),
    ),
    (ReasonCode.CONDUCT, Scheme.MICRO): (
        N_(
            "企业及其实际控制人或个体工商户经营者放款时近三年有重大行政处罚公示信息或刑事犯罪记录，"
            "或被列入严重违法失信主体名单"
        ),
    ),
    (ReasonCode.CONDUCT, Scheme.TECH): (
        N_(
            "企业被列入经营异常名录或失信主体名单，或近三年发生重大安全（含网络安全、数据安全）、"
            "质量、环境污染事故或偷税漏税违法违规行为"
        ),
    ),
    (ReasonCode.CONDUCT, None): (N_("借款人不满足信用与合规条件"),),
    (ReasonCode.TECH_SCOPE, None): (N_("银行未确认借款企业放款时属于财金〔2024〕60号支持范围"),),
    (ReasonCode.LOAN_TYPE, Scheme.MICRO): (
        N_("贷款须为信用贷款、知识产权质押贷款或应收账款质押贷款"),
        N_(
            "贷款品种（{loan_type}）不在支持范围内："
            "须为信用贷款、知识产权质押贷款或应收账款质押贷款"
        ),
    ),
    (ReasonCode.LOAN_TYPE, Scheme.TECH): (
        N_("贷款须为信用贷款、知识产权质押贷款、应收账款质押贷款或银担分险保证贷款"),
        N_(
            "贷款品种（{loan_type}）不在支持范围内：须为信用贷款、知识产权质押贷款、"
            "应收账款质押贷款或银担分险保证贷款"
        ),
    ),
    (ReasonCode.LOAN_TYPE, None): (
        N_("贷款品种不在支持范围内"),
        N_("贷款品种（{loan_type}）不在支持范围内"),
    ),
    (ReasonCode.OTHER_COVER, None): (
        N_("贷款已获得保险公司保险、融资担保公司担保或其他财政风险补偿政策补偿"),
    ),
    (ReasonCode.RISK_SHARE, None): (
        N_("银担分险贷款中银行自担风险责任低于规定比例"),
        N_("银担分险贷款中银行自担风险责任未填写，须不低于贷款本金的{minimum}%"),
        N_("银担分险贷款中银行自担风险责任{share}%低于贷款本金的{minimum}%"),
    ),
    (ReasonCode.AMOUNT_CAP, None): (
        N_("同一合作银行对该企业的贷款金额超过上限"),
        N_("同一合作银行对该企业的贷款金额（含本笔）¥{total}超过上限¥{cap}"),
        N_("外币（{currency}）贷款缺少放款日人民币汇率，无法折算为人民币金额"),
    ),
    (ReasonCode.OUTSTANDING_CAP, None): (
        N_("征信报告显示的企业未结清贷款余额（含本笔）超过上限"),
        N_("征信报告显示的企业未结清贷款余额（含本笔）¥{total}超过上限¥{cap}"),
    ),
    (ReasonCode.CREDIT_REPORT_DATE, None): (
        N_("征信报告日期晚于放款后规定的工作日期限"),
        N_("征信报告日期{report_date}晚于放款后第{days}个工作日（{deadline}）"),
    ),
    (ReasonCode.RATE_CAP, None): (
        N_("贷款利率超过同期LPR上浮上限"),
        N_("贷款利率{rate}%高于同期LPR {lpr}%上浮{bp}BP后的{ceiling}%"),
        N_("放款日{drawdown}及之前没有已公布的LPR，无法核对利率上限"),
    ),
    (ReasonCode.FILING_LATE, None): (
        N_("未在下一季度规定的工作日内备案"),
        N_("备案日{filing_date}不在放款日{drawdown}至备案截止日{deadline}之间"),
    ),
    (ReasonCode.DRAWDOWN_FUTURE, None): (
        N_("放款日期晚于备案日：贷款放款后方可备案"),
        N_("放款日期{drawdown}晚于备案日{filing_date}：贷款放款后方可备案，请核对放款日期"),
    ),
    (ReasonCode.CALENDAR_UNKNOWN, None): (
        N_("期限所在年度的节假日安排尚未录入，无法计算工作日期限"),
        N_("{year}年的节假日安排尚未录入，无法计算工作日期限；请先录入该年度的放假和调休安排"),
    ),
    (ReasonCode.BAD_CREDIT_CODE, None): (
        N_("统一社会信用代码有误"),
        N_("统一社会信用代码应为18位，实际为{length}位"),
        N_(
            "统一社会信用代码第{position}位“{char}”不是合法字符"
            "（只允许数字和除I、O、Z、S、V以外的大写字母）"
        ),
        N_("统一社会信用代码校验码错误：第18位应为“{expected}”，实际为“{actual}”"),
    ),
    (ReasonCode.NPL_BEFORE_FILING, None): (
        N_("贷款在备案被受理前已被分类为不良，不予补偿"),
        N_("贷款于{classified_on}被分类为不良，早于备案受理日{accepted_on}，不予补偿"),
    ),
    (ReasonCode.NOT_NPL, None): (
        N_("贷款未被分类为次级、可疑或损失类不良贷款"),
        N_("贷款当前分类为“{classification}”，未被分类为次级、可疑或损失类不良贷款"),
    ),
    (ReasonCode.CLAIM_LATE, None): (
        N_("补偿申报晚于合同到期日起的申报期限"),
        N_("申报日{claim_date}晚于合同到期日{maturity}起{months}个月的截止日{deadline}"),
    ),
    (ReasonCode.BANK_SUSPENDED, None): (
        N_("该合作银行在本政策下已被暂停办理风险补偿业务"),
        N_("该合作银行已被暂停办理风险补偿业务：补偿净额¥{net}"),
        N_(
            "该合作银行已被暂停办理风险补偿业务：申请补偿的不良贷款本金占备案贷款本金{percent}%，"
            "补偿净额¥{net}"
        ),
    ),
    (ReasonCode.DUPLICATE, None): (
        N_("同一借据已经备案，或同一笔贷款已有未结的补偿申请"),
        N_("借据号 {iou} 已经备案，不能重复备案"),
        N_(
            "与本文件第{row}行借据号重复：借据号 {iou} 在同一文件中出现了两次，"
            "同一借据只能备案一次"
        ),
        N_("该笔贷款已有未结的补偿申请 {claim}，不能重复申报"),
    ),
}

# Where each rule comes from: (code, scheme) -> article; (code, None) when no scheme applies.
_MICRO = Scheme.MICRO
_TECH = Scheme.TECH
_CITATIONS: Mapping[tuple[ReasonCode, Scheme | None], str] = {
    (ReasonCode.NO_AGREEMENT, _MICRO): N_("小微办法第二条"),
    (ReasonCode.NO_AGREEMENT, _TECH): N_("科创方案第三条"),
    (ReasonCode.OUTSIDE_VALIDITY, _MICRO): N_("小微办法第二十八条"),
    (ReasonCode.OUTSIDE_VALIDITY, _TECH): N_("科创方案第二十七条"),
    (ReasonCode.NOT_IN_BDA, _MICRO): N_("小微办法第五条"),
    (ReasonCode.NOT_IN_BDA, _TECH): N_("科创方案第六条"),
    (ReasonCode.BORROWER_KIND, _MICRO): N_("小微办法第二条"),
    (ReasonCode.BORROWER_KIND, _TECH): N_("科创方案第二条"),
    (ReasonCode.BORROWER_SIZE, _MICRO): N_("小微办法第二条"),
    (ReasonCode.BORROWER_SIZE, _TECH): N_("科创方案第二条"),
    (ReasonCode.CONDUCT, _MICRO): N_("小微办法第五条"),
    (ReasonCode.CONDUCT, _TECH): N_("科创方案第二条、第六条"),
    (ReasonCode.TECH_SCOPE, _TECH): N_("科创方案第二条、第十二条"),
    (ReasonCode.LOAN_TYPE, _MICRO): N_("小微办法第六条"),
    (ReasonCode.LOAN_TYPE, _TECH): N_("科创方案第七条"),
    (ReasonCode.OTHER_COVER, _MICRO): N_("小微办法第六条"),
    (ReasonCode.RISK_SHARE, _TECH): N_("科创方案第七条"),
    (ReasonCode.AMOUNT_CAP, _MICRO): N_("小微办法第六条"),
    (ReasonCode.AMOUNT_CAP, _TECH): N_("科创方案第七条"),
    (ReasonCode.OUTSTANDING_CAP, _MICRO): N_("小微办法第六条"),
    (ReasonCode.OUTSTANDING_CAP, _TECH): N_("科创方案第七条"),
    (ReasonCode.CREDIT_REPORT_DATE, _MICRO): N_("小微办法第六条"),
    (ReasonCode.CREDIT_REPORT_DATE, _TECH): N_("科创方案第七条"),
    (ReasonCode.RATE_CAP, _MICRO): N_("小微办法第六条"),
    (ReasonCode.RATE_CAP, _TECH): N_("科创方案第七条"),
    (ReasonCode.FILING_LATE, _MICRO): N_("小微办法第十二条"),
    (ReasonCode.FILING_LATE, _TECH): N_("科创方案第十三条"),
    (ReasonCode.DRAWDOWN_FUTURE, _MICRO): N_("小微办法第十二条"),
    (ReasonCode.DRAWDOWN_FUTURE, _TECH): N_("科创方案第十三条"),
    (ReasonCode.BAD_CREDIT_CODE, None): N_("GB 32100-2015"),
    (ReasonCode.NPL_BEFORE_FILING, _MICRO): N_("小微办法第六条"),
    (ReasonCode.NPL_BEFORE_FILING, _TECH): N_("科创方案第七条"),
    (ReasonCode.NOT_NPL, _MICRO): N_("小微办法第六条、第十三条"),
    (ReasonCode.NOT_NPL, _TECH): N_("科创方案第七条、第十四条"),
    (ReasonCode.CLAIM_LATE, _MICRO): N_("小微办法第十三条"),
    (ReasonCode.CLAIM_LATE, _TECH): N_("科创方案第十四条"),
    (ReasonCode.BANK_SUSPENDED, _MICRO): N_("小微办法第八条"),
    (ReasonCode.BANK_SUSPENDED, _TECH): N_("科创方案第九条、第十七条"),
}

# Chinese names of the values that messages mention.
_LABELS: Mapping[StrEnum, str] = {
    Scheme.MICRO: N_("小微企业贷款风险补偿"),
    Scheme.TECH: N_("科技创新类中小企业贷款风险补偿"),
    EnterpriseKind.COMPANY: N_("企业法人"),
    EnterpriseKind.INDIVIDUAL: N_("个体工商户"),
    EnterpriseSize.LARGE: N_("大型"),
    EnterpriseSize.MEDIUM: N_("中型"),
    EnterpriseSize.SMALL: N_("小型"),
    EnterpriseSize.MICRO: N_("微型"),
    LoanType.CREDIT: N_("信用贷款"),
    LoanType.IP_PLEDGE: N_("知识产权质押贷款"),
    LoanType.RECEIVABLES_PLEDGE: N_("应收账款质押贷款"),
    LoanType.RISK_SHARING: N_("银担分险贷款"),
    Classification.NORMAL: N_("正常"),
    Classification.SPECIAL_MENTION: N_("关注"),
    Classification.SUBSTANDARD: N_("次级"),
    Classification.DOUBTFUL: N_("可疑"),
    Classification.LOSS: N_("损失"),
}


def label(value: StrEnum) -> Message:
    """The Chinese name of an enterprise kind, size, loan type or classification."""
    text = _LABELS.get(value)
    return gettext_lazy(text) if text is not None else str(value)


def yuan(amount: Decimal) -> str:
    """Money as shown in messages: thousands separators, two decimals (no currency sign)."""
    return f"{amount:,.2f}"


def _placeholders(template: str) -> frozenset[str]:
    return frozenset(
        name for _, name, _, _ in string.Formatter().parse(template) if name is not None
    )


@functools.cache  # pure: a handful of (code, scheme, fields) keys, asked once per refusal
def _template_for(code: ReasonCode, scheme: Scheme | None, fields: frozenset[str]) -> str:
    candidates = (*_TEMPLATES.get((code, scheme), ()), *_TEMPLATES.get((code, None), ()))
    for template in candidates:
        if _placeholders(template) == fields:
            return template
    raise ValueError(f"no message for {code} with figures {sorted(fields)}")


@functools.cache
def _citation(code: ReasonCode, scheme: Scheme | None) -> Message | None:
    if (code, None) in _CITATIONS:
        return gettext_lazy(_CITATIONS[(code, None)])
    schemes = (scheme,) if scheme is not None else tuple(Scheme)
    found = [gettext_lazy(_CITATIONS[(code, s)]) for s in schemes if (code, s) in _CITATIONS]
    if not found:
        return None
    if len(found) == 1:
        return found[0]
    return format_lazy(gettext_lazy("{}；{}"), *found)


def _shown(value: object) -> object:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, StrEnum) and value in _LABELS:
        return label(value)
    return value


@dataclass(frozen=True)
class Reason:
    """One verdict reason: its code and a (lazy) Chinese message citing the article."""

    code: ReasonCode
    message: Message

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


def _version_citation(code: ReasonCode, under: SchemeParams) -> Message:
    """The version's own document and article: a refusal under a successor cites the
    successor's articles (recorded with the version), or its document number alone."""
    return cite_article(under.version, under.article(code) or "")


# A quarter's import gives the same reason on thousands of rows (a condition of one scheme that
# a bank's usual borrower does not meet): each distinct reason is built once. ``Reason`` is
# immutable and its message lazy (translated when shown), so one instance serves every row.
_REASONS: dict[tuple[object, ...], tuple[SchemeParams | None, Reason]] = {}
_REASONS_KEPT = 4096


def _reason_key(code: ReasonCode, scheme: Scheme | None, under: SchemeParams | None,
                fmt: Mapping[str, object]) -> tuple[object, ...] | None:
    """What a reason is built from, or None when a figure cannot be a key. Each figure is
    keyed with its type, and a Decimal by its text: 1 and True, 5.0 and 5.00 read differently."""
    key: list[object] = [code, scheme, id(under)]
    for name in sorted(fmt):
        value = fmt[name]
        key.extend((name, type(value), str(value) if isinstance(value, Decimal) else value))
    found = tuple(key)
    try:
        hash(found)
    except TypeError:
        return None
    return found


def reason(code: ReasonCode, scheme: Scheme | None = None, *, under: SchemeParams | None = None,
           **fmt: object) -> Reason:
    """The reason for ``code`` under ``scheme``, its message naming the figures in ``fmt``.

    ``under`` is the policy version the rule was applied with: the message then cites that
    version's document and article; without it, the articles of the documents of 2025.
    Dates are shown ISO, enum values by their Chinese names; pass money through ``yuan``.
    Raises ``ValueError`` when no message names exactly the figures given (a programming error).
    """
    key = _reason_key(code, scheme, under, fmt)
    kept = _REASONS.get(key) if key is not None else None
    if kept is not None and kept[0] is under:  # the very version (``key`` holds its id)
        return kept[1]
    built = _build_reason(code, scheme, under, fmt)
    if key is not None:
        if len(_REASONS) >= _REASONS_KEPT:
            _REASONS.clear()
        _REASONS[key] = (under, built)  # holding ``under`` keeps its id from being reused
    return built


def _build_reason(code: ReasonCode, scheme: Scheme | None, under: SchemeParams | None,
                  fmt: Mapping[str, object]) -> Reason:
    code = ReasonCode(code)
    scheme = Scheme(scheme) if scheme is not None else None
    template = _template_for(code, scheme, frozenset(fmt))
    base = gettext_lazy(template)
    text: Message = (format_lazy(base, **{key: _shown(value) for key, value in fmt.items()})
                     if fmt else base)
    cite = _citation(code, scheme) if under is None else _version_citation(code, under)
    message = text if cite is None else format_lazy(gettext_lazy("{}（{}）"), text, cite)
    return Reason(code=code, message=message)


class PolicyError(Exception):
    """The one domain exception: a rule the caller's input breaks, with its code and message.

    Views turn it into a form error or a message; the batch check into an ``error`` entry.
    """

    def __init__(self, code: ReasonCode, message: Message | None = None) -> None:
        self.code = ReasonCode(code)
        self.message: Message = message if message is not None else reason(self.code).message
        super().__init__(self.code, self.message)

    @classmethod
    def of(cls, code: ReasonCode, scheme: Scheme | None = None, *,
           under: SchemeParams | None = None, **fmt: object) -> PolicyError:
        """The error carrying ``reason(code, scheme, under=under, **fmt)``."""
        return cls(code, reason(code, scheme, under=under, **fmt).message)

    @property
    def reason(self) -> Reason:
        return Reason(code=self.code, message=self.message)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class CalendarUnknown(PolicyError):
    """A working-day computation reached a year whose holiday schedule nobody knows yet."""

    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(
            ReasonCode.CALENDAR_UNKNOWN, reason(ReasonCode.CALENDAR_UNKNOWN, year=year).message
        )
        self.args = (year,)


class Refusal(PolicyError):
    """A refusal for one or more reasons at once (a filing, an import row or a claim the rules
    refuse for several causes); ``code`` is the first reason's."""

    def __init__(self, reasons: Sequence[Reason]) -> None:
        if not reasons:
            raise ValueError("a refusal needs at least one reason")
        self.reasons: tuple[Reason, ...] = tuple(reasons)
        # The separator is translated too, so an English page reads "…; …".
        parts = [p for r in self.reasons for p in (gettext_lazy("；"), r.message)][1:]
        joined = format_lazy("{}" * len(parts), *parts)
        super().__init__(self.reasons[0].code, joined)

    @property
    def codes(self) -> tuple[ReasonCode, ...]:
        return tuple(r.code for r in self.reasons)
