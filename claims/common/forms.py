"""Form pieces every stage's forms share: the date input, money bounds, document fields
(content-checked uploads)."""

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from riskcomp.uploads import ACCEPT_ATTR, check_upload

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


FILE_HELP = _("PDF、PNG 或 JPEG，按文件内容识别类型。")


class DocumentField(forms.FileField):
    """One document: PDF, PNG or JPEG by content, within the size limit."""

    widget = forms.FileInput
    held_note = ""  # which held document stands for it (shown under the field)

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

    held_note = ""  # which held documents go with it (shown under the field)

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


MONEY: dict[str, Any] = {"max_digits": 18, "decimal_places": 2, "min_value": Decimal("0.01")}
