"""The portal's own error pages (400, 403, 404, 500 and a refused CSRF check), in the user's
language, saying what happened and what to do, without internals.

The 500 page renders without the request's context processors: whatever failed (the database,
say) must not fail the error page too."""

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.utils.translation import gettext as _


def _page(request: HttpRequest | None, status: int, context: dict[str, Any]) -> HttpResponse:
    template = loader.get_template("errors/error.html")
    body = template.render({"status": status, **context},
                           request if status != 500 else None)
    return HttpResponse(body, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 400, {
        "title": _("请求无法处理"),
        "text": _("提交的内容不完整或格式不正确，平台没有保存任何改动。"),
        "advice": _("请返回上一页重新填写后提交；如多次出现，请联系系统管理员。"),
    })


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # Our own PermissionDenied messages are written for users ("审计人员只能查阅……"); Django's
    # carry none.
    reason = str(exception) if isinstance(exception, PermissionDenied) and exception.args else ""
    return _page(request, 403, {
        "title": _("无权访问"),
        "text": reason or _("您的账号无权访问该页面或执行该操作。"),
        "advice": _("如确需办理，请联系系统管理员为您的账号分配相应角色或授权。"),
    })


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 404, {
        "title": _("页面不存在"),
        "text": _("您访问的页面或记录不存在，或不在您的查看范围内。"),
        "advice": _("请检查链接是否完整，或从首页重新进入。"),
    })


def server_error(request: HttpRequest) -> HttpResponse:
    return _page(request, 500, {
        "title": _("系统出现错误"),
        "text": _("平台处理您的请求时出现错误，本次操作没有完成。错误已记入系统日志。"),
        "advice": _("请稍后重试；如问题仍然存在，请联系系统管理员并告知发生的时间。"),
    })


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _page(request, 403, {
        "title": _("页面已过期"),
        "text": _("为保护您的账号，本次提交未被接受：页面停留过久、已在其他窗口退出登录，"
                  "或浏览器禁用了 Cookie。"),
        "advice": _("请返回上一页，刷新后重新提交；如已退出，请重新登录。"),
        "relogin": True,
    })


def request_too_large(request: HttpRequest, limit: int) -> HttpResponse:
    return _page(request, 413, {
        "title": _("提交的内容过大"),
        "text": _("本次提交超过平台允许的 %(mb)s MB 上限，平台没有接收，也没有保存任何改动。")
        % {"mb": f"{limit / 1048576:.0f}"},
        "advice": _("上传的文件请控制在 %(mb)s MB 以内（季度备案可分文件上传）；"
                    "如确需提交更大的文件，请联系系统管理员。")
        % {"mb": f"{settings.RISKCOMP_MAX_UPLOAD_BYTES / 1048576:.0f}"},
    })
