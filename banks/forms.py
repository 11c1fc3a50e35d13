from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from riskcomp.choices import Scheme

DATE = forms.DateInput(attrs={"type": "date"})


class AgreementForm(forms.Form):
    scheme = forms.ChoiceField(label=_("政策"), choices=Scheme.choices)
    number = forms.CharField(label=_("协议编号"), max_length=50)
    signed_on = forms.DateField(label=_("签订日期"), widget=DATE)
    valid_from = forms.DateField(label=_("生效日期"), widget=DATE)
    valid_to = forms.DateField(label=_("到期日期"), widget=DATE)
    note = forms.CharField(label=_("备注"), required=False, max_length=500)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("valid_from"), data.get("valid_to")
        if start and end and end < start:
            self.add_error("valid_to", _("到期日期不能早于生效日期。"))
        return data


class TerminateForm(forms.Form):
    reason = forms.CharField(label=_("终止原因"), max_length=300)


class ManualSuspensionForm(forms.Form):
    action = forms.ChoiceField(choices=[("suspend", _("暂停")), ("lift", _("恢复"))],
                               widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("原因"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("科创方案第十七条：追偿工作不力，或因银行自身原因导致法院驳回诉讼请求。"))


class OfficerForm(forms.Form):
    username = forms.CharField(label=_("用户名"), max_length=150)

    def clean_username(self) -> Any:
        name = self.cleaned_data["username"].strip()
        user = get_user_model().objects.filter(username=name, is_active=True).first()
        if user is None:
            raise forms.ValidationError(_("没有该用户名的有效账号。"))
        return user
