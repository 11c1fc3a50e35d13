"""Forms of the custodian's proposal and of the bureau's written decisions.
They check types and required fields; the rules (states, suspension, periods) are the services'
and come back as form errors."""

from datetime import date
from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from riskcomp.choices import Scheme
from riskcomp.labels import quarter_label
from riskcomp.policy.deadlines import quarter_of

from ..common.forms import DATE, DocumentField
from ..models import Claim, Confirmation


class ClaimChoiceField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj: Claim) -> str:
        return obj.number


PERIOD_CHOICES = 8


def period_choices(today: date) -> list[tuple[str, str]]:
    """The current quarter and the ones before it, newest first: (2026Q3, 2026年第三季度)."""
    year, quarter = quarter_of(today)
    n = year * 4 + quarter - 1
    periods = (f"{m // 4}Q{m % 4 + 1}" for m in range(n, n - PERIOD_CHOICES, -1))
    return [(p, quarter_label(p)) for p in periods]


class ProposalCreateForm(forms.Form):
    """The claims picked on the list and the proposal's scheme, period and note. ``confirmed``
    is set by the preview page: the first post shows the totals, the second creates."""

    claims = ClaimChoiceField(label=_("申报"), queryset=Claim.objects.none(),
                              error_messages={"required": _("请至少选择一笔初审通过的申报。")})
    scheme = forms.ChoiceField(label=_("政策"), choices=Scheme.choices)
    # Picked from the quarters up to the current one (2026年第三季度), never typed as 2026Q3.
    period = forms.ChoiceField(label=_("所属期间（季度）"), choices=(),
                               help_text=_("科创类按季度报送（科创方案第十五条）。"))
    note = forms.CharField(label=_("说明"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 3}))
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, claims: QuerySet[Claim], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["claims"]).queryset = claims
        period = cast(forms.ChoiceField, self.fields["period"])
        period.choices = period_choices(timezone.localdate())


class WrittenDecisionForm(forms.Form):
    """The bureau's written document (书面确认文件) and its decision."""

    decision = forms.ChoiceField(label=_("财政意见"), choices=Confirmation.Decision.choices,
                                 widget=forms.RadioSelect)
    number = forms.CharField(label=_("确认文件文号"), max_length=60)
    date = forms.DateField(label=_("确认文件日期"), widget=DATE)
    document = DocumentField(label=_("确认文件扫描件"))
    reason = forms.CharField(label=_("意见或不予确认的理由"), required=False, max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("不予确认时必填。"))

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if (data.get("decision") == Confirmation.Decision.REJECTED
                and not (data.get("reason") or "").strip()):
            self.add_error("reason", _("请填写不予确认的理由。"))
        return data


class ProposalDecisionForm(WrittenDecisionForm):
    """The bureau's decision on some claims of a proposal (one document may decide several)."""

    claims = ClaimChoiceField(label=_("申报"), queryset=Claim.objects.none(),
                              error_messages={"required": _("请至少选择一笔待确认的申报。")})
    field_order = ("claims", "decision", "number", "date", "document", "reason")

    def __init__(self, *args: Any, claims: QuerySet[Claim], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["claims"]).queryset = claims


class ProposalWithdrawForm(forms.Form):
    reason = forms.CharField(label=_("撤回原因"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("将记入初审意见和申报的办理记录，并通知银行和财政。"))
