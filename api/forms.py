from datetime import timedelta

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from banks.models import Bank

from .models import ApiKey


class ApiKeyForm(forms.Form):
    bank = forms.ModelChoiceField(Bank.objects.order_by("code"), label=_("银行"))
    name = forms.CharField(label=_("名称"), max_length=100,
                           help_text=_("用途说明，如“核心系统备案接口”。"))
    scope = forms.ChoiceField(label=_("权限范围"), choices=ApiKey.Scope.choices,
                              initial=ApiKey.Scope.READ)
    expires_on = forms.DateField(label=_("到期日"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["expires_on"].initial = (
            timezone.localdate() + timedelta(days=settings.RISKCOMP_API_KEY_DAYS))

    def clean_expires_on(self) -> object:
        day = self.cleaned_data["expires_on"]
        if day <= timezone.localdate():
            raise forms.ValidationError(_("到期日须晚于今天。"))
        if day > timezone.localdate() + timedelta(days=3 * 366):
            raise forms.ValidationError(_("有效期不能超过三年。"))
        return day
