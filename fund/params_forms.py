"""The administrator's forms for the policy reference data (参数维护). They check types; the
bounds, the overlap and the use of a version are the model's and the services' to refuse."""

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from riskcomp.choices import EnterpriseKind, EnterpriseSize, LoanType, ReasonCode

from .forms import DATE
from .models import LprRate, PolicyVersion
from .params_services import COPIED_FIELDS

ARTICLE_PREFIX = "article_"
_LABELS = dict(ReasonCode.choices)


def _cited_codes() -> list[str]:
    from riskcomp.policy.versions import CITED_CODES

    return [str(c) for c in CITED_CODES]


class PolicyVersionForm(forms.ModelForm):
    """Every figure of a version, its document and validity, and the article of each rule in
    the document; saving needs an explicit confirmation (a version once used by filings can
    only be succeeded)."""

    allowed_kinds = forms.MultipleChoiceField(
        label=_("支持的主体类型"), choices=EnterpriseKind.choices,
        widget=forms.CheckboxSelectMultiple)
    allowed_sizes = forms.MultipleChoiceField(
        label=_("支持的企业规模"), choices=EnterpriseSize.choices,
        widget=forms.CheckboxSelectMultiple)
    allowed_loan_types = forms.MultipleChoiceField(
        label=_("支持的贷款品种"), choices=LoanType.choices, widget=forms.CheckboxSelectMultiple)
    confirm = forms.BooleanField(
        label=_("我已逐项核对文号、有效期和全部参数；该版本一经备案采用即不能修改或删除，只能由新版本承接"),
        error_messages={"required": _("请勾选确认后再保存。")})

    class Meta:
        model = PolicyVersion
        fields = [f for f in COPIED_FIELDS if f not in ("scheme", "articles")]
        widgets = {"valid_from": DATE, "valid_to": DATE}
        help_texts = {
            "version": _("新文件的文号，如“京技管发〔2026〕7号”，不能与已有版本相同。"),
            "valid_from": _("放款日在有效期内（含起止两日）的贷款适用本版本；"
                            "同一政策的版本有效期不能重叠。"),
            "base_ratio": _("填写小数，0.30表示30%，须大于0且不超过1。"),
            "raised_ratio": _("填写小数；不适用时留空。"),
            "risk_share_min": _("填写小数；不适用时留空。"),
            "risk_share_ratio_cap": _("填写小数；不适用时留空。"),
            "suspend_claim_ratio": _("填写小数，0.03表示3%；不适用时留空。"),
            "rate_margin_percent": _("百分点，1.50表示上浮150个基点。"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        articles = self.instance.articles if isinstance(self.instance.articles, dict) else {}
        for code in _cited_codes():
            self.fields[ARTICLE_PREFIX + code] = forms.CharField(
                label=_("条款：%(rule)s") % {"rule": _LABELS.get(code, code)}, required=False,
                max_length=60, initial=articles.get(code, ""),
                help_text=_("如“第六条第（四）项”；不适用的规则留空。"))

    def article_fields(self) -> list[Any]:
        return [self[name] for name in self.fields if name.startswith(ARTICLE_PREFIX)]

    def figure_fields(self) -> list[Any]:
        return [self[name] for name in self.fields
                if not name.startswith(ARTICLE_PREFIX) and name != "confirm"]

    def values(self) -> dict[str, Any]:
        """The cleaned figures and articles, as the services take them."""
        data = {k: v for k, v in self.cleaned_data.items()
                if k != "confirm" and not k.startswith(ARTICLE_PREFIX)}
        data["articles"] = {k[len(ARTICLE_PREFIX):]: v.strip()
                            for k, v in self.cleaned_data.items()
                            if k.startswith(ARTICLE_PREFIX) and v and v.strip()}
        return data

    def _post_clean(self) -> None:
        # The model's clean() (bounds, overlap) runs in the service, on the values saved.
        pass


class LprForm(forms.Form):
    published_on = forms.DateField(label=_("公布日期"), widget=DATE,
                                   help_text=_("每月20日公布（遇节假日顺延），不晚于今天。"))
    one_year_percent = forms.DecimalField(label=_("1年期LPR（%）"), max_digits=6,
                                          decimal_places=4,
                                          help_text=_("百分数，如3.00表示3.00%。"))
    five_year_percent = forms.DecimalField(label=_("5年期以上LPR（%）"), max_digits=6,
                                           decimal_places=4)
    jump_confirmed = forms.BooleanField(
        label=_("与上次公布相比变动超过1个百分点，我已核对无误"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        latest = LprRate.objects.order_by("-published_on").first()
        initial: dict[str, Any] = {"published_on": timezone.localdate().replace(day=20)}
        if latest is not None:
            initial.update(one_year_percent=latest.one_year_percent,
                           five_year_percent=latest.five_year_percent)
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
