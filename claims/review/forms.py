"""The reviewer's three decisions on a claim (初审): pass, reject with a coded reason, ask the
bank for supplements. Each form has its own prefix, so the three live on one page; the
``decision`` field of the POST says which one was sent."""

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from riskcomp.choices import ReasonCode

from .services import NOTE_MAX


def _area(rows: int = 3, **attrs: Any) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, **attrs})


class PassForm(forms.Form):
    note = forms.CharField(label=_("初审意见（可选）"), required=False, max_length=NOTE_MAX,
                           widget=_area(),
                           help_text=_("存在疑点仍予通过时，请写明核实情况。"))


class RejectForm(forms.Form):
    code = forms.ChoiceField(label=_("不通过原因"), choices=())
    note = forms.CharField(label=_("不通过理由"), max_length=NOTE_MAX, widget=_area(),
                           help_text=_("将告知银行，请引用政策条款。"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["code"]).choices = [
            ("", _("请选择")), *((v, label) for v, label in ReasonCode.choices)]


class SupplementForm(forms.Form):
    message = forms.CharField(label=_("需银行补充的材料"), max_length=NOTE_MAX,
                              widget=_area(4),
                              help_text=_("发送给银行；等待银行补充期间不计入审核时长。"))


DECISION_FORMS: dict[str, type[forms.Form]] = {
    "pass": PassForm,
    "reject": RejectForm,
    "supplement": SupplementForm,
}


def decision_forms(data: Any = None, *, sent: str = "") -> dict[str, forms.Form]:
    """The three forms, bound only for the one that was sent."""
    return {key: cls(data if key == sent else None, prefix=key)
            for key, cls in DECISION_FORMS.items()}
