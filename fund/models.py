"""The fund's ledger and the policy's reference data (parameters, LPR, working-day calendar).

Policy figures live here as data so that a new policy version is a data change; they reach the
pure engine in ``riskcomp.policy`` only through ``fund.selectors.policy_context``."""

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from riskcomp.choices import EnterpriseKind, EnterpriseSize, LoanType, Scheme

MONEY: dict[str, Any] = {"max_digits": 18, "decimal_places": 2}
RATIO: dict[str, Any] = {"max_digits": 6, "decimal_places": 4}


class PolicyVersion(models.Model):
    """One version of a scheme's rules; fields mirror ``riskcomp.policy.params.SchemeParams``."""

    scheme = models.CharField(_("政策"), max_length=8, choices=Scheme.choices)
    version = models.CharField(_("文号"), max_length=40, unique=True)
    title = models.CharField(_("政策名称"), max_length=200)
    valid_from = models.DateField(_("有效期起"))
    valid_to = models.DateField(_("有效期止"))
    allowed_kinds = models.JSONField(
        _("支持的主体类型"), help_text=_("取值：%s") % ", ".join(EnterpriseKind.values))
    allowed_sizes = models.JSONField(
        _("支持的企业规模"), help_text=_("取值：%s") % ", ".join(EnterpriseSize.values))
    allowed_loan_types = models.JSONField(
        _("支持的贷款品种"), help_text=_("取值：%s") % ", ".join(LoanType.values))
    requires_tech_scope = models.BooleanField(_("须属于科技创新支持范围"))
    excludes_other_cover = models.BooleanField(_("排除其他保险、担保或补偿"))
    amount_cap = models.DecimalField(_("单户贷款金额上限"), **MONEY)
    outstanding_cap = models.DecimalField(_("征信未结清余额上限"), **MONEY)
    outstanding_cap_qualified = models.DecimalField(_("有资质企业征信余额上限"), **MONEY)
    rate_margin_percent = models.DecimalField(_("利率上浮上限（百分点）"), **RATIO)
    long_term_years = models.PositiveSmallIntegerField(
        _("适用5年期LPR的期限（年以上）"), help_text=_("期限不超过该年数的贷款比照1年期LPR。"))
    credit_report_window_workdays = models.PositiveSmallIntegerField(_("征信报告放款后工作日"))
    filing_deadline_workday = models.PositiveSmallIntegerField(_("备案截止：次季第N个工作日"))
    claim_window_months = models.PositiveSmallIntegerField(_("申报期限：到期后月数"))
    recovery_notice_workdays = models.PositiveSmallIntegerField(_("回收通知期限（工作日）"))
    return_workdays = models.PositiveSmallIntegerField(_("返还期限（工作日）"))
    base_ratio = models.DecimalField(_("基础补偿比例"), **RATIO)
    raised_ratio = models.DecimalField(_("提高后补偿比例"), null=True, blank=True, **RATIO)
    risk_share_min = models.DecimalField(_("银行最低分险比例"), null=True, blank=True, **RATIO)
    risk_share_ratio_cap = models.DecimalField(_("分险贷款补偿比例上限"), null=True, blank=True,
                                               **RATIO)
    suspend_claim_ratio = models.DecimalField(_("暂停：申报本金占比阈值"), null=True,
                                              blank=True, **RATIO)
    suspend_net_compensation = models.DecimalField(_("暂停：补偿净额阈值"), **MONEY)
    articles = models.JSONField(
        _("条款"), default=dict, blank=True,
        help_text=_("每条规则在本文件中的条款，如“第六条第（四）项”；不通过原因据此引用本文件的条款。"))

    class Meta:
        verbose_name = _("政策参数版本")
        verbose_name_plural = _("政策参数版本")
        ordering = ["scheme", "valid_from"]
        # The bounds of riskcomp.policy.versions that a CHECK can say; the overlap of two
        # versions' validity is refused by a trigger (migration 0007) and by clean().
        constraints = [
            models.CheckConstraint(condition=Q(valid_to__gte=F("valid_from")),
                                   name="policy_version_dates_ordered"),
            models.CheckConstraint(
                condition=Q(base_ratio__gt=0, base_ratio__lte=1)
                & (Q(raised_ratio__isnull=True) | Q(raised_ratio__gt=0, raised_ratio__lte=1))
                & (Q(risk_share_min__isnull=True)
                   | Q(risk_share_min__gt=0, risk_share_min__lte=1))
                & (Q(risk_share_ratio_cap__isnull=True)
                   | Q(risk_share_ratio_cap__gt=0, risk_share_ratio_cap__lte=1))
                & (Q(suspend_claim_ratio__isnull=True)
                   | Q(suspend_claim_ratio__gt=0, suspend_claim_ratio__lte=1)),
                name="policy_version_ratios_in_unit_interval"),
            models.CheckConstraint(
                condition=Q(amount_cap__gt=0, outstanding_cap__gt=0,
                            outstanding_cap_qualified__gt=0, suspend_net_compensation__gt=0,
                            rate_margin_percent__gte=0),
                name="policy_version_caps_positive"),
        ]

    # Not stored: set by the version list screen (fund.params_views.version_list).
    used_by: int
    is_current: bool
    is_future: bool

    def __str__(self) -> str:
        return f"{self.get_scheme_display()} {self.version}"

    def clean(self) -> None:
        """The figures within the bounds of ``riskcomp.policy.versions`` and no other version of
        the scheme valid on any of the same days."""
        from riskcomp.policy.versions import overlap_problem, parameter_problems

        from .selectors import scheme_params_from

        for field, enum in (("allowed_kinds", EnterpriseKind), ("allowed_sizes", EnterpriseSize),
                            ("allowed_loan_types", LoanType)):
            values = getattr(self, field)
            if not isinstance(values, list) or not set(values) <= set(enum.values):
                raise ValidationError({field: _("须为列表，取值仅限：%s") % ", ".join(enum.values)})
        if not isinstance(self.articles, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in self.articles.items()):
            raise ValidationError({"articles": _("条款须为“规则：条款”的对应表。")})
        figures = ("valid_from", "valid_to", "amount_cap", "outstanding_cap",
                   "outstanding_cap_qualified", "rate_margin_percent", "long_term_years",
                   "credit_report_window_workdays", "filing_deadline_workday",
                   "claim_window_months", "recovery_notice_workdays", "return_workdays",
                   "base_ratio", "suspend_net_compensation")
        if any(getattr(self, f) is None for f in figures):
            return  # the fields' own errors say what is missing
        mine = scheme_params_from(self)
        problems = parameter_problems(mine)
        others = PolicyVersion.objects.filter(scheme=self.scheme).exclude(pk=self.pk)
        clash = overlap_problem(mine, [scheme_params_from(o) for o in others])
        if clash is not None:
            problems.append(clash)
        errors: dict[str, list[str]] = {}
        for field, message in problems:
            errors.setdefault(field, []).append(str(message))
        if errors:
            raise ValidationError(errors)


class LprRate(models.Model):
    """Loan Prime Rate as published (20th of each month, next working day when it is not)."""

    published_on = models.DateField(_("公布日期"), unique=True)
    one_year_percent = models.DecimalField(_("1年期LPR（%）"), max_digits=6, decimal_places=4)
    five_year_percent = models.DecimalField(_("5年期以上LPR（%）"), max_digits=6,
                                            decimal_places=4)

    class Meta:
        verbose_name = _("贷款市场报价利率")
        verbose_name_plural = _("贷款市场报价利率")
        ordering = ["-published_on"]
        # riskcomp.policy.versions.LPR_MAX: a 29 % or a negative LPR is a typing error.
        constraints = [
            models.CheckConstraint(
                condition=Q(one_year_percent__gt=0, one_year_percent__lte=10,
                            five_year_percent__gt=0, five_year_percent__lte=10),
                name="lpr_within_zero_to_ten_percent"),
        ]

    # Not stored: the change from the previous publication, set by fund.params_views.lpr_list
    # on every rate but the oldest.
    change_1y: Decimal
    change_5y: Decimal

    def __str__(self) -> str:
        return f"{self.published_on} {self.one_year_percent}/{self.five_year_percent}"

    def clean(self) -> None:
        """Both rates within (0, 10] %; a jump from the previous publication is the service's
        to confirm, not a refusal."""
        from riskcomp.policy.params import LprRate as LprValue
        from riskcomp.policy.versions import lpr_check

        if None in (self.published_on, self.one_year_percent, self.five_year_percent):
            return
        check = lpr_check(LprValue(self.published_on, self.one_year_percent,
                                   self.five_year_percent), ())
        errors: dict[str, list[str]] = {}
        for field, message in check.problems:
            errors.setdefault(field, []).append(str(message))
        if errors:
            raise ValidationError(errors)


class CalendarYear(models.Model):
    """A year whose full official holiday schedule staff entered by hand (国务院办公厅通知)."""

    year = models.PositiveSmallIntegerField(_("年度"), unique=True)
    source = models.CharField(_("依据文件"), max_length=200)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("录入人"))

    class Meta:
        verbose_name = _("已录入节假日年度")
        verbose_name_plural = _("已录入节假日年度")
        ordering = ["-year"]

    def __str__(self) -> str:
        return str(self.year)


class CalendarDay(models.Model):
    """A staff override of one day: a holiday, or a make-up working day (调休上班日)."""

    date = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(_("是否工作日"))
    note = models.CharField(_("说明"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("工作日调整")
        verbose_name_plural = _("工作日调整")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {_('上班') if self.is_workday else _('休息')}"


class FundSize(models.Model):
    """The fund size the bureau sets for a year (MICRO Art. 20); the fee is 0.8% of it."""

    year = models.PositiveSmallIntegerField(_("年度"), unique=True)
    amount = models.DecimalField(_("资金规模"), **MONEY)
    note = models.CharField(_("依据"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("年度资金规模")
        verbose_name_plural = _("年度资金规模")
        ordering = ["-year"]

    def __str__(self) -> str:
        return f"{self.year} {self.amount}"


class LedgerEntryQuerySet(models.QuerySet["LedgerEntry"]):
    def delete(self):  # type: ignore[no-untyped-def]
        raise ValidationError(_("资金台账只能追加，不能删除；更正请登记冲销分录。"))

    def update(self, **kwargs):  # type: ignore[no-untyped-def]
        raise ValidationError(_("资金台账只能追加，不能修改；更正请登记冲销分录。"))


class LedgerEntry(models.Model):
    """An append-only entry of the fund account. ``amount`` is signed cash: positive in, negative
    out; write-offs move no cash (amount 0) and carry the loss in ``loss_amount``."""

    class Kind(models.TextChoices):
        CAPITAL = "capital", _("财政拨入资金")
        COMPENSATION = "compensation", _("补偿拨付")
        RETURN = "return", _("银行返还")
        INTEREST = "interest", _("存款利息")
        MANAGEMENT_FEE = "management_fee", _("托管管理费")
        WRITE_OFF = "write_off", _("核销损失确认")
        REVERSAL = "reversal", _("冲销更正")

    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices, db_index=True)
    amount = models.DecimalField(_("金额（流入为正）"), **MONEY)
    loss_amount = models.DecimalField(_("确认损失"), default=0, **MONEY)
    booked_on = models.DateField(_("记账日期"), db_index=True)
    scheme = models.CharField(_("政策"), max_length=8, choices=Scheme.choices, blank=True)
    bank = models.ForeignKey("banks.Bank", on_delete=models.PROTECT, null=True, blank=True,
                             related_name="ledger_entries", verbose_name=_("银行"))
    claim = models.ForeignKey("claims.Claim", on_delete=models.PROTECT, null=True, blank=True,
                              related_name="ledger_entries", verbose_name=_("申报"))
    payment = models.OneToOneField("claims.Payment", on_delete=models.PROTECT, null=True,
                                   blank=True, related_name="ledger_entry",
                                   verbose_name=_("拨付"))
    return_payment = models.OneToOneField("claims.ReturnPayment", on_delete=models.PROTECT,
                                          null=True, blank=True, related_name="ledger_entry",
                                          verbose_name=_("返还"))
    write_off = models.OneToOneField("claims.WriteOff", on_delete=models.PROTECT, null=True,
                                     blank=True, related_name="ledger_entry",
                                     verbose_name=_("核销"))
    reverses = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="reversed_by", verbose_name=_("冲销的分录"))
    fee_year = models.PositiveSmallIntegerField(_("管理费所属年度"), null=True, blank=True)
    reference = models.CharField(_("凭证号"), max_length=60, blank=True)
    memo = models.CharField(_("摘要"), max_length=200)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("记账人"))
    created_at = models.DateTimeField(_("记账时间"), auto_now_add=True)

    objects = LedgerEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("资金台账分录")
        verbose_name_plural = _("资金台账")
        ordering = ["booked_on", "id"]
        # Django's internal reads and writes go through the guarded manager too.
        base_manager_name = "objects"
        constraints = [
            models.UniqueConstraint(fields=["fee_year"], condition=Q(kind="management_fee"),
                                    name="one_management_fee_per_year"),
            models.CheckConstraint(condition=Q(loss_amount__gte=0), name="loss_non_negative"),
            models.CheckConstraint(
                condition=(Q(kind__in=["capital", "return", "interest"], amount__gt=0)
                           | Q(kind__in=["compensation", "management_fee"], amount__lt=0)
                           | Q(kind="write_off", amount=0)
                           | Q(kind="reversal")),
                name="ledger_sign_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.booked_on} {self.get_kind_display()} {self.amount}"

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.pk is not None:
            raise ValidationError(_("资金台账只能追加，不能修改；更正请登记冲销分录。"))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise ValidationError(_("资金台账只能追加，不能删除；更正请登记冲销分录。"))
