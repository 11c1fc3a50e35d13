"""One row per piece of background work a user waits for (an import's validation or commit, a
report's generation): what it works on, where it stands, how often it was tried and when its
worker last said it was alive. The sweeper (``jobs.services.job_sweep``) reads these rows to
re-send work the broker never received and to retry work whose worker died."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Job(models.Model):
    class Kind(models.TextChoices):
        IMPORT_VALIDATE = "import_validate", _("导入校验")
        IMPORT_COMMIT = "import_commit", _("导入提交")
        REPORT_GENERATE = "report_generate", _("报告生成")

    class State(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("执行中")
        RETRYING = "retrying", _("重试中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败，可重新提交")

    kind = models.CharField(_("任务类型"), max_length=20, choices=Kind.choices)
    object_id = models.PositiveBigIntegerField(
        _("对象编号"), help_text=_("任务处理的导入批次或报告版本的编号。"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                              blank=True, related_name="+", verbose_name=_("提交人"))
    state = models.CharField(_("状态"), max_length=10, choices=State.choices,
                             default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(
        _("已执行次数"), default=0, help_text=_("每次由后台进程开始执行时加一。"))
    sent_at = models.DateTimeField(
        _("送入队列时间"), null=True, blank=True,
        help_text=_("为空表示尚未送入任务队列（如 Redis 不可用），由巡检任务补发。"))
    heartbeat_at = models.DateTimeField(
        _("最近心跳"), null=True, blank=True,
        help_text=_("执行中的任务定期写入；长时间没有心跳说明执行它的进程已中断。"))
    error = models.TextField(_("错误信息"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("后台任务")
        verbose_name_plural = _("后台任务")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["kind", "object_id"], name="job_object"),
                   models.Index(fields=["state", "created_at"], name="job_state")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.object_id}"

    @property
    def is_live(self) -> bool:
        return self.state in LIVE_STATES


LIVE_STATES = (Job.State.QUEUED, Job.State.RUNNING, Job.State.RETRYING)
