from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from . import services
from .models import SecurityEvent, TotpEnrolmentCode, UserSession


@admin.register(UserSession)
class UserSessionAdmin(admin.ModelAdmin):
    """Read-only: sessions are opened by logging in and ended from "my sessions" or by logout."""

    list_display = ("user", "ip_address", "created_at", "user_agent")
    search_fields = ("user__username", "ip_address")
    list_select_related = ("user",)
    readonly_fields = ("user", "session_key", "user_agent", "ip_address", "created_at")

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(SecurityEvent)
class SecurityEventAdmin(admin.ModelAdmin):
    """Read-only: the security trail is written by logins, confirmations and sessions alone."""

    list_display = ("at", "kind", "username", "ip_address", "detail")
    list_filter = ("kind",)
    search_fields = ("username", "ip_address", "detail")
    date_hierarchy = "at"

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


class EnrolmentCodeIssueForm(forms.ModelForm):
    class Meta:
        model = TotpEnrolmentCode
        fields = ["user"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "user" in self.fields:  # absent on the read-only view of an issued code
            self.fields["user"].queryset = get_user_model().objects.filter(  # type: ignore[attr-defined]
                is_active=True).order_by("username")
            self.fields["user"].help_text = _(
                "签发后绑定码只显示一次，请当面或通过可靠渠道交给本人；此前未使用的绑定码随即作废。")


@admin.register(TotpEnrolmentCode)
class TotpEnrolmentCodeAdmin(admin.ModelAdmin):
    """Issue (add) and revoke (delete) enrolment codes; the code itself is shown once, on the page
    that follows issuing it, and never stored in clear."""

    form = EnrolmentCodeIssueForm
    list_display = ("user", "issued_by", "created_at", "expires_at", "used_at")
    list_select_related = ("user", "issued_by")
    search_fields = ("user__username",)

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def get_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        if obj is None:
            return ("user",)
        return ("user", "issued_by", "created_at", "expires_at", "used_at")

    def save_model(self, request, obj, form, change) -> None:  # type: ignore[no-untyped-def]
        code, row = services.totp_enrolment_code_issue(user=obj.user, actor=request.user,
                                                       request=request)
        for name in ("pk", "code_hash", "issued_by_id", "created_at", "expires_at"):
            setattr(obj, name, getattr(row, name))
        request.riskcomp_enrolment_code = code

    def response_add(self, request, obj, post_url_continue=None):  # type: ignore[no-untyped-def]
        return TemplateResponse(request, "admin/accounts/enrolment_code_issued.html", {
            **self.admin_site.each_context(request),
            "title": _("绑定码已签发"), "opts": self.opts, "row": obj,
            "code": request.riskcomp_enrolment_code,
        })
