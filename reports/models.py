from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ReportFile(models.Model):
    """A generated report. Issued files are never overwritten: regenerating adds a version and
    moves ``is_current``."""

    class Kind(models.TextChoices):
        SEMIANNUAL = "semiannual", _("半年度报告")
        ANNUAL = "annual", _("年度审计报告")
        OPERATIONS = "operations", _("年度运营管理工作报告")
        PROPOSAL = "proposal", _("补偿初审意见")

    class Status(models.TextChoices):
        PENDING = "pending", _("排队中")
        RUNNING = "running", _("生成中")
        DONE = "done", _("已生成")
        FAILED = "failed", _("失败")

    kind = models.CharField(_("报告类型"), max_length=12, choices=Kind.choices)
    period = models.CharField(_("报告期"), max_length=12, help_text=_("如 2026H1、2025。"))
    period_start = models.DateField(_("期间起"))
    period_end = models.DateField(_("期间止"))
    version = models.PositiveSmallIntegerField(_("版本"), default=1)
    is_current = models.BooleanField(_("当前版本"), default=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices,
                              default=Status.PENDING)
    progress = models.PositiveSmallIntegerField(_("进度（%）"), default=0)
    parameters = models.JSONField(_("生成参数"), default=dict, blank=True)
    file = models.FileField(_("文件"), upload_to="reports/%Y/", blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    page_count = models.PositiveIntegerField(_("页数"), null=True, blank=True)
    error = models.TextField(_("错误信息"), blank=True)
    generated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     null=True, blank=True, related_name="+",
                                     verbose_name=_("生成人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("报告文件")
        verbose_name_plural = _("报告文件")
        ordering = ["-period_end", "kind", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "period", "version"],
                                    name="report_version_unique"),
            models.UniqueConstraint(fields=["kind", "period"], condition=Q(is_current=True),
                                    name="one_current_report_per_period"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.period} v{self.version}"


class FiguresVersion(models.Model):
    """A token that changes with every write to the records a group of cached figures is read
    from, in the writing transaction itself: database triggers on those tables replace it
    (migration 0003). The performance view keys its cache on these tokens, one read of a
    handful of rows, instead of counting the filings on every request."""

    name = models.CharField(_("数据类别"), max_length=20, primary_key=True)
    token = models.CharField(_("版本标记"), max_length=40)

    class Meta:
        verbose_name = _("统计数据版本")
        verbose_name_plural = _("统计数据版本")

    def __str__(self) -> str:
        return f"{self.name}:{self.token}"
