"""Forms of the yearly spot checks: the draw and the finding per sampled loan. The rules (one
draw a year, the population, a finding for every issue) are the service's."""

from typing import Any

from django import forms
from django.core.validators import MaxValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import SpotCheckItem
from .services import MAX_SEED_LENGTH

FIRST_YEAR = 2025  # both policies were issued on 2025-06-30


class SpotCheckDrawForm(forms.Form):
    year = forms.IntegerField(label=_("抽查年度"), min_value=FIRST_YEAR,
                              help_text=_("从该年度拨付补偿的申报（已拨付或已核销）中抽取。"))
    sample_size = forms.IntegerField(label=_("抽样数量"), min_value=1, max_value=10000)
    seed = forms.CharField(
        label=_("随机种子"), required=False, max_length=MAX_SEED_LENGTH,
        help_text=_("可不填，由系统随机生成并记录；同一种子、同一申报范围总是抽出相同的样本。"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        this_year = timezone.localdate().year
        # The current year is only known per request, not at import.
        self.fields["year"].validators.append(
            MaxValueValidator(this_year, message=_("抽查年度不能晚于本年度。")))
        self.fields["year"].widget.attrs.update({"min": FIRST_YEAR, "max": this_year})
        self.fields["year"].initial = this_year - 1


class SpotCheckRecordForm(forms.Form):
    result = forms.ChoiceField(
        label=_("检查结论"), widget=forms.RadioSelect,
        choices=[(SpotCheckItem.Result.COMPLIANT.value, SpotCheckItem.Result.COMPLIANT.label),
                 (SpotCheckItem.Result.ISSUE.value, SpotCheckItem.Result.ISSUE.label)],
    )
    finding = forms.CharField(
        label=_("检查发现"), required=False, max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("发现问题时必须填写：问题所在、涉及的材料或条款。"),
    )
