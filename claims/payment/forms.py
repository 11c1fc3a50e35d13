"""The custodian's payment forms. They check types and lengths; whether a claim may be paid, the
balance and the references are the service's to refuse."""

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .forms import DATE
from .models import Claim
from .services.payment import BATCH_REFERENCE_MAX, REFERENCE_MAX


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
