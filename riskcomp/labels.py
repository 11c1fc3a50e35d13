"""How codes read on screens, in notifications, exports and PDFs.

The database and the rules speak in codes (MICRO, TECH, 2026Q4, BORROWER_SIZE); an official reads
小微, 科创, 2026年第四季度 and the reason's sentence. Every place that shows one of these codes goes
through this module, directly or through the template filters in ``riskcomp.templatetags.portal``.
"""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from riskcomp.choices import ReasonCode, Scheme

# The policies' short names, as RULES.md and the documents themselves use them (下称“小微”/“科创”).
SCHEME_SHORT = {Scheme.MICRO.value: gettext_lazy("小微"), Scheme.TECH.value: gettext_lazy("科创")}

_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
_HALF = re.compile(r"^(\d{4})H([12])$")
_CN_DIGITS = "〇一二三四"
# Codes embedded in stored identifiers and free text (CSYJ-MICRO-2026Q3, "MICRO 暂停").
_EMBEDDED = re.compile(r"(?<![A-Za-z_])(MICRO|TECH)(?![A-Za-z_])|(\d{4})([QH])([1-4])")


def scheme_short(code: Any) -> str:
    """小微 / 科创 for a scheme code; anything else unchanged ('' for none)."""
    if code is None or code == "":
        return ""
    label = SCHEME_SHORT.get(str(code))
    return str(label) if label is not None else str(code)


def scheme_name(code: Any) -> str:
    """The policy's full name for a scheme code (小微企业贷款风险补偿)."""
    try:
        return str(Scheme(str(code)).label)
    except ValueError:
        return str(code or "")


def quarter_label(value: Any) -> str:
    """2026Q4 → 2026年第四季度; (2026, 4) likewise; 2026H1 → 2026年上半年."""
    if isinstance(value, tuple) and len(value) == 2:
        year, q = value
        return _("%(year)s年第%(q)s季度") % {"year": year, "q": _CN_DIGITS[int(q)], "n": q}
    text = str(value or "")
    if m := _QUARTER.match(text):
        return _("%(year)s年第%(q)s季度") % {
            "year": m.group(1), "q": _CN_DIGITS[int(m.group(2))], "n": m.group(2)}
    if m := _HALF.match(text):
        return (_("%(year)s年上半年") if m.group(2) == "1" else _("%(year)s年下半年")) % {
            "year": m.group(1)}
    return text


def reason_label(code: Any) -> str:
    """The Chinese name of a reason code (征信未结清贷款余额超限); '' for none."""
    if not code:
        return ""
    if str(code) == ReasonCode.CALENDAR_UNKNOWN:
        return calendar_unknown_sentence()
    try:
        return str(ReasonCode(str(code)).label)
    except ValueError:
        return str(code)


def calendar_unknown_sentence() -> str:
    return _("该年度的法定节假日安排尚未录入，期限暂无法计算；录入后自动补算。")


def readable(text: Any) -> str:
    """Free text or a stored identifier with codes in it, read in Chinese: CSYJ-MICRO-2026Q3 →
    CSYJ-小微-2026年第三季度, 半年度报告 2026H1 → 半年度报告 2026年上半年."""
    def sub(m: re.Match[str]) -> str:
        if m.group(1):
            return scheme_short(m.group(1))
        if m.group(3) == "H" and m.group(4) not in "12":
            return m.group(0)
        return quarter_label(f"{m.group(2)}{m.group(3)}{m.group(4)}")
    text = _REASON_CODES.sub(lambda m: f"{reason_label(m.group(0))}：", str(text or ""))
    return _EMBEDDED.sub(sub, text.replace("： ", "："))


# A reason code written into a note ("TECH_SCOPE 经核查……" of a review decision's history).
_CODE_ALTERNATIVES = "|".join(
    sorted((re.escape(c.value) for c in ReasonCode), key=len, reverse=True))
_REASON_CODES = re.compile(rf"(?<![A-Za-z_])(?:{_CODE_ALTERNATIVES})(?![A-Za-z_])")


_CJK = re.compile(r"^[\u3400-\u9fff\u00b7]+$")


FILE_TYPES = {"application/pdf": gettext_lazy("PDF 文件"), "image/png": gettext_lazy("PNG 图片"),
              "image/jpeg": gettext_lazy("JPEG 图片")}


def file_type_label(content_type: Any) -> str:
    """An uploaded file's type in words (PDF 文件), not its MIME type (application/pdf)."""
    return str(FILE_TYPES.get(str(content_type), content_type or "—"))


def person_name(user: Any) -> str:
    """A person's name as they write it: 王丽娜 (family name first, no space) for Chinese names,
    'Anna Smith' for Latin ones; the username when no name is on record."""
    first = (getattr(user, "first_name", "") or "").strip()
    last = (getattr(user, "last_name", "") or "").strip()
    if first and last and _CJK.match(first + last):
        return f"{last}{first}"
    return f"{first} {last}".strip()
