from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from riskcomp.choices import Scheme
from riskcomp.policy.params import SchemeParams

ACT_FOR_BANK = "act_for_bank"


class Bank(models.Model):
    """A partner bank (合作银行). Officers act for it through the ``act_for_bank`` object
    permission held on this row."""

    name = models.CharField(_("银行名称"), max_length=100, unique=True)
    short_name = models.CharField(_("简称"), max_length=30)
    code = models.CharField(
        _("机构编码"), max_length=20, unique=True,
        help_text=_("本平台内部使用的银行编码，用于导入文件与报表。"),
    )
    is_active = models.BooleanField(_("是否启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("合作银行")
        verbose_name_plural = _("合作银行")
        ordering = ["code"]
        permissions = [(ACT_FOR_BANK, _("代表该银行办理业务"))]

    def __str__(self) -> str:
        return self.name


class BankUserObjectPermission(UserObjectPermissionBase):
    """Direct foreign-key object permission (guardian's performance guide): one row per officer
    and bank, never per filing."""

    content_object = models.ForeignKey(Bank, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("银行用户授权")
        verbose_name_plural = _("银行用户授权")


class BankGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Bank, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("银行用户组授权")
        verbose_name_plural = _("银行用户组授权")


class Branch(models.Model):
    bank = models.ForeignKey(Bank, on_delete=models.PROTECT, related_name="branches",
                             verbose_name=_("银行"))
    name = models.CharField(_("支行名称"), max_length=100)
    code = models.CharField(_("支行编码"), max_length=20)
    address = models.CharField(_("地址"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("分支机构")
        verbose_name_plural = _("分支机构")
        ordering = ["bank", "code"]
        constraints = [
            models.UniqueConstraint(fields=["bank", "code"], name="branch_code_unique_per_bank"),
        ]

    def __str__(self) -> str:
        return f"{self.bank.short_name} {self.name}"


class CooperationAgreement(models.Model):
    """A cooperation agreement (合作协议) between the custodian and a bank for one scheme."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("有效")
        EXPIRED = "expired", _("已到期")
        TERMINATED = "terminated", _("已终止")

    bank = models.ForeignKey(Bank, on_delete=models.PROTECT, related_name="agreements",
                             verbose_name=_("银行"))
    scheme = models.CharField(_("政策"), max_length=8, choices=Scheme.choices)
    number = models.CharField(_("协议编号"), max_length=50, unique=True)
    signed_on = models.DateField(_("签订日期"))
    valid_from = models.DateField(_("生效日期"))
    valid_to = models.DateField(_("到期日期"))
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices,
                              default=Status.ACTIVE)
    note = models.TextField(_("备注"), blank=True)

    class Meta:
        verbose_name = _("合作协议")
        verbose_name_plural = _("合作协议")
        ordering = ["bank", "scheme", "-valid_from"]
        constraints = [
            models.CheckConstraint(condition=Q(valid_to__gte=models.F("valid_from")),
                                   name="agreement_dates_ordered"),
        ]

    def __str__(self) -> str:
        return _("%(name)s（%(detail)s）") % {"name": self.number,
                                             "detail": self.get_scheme_display()}

    def is_active_on(self, day: date) -> bool:
        return self.status == self.Status.ACTIVE and self.valid_from <= day <= self.valid_to


class SuspensionState(models.Model):
    """A bank's current state in one scheme. Automatic suspension follows MICRO Art. 8 / TECH
    Art. 9 with hysteresis; manual suspension is TECH Art. 17."""

    bank = models.ForeignKey(Bank, on_delete=models.CASCADE, related_name="suspension_states",
                             verbose_name=_("银行"))
    scheme = models.CharField(_("政策"), max_length=8, choices=Scheme.choices)
    is_auto_suspended = models.BooleanField(_("按阈值暂停"), default=False)
    is_manually_suspended = models.BooleanField(_("人工暂停"), default=False)
    manual_reason = models.TextField(_("人工暂停原因"), blank=True)
    filed_principal = models.DecimalField(_("备案本金"), max_digits=18, decimal_places=2,
                                          default=0)
    claimed_principal = models.DecimalField(_("申报本金"), max_digits=18, decimal_places=2,
                                            default=0)
    net_compensation = models.DecimalField(_("补偿净额"), max_digits=18, decimal_places=2,
                                           default=0)
    computed_at = models.DateTimeField(_("计算时间"), null=True, blank=True)
    changed_at = models.DateTimeField(_("状态变更时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("暂停状态")
        verbose_name_plural = _("暂停状态")
        ordering = ["bank", "scheme"]
        constraints = [
            models.UniqueConstraint(fields=["bank", "scheme"], name="one_state_per_bank_scheme"),
        ]

    # Not stored: set by banks.selectors.with_threshold_figures for the screens that show them.
    params: SchemeParams | None
    claim_ratio: Decimal | None
    distances: dict[str, Decimal | None]
    excess: dict[str, Decimal]

    def __str__(self) -> str:
        return f"{self.bank.short_name} {self.scheme}"

    @property
    def is_suspended(self) -> bool:
        return self.is_auto_suspended or self.is_manually_suspended


class SuspensionChange(models.Model):
    """History: every change of a bank's state, with the figures at that moment."""

    class Kind(models.TextChoices):
        AUTO = "auto", _("按阈值自动")
        MANUAL = "manual", _("人工")

    bank = models.ForeignKey(Bank, on_delete=models.CASCADE, related_name="suspension_changes",
                             verbose_name=_("银行"))
    scheme = models.CharField(_("政策"), max_length=8, choices=Scheme.choices)
    kind = models.CharField(_("方式"), max_length=8, choices=Kind.choices)
    is_suspended = models.BooleanField(_("变更后是否暂停"))
    reason = models.TextField(_("原因"))
    filed_principal = models.DecimalField(_("备案本金"), max_digits=18, decimal_places=2)
    claimed_principal = models.DecimalField(_("申报本金"), max_digits=18, decimal_places=2)
    net_compensation = models.DecimalField(_("补偿净额"), max_digits=18, decimal_places=2)
    changed_at = models.DateTimeField(_("变更时间"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                              blank=True, related_name="+", verbose_name=_("操作人"))

    class Meta:
        verbose_name = _("暂停状态变更")
        verbose_name_plural = _("暂停状态变更")
        ordering = ["-changed_at"]
        indexes = [models.Index(fields=["bank", "scheme", "-changed_at"])]

    # Not stored: set by the history screen (banks.views) as claimed / filed principal in %.
    claim_percent: Decimal | None

    def __str__(self) -> str:
        return f"{self.bank.short_name} {self.scheme} {self.changed_at:%Y-%m-%d}"
