"""The bank officer's forms: claim, supplement answer, recovery, return, write-off, statement.

Forms check what a form can (types, required fields, the document's content and size); the
rules are the services' business, and their refusals come back as form errors."""

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from riskcomp.uploads import ACCEPT_ATTR, check_upload

from .models import ClaimDocument, WriteOff

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MONEY: dict[str, Any] = {"max_digits": 18, "decimal_places": 2, "min_value": Decimal("0.01")}
FILE_HELP = _("PDF、PNG 或 JPEG，按文件内容识别类型。")


class DocumentField(forms.FileField):
    """One document: PDF, PNG or JPEG by content, within the size limit."""

    widget = forms.FileInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", FILE_HELP)
        super().__init__(**kwargs)
        self.widget.attrs["accept"] = ACCEPT_ATTR

    def clean(self, data: Any, initial: Any = None) -> Any:
        value = super().clean(data, initial)
        if value:
            check_upload(value)
        return value


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleDocumentField(forms.FileField):
    """Several documents at once (Django's documented multiple-file pattern)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT_ATTR}))
        kwargs.setdefault("help_text", FILE_HELP)
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        items = data if isinstance(data, list | tuple) else [data] if data else []
        files = [single(d, initial) for d in items if d]
        if self.required and not files:
            raise ValidationError(self.error_messages["required"], code="required")
        errors: list[ValidationError] = []
        for f in files:
            try:
                check_upload(f)
            except ValidationError as exc:
                errors.extend(exc.error_list)
        if errors:
            raise ValidationError(errors)
        return files


class HoldsDocuments:
    """A form whose accepted documents are held between posts (``riskcomp.held_uploads``)."""

    fields: dict[str, forms.Field]

    def mark_held(self, names: dict[str, list[str]]) -> None:
        """Say under each field which documents are held for it; a field with a held document
        needs no new choice, so the browser must not insist on one."""
        for field, held in names.items():
            if field not in self.fields or not held:
                continue
            self.fields[field].required = False
            text = _("已保留：%(names)s。") % {"names": "、".join(held)}
            more = (_("再选择的文件将一并提交。")
                    if isinstance(self.fields[field], MultipleDocumentField)
                    else _("无需重新选择；选择新文件将替换它。"))
            self.fields[field].held_note = f"{text}{more}"


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


class StatementForm(forms.Form):
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    text = forms.CharField(label=_("追偿工作情况"), widget=forms.Textarea(attrs={"rows": 6}),
                           max_length=8000)
    document = DocumentField(label=_("说明文件（可选）"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"year": timezone.localdate().year})
        super().__init__(*args, **kwargs)
