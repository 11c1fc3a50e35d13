from django.contrib import admin

from riskcomp.admin_base import ReadOnlyAdmin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """Read-only: notifications are written by the events they report."""

    list_display = ("created_at", "recipient", "kind", "title", "read_at")
    list_filter = ("kind", ("read_at", admin.EmptyFieldListFilter))
    search_fields = ("title", "body", "recipient__username", "key")
    list_select_related = ("recipient",)
    date_hierarchy = "created_at"
