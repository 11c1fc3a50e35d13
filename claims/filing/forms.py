"""The bank officer's claim forms: the claim with its documents and the supplement answer.

Forms check what a form can (types, required fields, the document's content and size); the
rules are the services' business, and their refusals come back as form errors."""

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from ..common.forms import MONEY, DocumentField, MultipleDocumentField
from ..models import ClaimDocument


class HoldsDocuments:
    """A form whose accepted documents are held between posts (``riskcomp.held_uploads``)."""

    fields: dict[str, forms.Field]

    def mark_held(self, names: dict[str, list[str]]) -> None:
        """Say under each field which documents are held for it; a field with a held document
        needs no new choice, so the browser must not insist on one."""
        for field, held in names.items():
            target = self.fields.get(field)
            if not isinstance(target, DocumentField | MultipleDocumentField) or not held:
                continue
            target.required = False
            text = _("已保留：%(names)s。") % {"names": "、".join(held)}
            more = (_("再选择的文件将一并提交。")
                    if isinstance(target, MultipleDocumentField)
                    else _("无需重新选择；选择新文件将替换它。"))
            target.held_note = f"{text}{more}"


class ClaimForm(HoldsDocuments, forms.Form):
    """补偿申报: the base and the five documents (MICRO Art. 13, TECH Art. 14)."""

    base = forms.DecimalField(
        label=_("不良贷款本金余额（基数，元）"), **MONEY,
        help_text=_("申报时该笔不良贷款的本金余额，不超过备案贷款当前本金余额。"))
    application = DocumentField(label=ClaimDocument.Kind.APPLICATION.label)
    contract_iou = DocumentField(label=ClaimDocument.Kind.CONTRACT_IOU.label)
    credit_report = DocumentField(label=ClaimDocument.Kind.CREDIT_REPORT.label)
    collection = DocumentField(label=ClaimDocument.Kind.COLLECTION.label)
    commitment = DocumentField(label=ClaimDocument.Kind.COMMITMENT.label)

    DOCUMENT_FIELDS = ("application", "contract_iou", "credit_report", "collection",
                       "commitment")

    def __init__(self, *args: Any, outstanding: Decimal | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.outstanding = outstanding
        self.fields["base"].widget.attrs.update({"inputmode": "decimal"})
        if outstanding is not None:
            self.fields["base"].widget.attrs["max"] = str(outstanding)

    def clean_base(self) -> Decimal:
        base: Decimal = self.cleaned_data["base"]
        if self.outstanding is not None and base > self.outstanding:
            raise ValidationError(
                _("申报基数不能超过该笔贷款当前本金余额¥%(out)s。"),
                params={"out": f"{self.outstanding:,.2f}"}, code="base_above_outstanding")
        return base

    def documents(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in self.DOCUMENT_FIELDS}


class SupplementAnswerForm(HoldsDocuments, forms.Form):
    answer = forms.CharField(label=_("答复说明"), widget=forms.Textarea(attrs={"rows": 4}),
                             max_length=4000)
    documents = MultipleDocumentField(label=_("补充材料"), required=False)
