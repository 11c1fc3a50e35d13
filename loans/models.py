from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from riskcomp.choices import (
    Classification,
    EnterpriseKind,
    EnterpriseSize,
    LoanType,
    QualificationType,
    Scheme,
)

from .validators import credit_code_validator

MONEY: dict[str, Any] = {"max_digits": 18, "decimal_places": 2}

# What the bank attests for each scheme: its own conduct conditions, as the policy words them.
MICRO_CONDUCT_CONDITIONS = _(
    "企业及其实际控制人、个体工商户经营者在放款时无近三年重大行政处罚公示信息和刑事犯罪记录，"
    "未列入严重违法失信主体名单（小微办法第五条第二项）。")
TECH_CONDUCT_CONDITIONS = _(
    "企业未被列入经营异常名录或失信主体名单，近三年未发生重大安全（含网络安全、数据安全）、"
    "质量、环境污染事故以及偷税漏税违法违规行为（科创方案第二条、第六条第二项）。")


class Enterprise(models.Model):
    """A borrower (借款企业), identified by its unified social credit code."""

    credit_code = models.CharField(
        _("统一社会信用代码"), max_length=18, unique=True, validators=[credit_code_validator],
        help_text=_("18位统一社会信用代码，按GB 32100-2015校验末位校验码。"),
    )
    name = models.CharField(_("企业名称"), max_length=200)
    kind = models.CharField(_("主体类型"), max_length=12, choices=EnterpriseKind.choices)
    size = models.CharField(_("企业规模"), max_length=8, choices=EnterpriseSize.choices)
    is_in_bda = models.BooleanField(_("在经开区内经营"), default=True)
    industry = models.CharField(_("所属行业"), max_length=40, blank=True)
    employees = models.PositiveIntegerField(_("从业人员"), null=True, blank=True)
    revenue = models.DecimalField(_("营业收入（元）"), null=True, blank=True, **MONEY)
    total_assets = models.DecimalField(_("资产总额（元）"), null=True, blank=True, **MONEY)
    # Each scheme's conduct conditions are different lists, so the bank attests each one.
    is_micro_conduct_ok = models.BooleanField(_("符合小微政策信用合规条件"), default=False,
                                              help_text=MICRO_CONDUCT_CONDITIONS)
    is_tech_conduct_ok = models.BooleanField(_("符合科创政策信用合规条件"), default=False,
                                             help_text=TECH_CONDUCT_CONDITIONS)
    is_tech_scope = models.BooleanField(
        _("属于科技创新支持范围"), default=False,
        help_text=_("银行承诺该企业属于财金〔2024〕60号支持范围（科创方案第十二条第三项）。"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("借款企业")
        verbose_name_plural = _("借款企业")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Qualification(models.Model):
    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE,
                                   related_name="qualifications", verbose_name=_("企业"))
    type = models.CharField(_("资质类型"), max_length=32, choices=QualificationType.choices)
    certificate_no = models.CharField(_("证书编号"), max_length=60)
    valid_from = models.DateField(_("有效期起"))
    valid_to = models.DateField(_("有效期止"))

    class Meta:
        verbose_name = _("企业资质")
        verbose_name_plural = _("企业资质")
        ordering = ["enterprise", "-valid_to"]
        constraints = [
            models.CheckConstraint(condition=Q(valid_to__gte=F("valid_from")),
                                   name="qualification_dates_ordered"),
        ]

    def __str__(self) -> str:
        # The enum's label, not get_type_display(), which rebuilds the choices on every call
        # (an import's audit entries name thousands of certificates).
        label = (QualificationType(self.type).label if self.type in QualificationType.values
                 else self.type)
        return f"{label} {self.certificate_no}"


class LoanFiling(models.Model):
    """A filed loan (项目备案). Only accepted loans are stored; ``snapshot`` freezes the facts the
    scheme and ratio were decided on, so later edits to the enterprise change nothing here."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("有效")
        SETTLED = "settled", _("已结清")
        CLAIMED = "claimed", _("已申报补偿")
        CLOSED = "closed", _("已核销")

    # A claim may be filed on a loan still open or already claimed before (a rejected claim can
    # be followed by another); not on one settled or written off.
    CLAIMABLE_STATUSES = (Status.ACTIVE, Status.CLAIMED)

    bank = models.ForeignKey("banks.Bank", on_delete=models.PROTECT, related_name="filings",
                             verbose_name=_("银行"))
    branch = models.ForeignKey("banks.Branch", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="filings", verbose_name=_("经办支行"))
    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="filings",
                                   verbose_name=_("借款企业"))
    # The borrower's name as this bank filed it: every screen, export and report of the filing
    # shows it, so that another bank's later input about the same enterprise changes nothing here.
    enterprise_name = models.CharField(_("企业名称（备案时）"), max_length=200)
    iou_number = models.CharField(_("借据号"), max_length=60)
    contract_number = models.CharField(_("合同号"), max_length=60)
    drawdown_date = models.DateField(_("放款日期"))
    maturity_date = models.DateField(_("合同到期日"))
    amount = models.DecimalField(_("贷款金额（原币）"), validators=[MinValueValidator(0)], **MONEY)
    currency = models.CharField(_("币种"), max_length=3, default="CNY")
    fx_rate = models.DecimalField(_("折算汇率"), max_digits=12, decimal_places=6, null=True,
                                  blank=True)
    amount_cny = models.DecimalField(_("贷款金额（人民币）"), **MONEY)
    rate_percent = models.DecimalField(_("年利率（%）"), max_digits=7, decimal_places=4)
    loan_type = models.CharField(_("贷款品种"), max_length=24, choices=LoanType.choices)
    has_natural_person_guarantee = models.BooleanField(_("追加自然人保证"), default=False)
    has_other_cover = models.BooleanField(
        _("有其他保险、担保或财政补偿"), default=False,
        help_text=_("保险机构承保、融资担保公司担保或已享受其他财政风险补偿。"),
    )
    guarantee_institution = models.CharField(_("政府性融资担保机构"), max_length=100, blank=True)
    bank_risk_share_percent = models.DecimalField(_("银行分险比例（%）"), max_digits=5,
                                                  decimal_places=2, null=True, blank=True)
    credit_report_outstanding = models.DecimalField(_("征信未结清贷款余额"), **MONEY)
    credit_report_date = models.DateField(_("征信报告日期"))
    bank_outstanding_to_enterprise = models.DecimalField(
        _("本行对该企业其他在贷余额"), default=0, **MONEY,
    )
    is_first_loan = models.BooleanField(_("首笔贷款"), default=False)
    filed_on = models.DateField(_("备案日期"))
    quarter = models.CharField(_("放款季度"), max_length=6, db_index=True,
                               help_text=_("放款所在季度，如 2026Q3。"))
    scheme = models.CharField(_("适用政策"), max_length=8, choices=Scheme.choices)
    ratio = models.DecimalField(_("补偿比例"), max_digits=5, decimal_places=4)
    policy_version = models.CharField(_("政策版本"), max_length=40)
    snapshot = models.JSONField(_("备案快照"), default=dict)
    # Decided once at filing from the snapshot (``policy.eligibility.qualification_types_on``):
    # the types as ",high_tech,beijing_srdi," so that a report counts a type with one
    # ``contains`` on any database; "" when none was valid. ``db_default`` lets raw inserts
    # (the benchmarks' seeds) leave it out.
    qualification_types = models.CharField(
        _("放款日有效资质"), max_length=120, blank=True, default="", db_default="",
        help_text=_("备案时按快照判定的、放款日有效的企业资质类型。"))
    late_exception_reason = models.TextField(_("逾期备案例外原因"), blank=True)
    outstanding_principal = models.DecimalField(_("当前本金余额"), **MONEY)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices,
                              default=Status.ACTIVE)
    import_batch = models.ForeignKey("ImportBatch", on_delete=models.SET_NULL, null=True,
                                     blank=True, related_name="filings",
                                     verbose_name=_("导入批次"))
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("备案人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("贷款备案")
        verbose_name_plural = _("贷款备案")
        ordering = ["-drawdown_date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["bank", "iou_number"], name="iou_unique_per_bank"),
            models.CheckConstraint(condition=Q(amount__gte=0) & Q(amount_cny__gte=0)
                                   & Q(credit_report_outstanding__gte=0)
                                   & Q(bank_outstanding_to_enterprise__gte=0)
                                   & Q(outstanding_principal__gte=0),
                                   name="filing_amounts_non_negative"),
            models.CheckConstraint(condition=Q(maturity_date__gte=F("drawdown_date")),
                                   name="filing_maturity_after_drawdown"),
            models.CheckConstraint(condition=Q(ratio__gt=0) & Q(ratio__lte=1),
                                   name="filing_ratio_in_range"),
        ]
        indexes = [
            models.Index(fields=["bank", "scheme", "quarter"]),
            models.Index(fields=["enterprise", "bank"]),
            # The filing list's default order (newest drawdown first), across banks and per bank.
            models.Index(fields=["drawdown_date", "id"]),
            models.Index(fields=["bank", "drawdown_date", "id"]),
            # The same order within a quarter, the filter the custodian sets most.
            models.Index(fields=["quarter", "drawdown_date", "id"],
                         name="filing_quarter_drawdown_idx"),
        ]

    def __str__(self) -> str:
        if not self.enterprise_name:
            return self.iou_number
        # gettext, not the lazy _: an import's audit entries name ten thousand filings at once.
        return gettext("%(name)s（%(detail)s）") % {"name": self.iou_number,
                                                   "detail": self.enterprise_name}


class ClassificationReport(models.Model):
    """The five-tier classification history of a filed loan (五级分类)."""

    filing = models.ForeignKey(LoanFiling, on_delete=models.CASCADE,
                               related_name="classifications", verbose_name=_("备案贷款"))
    classification = models.CharField(_("五级分类"), max_length=16,
                                      choices=Classification.choices)
    classified_on = models.DateField(_("分类日期"))
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("报送人"))
    reported_at = models.DateTimeField(_("报送时间"), auto_now_add=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("五级分类记录")
        verbose_name_plural = _("五级分类记录")
        ordering = ["filing", "-classified_on", "-id"]
        indexes = [models.Index(fields=["filing", "-classified_on"])]

    def __str__(self) -> str:
        return f"{self.filing.iou_number} {self.get_classification_display()}"


class ImportBatch(models.Model):
    """A quarter's Excel upload: the file's hash makes a second upload of the same file visible."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("已上传")
        VALIDATING = "validating", _("校验中")
        VALIDATED = "validated", _("已校验")
        COMMITTING = "committing", _("提交中")
        COMMITTED = "committed", _("已提交")
        FAILED = "failed", _("失败")

    class Kind(models.TextChoices):
        FILINGS = "filings", _("贷款备案")
        CLASSIFICATIONS = "classifications", _("五级分类")

    bank = models.ForeignKey("banks.Bank", on_delete=models.PROTECT, related_name="imports",
                             verbose_name=_("银行"))
    kind = models.CharField(_("导入内容"), max_length=16, choices=Kind.choices,
                            default=Kind.FILINGS)
    file = models.FileField(_("文件"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("原文件名"), max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices,
                              default=Status.UPLOADED)
    total_rows = models.PositiveIntegerField(_("总行数"), default=0)
    accepted_rows = models.PositiveIntegerField(_("通过行数"), default=0)
    rejected_rows = models.PositiveIntegerField(_("退回行数"), default=0)
    progress = models.PositiveSmallIntegerField(_("进度（%）"), default=0)
    message = models.TextField(_("说明"), blank=True)
    # The upload's content: its data rows as read, the sheet's name, an earlier identical upload.
    result = models.JSONField(_("上传内容"), default=dict, blank=True)
    # One verdict per data row, written by the validation (see loans.import_services); a column
    # of its own so that the preview and the status are read and written without the rows.
    preview = models.JSONField(_("校验预览"), default=list, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("上传人"))
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("导入批次")
        verbose_name_plural = _("导入批次")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.original_name


class ImportChunk(models.Model):
    """A thousand data rows of an upload, as read, and once validated what the rules decided for
    the accepted ones: a quarter of 100,000 rows is stored, judged and committed chunk by chunk,
    never held at once."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="chunks",
                              verbose_name=_("导入批次"))
    index = models.PositiveIntegerField(_("序号"))
    # ``loans.importing.pack_rows``: [row number, cell text or None per column] per row.
    rows = models.BinaryField(_("数据行"))
    # What the validation decided for the chunk's accepted rows (``loans.import_services``
    # ``pack_recorded``): their requests and ``loans.services.RecordedVerdicts``. The commit
    # takes them instead of cleaning and judging again when the fingerprint of what they depend
    # on is unchanged. Packed as ``rows`` is: the database has no reason to parse it.
    recorded = models.BinaryField(_("校验判定"), null=True, blank=True)

    class Meta:
        verbose_name = _("导入数据块")
        verbose_name_plural = _("导入数据块")
        ordering = ["batch", "index"]
        constraints = [models.UniqueConstraint(fields=["batch", "index"],
                                               name="loans_importchunk_batch_index")]

    def __str__(self) -> str:
        return f"{self.batch_id}/{self.index}"


def qualification_types_value(types: Iterable[str]) -> str:
    """``LoanFiling.qualification_types`` for ``types``: ",a,b," or "" for none."""
    listed = [str(t) for t in types]
    return f",{','.join(listed)}," if listed else ""


def holds_qualification(qualification_type: str) -> Q:
    """The filings whose enterprise held ``qualification_type`` on the drawdown date."""
    return Q(qualification_types__contains=f",{qualification_type},")
