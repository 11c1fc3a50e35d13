"""The bank API's records: the keys the custodian issues to banks, the log of every call made
with them, and the stored responses that make writes idempotent."""

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ApiKey(models.Model):
    """A bank's key to the API. Only its prefix (to find it) and the SHA-256 of its secret are
    kept: the key itself is shown once, when the custodian creates it. A key acts through a
    user of its own that cannot log in (``user``), so that filings made with it name the key as
    their filer and the audit trail records it like any other actor."""

    class Scope(models.TextChoices):
        READ = "read", _("只读")
        READ_WRITE = "read_write", _("读写")

    bank = models.ForeignKey("banks.Bank", on_delete=models.PROTECT, related_name="api_keys",
                             verbose_name=_("银行"))
    name = models.CharField(_("名称"), max_length=100,
                            help_text=_("用途说明，如“核心系统备案接口”。"))
    scope = models.CharField(_("权限范围"), max_length=12, choices=Scope.choices,
                             default=Scope.READ)
    prefix = models.CharField(_("密钥前缀"), max_length=16, unique=True)
    secret_sha256 = models.CharField(_("密钥摘要"), max_length=64)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                related_name="api_key", verbose_name=_("接口账户"))
    expires_at = models.DateTimeField(_("到期时间"))
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("吊销人"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("创建人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("最近使用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("接口密钥")
        verbose_name_plural = _("接口密钥")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name}（{self.prefix}）"

    @property
    def can_write(self) -> bool:
        return self.scope == self.Scope.READ_WRITE

    def is_usable(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and self.expires_at > now


class ApiCall(models.Model):
    """One request to the API: who (the key, when one was recognised), what and how it ended.
    Kept for ``RISKCOMP_API_CALL_LOG_DAYS`` days (older rows are deleted as new ones come)."""

    key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, null=True, blank=True,
                            related_name="calls", verbose_name=_("接口密钥"))
    method = models.CharField(_("方法"), max_length=8)
    path = models.CharField(_("路径"), max_length=255)
    status = models.PositiveSmallIntegerField(_("响应状态"))
    idempotency_key = models.CharField(_("幂等键"), max_length=100, blank=True)
    remote_addr = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("耗时（毫秒）"), default=0)
    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("接口调用记录")
        verbose_name_plural = _("接口调用记录")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["key", "-at"])]

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.status}"


class IdempotentResponse(models.Model):
    """The response given to a write sent with an ``Idempotency-Key``: the same key with the same
    body (its SHA-256) gets it again; with another body, a refusal. Kept per API key."""

    key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="responses",
                            verbose_name=_("接口密钥"))
    idempotency_key = models.CharField(_("幂等键"), max_length=100)
    method = models.CharField(_("方法"), max_length=8)
    path = models.CharField(_("路径"), max_length=255)
    body_sha256 = models.CharField(_("请求体摘要"), max_length=64)
    status = models.PositiveSmallIntegerField(_("响应状态"), null=True, blank=True)
    # The JSON body, deflated: a batch's verdicts run to megabytes.
    body = models.BinaryField(_("响应内容"), default=bytes)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("幂等响应")
        verbose_name_plural = _("幂等响应")
        constraints = [models.UniqueConstraint(fields=["key", "idempotency_key"],
                                               name="idempotency_key_unique_per_api_key")]

    def __str__(self) -> str:
        return f"{self.idempotency_key} {self.method} {self.path}"
