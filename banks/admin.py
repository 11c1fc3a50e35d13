from django.contrib import admin
from guardian.admin import GuardedModelAdmin

from riskcomp.admin_base import ReadOnlyAdmin

from .models import Bank, Branch, CooperationAgreement, SuspensionChange, SuspensionState


class BranchInline(admin.TabularInline):
    model = Branch
    extra = 0


class AgreementInline(admin.TabularInline):
    model = CooperationAgreement
    extra = 0


@admin.register(Bank)
class BankAdmin(GuardedModelAdmin):
    list_display = ("code", "name", "short_name", "is_active")
    search_fields = ("code", "name", "short_name")
    list_filter = ("is_active",)
    inlines = [BranchInline, AgreementInline]


@admin.register(Branch)
class BranchAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "bank")
    list_filter = ("bank",)
    search_fields = ("code", "name")


@admin.register(CooperationAgreement)
class CooperationAgreementAdmin(admin.ModelAdmin):
    list_display = ("number", "bank", "scheme", "valid_from", "valid_to", "status")
    list_filter = ("scheme", "status", "bank")
    search_fields = ("number", "bank__name")


@admin.register(SuspensionState)
class SuspensionStateAdmin(admin.ModelAdmin):
    list_display = ("bank", "scheme", "is_auto_suspended", "is_manually_suspended",
                    "net_compensation", "computed_at")
    list_filter = ("scheme", "is_auto_suspended", "is_manually_suspended")
    # Suspension changes go through the services so that history is written.
    readonly_fields = [f.name for f in SuspensionState._meta.fields]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False


@admin.register(SuspensionChange)
class SuspensionChangeAdmin(ReadOnlyAdmin):
    list_display = ("changed_at", "bank", "scheme", "is_suspended", "kind", "reason")
    list_filter = ("scheme", "kind", "bank")
