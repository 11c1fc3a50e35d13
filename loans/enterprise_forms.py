"""The custodian's form for a shared borrower's master record."""

from datetime import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from riskcomp.choices import EnterpriseKind, EnterpriseSize

from .enterprise_services import EDITABLE_FIELDS, REASON_MAX
from .forms import INDUSTRY_LABELS, MONEY_FIELD, checked_credit_code
from .models import Enterprise


class EnterpriseMasterForm(forms.Form):
    name = forms.CharField(label=_("企业名称"), max_length=200,
                           error_messages={"required": _("请填写企业名称。")})
    credit_code = forms.CharField(label=_("统一社会信用代码"), max_length=40)
    kind = forms.ChoiceField(label=_("主体类型"), choices=EnterpriseKind.choices)
    size = forms.ChoiceField(label=_("企业规模"), choices=EnterpriseSize.choices)
    is_in_bda = forms.BooleanField(label=_("在经开区内经营"), required=False)
    industry = forms.ChoiceField(label=_("所属行业（用于核对企业规模）"), required=False,
                                 choices=[("", "—"), *INDUSTRY_LABELS.items()])
    employees = forms.IntegerField(label=_("从业人员（人）"), required=False, min_value=0,
                                   max_value=10_000_000)
    revenue = forms.DecimalField(label=_("营业收入（元）"), required=False, **MONEY_FIELD)
    total_assets = forms.DecimalField(label=_("资产总额（元）"), required=False, **MONEY_FIELD)
    reason = forms.CharField(
        label=_("修改原因"), max_length=REASON_MAX, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("写明依据（如营业执照、企业来函、银行核实情况），记入审计日志。"),
        error_messages={"required": _("请填写修改原因。")})
    version = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, enterprise: Enterprise, **kwargs: Any) -> None:
        self.enterprise = enterprise
        if not args and "data" not in kwargs:
            kwargs["initial"] = {**{f: getattr(enterprise, f) for f in EDITABLE_FIELDS},
                                 "version": enterprise.updated_at.isoformat()}
        super().__init__(*args, **kwargs)

    def clean_name(self) -> str:
        name: str = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("请填写企业名称。"))
        return name

    def clean_credit_code(self) -> str:
        code = checked_credit_code(self.cleaned_data["credit_code"])
        if Enterprise.objects.filter(credit_code=code).exclude(pk=self.enterprise.pk).exists():
            raise forms.ValidationError(
                _("已有其他企业使用该统一社会信用代码，请核对；如为同一企业，请联系系统管理员合并。"))
        return code

    def clean_version(self) -> datetime | None:
        raw = self.cleaned_data.get("version") or ""
        try:
            return datetime.fromisoformat(raw) if raw else None
        except ValueError:
            # A hidden field: the error is shown above the form.
            self.add_error(None, _("页面已过期，请重新打开后再修改。"))
            return None

    def values(self) -> dict[str, Any]:
        return {f: self.cleaned_data[f] for f in EDITABLE_FIELDS}
