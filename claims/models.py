from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from riskcomp.choices import ReasonCode, Scheme

MONEY: dict[str, Any] = {"max_digits": 18, "decimal_places": 2}


class Claim(models.Model):
    """A compensation claim (补偿申报) for a non-performing filed loan."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("待初审")
        SUPPLEMENT_REQUESTED = "supplement", _("待补充材料")
        PASSED = "passed", _("初审通过")
        REJECTED = "rejected", _("初审不通过")
        PROPOSED = "proposed", _("待财政确认")
        CONFIRMED = "confirmed", _("财政已确认")
        BUREAU_REJECTED = "bureau_rejected", _("财政不予确认")
        PAID = "paid", _("已拨付")
        WRITTEN_OFF = "written_off", _("已核销")

    # The pipeline as data (django-oscar's available_statuses): from-state -> allowed to-states.
    TRANSITIONS: dict[str, tuple[str, ...]] = {
        Status.SUBMITTED: (Status.PASSED, Status.REJECTED, Status.SUPPLEMENT_REQUESTED),
        Status.SUPPLEMENT_REQUESTED: (Status.SUBMITTED,),
        Status.PASSED: (Status.PROPOSED, Status.REJECTED),
        Status.PROPOSED: (Status.CONFIRMED, Status.BUREAU_REJECTED, Status.PASSED),
        Status.CONFIRMED: (Status.PAID,),
        Status.PAID: (Status.WRITTEN_OFF,),
        Status.REJECTED: (),
        Status.BUREAU_REJECTED: (),
        Status.WRITTEN_OFF: (),
    }
    CLOSED_STATUSES = (Status.REJECTED, Status.BUREAU_REJECTED)
    WAITING_ON: ClassVar[dict[str, str]] = {
        Status.SUBMITTED: "custodian",
        Status.SUPPLEMENT_REQUESTED: "bank",
        Status.PASSED: "custodian",
        Status.PROPOSED: "bureau",
        Status.CONFIRMED: "custodian",
    }

    number = models.CharField(_("申报编号"), max_length=30, unique=True)
    filing = models.ForeignKey("loans.LoanFiling", on_delete=models.PROTECT,
                               related_name="claims", verbose_name=_("备案贷款"))
    bank = models.ForeignKey("banks.Bank", on_delete=models.PROTECT, related_name="claims",
                             verbose_name=_("银行"))
    scheme = models.CharField(_("政策"), max_length=8, choices=Scheme.choices)
    base = models.DecimalField(_("不良贷款本金余额（基数）"), **MONEY)
    ratio = models.DecimalField(_("补偿比例"), max_digits=5, decimal_places=4)
    compensation = models.DecimalField(_("补偿金额"), **MONEY)
    classification_date = models.DateField(_("不良分类日期"))
    deadline = models.DateField(_("申报截止日"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices,
                              default=Status.SUBMITTED, db_index=True)
    reject_code = models.CharField(_("不通过原因代码"), max_length=24, blank=True,
                                   choices=ReasonCode.choices)
    submitted_at = models.DateTimeField(_("提交时间"))
    proposal = models.ForeignKey("Proposal", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="claims", verbose_name=_("初审意见"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("申报人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("补偿申报")
        verbose_name_plural = _("补偿申报")
        ordering = ["submitted_at", "id"]
        constraints = [
            # One open claim per filing (DUPLICATE); rejected claims may be followed by a new one.
            models.UniqueConstraint(
                fields=["filing"], name="one_open_claim_per_filing",
                condition=~Q(status__in=["rejected", "bureau_rejected"]),
            ),
            models.CheckConstraint(condition=Q(base__gte=0) & Q(compensation__gte=0)
                                   & Q(compensation__lte=F("base")),
                                   name="claim_amounts_valid"),
        ]
        indexes = [
            models.Index(fields=["bank", "scheme", "status"]),
            # The lists and home screens read claims in submission order, a page at a time.
            models.Index(fields=["submitted_at", "id"]),
            models.Index(fields=["status", "submitted_at", "id"]),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def waiting_on(self) -> str | None:
        return self.WAITING_ON.get(self.status)

    @property
    def is_under_way(self) -> bool:
        """Not refused: a loan with a claim under way cannot be claimed again. Read through
        ``filing.claims`` by the loan's page, which sits below claims and does not import it."""
        return self.status not in self.CLOSED_STATUSES


class ClaimDocument(models.Model):
    class Kind(models.TextChoices):
        APPLICATION = "application", _("补偿申请表")
        CONTRACT_IOU = "contract_iou", _("借款合同及借据")
        CREDIT_REPORT = "credit_report", _("显示五级分类的征信报告")
        COLLECTION = "collection", _("催收记录")
        COMMITMENT = "commitment", _("承诺函")
        SUPPLEMENT = "supplement", _("补充材料")

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="documents",
                              verbose_name=_("申报"))
    kind = models.CharField(_("材料类型"), max_length=16, choices=Kind.choices)
    file = models.FileField(_("文件"), upload_to="claims/%Y/%m/")
    original_name = models.CharField(_("原文件名"), max_length=200)
    content_type = models.CharField(_("文件类型"), max_length=60)
    size = models.PositiveIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("上传人"))
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("申报材料")
        verbose_name_plural = _("申报材料")
        ordering = ["claim", "kind", "uploaded_at"]

    def __str__(self) -> str:
        return self.original_name


class ClaimStatusChange(models.Model):
    """A history row per transition (django-oscar's OrderStatusChange)."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="status_changes",
                              verbose_name=_("申报"))
    from_status = models.CharField(_("原状态"), max_length=16, blank=True,
                                   choices=Claim.Status.choices)
    to_status = models.CharField(_("新状态"), max_length=16, choices=Claim.Status.choices)
    note = models.TextField(_("说明"), blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                              related_name="+", verbose_name=_("操作人"))
    changed_at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("申报状态变更")
        verbose_name_plural = _("申报状态变更")
        ordering = ["claim", "changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.claim.number}: {self.from_status} → {self.to_status}"


class ReviewDecision(models.Model):
    """The custodian's first review (初审) of a claim."""

    class Decision(models.TextChoices):
        PASS = "pass", _("通过")
        REJECT = "reject", _("不通过")
        SUPPLEMENT = "supplement", _("补充材料")

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="reviews",
                              verbose_name=_("申报"))
    decision = models.CharField(_("初审结论"), max_length=12, choices=Decision.choices)
    reason_code = models.CharField(_("原因代码"), max_length=24, blank=True,
                                   choices=ReasonCode.choices)
    message = models.TextField(_("意见"), blank=True)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("审核人"))
    decided_at = models.DateTimeField(_("审核时间"))

    class Meta:
        verbose_name = _("初审意见")
        verbose_name_plural = _("初审意见")
        ordering = ["claim", "decided_at"]

    def __str__(self) -> str:
        return f"{self.claim.number} {self.get_decision_display()}"


class SupplementRequest(models.Model):
    """A request for more documents; the claim's review clock pauses until it is answered."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="supplements",
                              verbose_name=_("申报"))
    message = models.TextField(_("需补充的材料"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("要求人"))
    requested_at = models.DateTimeField(_("要求时间"))
    answer = models.TextField(_("银行答复"), blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+",
                                    verbose_name=_("答复人"))
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("补充材料要求")
        verbose_name_plural = _("补充材料要求")
        ordering = ["claim", "requested_at"]

    def __str__(self) -> str:
        return f"{self.claim.number} {self.requested_at:%Y-%m-%d}"


class Proposal(models.Model):
    """The custodian's proposal to the finance bureau (补偿初审意见); TECH goes quarterly."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("已报财政")
        DECIDED = "decided", _("财政已处理")
        WITHDRAWN = "withdrawn", _("已全部撤回")  # every claim taken back out before a decision

    number = models.CharField(_("编号"), max_length=30, unique=True)
    scheme = models.CharField(_("政策"), max_length=8, choices=Scheme.choices)
    period = models.CharField(_("所属期间"), max_length=8, help_text=_("如 2026Q3。"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices,
                              default=Status.DRAFT)
    note = models.TextField(_("说明"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("创建人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("报送时间"), null=True, blank=True)
    decided_at = models.DateTimeField(_("财政处理完毕时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("补偿初审意见")
        verbose_name_plural = _("补偿初审意见")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.number


class ProposalWithdrawal(models.Model):
    """A claim the custodian took back out of a proposal before the bureau decided it: the
    proposal keeps the record (the document sent to the bureau listed the claim), the claim is
    free again for a later proposal."""

    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="withdrawals",
                                 verbose_name=_("初审意见"))
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="withdrawals",
                              verbose_name=_("申报"))
    reason = models.TextField(_("撤回原因"))
    withdrawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("撤回人"))
    withdrawn_at = models.DateTimeField(_("撤回时间"))

    class Meta:
        verbose_name = _("撤回记录")
        verbose_name_plural = _("撤回记录")
        ordering = ["withdrawn_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["proposal", "claim"],
                                    name="withdrawn_once_per_proposal"),
        ]

    def __str__(self) -> str:
        return f"{self.proposal.number} {self.claim.number}"


class Confirmation(models.Model):
    """The bureau's written decision on one claim (书面确认文件)."""

    class Decision(models.TextChoices):
        CONFIRMED = "confirmed", _("确认")
        REJECTED = "rejected", _("不予确认")

    claim = models.OneToOneField(Claim, on_delete=models.PROTECT, related_name="confirmation",
                                 verbose_name=_("申报"))
    decision = models.CharField(_("结论"), max_length=10, choices=Decision.choices)
    document_number = models.CharField(_("确认文件文号"), max_length=60)
    document_date = models.DateField(_("确认文件日期"))
    document = models.FileField(_("确认文件扫描件"), upload_to="confirmations/%Y/%m/")
    note = models.TextField(_("意见"), blank=True)
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("确认人"))
    decided_at = models.DateTimeField(_("确认时间"))

    class Meta:
        verbose_name = _("财政确认")
        verbose_name_plural = _("财政确认")

    def __str__(self) -> str:
        return f"{self.claim.number} {self.document_number}"


class Payment(models.Model):
    """A compensation payment (拨付). One per claim, held by the database."""

    claim = models.OneToOneField(Claim, on_delete=models.PROTECT, related_name="payment",
                                 verbose_name=_("申报"))
    amount = models.DecimalField(_("拨付金额"), **MONEY)
    paid_on = models.DateField(_("拨付日期"))
    reference = models.CharField(_("付款流水号"), max_length=60, unique=True)
    paid_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                related_name="+", verbose_name=_("经办人"))
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("补偿拨付")
        verbose_name_plural = _("补偿拨付")
        ordering = ["-paid_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
        ]

    def __str__(self) -> str:
        return self.reference


class Recovery(models.Model):
    """A recovery (追偿回收) after compensation, with its computed return and deadlines."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="recoveries",
                              verbose_name=_("申报"))
    recovered_on = models.DateField(_("回收日期"))
    amount = models.DecimalField(_("回收金额"), **MONEY)
    notified_on = models.DateField(_("通知日期"))
    return_amount = models.DecimalField(_("应返还金额"), **MONEY)
    notice_deadline = models.DateField(_("通知截止日"), null=True, blank=True)
    return_deadline = models.DateField(_("返还截止日"), null=True, blank=True)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("报送人"))
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("追偿回收")
        verbose_name_plural = _("追偿回收")
        ordering = ["-recovered_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0) & Q(return_amount__gte=0),
                                   name="recovery_amounts_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.claim.number} {self.recovered_on}"


class ReturnPayment(models.Model):
    """Money a bank returns to the fund for a recovery (返还)."""

    recovery = models.OneToOneField(Recovery, on_delete=models.PROTECT,
                                    related_name="return_payment", verbose_name=_("回收"))
    amount = models.DecimalField(_("返还金额"), **MONEY)
    returned_on = models.DateField(_("返还日期"))
    reference = models.CharField(_("返还流水号"), max_length=60, unique=True)
    reconciliation_statement = models.FileField(_("返还对账单"), upload_to="returns/%Y/%m/",
                                                blank=True)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+",
                                    verbose_name=_("确认收款人"))
    received_at = models.DateTimeField(_("确认收款时间"), null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("登记人"))
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("返还")
        verbose_name_plural = _("返还")
        ordering = ["-returned_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="return_amount_positive"),
        ]

    def __str__(self) -> str:
        return self.reference


class WriteOff(models.Model):
    """A write-off (核销), only after bankruptcy liquidation or termination of enforcement."""

    class Ground(models.TextChoices):
        BANKRUPTCY = "bankruptcy", _("破产清算")
        ENFORCEMENT_TERMINATED = "enforcement_terminated", _("终结执行裁定")

    class Status(models.TextChoices):
        APPLIED = "applied", _("银行已申请")
        FORWARDED = "forwarded", _("托管机构已审核，待财政确认")
        CONFIRMED = "confirmed", _("财政已确认")
        REJECTED = "rejected", _("不予核销")

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="write_offs",
                              verbose_name=_("申报"))
    ground = models.CharField(_("核销依据"), max_length=24, choices=Ground.choices)
    ruling = models.FileField(_("法院裁定书"), upload_to="writeoffs/%Y/%m/")
    internal_approval = models.FileField(_("银行内部核销审批"), upload_to="writeoffs/%Y/%m/")
    application_letter = models.FileField(_("核销申请函"), upload_to="writeoffs/%Y/%m/",
                                          blank=True)
    amount = models.DecimalField(_("核销金额（已拨付减已返还）"), **MONEY)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices,
                              default=Status.APPLIED)
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("申请人"))
    applied_at = models.DateTimeField(_("申请时间"))
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+",
                                    verbose_name=_("审核人"))
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    review_note = models.TextField(_("托管机构审核意见"), blank=True)
    document_number = models.CharField(_("财政确认文号"), max_length=60, blank=True)
    document_date = models.DateField(_("财政确认日期"), null=True, blank=True)
    document = models.FileField(_("财政确认文件扫描件"), upload_to="writeoffs/%Y/%m/",
                                blank=True)
    decision_note = models.TextField(_("不予核销理由"), blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("确认人"))
    decided_at = models.DateTimeField(_("确认时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("核销")
        verbose_name_plural = _("核销")
        ordering = ["-applied_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="writeoff_amount_valid"),
            models.UniqueConstraint(fields=["claim"], condition=~Q(status="rejected"),
                                    name="one_open_writeoff_per_claim"),
        ]

    def __str__(self) -> str:
        return f"{self.claim.number} {self.get_ground_display()}"


class WriteOffStatusChange(models.Model):
    """A history row per write-off step: the custodian's review, the bureau's decision."""

    write_off = models.ForeignKey(WriteOff, on_delete=models.CASCADE,
                                  related_name="status_changes", verbose_name=_("核销"))
    from_status = models.CharField(_("原状态"), max_length=10, choices=WriteOff.Status.choices)
    to_status = models.CharField(_("新状态"), max_length=10, choices=WriteOff.Status.choices)
    note = models.TextField(_("说明"), blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                              related_name="+", verbose_name=_("操作人"))
    changed_at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("核销状态变更")
        verbose_name_plural = _("核销状态变更")
        ordering = ["write_off", "changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.write_off_id}: {self.from_status} → {self.to_status}"


class RecoveryStatement(models.Model):
    """The bank's yearly written statement of recovery efforts per compensated loan."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="statements",
                              verbose_name=_("申报"))
    year = models.PositiveSmallIntegerField(_("年度"))
    text = models.TextField(_("追偿工作情况"))
    document = models.FileField(_("说明文件"), upload_to="statements/%Y/", blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("提交人"))
    submitted_at = models.DateTimeField(_("提交时间"))

    class Meta:
        verbose_name = _("年度追偿情况说明")
        verbose_name_plural = _("年度追偿情况说明")
        ordering = ["-year"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "year"], name="one_statement_per_year"),
        ]

    def __str__(self) -> str:
        return f"{self.claim.number} {self.year}"


class SpotCheck(models.Model):
    """A yearly random sample of claimed loans (MICRO Art. 10(7), TECH Art. 11(7)); the seed is
    recorded so the same sample can be drawn again."""

    year = models.PositiveSmallIntegerField(_("年度"), unique=True)
    seed = models.CharField(_("随机种子"), max_length=64)
    sample_size = models.PositiveIntegerField(_("抽样数量"))
    drawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("抽样人"))
    drawn_at = models.DateTimeField(_("抽样时间"))

    class Meta:
        verbose_name = _("抽查")
        verbose_name_plural = _("抽查")
        ordering = ["-year"]

    def __str__(self) -> str:
        return str(self.year)


class SpotCheckItem(models.Model):
    class Result(models.TextChoices):
        PENDING = "pending", _("待检查")
        COMPLIANT = "compliant", _("合规")
        ISSUE = "issue", _("发现问题")

    spot_check = models.ForeignKey(SpotCheck, on_delete=models.CASCADE, related_name="items",
                                   verbose_name=_("抽查"))
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="spot_checks",
                              verbose_name=_("申报"))
    result = models.CharField(_("结论"), max_length=10, choices=Result.choices,
                              default=Result.PENDING)
    finding = models.TextField(_("检查发现"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+",
                                    verbose_name=_("记录人"))
    recorded_at = models.DateTimeField(_("记录时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("抽查明细")
        verbose_name_plural = _("抽查明细")
        ordering = ["spot_check", "id"]
        constraints = [
            models.UniqueConstraint(fields=["spot_check", "claim"], name="claim_once_per_check"),
        ]

    def __str__(self) -> str:
        return f"{self.spot_check.year} {self.claim.number}"


class ClaimReviewAge(models.Model):
    """A claim's review age (``claims.review.selectors.queue_ages``) as computed for one day and
    holiday schedule (``key``), kept so that the reviewers' queue sorts and filters by age in
    the database and computes ages only for the claims changed since (``status``,
    ``computed_at``) or when the day or the schedule changed. Derived data, never edited."""

    claim = models.OneToOneField(Claim, on_delete=models.CASCADE, primary_key=True,
                                 related_name="review_clock", verbose_name=_("申报"))
    age = models.PositiveIntegerField(_("审核时长（工作日）"))
    # The year whose holiday schedule is unknown: the age is then the least it can be.
    pending_year = models.PositiveSmallIntegerField(_("待定年份"), null=True, blank=True)
    key = models.CharField(_("计算依据"), max_length=40)
    status = models.CharField(_("计算时状态"), max_length=16, choices=Claim.Status.choices)
    computed_at = models.DateTimeField(_("计算时间"))

    class Meta:
        verbose_name = _("审核时长")
        verbose_name_plural = _("审核时长")
        indexes = [models.Index(fields=["age"], name="claim_review_age_idx")]

    def __str__(self) -> str:
        return f"{self.claim_id}: {self.age}"
