"""The user's own notifications: the list, opening one (marks it read, then goes to the page it
names) and marking all read. Another user's notification is a 404."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from accounts.roles import ANY_ROLE, role_required
from riskcomp.listing import Column, Filter, build_listing

from . import services
from .models import Notification
from .selectors import notifications_for

_lazy = gettext_lazy

STATES = (("unread", _lazy("未读")), ("read", _lazy("已读")))


@role_required(*ANY_ROLE)
@require_safe
def notification_list(request: HttpRequest) -> HttpResponse:
    listing = build_listing(
        request, notifications_for(user=request.user),
        search_fields=("title", "body"),
        filters=(
            Filter("state", str(_("阅读状态")), "state", tuple((k, str(v)) for k, v in STATES)),
            Filter("kind", str(_("类型")), "kind",
                   tuple((k, str(v)) for k, v in Notification.Kind.choices)),
        ),
        columns=(
            ("kind", Column(_lazy("类型"), "kind")),
            ("title", Column(_lazy("消息"))),
            ("created", Column(_lazy("通知时间"), "created_at")),
            ("read", Column(_lazy("阅读时间"), "read_at")),
        ),
    )
    return render(request, "notifications/notification_list.html", {"listing": listing})


@role_required(*ANY_ROLE)
@require_POST
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    notification = get_object_or_404(notifications_for(user=request.user), pk=pk)
    services.notification_read(notification=notification, actor=request.user)
    target = notification.url
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return redirect(target)
    return redirect("notifications:list")


@role_required(*ANY_ROLE)
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    count = services.notifications_read_all(actor=request.user)
    if count:
        messages.success(request, _("已将 %(n)s 条消息标为已读。") % {"n": count})
    else:
        messages.info(request, _("没有未读消息。"))
    return redirect("notifications:list")
