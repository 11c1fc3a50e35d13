from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from riskcomp.choices import (
    Classification,
    EnterpriseKind,
    EnterpriseSize,
    LoanType,
    QualificationType,
    Scheme,
)
from riskcomp.policy.contradictions import out_of_order
from riskcomp.policy.credit_code import normalize_credit_code, validate_credit_code
from riskcomp.policy.eligibility import EnterpriseFacts, LoanFacts, QualificationFacts
from riskcomp.policy.enterprise_size import Industry
from riskcomp.policy.reasons import PolicyError
from riskcomp.policy.types import EnterpriseKind as PKind
from riskcomp.policy.types import EnterpriseSize as PSize
from riskcomp.policy.types import LoanType as PLoanType
from riskcomp.policy.types import QualificationType as PQual

from .models import MICRO_CONDUCT_CONDITIONS, TECH_CONDUCT_CONDITIONS
from .services import FilingRequest, filing_request

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")  # what <input type=date> reads
MONEY_FIELD: dict[str, Any] = {"max_digits": 18, "decimal_places": 2, "min_value": Decimal("0")}
CURRENCIES = [("CNY", _("人民币 CNY")), ("USD", _("美元 USD")), ("EUR", _("欧元 EUR")),
              ("HKD", _("港元 HKD")), ("JPY", _("日元 JPY")), ("GBP", _("英镑 GBP"))]
INDUSTRY_LABELS = {
    Industry.AGRICULTURE: _("农、林、牧、渔业"), Industry.INDUSTRY: _("工业"),
    Industry.CONSTRUCTION: _("建筑业"), Industry.WHOLESALE: _("批发业"),
    Industry.RETAIL: _("零售业"), Industry.TRANSPORT: _("交通运输业"),
    Industry.WAREHOUSING: _("仓储业"), Industry.POSTAL: _("邮政业"),
    Industry.HOTEL: _("住宿业"), Industry.CATERING: _("餐饮业"),
    Industry.INFORMATION_TRANSMISSION: _("信息传输业"),
    Industry.SOFTWARE_IT: _("软件和信息技术服务业"),
    Industry.REAL_ESTATE_DEVELOPMENT: _("房地产开发经营"),
    Industry.PROPERTY_MANAGEMENT: _("物业管理"),
    Industry.LEASING_BUSINESS_SERVICES: _("租赁和商务服务业"), Industry.OTHER: _("其他未列明行业"),
}
QUALIFICATION_ROWS = 2



def checked_credit_code(value: str) -> str:
    """A credit code as typed (lower case, spaces), normalised and checked, or the form error
    the policy's check gives."""
    code: str = normalize_credit_code(value)
    try:
        validate_credit_code(code)
    except PolicyError as exc:
        raise forms.ValidationError(str(exc.message), code=str(exc.code)) from exc
    return code

class CalculatorForm(forms.Form):
    """The facts of a loan, as a bank would file them; nothing is saved."""

    bank_schemes = forms.MultipleChoiceField(
        label=_("银行已签合作协议的政策"), choices=Scheme.choices,
        widget=forms.CheckboxSelectMultiple, required=False)
    credit_code = forms.CharField(label=_("统一社会信用代码"), max_length=18, min_length=18)
    # No default for kind and size: the bank states each, a silent default would be a false
    # declaration. Nor for the attestations below: each is ticked for this loan or not at all.
    kind = forms.ChoiceField(
        label=_("主体类型"), choices=[("", _("请选择")), *EnterpriseKind.choices],
        error_messages={"required": _("请选择主体类型（企业法人或个体工商户）。")})
    size = forms.ChoiceField(
        label=_("企业规模（申报）"),
        choices=[("", _("请选择")), *(c for c in EnterpriseSize.choices if c[0] != "large")],
        error_messages={"required": _("请选择企业规模（中型、小型或微型）。")})
    in_bda = forms.BooleanField(label=_("在经开区内经营"), required=False)
    # One attestation per scheme (their lists differ), never ticked in advance: the bank checks
    # each scheme's conditions for this loan.
    micro_conduct_ok = forms.BooleanField(label=_("符合小微政策信用合规条件"), required=False,
                                          help_text=MICRO_CONDUCT_CONDITIONS)
    tech_conduct_ok = forms.BooleanField(label=_("符合科创政策信用合规条件"), required=False,
                                         help_text=TECH_CONDUCT_CONDITIONS)
    tech_scope = forms.BooleanField(label=_("属于科技创新支持范围（财金〔2024〕60号）"),
                                    required=False)
    industry = forms.ChoiceField(label=_("所属行业（用于核对企业规模，可选）"), required=False,
                                 choices=[("", "—"), *INDUSTRY_LABELS.items()])
    employees = forms.IntegerField(label=_("从业人员（人）"), required=False, min_value=0)
    revenue = forms.DecimalField(label=_("营业收入（元）"), required=False, **MONEY_FIELD)
    total_assets = forms.DecimalField(label=_("资产总额（元）"), required=False, **MONEY_FIELD)

    loan_type = forms.ChoiceField(label=_("贷款品种"), choices=LoanType.choices)
    amount = forms.DecimalField(label=_("贷款金额（原币）"), **MONEY_FIELD)
    currency = forms.ChoiceField(label=_("币种"), choices=CURRENCIES, initial="CNY")
    fx_rate = forms.DecimalField(label=_("发放日汇率中间价（外币时必填）"), required=False,
                                 max_digits=12, decimal_places=6, min_value=Decimal("0.000001"))
    drawdown_date = forms.DateField(label=_("放款日期（借据日期）"), widget=DATE)
    maturity_date = forms.DateField(label=_("合同到期日"), widget=DATE)
    rate_percent = forms.DecimalField(label=_("年利率（%）"), max_digits=7, decimal_places=4,
                                      min_value=Decimal("0"))
    bank_outstanding_to_enterprise = forms.DecimalField(
        label=_("本行对该企业其他已备案在贷余额（元）"), initial=Decimal("0"), **MONEY_FIELD)
    credit_report_outstanding = forms.DecimalField(label=_("征信报告未结清贷款余额（元）"),
                                                   **MONEY_FIELD)
    credit_report_date = forms.DateField(label=_("征信报告日期"), widget=DATE)
    other_cover = forms.BooleanField(label=_("有保险、担保公司担保或其他财政补偿"), required=False)
    first_loan = forms.BooleanField(label=_("企业首笔信用/知识产权质押/应收账款质押贷款"),
                                    required=False)
    bank_risk_share_percent = forms.DecimalField(
        label=_("银担分险：银行承担比例（%）"), required=False, max_digits=5, decimal_places=2,
        min_value=Decimal("0"), max_value=Decimal("100"))
    filing_date = forms.DateField(label=_("拟备案日期（可选）"), required=False, widget=DATE)
    npl_principal = forms.DecimalField(label=_("不良贷款本金余额（元，可选）"), required=False,
                                       **MONEY_FIELD)
    recovery_date = forms.DateField(label=_("追偿回收日期（可选）"), required=False, widget=DATE)
    notified_date = forms.DateField(label=_("回收通知日期（可选）"), required=False, widget=DATE)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for i in range(1, QUALIFICATION_ROWS + 1):
            self.fields[f"q{i}_type"] = forms.ChoiceField(
                label=_("资质%(n)s") % {"n": i}, required=False,
                choices=[("", "—"), *QualificationType.choices])
            self.fields[f"q{i}_from"] = forms.DateField(label=_("有效期起"), required=False,
                                                        widget=DATE)
            self.fields[f"q{i}_to"] = forms.DateField(label=_("有效期止"), required=False,
                                                      widget=DATE)

    def clean_credit_code(self) -> str:
        return checked_credit_code(self.cleaned_data["credit_code"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        drawdown: date | None = data.get("drawdown_date")
        maturity: date | None = data.get("maturity_date")
        if out_of_order(drawdown_date=drawdown, maturity_date=maturity):
            self.add_error("maturity_date", _("合同到期日不能早于放款日期。"))
        if data.get("currency") not in (None, "CNY") and not data.get("fx_rate"):
            self.add_error("fx_rate", _("外币贷款须填写发放日的人民币汇率中间价。"))
        if data.get("loan_type") == "risk_sharing" and data.get("bank_risk_share_percent") is None:
            self.add_error("bank_risk_share_percent", _("银担分险贷款须填写银行承担的风险比例。"))
        for i in range(1, QUALIFICATION_ROWS + 1):
            qtype, start, end = (data.get(f"q{i}_type"), data.get(f"q{i}_from"),
                                 data.get(f"q{i}_to"))
            if qtype and not (start and end):
                self.add_error(f"q{i}_to", _("请填写资质的有效期起止日期。"))
            elif qtype and start and end and end < start:
                self.add_error(f"q{i}_to", _("有效期止不能早于有效期起。"))
        if data.get("notified_date") and not data.get("recovery_date"):
            self.add_error("recovery_date", _("填写通知日期时须同时填写回收日期。"))
        return data

    def enterprise_facts(self) -> EnterpriseFacts:
        d = self.cleaned_data
        quals = tuple(
            QualificationFacts(type=PQual(d[f"q{i}_type"]), valid_from=d[f"q{i}_from"],
                               valid_to=d[f"q{i}_to"])
            for i in range(1, QUALIFICATION_ROWS + 1) if d.get(f"q{i}_type")
        )
        return EnterpriseFacts(
            credit_code=d["credit_code"], kind=PKind(d["kind"]), size=PSize(d["size"]),
            in_bda=d["in_bda"], qualifications=quals, micro_conduct_ok=d["micro_conduct_ok"],
            tech_conduct_ok=d["tech_conduct_ok"], tech_scope=d["tech_scope"])

    def loan_facts(self) -> LoanFacts:
        d = self.cleaned_data
        return LoanFacts(
            loan_type=PLoanType(d["loan_type"]), amount=d["amount"], currency=d["currency"],
            fx_rate=d["fx_rate"] if d["currency"] != "CNY" else None,
            drawdown_date=d["drawdown_date"], maturity_date=d["maturity_date"],
            rate_percent=d["rate_percent"],
            bank_outstanding_to_enterprise=d["bank_outstanding_to_enterprise"],
            credit_report_outstanding=d["credit_report_outstanding"],
            credit_report_date=d["credit_report_date"], other_cover=d["other_cover"],
            first_loan=d["first_loan"], bank_risk_share_percent=d["bank_risk_share_percent"])


class FilingForm(CalculatorForm):
    """One loan filed by a bank officer. The facts are the calculator's, plus the identifiers a
    filing keeps; eligibility is decided by ``loans.services.evaluate_filings``."""

    # The fields of the enterprise part that a lookup by credit code may fill.
    ENTERPRISE_FIELDS = ("enterprise_name", "kind", "size", "industry", "employees", "revenue",
                         "total_assets", *(f"q{i}_{part}" for i in range(1, QUALIFICATION_ROWS + 1)
                                           for part in ("type", "no", "from", "to")))
    ENTERPRISE_CHECKS = ("in_bda", "tech_scope", "micro_conduct_ok", "tech_conduct_ok")
    CALCULATOR_ONLY = ("bank_schemes", "filing_date", "npl_principal", "recovery_date",
                       "notified_date", "bank_outstanding_to_enterprise")

    enterprise_name = forms.CharField(label=_("企业名称"), max_length=200)
    iou_number = forms.CharField(label=_("借据号"), max_length=60)
    contract_number = forms.CharField(label=_("合同号"), max_length=60)
    has_natural_person_guarantee = forms.BooleanField(label=_("追加自然人保证"), required=False)
    guarantee_institution = forms.CharField(label=_("政府性融资担保机构（银担分险）"),
                                            max_length=100, required=False)

    def __init__(self, *args: Any, banks: Sequence[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in self.CALCULATOR_ONLY:
            del self.fields[name]
        for i in range(1, QUALIFICATION_ROWS + 1):
            self.fields[f"q{i}_no"] = forms.CharField(label=_("证书编号"), max_length=60,
                                                      required=False)
        self.banks = list(banks)
        if len(self.banks) > 1:
            self.fields["bank"] = forms.ChoiceField(
                label=_("备案银行"), choices=[(b.pk, b.name) for b in self.banks])
        branches = [(br.pk, br.name) for b in self.banks for br in b.branches.all()]
        self.fields["branch"] = forms.TypedChoiceField(
            label=_("经办支行"), required=False, coerce=int, empty_value=None,
            choices=[("", "—"), *branches])

    @classmethod
    def lookup_initial(cls, typed: Mapping[str, str], found: Mapping[str, Any] | None
                       ) -> dict[str, Any]:
        """The enterprise part of the form after the credit code was looked up: what the user
        has typed stays as typed; the enterprise as this bank filed it fills only the fields
        still empty. Check boxes are never ticked from a lookup: an unticked box cannot be told
        from an unanswered one, and the bank attests them for each loan."""
        filled: dict[str, Any] = {}
        if found is not None:
            filled.update(enterprise_name=found["name"], kind=found["kind"], size=found["size"])
            for i, q in enumerate(found["qualifications"][:QUALIFICATION_ROWS], start=1):
                filled.update({f"q{i}_type": q["type"], f"q{i}_no": q["certificate_no"],
                               f"q{i}_from": q["valid_from"], f"q{i}_to": q["valid_to"]})
        for name in cls.ENTERPRISE_FIELDS:
            value = typed.get(name, "")
            if isinstance(value, str) and value.strip():
                filled[name] = value
        for name in cls.ENTERPRISE_CHECKS:  # a box the user ticked stays ticked
            filled[name] = bool(typed.get(name))
        # Certificate rows are kept whole: a row the user started is not completed from
        # another certificate.
        for i in range(1, QUALIFICATION_ROWS + 1):
            row = [f"q{i}_type", f"q{i}_no", f"q{i}_from", f"q{i}_to"]
            if any(str(typed.get(n, "")).strip() for n in row):
                for n in row:
                    filled[n] = typed.get(n, "")
        return filled

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for i in range(1, QUALIFICATION_ROWS + 1):
            if data.get(f"q{i}_type") and not data.get(f"q{i}_no"):
                self.add_error(f"q{i}_no", _("请填写资质证书编号。"))
        return data

    def chosen_bank(self) -> Any:
        if len(self.banks) == 1:
            return self.banks[0]
        wanted = str(self.cleaned_data.get("bank"))
        return next(b for b in self.banks if str(b.pk) == wanted)

    def to_request(self) -> FilingRequest:
        return filing_request(self.cleaned_data, branch_id=self.cleaned_data.get("branch"))


class ClassificationForm(forms.Form):
    classification = forms.ChoiceField(label=_("五级分类"), choices=Classification.choices)
    classified_on = forms.DateField(label=_("分类日期"), widget=DATE)
    note = forms.CharField(label=_("备注"), max_length=200, required=False)
