"""What makes a policy version or an LPR publication acceptable as data (RULES.md: every figure
is versioned data, maintained by the custodian's administrator).

Pure checks: a version's figures within sane bounds, two versions of a scheme never covering the
same day, article references in the form the documents use (第六条第（四）项), and an LPR within
0–10 % whose jump from the previous publication is confirmed when above one percentage point.
Each problem is a (field, message) pair; the message is a lazy Chinese translation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils.functional import Promise, lazy
from django.utils.text import format_lazy
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .params import LprRate, SchemeParams
from .types import ReasonCode

Problem = tuple[str, "str | Promise"]

ZERO = Decimal("0")
ONE = Decimal("1")
# A cap above one billion yuan is a typing error, not a policy (the largest cap today is 50 M).
CAP_MAX = Decimal("1000000000.00")
MARGIN_MAX = Decimal("10")  # percentage points over the LPR
LPR_MAX = Decimal("10")  # percent
LPR_JUMP = Decimal("1")  # percentage points between two publications before asking to confirm

# (field, lowest, highest) for the whole-number figures.
COUNT_BOUNDS: tuple[tuple[str, int, int], ...] = (
    ("long_term_years", 1, 30),
    ("credit_report_window_workdays", 0, 60),
    ("filing_deadline_workday", 1, 60),  # a quarter has about 60 working days
    ("claim_window_months", 1, 60),
    ("recovery_notice_workdays", 1, 120),
    ("return_workdays", 1, 120),
)
RATIO_FIELDS = ("base_ratio", "raised_ratio", "risk_share_min", "risk_share_ratio_cap",
                "suspend_claim_ratio")
CAP_FIELDS = ("amount_cap", "outstanding_cap", "outstanding_cap_qualified",
              "suspend_net_compensation")

# --- Article references ------------------------------------------------------------------------

_DIGITS = {"零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_NUM = "[零一二三四五六七八九十百]+"
_ONE_ARTICLE = re.compile(rf"第({_NUM})条(?:第({_NUM})款)?(?:第（({_NUM})）项)?")
_ARTICLES = re.compile(rf"{_ONE_ARTICLE.pattern}(?:、{_ONE_ARTICLE.pattern})*")
# The rules whose refusals cite an article of the version's document.
CITED_CODES: tuple[ReasonCode, ...] = tuple(
    c for c in ReasonCode
    if c not in (ReasonCode.CALENDAR_UNKNOWN, ReasonCode.BAD_CREDIT_CODE, ReasonCode.DUPLICATE)
)


def chinese_number(text: str) -> int:
    """一 → 1, 十二 → 12, 二十八 → 28, 一百零五 → 105 (the numerals of article numbers)."""
    total, current = 0, 0
    for ch in text:
        if ch == "百":
            total += (current or 1) * 100
            current = 0
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        else:
            current = _DIGITS[ch]
    return total + current


def is_article_reference(text: str) -> bool:
    """Whether ``text`` reads like 第六条第（四）项 or 第二条、第六条第（二）项."""
    return _ARTICLES.fullmatch(text) is not None


def article_in_english(text: str) -> str:
    """第六条第（四）项、第十三条 → "Art. 6(4), Art. 13" (the English pages' citation)."""
    parts = []
    for m in _ONE_ARTICLE.finditer(text):
        article, paragraph, item = m.groups()
        part = f"Art. {chinese_number(article)}"
        if paragraph:
            part += f" para. {chinese_number(paragraph)}"
        if item:
            part += f"({chinese_number(item)})"
        parts.append(part)
    return ", ".join(parts) if parts else text


def _cite(document: str, article: str) -> str:
    if (get_language() or "zh-hans").startswith("zh"):
        return f"{document}{article}"
    return f"{document} {article_in_english(article)}".strip()


# The citation of a rule under a version, rendered in the language active when shown.
cite_article = lazy(_cite, str)


def article_problems(articles: Mapping[str, str]) -> list[Problem]:
    """Unknown reason codes or references not in the documents' form."""
    problems: list[Problem] = []
    known = {str(c) for c in CITED_CODES}
    for code, text in articles.items():
        if code not in known:
            problems.append(("articles", format_lazy(_("条款对应的规则“{code}”不存在。"),
                                                     code=code)))
        elif not is_article_reference(text):
            problems.append(("articles", format_lazy(
                _("条款“{text}”格式有误，应写作“第六条”或“第六条第（四）项”，多条用顿号分隔。"),
                text=text)))
    return problems


# --- A version's figures -----------------------------------------------------------------------

def parameter_problems(p: SchemeParams) -> list[Problem]:
    """Every figure of ``p`` outside its sane range: ratios in (0, 1], caps positive (and below
    one billion yuan), the LPR margin 0–10 percentage points, working-day and month counts in
    the ranges of ``COUNT_BOUNDS``, the validity ordered, and the sets not empty."""
    problems: list[Problem] = []
    if p.valid_to < p.valid_from:
        problems.append(("valid_to", _("有效期止不能早于有效期起。")))
    for field in ("allowed_kinds", "allowed_sizes", "allowed_loan_types"):
        if not getattr(p, field):
            problems.append((field, _("至少选择一项。")))
    for field in RATIO_FIELDS:
        value = getattr(p, field)
        if value is not None and not ZERO < value <= ONE:
            problems.append((field, format_lazy(
                _("比例须大于0且不超过1（例如0.30表示30%），实际为{value}。"), value=value)))
    if (p.raised_ratio is not None and ZERO < p.base_ratio <= ONE
            and p.raised_ratio < p.base_ratio):
        problems.append(("raised_ratio", _("提高后补偿比例不能低于基础补偿比例。")))
    for field in CAP_FIELDS:
        value = getattr(p, field)
        if not ZERO < value <= CAP_MAX:
            problems.append((field, format_lazy(
                _("金额须大于0且不超过¥{cap}，实际为¥{value}。"),
                cap=f"{CAP_MAX:,.2f}", value=f"{value:,.2f}")))
    if p.outstanding_cap > ZERO and p.outstanding_cap_qualified < p.outstanding_cap:
        problems.append(("outstanding_cap_qualified",
                         _("有资质企业的征信余额上限不能低于一般企业的上限。")))
    if not ZERO <= p.rate_margin_percent <= MARGIN_MAX:
        problems.append(("rate_margin_percent", format_lazy(
            _("利率上浮上限须在0至{max}个百分点之间，实际为{value}。"),
            max=MARGIN_MAX, value=p.rate_margin_percent)))
    for field, low, high in COUNT_BOUNDS:
        value = getattr(p, field)
        if not low <= value <= high:
            problems.append((field, format_lazy(_("须在{low}至{high}之间，实际为{value}。"),
                                                low=low, high=high, value=value)))
    problems.extend(article_problems(dict(p.articles)))
    return problems


def overlapping(p: SchemeParams, others: Iterable[SchemeParams]) -> list[SchemeParams]:
    """The other versions of ``p``'s scheme whose validity shares a day with ``p``'s (both ends
    included); a version is compared with the others by document number, never with itself."""
    return [o for o in others
            if o.scheme == p.scheme and o.version != p.version
            and o.valid_from <= p.valid_to and p.valid_from <= o.valid_to]


def overlap_problem(p: SchemeParams, others: Iterable[SchemeParams]) -> Problem | None:
    """The refusal of a validity that overlaps another version of the same scheme."""
    clash = overlapping(p, others)
    if not clash:
        return None
    o = clash[0]
    return ("valid_from", format_lazy(
        _("有效期与同一政策的{version}（{valid_from}至{valid_to}）重叠：同一天只能适用一个版本，"
          "请调整有效期。"),
        version=o.version, valid_from=o.valid_from.isoformat(), valid_to=o.valid_to.isoformat()))


# --- The LPR -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class LprCheck:
    """Refusals (the entry cannot be saved) and jumps that need the administrator's
    confirmation (the entry is saved only when confirmed)."""

    problems: tuple[Problem, ...]
    jumps: tuple[Problem, ...]


def lpr_check(rate: LprRate, history: Iterable[LprRate]) -> LprCheck:
    """Both rates within (0, 10] %; a move of more than one percentage point from the previous
    publication (the latest one before ``rate.published_on``) is a jump to confirm."""
    problems: list[Problem] = []
    jumps: list[Problem] = []
    for field, value, name in (("one_year_percent", rate.one_year_percent, _("1年期LPR")),
                               ("five_year_percent", rate.five_year_percent, _("5年期以上LPR"))):
        if not ZERO < value <= LPR_MAX:
            problems.append((field, format_lazy(
                _("{name}须大于0%且不超过{max}%，实际为{value}%。"),
                name=name, max=LPR_MAX, value=value)))
    earlier = [r for r in history if r.published_on < rate.published_on]
    if not problems and earlier:
        prev = max(earlier, key=lambda r: r.published_on)
        for field, new, old, name in (
                ("one_year_percent", rate.one_year_percent, prev.one_year_percent,
                 _("1年期LPR")),
                ("five_year_percent", rate.five_year_percent, prev.five_year_percent,
                 _("5年期以上LPR"))):
            if abs(new - old) > LPR_JUMP:
                jumps.append((field, format_lazy(
                    _("{name}由{date}公布的{old}%变为{new}%，变动超过{jump}个百分点，"
                      "请核对后勾选确认。"),
                    name=name, date=prev.published_on.isoformat(), old=old, new=new,
                    jump=LPR_JUMP)))
    return LprCheck(tuple(problems), tuple(jumps))


def lpr_due(history: Iterable[LprRate], today: date) -> bool:
    """Whether this month's LPR should be in and is not: the LPR is published on the 20th (the
    next working day when that is not one), so from the 21st on a month without a publication
    is a reminder."""
    if today.day <= 20:
        return False
    return not any(r.published_on.year == today.year and r.published_on.month == today.month
                   for r in history)
