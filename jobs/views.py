"""The background jobs screen (the custodian's reviewers and the administrator: every job, by
state, kind, age and error) and the "重新提交" of a failed job (also a bank officer's, for the
import batches of their banks). Thin: permission, one service call, message, redirect."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts.roles import Role, role_required
from riskcomp.listing import Column, Filter, build_listing

from .kinds import KINDS
from .models import Job
from .selectors import job_is_unsent, job_list_for
from .services import JobNotRetryable, job_retry

TONES = {"queued": "info", "running": "ok", "retrying": "warn", "done": "muted",
         "failed": "danger"}


@role_required(Role.ADMIN, Role.REVIEWER)
@require_safe
def job_list(request: HttpRequest) -> HttpResponse:
    listing = build_listing(
        request, job_list_for(user=request.user),
        search_fields=("error",),
        filters=(
            Filter("state", str(_("状态")), "state", tuple(Job.State.choices)),
            Filter("kind", str(_("任务类型")), "kind", tuple(Job.Kind.choices)),
        ),
        columns=(
            ("id", Column(_("编号"), "pk", numeric=True)),
            ("kind", Column(_("任务类型"), "kind")),
            ("object", Column(_("对象"))),
            ("state", Column(_("状态"), "state")),
            ("created", Column(_("提交时间"), "created_at")),
            ("age", Column(_("已等待"))),
            ("attempts", Column(_("执行次数"), "attempts", numeric=True)),
            ("heartbeat", Column(_("最近心跳"), "heartbeat_at")),
            ("error", Column(_("错误信息"))),
            ("by", Column(_("提交人"))),
            ("actions", Column(_("操作"))),
        ),
        default_sort="-created",
    )
    for job in listing.page.object_list:
        job.tone = TONES.get(job.state, "muted")
        job.url = KINDS[job.kind].url(job.object_id)
    return render(request, "jobs/job_list.html", {"listing": listing})


@role_required(Role.ADMIN, Role.REVIEWER, Role.BANK_OFFICER)
@require_POST
def job_retry_view(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(job_list_for(user=request.user), pk=pk)
    try:
        new = job_retry(job=job, actor=request.user)
    except JobNotRetryable as exc:
        messages.error(request, exc.message)
    else:
        if job_is_unsent(new):
            messages.warning(request, _(
                "已重新提交，但后台任务队列暂时不可用；队列恢复后将自动开始执行。"))
        else:
            messages.success(request, _("已重新提交，任务将在后台重新执行。"))
    if request.POST.get("back") == "list":
        return redirect("jobs:job_list")
    return redirect(KINDS[job.kind].url(job.object_id))
