"""Which sessions a user has open. Django's session table stores no user column, so this row,
written when the user logs in, is what lets "my sessions" list and end them."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class UserSession(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="login_sessions", verbose_name=_("用户"))
    session_key = models.CharField(_("会话标识"), max_length=40, unique=True)
    user_agent = models.CharField(_("浏览器标识"), max_length=300, blank=True)
    ip_address = models.GenericIPAddressField(_("登录地址"), null=True, blank=True)
    created_at = models.DateTimeField(_("登录时间"), db_index=True)

    class Meta:
        verbose_name = _("登录会话")
        verbose_name_plural = _("登录会话")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user} @ {self.ip_address or '-'} ({self.created_at:%Y-%m-%d %H:%M})"
