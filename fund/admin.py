from django.contrib import admin

from .models import CalendarDay, CalendarYear, FundSize, LedgerEntry, LprRate, PolicyVersion


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown here for reference; changed only on the portal's 参数维护 screens, whose services
    refuse editing a version filings use and ask to confirm a jump of the LPR."""

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(PolicyVersion)
class PolicyVersionAdmin(ReadOnlyAdmin):
    list_display = ("scheme", "version", "valid_from", "valid_to", "base_ratio", "amount_cap",
                    "suspend_net_compensation")
    list_filter = ("scheme",)


@admin.register(LprRate)
class LprRateAdmin(ReadOnlyAdmin):
    list_display = ("published_on", "one_year_percent", "five_year_percent")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown, never changed here: a year's holiday schedule is entered whole on its own screen
    (参数维护 → 节假日安排), which registers the year with its days and recomputes the stored
    deadlines; a year registered or a day changed here alone would give wrong deadlines."""

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


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
class LedgerEntryAdmin(admin.ModelAdmin):
    """The ledger is append-only: visible here, never editable."""

    list_display = ("booked_on", "kind", "amount", "loss_amount", "scheme", "bank", "memo")
    list_filter = ("kind", "scheme", "bank")
    search_fields = ("memo", "reference")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
