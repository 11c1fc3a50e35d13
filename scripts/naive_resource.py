"""The plain django-import-export ``ModelResource`` that ``bench_import.py`` compares the
portal's import against: the same workbook saved row by row, the way django-import-export does
out of the box. It is no part of the portal (it judges no rule), so it lives beside the
benchmark."""

from datetime import date
from decimal import Decimal
from typing import Any

from import_export import fields, resources, widgets

from loans.models import Enterprise, LoanFiling
from riskcomp.policy.deadlines import quarter_code


class _EnterpriseByCode(widgets.ForeignKeyWidget):
    """Find or create the borrower by its credit code, row by row (what a plain resource does)."""

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Any:
        enterprise, _created = Enterprise.objects.get_or_create(
            credit_code=str(value).strip().upper(),
            defaults={"name": row["企业名称"], "kind": "company", "size": "small"})
        return enterprise


class NaiveLoanFilingResource(resources.ModelResource):
    """A plain ``ModelResource`` for ``LoanFiling``: the columns of the template mapped straight
    to model fields, foreign keys through ``ForeignKeyWidget``, one save per row. It judges no
    rule (scheme and ratio are fixed), so it is a lower bound on the work a real import does."""

    enterprise = fields.Field(attribute="enterprise", column_name="统一社会信用代码",
                              widget=_EnterpriseByCode(Enterprise, "credit_code"))
    iou_number = fields.Field(attribute="iou_number", column_name="借据号")
    contract_number = fields.Field(attribute="contract_number", column_name="合同号")
    drawdown_date = fields.Field(attribute="drawdown_date", column_name="放款日期",
                                 widget=widgets.DateWidget())
    maturity_date = fields.Field(attribute="maturity_date", column_name="合同到期日",
                                 widget=widgets.DateWidget())
    amount = fields.Field(attribute="amount", column_name="贷款金额",
                          widget=widgets.DecimalWidget())
    rate_percent = fields.Field(attribute="rate_percent", column_name="年利率(%)",
                                widget=widgets.DecimalWidget())
    credit_report_outstanding = fields.Field(attribute="credit_report_outstanding",
                                             column_name="征信未结清贷款余额",
                                             widget=widgets.DecimalWidget())
    credit_report_date = fields.Field(attribute="credit_report_date", column_name="征信报告日期",
                                      widget=widgets.DateWidget())

    def __init__(self, *, bank: Any, actor: Any, filed_on: date) -> None:
        super().__init__()
        self.bank, self.actor, self.filed_on = bank, actor, filed_on

    def get_queryset(self) -> Any:
        return LoanFiling.objects.filter(bank=self.bank)

    def before_save_instance(self, instance: LoanFiling, row: Any, **kwargs: Any) -> None:
        instance.bank = self.bank
        instance.filed_by = self.actor
        instance.filed_on = self.filed_on
        instance.loan_type = "credit"
        instance.amount_cny = instance.outstanding_principal = instance.amount
        instance.quarter = quarter_code(instance.drawdown_date)
        instance.scheme, instance.ratio = "MICRO", Decimal("0.30")
        instance.policy_version = "naive"

    class Meta:
        model = LoanFiling
        import_id_fields = ("iou_number",)
        fields = ("enterprise", "iou_number", "contract_number", "drawdown_date",
                  "maturity_date", "amount", "rate_percent", "credit_report_outstanding",
                  "credit_report_date")
