from django.contrib import admin

from riskcomp.admin_base import ReadOnlyAdmin

from .models import CalendarDay, CalendarYear, FundSize, LedgerEntry, LprRate, PolicyVersion

# Policy versions, the LPR and the holiday schedule are entered on the portal's 参数维护 screens
# (a version filings use is never edited, an LPR jump is confirmed, a year is entered whole with
# the stored deadlines it moves): here they are only shown.


@admin.register(PolicyVersion)
class PolicyVersionAdmin(ReadOnlyAdmin):
    list_display = ("scheme", "version", "valid_from", "valid_to", "base_ratio", "amount_cap",
                    "suspend_net_compensation")
    list_filter = ("scheme",)


@admin.register(LprRate)
class LprRateAdmin(ReadOnlyAdmin):
    list_display = ("published_on", "one_year_percent", "five_year_percent")


@admin.register(CalendarYear)
class CalendarYearAdmin(ReadOnlyAdmin):
    list_display = ("year", "source", "entered_by")


@admin.register(CalendarDay)
class CalendarDayAdmin(ReadOnlyAdmin):
    list_display = ("date", "is_workday", "note")
    list_filter = ("is_workday",)
    date_hierarchy = "date"


@admin.register(FundSize)
class FundSizeAdmin(admin.ModelAdmin):
    list_display = ("year", "amount", "note")


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    """The ledger is append-only: visible here, never editable."""

    list_display = ("booked_on", "kind", "amount", "loss_amount", "scheme", "bank", "memo")
    list_filter = ("kind", "scheme", "bank")
    search_fields = ("memo", "reference")
