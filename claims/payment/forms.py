"""The custodian's payment forms. They check types and lengths; whether a claim may be paid, the
balance and the references are the service's to refuse."""

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..common.forms import DATE, MONEY, DocumentField
from ..models import Claim
from .services import BATCH_REFERENCE_MAX, REFERENCE_MAX


def _paid_on() -> forms.DateField:
    return forms.DateField(label=_("拨付日期"), widget=DATE,
                           help_text=_("资金从专用账户划出的日期，不晚于今天。"))


class PaymentForm(forms.Form):
    """Pay one claim: the date and the transfer's serial number."""

    paid_on = _paid_on()
    reference = forms.CharField(label=_("付款流水号"), max_length=REFERENCE_MAX,
                                help_text=_("银行转账回单上的流水号，不能与已登记的重复。"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"paid_on": timezone.localdate()})
        super().__init__(*args, **kwargs)


class ClaimSelectionForm(forms.Form):
    """The claims ticked on the payment list. Any claim id is accepted here, so that one paid
    meanwhile is named by the service with its state instead of a bare "invalid choice"."""

    claims = forms.ModelMultipleChoiceField(
        queryset=Claim.objects.all(), widget=forms.MultipleHiddenInput,
        error_messages={"required": _("请至少勾选一笔待拨付的申报。")})


class BatchPaymentForm(ClaimSelectionForm):
    paid_on = _paid_on()
    reference = forms.CharField(
        label=_("批量付款流水号"), max_length=BATCH_REFERENCE_MAX,
        help_text=_("批量代付的批次号；每笔申报的流水号为批次号加“-001”“-002”等序号，"
                    "按申报编号排序，见下表。"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"paid_on": timezone.localdate()})
        super().__init__(*args, **kwargs)


class RecoveryForm(forms.Form):
    recovered_on = forms.DateField(label=_("回收日期"), widget=DATE)
    amount = forms.DecimalField(label=_("回收金额（元）"), **MONEY)
    notified_on = forms.DateField(
        label=_("通知托管机构日期"), widget=DATE, required=False,
        help_text=_("留空为今天。回收后须在20个工作日内通知托管机构。"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"notified_on": timezone.localdate()})
        super().__init__(*args, **kwargs)


class ReturnForm(forms.Form):
    amount = forms.DecimalField(label=_("返还金额（元）"), **MONEY)
    returned_on = forms.DateField(label=_("返还日期"), widget=DATE)
    reference = forms.CharField(label=_("返还流水号"), max_length=60)
    reconciliation_statement = DocumentField(label=_("返还对账单"), required=False)

    def __init__(self, *args: Any, tech: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if tech:  # TECH Art. 19: returns come with the reconciliation statement
            self.fields["reconciliation_statement"].required = True


class StatementForm(forms.Form):
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    text = forms.CharField(label=_("追偿工作情况"), widget=forms.Textarea(attrs={"rows": 6}),
                           max_length=8000)
    document = DocumentField(label=_("说明文件（可选）"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"year": timezone.localdate().year})
        super().__init__(*args, **kwargs)
