"""The performance view's filters; an invalid value is ignored rather than refused."""

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from banks.models import Bank
from riskcomp.choices import Scheme
from riskcomp.labels import quarter_label

from .performance_selectors import Scope


class PerformanceFilterForm(forms.Form):
    scheme = forms.ChoiceField(label=_("政策"), required=False,
                               choices=(("", _("全部政策")), *Scheme.choices))
    bank = forms.ModelChoiceField(label=_("银行"), required=False, empty_label=_("全部银行"),
                                  queryset=Bank.objects.order_by("short_name"))
    quarter_from = forms.ChoiceField(label=_("放款季度自"), required=False)
    quarter_to = forms.ChoiceField(label=_("至"), required=False)

    def __init__(self, *args: Any, quarters: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = (("", _("不限")), *((q, quarter_label(q)) for q in quarters))
        cast(forms.ChoiceField, self.fields["quarter_from"]).choices = choices
        cast(forms.ChoiceField, self.fields["quarter_to"]).choices = choices

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        first, last = data.get("quarter_from"), data.get("quarter_to")
        if first and last and first > last:
            raise forms.ValidationError(_("起始季度不能晚于截止季度。"), code="quarter_order")
        return data

    def scope(self) -> Scope:
        if not self.is_valid():
            return Scope()
        bank = self.cleaned_data["bank"]
        return Scope(scheme=self.cleaned_data["scheme"], bank_id=bank.pk if bank else None,
                     quarter_from=self.cleaned_data["quarter_from"],
                     quarter_to=self.cleaned_data["quarter_to"])
