from django.contrib import admin

from riskcomp.admin_base import ReadOnlyAdmin

from .models import FiguresVersion, ReportFile


@admin.register(ReportFile)
class ReportFileAdmin(admin.ModelAdmin):
    list_display = ("kind", "period", "version", "is_current", "status", "finished_at")
    list_filter = ("kind", "status", "is_current")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(FiguresVersion)
class FiguresVersionAdmin(ReadOnlyAdmin):
    """Read-only: database triggers replace the tokens; an edit here would only waste a cache."""

    list_display = ("name", "token")
