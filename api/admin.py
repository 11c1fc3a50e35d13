"""The bank API's records in the admin, for reference: keys (never their digest; issued on the
custodian's screen, where the key is shown once, and revoked through the service so that the
revocation is audited), the call log and the stored idempotent responses, read-only."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from riskcomp.admin_base import ReadOnlyAdmin

from .models import ApiCall, ApiKey, IdempotentResponse
from .services import api_key_revoke


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnlyAdmin):
    list_display = ("name", "bank", "scope", "prefix", "expires_at", "revoked_at",
                    "last_used_at", "created_by", "created_at")
    list_filter = ("scope", "bank")
    search_fields = ("name", "prefix", "bank__name", "bank__short_name")
    # ``secret_sha256`` is left out on purpose: a digest shown is a digest to attack offline.
    fields = ("name", "bank", "scope", "prefix", "user", "expires_at", "revoked_at",
              "revoked_by", "created_by", "created_at", "last_used_at")
    readonly_fields = fields
    actions = ["revoke_keys"]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_active and getattr(request.user, "is_superuser", False))

    @admin.action(description=gettext_lazy("吊销所选接口密钥"), permissions=["revoke"])
    def revoke_keys(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        revoked = sum(api_key_revoke(key=key, actor=request.user) for key in queryset)
        self.message_user(request, _("已吊销 %(n)d 个接口密钥。") % {"n": revoked},
                          messages.SUCCESS)

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and getattr(request.user, "is_superuser", False))


@admin.register(ApiCall)
class ApiCallAdmin(ReadOnlyAdmin):
    list_display = ("at", "key", "method", "path", "status", "duration_ms", "idempotency_key",
                    "remote_addr")
    list_filter = ("method", "status")
    search_fields = ("path", "idempotency_key", "key__prefix", "key__name")
    date_hierarchy = "at"
    list_select_related = ("key",)


@admin.register(IdempotentResponse)
class IdempotentResponseAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "key", "idempotency_key", "method", "path", "status")
    search_fields = ("idempotency_key", "path", "key__prefix")
    # The stored body may hold a whole batch's verdicts: not rendered here.
    exclude = ("body",)
    list_select_related = ("key",)
