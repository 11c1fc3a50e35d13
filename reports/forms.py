from datetime import date
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import ReportFile
from .selectors import GENERATED_KINDS, closed_periods, period_display


class ReportRequestForm(forms.Form):
    """Which report to generate: the kind and one of the periods that have ended. ``confirmed``
    is set by the confirmation step shown when versions of the report exist already."""

    kind = forms.ChoiceField(label=_("报告类型"))
    period = forms.ChoiceField(label=_("报告期"),
                               help_text=_("只能选择已经结束的报告期。"))
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.periods = closed_periods(today=today)
        kinds = cast(forms.ChoiceField, self.fields["kind"])
        kinds.choices = [(k.value, k.label) for k in GENERATED_KINDS]
        cast(forms.ChoiceField, self.fields["period"]).choices = [
            (ReportFile.Kind(kind).label, [(p, period_display(kind, p)) for p in periods])
            for kind, periods in self.periods.items() if periods
        ]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        kind, period = data.get("kind"), data.get("period")
        if kind and period and period not in self.periods.get(kind, []):
            self.add_error("period", _("所选报告期与报告类型不符：半年度报告选“某年上半年/下半年”，"
                                       "年度审计报告和年度运营管理工作报告选“某年度”。"))
        return data
