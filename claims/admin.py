from django.contrib import admin

from riskcomp.admin_base import ReadOnlyAdmin

from .models import (
    Claim,
    ClaimDocument,
    ClaimReviewAge,
    ClaimStatusChange,
    Confirmation,
    Payment,
    Proposal,
    ProposalWithdrawal,
    Recovery,
    RecoveryStatement,
    ReturnPayment,
    ReviewDecision,
    SpotCheck,
    SpotCheckItem,
    SupplementRequest,
    WriteOff,
    WriteOffStatusChange,
)


class StatusChangeInline(admin.TabularInline):
    model = ClaimStatusChange
    extra = 0
    can_delete = False
    readonly_fields = ("from_status", "to_status", "note", "actor", "changed_at")

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Claim)
class ClaimAdmin(ReadOnlyAdmin):
    list_display = ("number", "bank", "scheme", "base", "compensation", "status", "submitted_at")
    list_filter = ("scheme", "status", "bank")
    search_fields = ("number", "filing__iou_number", "filing__enterprise_name")
    inlines = [StatusChangeInline]


for model in (ClaimDocument, ClaimStatusChange, ReviewDecision, SupplementRequest, Proposal,
              ProposalWithdrawal, Confirmation, Payment, Recovery, ReturnPayment, WriteOff,
              RecoveryStatement, SpotCheck, SpotCheckItem, WriteOffStatusChange):
    admin.site.register(model, ReadOnlyAdmin)


@admin.register(ClaimReviewAge)
class ClaimReviewAgeAdmin(ReadOnlyAdmin):
    """Derived from each claim's history and the calendar; shown so an operator can check it."""

    list_display = ("claim", "age", "pending_year", "status", "key")
    search_fields = ("claim__number",)
