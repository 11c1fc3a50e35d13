"""Forms of a write-off: the bank's application and the custodian's forward or rejection.
The bureau's decision uses the proposal stage's ``WrittenDecisionForm``."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ..common.forms import DocumentField
from ..models import WriteOff


class WriteOffForm(forms.Form):
    ground = forms.ChoiceField(label=_("核销依据"), choices=WriteOff.Ground.choices,
                               widget=forms.RadioSelect)
    ruling = DocumentField(label=_("法院裁定书（破产清算或终结执行裁定）"))
    internal_approval = DocumentField(label=_("银行内部核销审批"))
    application_letter = DocumentField(label=_("核销申请函"), required=False)

    def __init__(self, *args: Any, tech: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if tech:  # RULES: TECH applies with its application letter
            self.fields["application_letter"].required = True


class WriteOffForwardForm(forms.Form):
    note = forms.CharField(label=_("审核意见"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 3}))


class WriteOffRejectForm(forms.Form):
    reason = forms.CharField(label=_("不予核销的理由"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 3}))
