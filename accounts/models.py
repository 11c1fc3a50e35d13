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


class SecurityEvent(models.Model):
    """A login, a failed one, a lockout, a second-factor or password check, an ended session, a
    password change: the security trail auditors read (审计日志 › 安全事件). Append-only, like the
    audit trail: on PostgreSQL the database refuses UPDATE and DELETE (migration 0003)."""

    class Kind(models.TextChoices):
        LOGIN = "login", _("登录成功")
        LOGIN_FAILED = "login_failed", _("登录失败")
        LOCKED_OUT = "locked_out", _("登录锁定")
        LOGOUT = "logout", _("退出登录")
        SESSION_ENDED = "session_ended", _("结束其他会话")
        TOTP_ENROLLED = "totp_enrolled", _("绑定身份验证器")
        TOTP_CODE_ISSUED = "totp_code_issued", _("签发身份验证器绑定码")
        TOTP_CODE_FAILED = "totp_code_failed", _("绑定码错误")
        TOTP_FAILED = "totp_failed", _("动态验证码错误")
        REAUTH = "reauth", _("再次确认密码")
        REAUTH_FAILED = "reauth_failed", _("再次确认密码失败")
        PASSWORD_CHANGED = "password_changed", _("修改密码")

    kind = models.CharField(_("事件"), max_length=20, choices=Kind.choices, db_index=True)
    # The account, when one is known; a failed login keeps the name as typed. PROTECT: a user
    # who appears here is deactivated, never deleted.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                             blank=True, related_name="+", verbose_name=_("用户"))
    username = models.CharField(_("用户名"), max_length=150, blank=True)
    ip_address = models.GenericIPAddressField(_("IP地址"), null=True, blank=True)
    user_agent = models.CharField(_("浏览器标识"), max_length=300, blank=True)
    detail = models.CharField(_("说明"), max_length=300, blank=True)
    at = models.DateTimeField(_("时间"), db_index=True)

    class Meta:
        verbose_name = _("安全事件")
        verbose_name_plural = _("安全事件")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.username} @ {self.ip_address or '-'}"


class TotpEnrolmentCode(models.Model):
    """A one-time code the administrator issues so that a user can bind an authenticator: the
    password alone does not let whoever logs in first bind their own phone to the account. The
    code is shown once when issued; only its hash is kept. It expires, and is spent by the
    enrolment it allowed."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="totp_enrolment_codes", verbose_name=_("用户"))
    code_hash = models.CharField(_("绑定码摘要"), max_length=128)
    # None: issued on the server with ``manage.py totp_enrolment_code`` (the first administrator).
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                  blank=True, related_name="+", verbose_name=_("签发人"))
    created_at = models.DateTimeField(_("签发时间"))
    expires_at = models.DateTimeField(_("有效期至"))
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("身份验证器绑定码")
        verbose_name_plural = _("身份验证器绑定码")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user} ({self.created_at:%Y-%m-%d %H:%M})"
