from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """One message to one user, shown in the portal and mailed once. ``key`` names the event it
    reports, so that telling the same user about the same event twice is refused by the
    database (a daily job run twice notifies once)."""

    class Kind(models.TextChoices):
        SUPPLEMENT = "supplement", _("补充材料")
        DECISION = "decision", _("申报结论")
        PAYMENT = "payment", _("补偿拨付")
        RETURN_OVERDUE = "return_overdue", _("返还逾期")
        SUSPENSION = "suspension", _("暂停与恢复")
        FILING_WINDOW = "filing_window", _("备案窗口")
        WITHDRAWAL = "withdrawal", _("撤出初审意见")
        DEADLINE = "deadline", _("期限确定")
        PROPOSAL = "proposal", _("待财政确认")
        WRITE_OFF = "write_off", _("核销结论")

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                  related_name="notifications", verbose_name=_("接收人"))
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=300, blank=True,
                           help_text=_("站内路径，点击消息后前往该页面。"))
    key = models.CharField(_("事件标识"), max_length=100,
                           help_text=_("同一接收人、同一类型下同一事件只通知一次。"))
    created_at = models.DateTimeField(_("通知时间"), default=timezone.now)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("消息通知")
        verbose_name_plural = _("消息通知")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "kind", "key"],
                                    name="notification_once_per_event"),
        ]
        indexes = [
            # The bell's count on every page: only the unread rows are in this index.
            models.Index(fields=["recipient"], condition=Q(read_at__isnull=True),
                         name="notification_unread"),
            models.Index(fields=["recipient", "-created_at"], name="notification_recent"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
