from typing import Any

from django.contrib import admin
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from riskcomp.admin_base import ReadOnlyAdmin

from .importing import unpack_rows
from .models import (
    ClassificationReport,
    Enterprise,
    ImportBatch,
    ImportChunk,
    LoanFiling,
    Qualification,
)


class QualificationInline(admin.TabularInline):
    model = Qualification
    extra = 0


# The master record changes on the custodian's screen (enterprises:enterprise_edit), which asks
# for a reason and a confirmation and guards against overwriting another's change.
@admin.register(Enterprise)
class EnterpriseAdmin(ReadOnlyAdmin):
    list_display = ("credit_code", "name", "kind", "size", "is_in_bda")
    list_filter = ("kind", "size", "is_in_bda")
    search_fields = ("credit_code", "name")
    inlines = [QualificationInline]


@admin.register(Qualification)
class QualificationAdmin(admin.ModelAdmin):
    list_display = ("enterprise", "type", "certificate_no", "valid_from", "valid_to")
    list_filter = ("type",)
    search_fields = ("enterprise__name", "certificate_no")
    raw_id_fields = ("enterprise",)


@admin.register(LoanFiling)
class LoanFilingAdmin(admin.ModelAdmin):
    list_display = ("iou_number", "bank", "enterprise", "scheme", "drawdown_date", "amount_cny",
                    "ratio", "status")
    list_filter = ("scheme", "status", "loan_type", "bank")
    search_fields = ("iou_number", "contract_number", "enterprise_name",
                     "enterprise__credit_code")
    list_select_related = ("bank", "enterprise")
    # A filing's decision and snapshot are frozen at filing time, and so are the facts the
    # performance view sums and caches until the next filing (reports.performance_selectors).
    readonly_fields = ("scheme", "ratio", "policy_version", "snapshot", "filed_by", "created_at",
                       "bank", "enterprise", "amount_cny", "quarter", "is_first_loan")
    raw_id_fields = ("import_batch",)


@admin.register(ClassificationReport)
class ClassificationReportAdmin(admin.ModelAdmin):
    list_display = ("filing", "classification", "classified_on", "reported_by", "reported_at")
    list_filter = ("classification",)
    raw_id_fields = ("filing",)


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    list_display = ("original_name", "bank", "status", "total_rows", "accepted_rows",
                    "rejected_rows", "created_at")
    list_filter = ("status", "bank")
    readonly_fields = ("sha256", "result")


@admin.register(ImportChunk)
class ImportChunkAdmin(admin.ModelAdmin):
    """An upload's rows as read and the verdicts recorded for them: the file's content, shown,
    never changed."""

    list_display = ("batch", "index")
    exclude = ("rows", "recorded")
    readonly_fields = ("batch", "index", "recorded_rows")

    @admin.display(description=_("已记录判定的行"))
    def recorded_rows(self, obj: ImportChunk) -> str:
        if not obj.recorded:
            return gettext("无（提交时重新校验）")
        rows = unpack_rows(obj.recorded)[1]
        return gettext("%(n)s 行：第 %(first)s 至 %(last)s 行") % {
            "n": len(rows), "first": rows[0][0], "last": rows[-1][0]} if rows else "0"

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
