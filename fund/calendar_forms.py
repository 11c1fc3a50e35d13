"""The holiday schedule form (参数维护 → 节假日安排): a whole year's holidays and make-up
working days as two texts, checked by ``riskcomp.policy.holidays.parse_schedule``."""

import hashlib
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from riskcomp.policy.holidays import HolidaySchedule, ScheduleInvalid, parse_schedule

from .calendar_selectors import package_calendar
from .calendar_services import SOURCE_MAX

# Years a schedule may be entered for: the package's first year to well beyond any deadline.
FIRST_YEAR, LAST_YEAR = 2004, 2099


def default_source(year: int) -> str:
    return _("国务院办公厅关于%(y)s年部分节假日安排的通知") % {"y": year}


class ScheduleForm(forms.Form):
    source = forms.CharField(
        label=gettext_lazy("依据文件"), max_length=SOURCE_MAX,
        help_text=gettext_lazy("国务院办公厅通知的名称和文号，如“国办发明电〔2026〕×号”。"))
    holidays = forms.CharField(
        label=gettext_lazy("放假安排"),
        widget=forms.Textarea(attrs={"rows": 9, "class": "mono"}),
        help_text=gettext_lazy("每行一个假期：名称、起始日期和结束日期（含其间的周末），"
                               "如“春节 2027-02-06~2027-02-13”；只放一天的写一个日期。"))
    makeup_days = forms.CharField(
        label=gettext_lazy("调休上班日"), required=False,
        widget=forms.Textarea(attrs={"rows": 6, "class": "mono"}),
        help_text=gettext_lazy("每行一个需要上班的周六或周日，可附说明，"
                               "如“2027-02-20 春节调休”。"))
    override_confirmed = forms.BooleanField(
        label=gettext_lazy("确认以录入的安排替代平台内置的该年度安排"), required=False)
    digest = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, year: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.year = year
        self.package_knows = package_calendar().knows_year(year)
        if not self.package_knows:
            del self.fields["override_confirmed"]
        self.schedule: HolidaySchedule | None = None

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if "holidays" not in data:
            return data
        try:
            self.schedule = parse_schedule(self.year, data["holidays"],
                                           data.get("makeup_days", ""))
        except ScheduleInvalid as exc:
            for field, message in exc.problems:
                self.add_error(field, str(message))
        return data

    def content_digest(self) -> str:
        """What the preview showed: saving is allowed only for the same content."""
        d = self.cleaned_data
        # Line ends as the browser sends them back from a hidden field (HTML keeps only LF).
        text = "\x1f".join(str(v).replace("\r\n", "\n").replace("\r", "\n") for v in (
            self.year, d.get("source", "").strip(), d.get("holidays", ""),
            d.get("makeup_days", ""), bool(d.get("override_confirmed"))))
        return hashlib.sha256(text.encode()).hexdigest()
