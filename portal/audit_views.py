"""The auditor's search screens (审计日志): every entry of the trail, filtered by kind of record,
user, action, dates and record; and the security trail (安全事件: logins, failures, lockouts,
password and second-factor checks). Both with an Excel export, read-only; bank officers get
403, and only auditors and the administrator see the security trail."""

import json
from collections.abc import Iterator
from itertools import islice
from typing import Any

from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from accounts.models import SecurityEvent
from accounts.roles import Role, role_of, role_required
from riskcomp.audit import ACTION_LABELS, TrailRow, audited_models, trail_queryset, trail_rows
from riskcomp.exports import XColumn, wants_xlsx, xlsx_response
from riskcomp.listing import Column, Filter, build_listing, date_range, in_date_range

_lazy = gettext_lazy

AUDIT_ROLES = (Role.AUDITOR, Role.REVIEWER, Role.APPROVER, Role.ADMIN)
# The security trail names everyone's addresses and failed logins: auditors and the administrator.
SECURITY_ROLES = (Role.AUDITOR, Role.ADMIN)

EXPORT_COLUMNS: tuple[XColumn, ...] = (
    XColumn(_lazy("时间（北京时间）"), lambda r: r.entry.timestamp, "datetime", 17),
    XColumn(_lazy("操作人"), lambda r: r.actor_name, width=18),
    XColumn(_lazy("IP地址"), lambda r: r.entry.remote_addr or "", width=16),
    XColumn(_lazy("操作"), lambda r: r.action_label, width=8),
    XColumn(_lazy("记录类型"), lambda r: r.model_label, width=14),
    XColumn(_lazy("记录编号"), lambda r: r.entry.object_pk, width=10),
    XColumn(_lazy("记录"), lambda r: r.object_text, width=30),
    XColumn(_lazy("变更内容（原值 → 新值）"), lambda r: r.changes_text, width=80),
    XColumn(_lazy("原因"), lambda r: r.reason, width=40),
    # The record as stored, for whoever checks the trail by machine.
    XColumn(_lazy("原始变更记录（JSON）"),
            lambda r: json.dumps(r.entry.changes_dict or {}, ensure_ascii=False), width=60),
)
# Entries made readable per round when exporting: the related records they name are read once
# per round, not once per entry.
EXPORT_CHUNK = 2000


SECURITY_COLUMNS: tuple[XColumn, ...] = (
    XColumn(_lazy("时间（北京时间）"), lambda e: e.at, "datetime", 17),
    XColumn(_lazy("事件"), lambda e: e.get_kind_display(), width=16),
    XColumn(_lazy("用户名"), lambda e: e.username, width=18),
    XColumn(_lazy("姓名"), lambda e: e.user.get_full_name() if e.user else "", width=12),
    XColumn(_lazy("IP地址"), lambda e: e.ip_address or "", width=16),
    XColumn(_lazy("说明"), lambda e: e.detail, width=36),
    XColumn(_lazy("浏览器标识"), lambda e: e.user_agent, width=50),
)


def model_choices() -> tuple[tuple[str, str], ...]:
    types = ContentType.objects.get_for_models(*audited_models())
    return tuple((str(ct.pk), str(model._meta.verbose_name)) for model, ct in types.items())


def actor_choices() -> tuple[tuple[str, str], ...]:
    users = get_user_model().objects.order_by("username").only(
        "pk", "username", "first_name", "last_name")
    return tuple((str(u.pk), u.get_full_name() or u.get_username()) for u in users)


def _readable(entries: QuerySet[LogEntry]) -> Iterator[TrailRow]:
    iterator = entries.iterator(chunk_size=EXPORT_CHUNK)
    while chunk := list(islice(iterator, EXPORT_CHUNK)):
        yield from trail_rows(chunk)


@role_required(*AUDIT_ROLES)
@require_safe
def search(request: HttpRequest) -> HttpResponse:
    get = request.GET
    date_from, date_to = date_range(get)
    object_id = get.get("object", "").strip()
    qs = in_date_range(trail_queryset(), "timestamp__date", date_from, date_to)
    if object_id:
        qs = qs.filter(object_pk=object_id[:40])
    listing = build_listing(
        request, qs,
        search_fields=("object_repr", "actor__username", "actor__first_name", "remote_addr"),
        filters=(
            Filter("model", _("记录类型"), "content_type_id", model_choices()),
            Filter("action", _("操作"), "action",
                   tuple((str(k), str(v)) for k, v in ACTION_LABELS.items()
                         if k != LogEntry.Action.ACCESS)),
            Filter("actor", _("操作人"), "actor_id", actor_choices()),
        ),
        columns=(
            ("time", Column(_lazy("时间（北京时间）"), "timestamp")),
            ("actor", Column(_lazy("操作人"), "actor__username")),
            ("ip", Column(_lazy("IP地址"), "remote_addr")),
            ("action", Column(_lazy("操作"), "action")),
            ("model", Column(_lazy("记录"), "content_type__model")),
            ("changes", Column(_lazy("变更内容（原值 → 新值）"))),
        ),
        default_sort="-time",
    )
    if wants_xlsx(get):
        return xlsx_response(_readable(listing.queryset()), EXPORT_COLUMNS,
                             title=_("审计日志"), filename="audit")
    context: dict[str, Any] = {
        "listing": listing, "rows": trail_rows(listing.page.object_list),
        "date_from": date_from, "date_to": date_to, "object_id": object_id,
        "can_see_security": role_of(request.user) in SECURITY_ROLES,
    }
    return render(request, "audit/search.html", context)


@role_required(*SECURITY_ROLES)
@require_safe
def security(request: HttpRequest) -> HttpResponse:
    """安全事件: the security trail, searchable by user name and address, filtered by event and
    dates, newest first."""
    get = request.GET
    date_from, date_to = date_range(get)
    qs = in_date_range(SecurityEvent.objects.select_related("user"), "at__date", date_from,
                       date_to)
    listing = build_listing(
        request, qs,
        search_fields=("username", "user__first_name", "user__last_name", "ip_address",
                       "detail"),
        filters=(Filter("kind", _("事件"), "kind", tuple(SecurityEvent.Kind.choices)),),
        columns=(
            ("time", Column(_lazy("时间（北京时间）"), "at")),
            ("kind", Column(_lazy("事件"), "kind")),
            ("user", Column(_lazy("用户名"), "username")),
            ("ip", Column(_lazy("IP地址"), "ip_address")),
            ("detail", Column(_lazy("说明"))),
        ),
        default_sort="-time",
    )
    if wants_xlsx(get):
        return xlsx_response(listing.queryset().iterator(chunk_size=2000),
                             SECURITY_COLUMNS, title=_("安全事件"), filename="security-events")
    return render(request, "audit/security.html", {
        "listing": listing, "date_from": date_from, "date_to": date_to,
        "failures": (SecurityEvent.Kind.LOGIN_FAILED, SecurityEvent.Kind.LOCKED_OUT,
                     SecurityEvent.Kind.TOTP_FAILED, SecurityEvent.Kind.REAUTH_FAILED),
    })
