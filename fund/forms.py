"""The custodian's fund forms: manual entries, a correction's reason, and the fund screen's
filters. They check types and lengths; the services refuse what the rules forbid."""

from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from riskcomp.choices import Scheme

from .services import MEMO_MAX, REASON_MAX, REFERENCE_MAX

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ManualEntryForm(forms.Form):
    """Money arriving in the fund account that no claim explains: capital from the bureau or
    deposit interest."""

    amount = forms.DecimalField(label=_("金额（元）"), max_digits=18, decimal_places=2,
                                min_value=Decimal("0.01"))
    booked_on = forms.DateField(label=_("到账日期"), widget=DATE,
                                help_text=_("资金记入专用账户的日期，不晚于今天。"))
    reference = forms.CharField(label=_("凭证号"), max_length=REFERENCE_MAX,
                                help_text=_("银行回单或结息单上的编号，同类分录不能重复。"))
    memo = forms.CharField(label=_("摘要"), max_length=MEMO_MAX, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"booked_on": timezone.localdate()})
        super().__init__(*args, **kwargs)


class ReversalForm(forms.Form):
    reason = forms.CharField(
        label=_("冲销原因"), max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("写明原分录错在哪里，记入冲销分录的摘要。"))
    confirm = forms.BooleanField(
        label=_("我已核对原分录，确认登记反向的冲销分录（登记后不能删除）"),
        error_messages={"required": _("请勾选确认后再冲销。")})


class OverviewFilterForm(forms.Form):
    """The fund screen's filters; an invalid value is ignored rather than refused."""

    date_from = forms.DateField(label=_("记账日期自"), required=False, widget=DATE)
    date_to = forms.DateField(label=_("至"), required=False, widget=DATE)
    scheme = forms.ChoiceField(label=_("政策"), required=False,
                               choices=(("", _("全部")), *Scheme.choices))
    on = forms.DateField(label=_("余额查询日期"), required=False, widget=DATE)

    def values(self) -> dict[str, Any]:
        data: dict[str, Any] = {"date_from": None, "date_to": None, "scheme": "", "on": None}
        self.is_valid()
        for name in data:
            if name not in self.errors and self.cleaned_data.get(name):
                data[name] = self.cleaned_data[name]
        start: date | None = data["date_from"]
        end: date | None = data["date_to"]
        if start and end and start > end:
            data["date_from"], data["date_to"] = end, start
        return data
