"""Column mapping of the quarter's workbooks (django-import-export).

Each ``Field`` names a column's Chinese header (the file format, so plain text, not translated),
the attribute it fills and the widget that reads one cell. Widgets only turn a cell into a value
or say, in Chinese, why they cannot; whether a loan is eligible is decided by ``riskcomp.policy``
through ``loans.services.evaluate_filings``, never here.
"""

import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import TextChoices
from django.utils import translation
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, resources, widgets
from openpyxl.utils.datetime import CALENDAR_WINDOWS_1900, from_excel

from riskcomp.choices import (
    Classification,
    EnterpriseKind,
    EnterpriseSize,
    LoanType,
    QualificationType,
)
from riskcomp.policy.credit_code import normalize_credit_code

QUALIFICATION_COLUMNS = 2
MICRO_CONDUCT_HEADER = "符合小微政策信用合规条件"
TECH_CONDUCT_HEADER = "符合科创政策信用合规条件"
# Headers of older templates still read, and the columns each one fills: the single conduct
# column of the templates before the per-scheme attestations stands for both schemes.
FILING_HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "信用合规条件符合": (MICRO_CONDUCT_HEADER, TECH_CONDUCT_HEADER),
}
YES, NO = "是", "否"
_TRUE = {"是", "Y", "YES", "TRUE", "1", "T", "√"}
_FALSE = {"否", "N", "NO", "FALSE", "0", "F", "×"}
_QUOTES = re.compile(r"[\s\"'“”‘’「」『』]")
_DATE_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_DATE_DIGITS = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_DATE_SERIAL = re.compile(r"^(\d{5})(\.\d+)?$")  # 10000-99999: the years 1927-2173
_MONEY_NOISE = str.maketrans("", "", ",，¥￥元 \u00a0\u3000")
# A number Excel held as a double and shows in exponent form: digits beyond 15 are lost.
_LOST_DIGITS = re.compile(r"^-?\d(\.\d+)?E\+\d+$", re.IGNORECASE)


def _narrow(text: str) -> str:
    """Full-width digits, letters and punctuation (１，０００．５) as their ASCII forms."""
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


class CellError(ValueError):
    """A cell that cannot be read; the message is shown to the bank (Chinese)."""


class _Cell(widgets.Widget):
    """A widget for one kind of cell. ``required`` cells refuse blanks; optional ones give
    ``None`` (the ``Field`` default then applies). ``kind`` and ``hint`` feed the template."""

    kind = "text"

    def __init__(self, *, required: bool = True, hint: str = "") -> None:
        super().__init__(coerce_to_string=False)
        self.required = required
        self.hint = hint

    def blank(self, value: Any) -> bool:
        return value is None or (isinstance(value, str) and not value.strip())

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Any:
        if self.blank(value):
            if self.required:
                raise CellError(_("必填，不能为空"))
            return None
        return self.convert(value)

    def convert(self, value: Any) -> Any:
        return value


class TextCell(_Cell):
    """Text; ``normalize`` (if given) rewrites it first, e.g. a credit code typed in lower case
    or with spaces. A long number that Excel kept as a number and cut to 15 digits is refused."""

    def __init__(self, *, max_length: int, upper: bool = False,
                 normalize: Callable[[str], str] | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.max_length = max_length
        self.upper = upper
        self.normalize = normalize

    def convert(self, value: Any) -> str:
        text = str(value).strip()
        if "E+" in text.upper() and _LOST_DIGITS.match(text):
            raise CellError(_(
                "“%(v)s”是超过15位的数字，Excel只保留15位有效数字，末尾的数字已经丢失：请将该列"
                "设置为文本格式后重新填写，或在数字前加英文单引号（'）") % {"v": text})
        if self.normalize is not None:
            text = self.normalize(text)
        if self.upper:
            text = text.upper()
        if len(text) > self.max_length:
            raise CellError(_("不能超过%(n)s个字符") % {"n": self.max_length})
        return text


class ChoiceCell(_Cell):
    """A coded column: the Chinese label of the drop-down (or the stored value itself)."""

    kind = "choice"

    def __init__(self, choices: type[TextChoices], *, exclude: tuple[str, ...] = (),
                 **kw: Any) -> None:
        super().__init__(**kw)
        self.choices = choices
        self.exclude = exclude

    @cached_property
    def labels(self) -> list[tuple[str, str]]:
        """(value, Chinese label) of the drop-down; the file format is Chinese whatever the
        language of the screen (read lazily: translations need the app registry)."""
        with translation.override("zh-hans"):
            return [(str(value), str(label)) for value, label in self.choices.choices
                    if value not in self.exclude]

    @cached_property
    def accepted(self) -> dict[str, str]:
        with translation.override("zh-hans"):
            found = {_key(str(label)): str(value) for value, label in self.choices.choices}
        found.update({_key(str(value)): str(value) for value in self.choices.values})
        return found

    def options(self) -> list[str]:
        """The labels of the drop-down, in order."""
        return [label for _value, label in self.labels]

    def convert(self, value: Any) -> str:
        found = self.accepted.get(_key(str(value)))
        if found is None:
            raise CellError(_("“%(v)s”不是可选值，请从下拉列表中选择：%(options)s") % {
                "v": str(value).strip()[:40], "options": "、".join(self.options())})
        return str(found)

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return dict(self.labels).get(str(value), str(value or ""))


class YesNoCell(_Cell):
    kind = "yesno"

    def options(self) -> list[str]:
        return [YES, NO]

    def convert(self, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().upper()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise CellError(_("“%(v)s”应填“是”或“否”") % {"v": str(value).strip()[:40]})

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return YES if value else NO


class DateCell(_Cell):
    """A date: an Excel date cell, or text such as 2026-07-15, 2026/7/15, 20260715,
    2026年7月15日, or an Excel date serial in a General cell (46204 is 2026-07-01; the 1900
    date system, which is Excel's on Windows)."""

    kind = "date"

    def convert(self, value: Any) -> date:
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        text = str(value).strip()
        if len(text) == 10 and text[4] == "-":  # ISO, as date cells are read: the fast path
            try:
                return date.fromisoformat(text)
            except ValueError:
                pass
        text = _narrow(text)
        serial = _DATE_SERIAL.match(text)
        if serial:
            return from_excel(int(serial.group(1)), CALENDAR_WINDOWS_1900).date()
        match = _DATE_TEXT.match(text[:10] if len(text) > 10 and text[10] in "T " else text)
        match = match or _DATE_DIGITS.match(text)
        if match:
            try:
                return date(*(int(part) for part in match.groups()))
            except ValueError:
                pass
        raise CellError(_("“%(v)s”不是有效日期，请按 2026-07-15 的格式填写") % {"v": text[:40]})

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> Any:
        return value


class DecimalCell(_Cell):
    """A number read as ``Decimal`` from its text (never through float): thousands separators
    and a ¥ sign are tolerated; digits, decimal places and the range are those of the column."""

    kind = "decimal"

    def __init__(self, *, places: int, max_digits: int, minimum: Decimal = Decimal("0"),
                 maximum: Decimal | None = None, positive: bool = False,
                 below_one: Any = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.places = places
        self.max_digits = max_digits
        self.minimum = minimum
        self.maximum = maximum
        self.positive = positive
        # A percent column: a plain number below 1 (0.05) may be a fraction or a percent, so
        # it is refused with this message; "5%" (a percentage cell, or text) is 5.
        self.below_one = below_one

    def convert(self, value: Any) -> Decimal:
        text = _narrow(str(value)).translate(_MONEY_NOISE)
        percent_sign = text.endswith("%")
        try:
            number = Decimal(text.rstrip("%"))
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            raise CellError(_("“%(v)s”不是有效数字") % {"v": str(value).strip()[:40]})
        if self.below_one is not None and not percent_sign and 0 < number < 1:
            raise CellError(str(self.below_one) % {"v": text})
        exponent = number.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -self.places:
            step = Decimal(1).scaleb(-self.places)
            if number != number.quantize(step):
                raise CellError(_("最多保留%(n)s位小数") % {"n": self.places})
            number = number.quantize(step)
        if self.positive and number <= 0:
            raise CellError(_("必须大于0"))
        if number < self.minimum:
            raise CellError(_("不能小于%(n)s") % {"n": self.minimum})
        if self.maximum is not None and number > self.maximum:
            raise CellError(_("不能大于%(n)s") % {"n": self.maximum})
        if number and number.adjusted() >= self.max_digits - self.places:  # integer digits
            raise CellError(_("数值过大"))
        return number

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> Any:
        return value


def _key(text: str) -> str:
    return _QUOTES.sub("", text).upper()


def _field(attribute: str, header: str, widget: _Cell, default: Any = fields.NOT_PROVIDED,
           ) -> fields.Field:
    return fields.Field(attribute=attribute, column_name=header, widget=widget, default=default)


def _qualification(i: int, part: str) -> fields.Field:
    """Column ``part`` (type, no, from, to) of the ``i``-th qualification."""
    spec: dict[str, tuple[str, _Cell]] = {
        "type": ("类型", ChoiceCell(QualificationType, required=False,
                                     hint="持有资质时选择；无资质留空")),
        "no": ("证书编号", TextCell(max_length=60, required=False, hint="选择资质类型时必填")),
        "from": ("有效期起", DateCell(required=False, hint="选择资质类型时必填")),
        "to": ("有效期止", DateCell(required=False,
                                  hint="选择资质类型时必填；资质在放款日有效方计入")),
    }
    header, widget = spec[part]
    return _field(f"q{i}_{part}", f"资质{i}{header}", widget)


class FilingRowResource(resources.Resource):
    """One loan per row of the sheet 填报; attributes are those of ``FilingRequest``
    (qualifications as q1_*/q2_*, the branch by its code)."""

    credit_code = _field("credit_code", "统一社会信用代码", TextCell(
        max_length=40, normalize=normalize_credit_code,
        hint="18位，按GB 32100-2015校验末位校验码"))
    enterprise_name = _field("enterprise_name", "企业名称", TextCell(max_length=200))
    kind = _field("kind", "主体类型", ChoiceCell(EnterpriseKind))
    size = _field("size", "企业规模", ChoiceCell(
        EnterpriseSize, exclude=("large",), hint="按工信部联企业〔2011〕300号划型"))
    in_bda = _field("in_bda", "是否在经开区", YesNoCell(hint="在经开区（亦庄新城）内经营"))
    micro_conduct_ok = _field("micro_conduct_ok", MICRO_CONDUCT_HEADER, YesNoCell(
        hint="银行核实（小微办法第五条第二项）：企业及其实际控制人、个体工商户经营者在放款时"
             "无近三年重大行政处罚公示信息和刑事犯罪记录，未列入严重违法失信主体名单"))
    tech_conduct_ok = _field("tech_conduct_ok", TECH_CONDUCT_HEADER, YesNoCell(
        hint="银行核实（科创方案第二条、第六条第二项）：企业未被列入经营异常名录或失信主体名单，"
             "近三年未发生重大安全（含网络安全、数据安全）、质量、环境污染事故以及偷税漏税"
             "违法违规行为"))
    tech_scope = _field("tech_scope", "属于科创支持范围", YesNoCell(
        hint="银行承诺属于财金〔2024〕60号支持范围（科创方案适用）"))
    q1_type = _qualification(1, "type")
    q1_no = _qualification(1, "no")
    q1_from = _qualification(1, "from")
    q1_to = _qualification(1, "to")
    q2_type = _qualification(2, "type")
    q2_no = _qualification(2, "no")
    q2_from = _qualification(2, "from")
    q2_to = _qualification(2, "to")
    iou_number = _field("iou_number", "借据号", TextCell(max_length=60, hint="同一银行内唯一"))
    contract_number = _field("contract_number", "合同号", TextCell(max_length=60))
    branch_code = _field("branch_code", "经办支行编码", TextCell(
        max_length=20, required=False, hint="可选；须为本行已登记的支行编码"))
    loan_type = _field("loan_type", "贷款品种", ChoiceCell(LoanType))
    amount = _field("amount", "贷款金额", DecimalCell(
        places=2, max_digits=18, positive=True, hint="原币金额，元"))
    currency = _field("currency", "币种", TextCell(
        max_length=3, upper=True, required=False, hint="人民币填CNY或留空；外币填ISO代码如USD"),
        default="CNY")
    fx_rate = _field("fx_rate", "汇率", DecimalCell(
        places=6, max_digits=12, positive=True, required=False,
        hint="外币贷款必填：放款日人民币汇率中间价"))
    drawdown_date = _field("drawdown_date", "放款日期", DateCell(hint="借款借据上的日期"))
    maturity_date = _field("maturity_date", "合同到期日", DateCell())
    rate_percent = _field("rate_percent", "年利率(%)", DecimalCell(
        places=4, max_digits=7, maximum=Decimal("100"), hint="如 3.45 表示 3.45%",
        below_one=gettext_lazy(
            "“%(v)s”小于1，无法确定是否为百分数：年利率请按百分数填写，写 4.35 表示年利率 4.35%%"
            "（或将单元格设置为百分比格式，显示为 4.35%%）")))
    credit_report_outstanding = _field("credit_report_outstanding", "征信未结清贷款余额",
                                       DecimalCell(places=2, max_digits=18,
                                                   hint="征信报告显示的未结清贷款余额，元"))
    credit_report_date = _field("credit_report_date", "征信报告日期", DateCell())
    other_cover = _field("other_cover", "有其他保险担保或补偿", YesNoCell(
        required=False, hint="保险承保、融资担保公司担保或其他财政补偿；留空视为否"), default=False)
    first_loan = _field("first_loan", "首笔贷款", YesNoCell(
        required=False, hint="企业首笔信用/知识产权质押/应收账款质押贷款；留空视为否"),
        default=False)
    has_natural_person_guarantee = _field(
        "has_natural_person_guarantee", "追加自然人保证",
        YesNoCell(required=False, hint="留空视为否"), default=False)
    guarantee_institution = _field("guarantee_institution", "政府性融资担保机构", TextCell(
        max_length=100, required=False, hint="银担分险贷款填写"), default="")
    bank_risk_share_percent = _field("bank_risk_share_percent", "银行分险比例(%)", DecimalCell(
        places=2, max_digits=5, maximum=Decimal("100"), required=False,
        hint="银担分险贷款必填：银行自担风险比例，如 30",
        below_one=gettext_lazy(
            "“%(v)s”小于1，无法确定是否为百分数：银行分险比例请按百分数填写，写 30 表示银行自担"
            "30%%（或将单元格设置为百分比格式，显示为 30%%）")))


class ClassificationRowResource(resources.Resource):
    """One five-tier classification per row of the sheet 五级分类, matched by IOU."""

    iou_number = _field("iou_number", "借据号", TextCell(
        max_length=60, hint="本行已备案贷款的借据号"))
    classification = _field("classification", "五级分类", ChoiceCell(Classification))
    classified_on = _field("classified_on", "分类日期", DateCell(
        hint="不得早于放款日期，不得晚于今天"))
    note = _field("note", "备注", TextCell(max_length=200, required=False), default="")
