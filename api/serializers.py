"""The API's JSON shapes. Reads are rendered by these serializers; the filing sent by a bank is
described by ``FilingInSerializer`` for the OpenAPI schema only: its values are read by the
Excel import's column mapping (``loans.resources``), so the API and the workbook accept the same
texts (Chinese labels or codes, 是/否 or booleans, dates as 2026-07-15)."""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from loans.importing import FILINGS
from loans.models import ClassificationReport, LoanFiling
from loans.resources import ChoiceCell, DateCell, DecimalCell, YesNoCell


def _doc_field(f: Any) -> serializers.Field:
    widget = f.widget
    kw: dict[str, Any] = {"required": getattr(widget, "required", False),
                          "help_text": f"{f.column_name}。{getattr(widget, 'hint', '')}".strip("。")
                          or f.column_name, "allow_null": True}
    if isinstance(widget, YesNoCell):
        return serializers.BooleanField(**kw)
    if isinstance(widget, DateCell):
        return serializers.DateField(**kw)
    if isinstance(widget, DecimalCell):
        return serializers.DecimalField(max_digits=widget.max_digits,
                                        decimal_places=widget.places, **kw)
    if isinstance(widget, ChoiceCell):
        return serializers.ChoiceField(choices=widget.labels, **kw)
    return serializers.CharField(max_length=getattr(widget, "max_length", None), **kw)


FilingInSerializer = type("FilingInSerializer", (serializers.Serializer,),
                          {f.attribute: _doc_field(f) for f in FILINGS.fields})


class FilingBatchInSerializer(serializers.Serializer):
    rows = FilingInSerializer(many=True, help_text="至多100,000笔备案，按顺序判定。")
    commit = serializers.BooleanField(default=True, help_text="false：只校验，不写入（试算）。")


class RowErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="退回代码；字段填写错误为 INVALID。")
    field = serializers.CharField(help_text="出错的字段，没有具体字段时为空。")
    message = serializers.CharField(help_text="中文说明。")
    scheme = serializers.CharField(required=False, help_text="该原因所属的政策（TECH/MICRO）。")


class RowVerdictSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="在本次提交中的序号，从1开始。")
    iou_number = serializers.CharField()
    accepted = serializers.BooleanField()
    scheme = serializers.CharField(allow_null=True)
    ratio = serializers.CharField(allow_null=True)
    policy_version = serializers.CharField(allow_null=True)
    filing_id = serializers.IntegerField(allow_null=True)
    # The metaclass moves declared fields off the class, so ``errors`` does not shadow
    # Serializer.errors at runtime; the stubs cannot see that.
    errors = RowErrorSerializer(many=True)  # type: ignore[assignment]


class FilingBatchOutSerializer(serializers.Serializer):
    committed = serializers.BooleanField()
    total = serializers.IntegerField()
    accepted = serializers.IntegerField()
    rejected = serializers.IntegerField()
    rows = RowVerdictSerializer(many=True)


class ErrorsSerializer(serializers.Serializer):
    errors = RowErrorSerializer(many=True)  # type: ignore[assignment]  # as in RowVerdictSerializer


class ClassificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = ClassificationReport
        fields = ["id", "classification", "classified_on", "note", "reported_at"]


class ClassificationInSerializer(serializers.Serializer):
    classification = serializers.ChoiceField(
        choices=["normal", "special_mention", "substandard", "doubtful", "loss"],
        help_text="五级分类：代码或中文（正常、关注、次级、可疑、损失）。")
    classified_on = serializers.DateField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)


class FilingSerializer(serializers.ModelSerializer):
    credit_code = serializers.CharField(source="enterprise.credit_code")
    branch_code = serializers.CharField(source="branch.code", allow_null=True, default=None)

    class Meta:
        model = LoanFiling
        fields = ["id", "iou_number", "contract_number", "credit_code", "enterprise_name",
                  "branch_code", "loan_type", "amount", "currency", "fx_rate", "amount_cny",
                  "drawdown_date", "maturity_date", "rate_percent", "quarter", "scheme", "ratio",
                  "policy_version", "filed_on", "status", "outstanding_principal"]


class FilingDetailSerializer(FilingSerializer):
    classifications = ClassificationSerializer(many=True)

    class Meta(FilingSerializer.Meta):
        fields = [*FilingSerializer.Meta.fields, "credit_report_outstanding",
                  "credit_report_date", "bank_outstanding_to_enterprise", "is_first_loan",
                  "has_other_cover", "has_natural_person_guarantee", "guarantee_institution",
                  "bank_risk_share_percent", "classifications"]


class EnterpriseSerializer(serializers.Serializer):
    credit_code = serializers.CharField()
    name = serializers.CharField(help_text="本行最近一次备案时填写的企业名称。")
    filings = FilingSerializer(many=True, help_text="本行对该企业的备案。")


class SupplementSerializer(serializers.Serializer):
    message = serializers.CharField(help_text="托管机构要求补充的材料（缺项）。")
    requested_at = serializers.DateTimeField()
    answer = serializers.CharField()
    answered_at = serializers.DateTimeField(allow_null=True)


class ClaimSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    filing_id = serializers.IntegerField()
    iou_number = serializers.CharField(source="filing.iou_number")
    scheme = serializers.CharField()
    base = serializers.DecimalField(max_digits=18, decimal_places=2)
    ratio = serializers.DecimalField(max_digits=5, decimal_places=4)
    compensation = serializers.DecimalField(max_digits=18, decimal_places=2)
    classification_date = serializers.DateField()
    deadline = serializers.DateField()
    status = serializers.CharField()
    status_display = serializers.CharField(source="get_status_display")
    reject_code = serializers.CharField()
    submitted_at = serializers.DateTimeField()


class ClaimDocumentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    kind_display = serializers.CharField(source="get_kind_display")
    original_name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    uploaded_at = serializers.DateTimeField()


class StatusChangeSerializer(serializers.Serializer):
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    to_status_display = serializers.CharField(source="get_to_status_display")
    note = serializers.CharField()
    changed_at = serializers.DateTimeField()


class ClaimDetailSerializer(ClaimSerializer):
    deficiencies = SupplementSerializer(many=True, source="supplements.all",
                                        help_text="补充材料要求及银行的答复。")
    documents = serializers.SerializerMethodField(help_text="随申报及补正提交的材料。")
    history = serializers.SerializerMethodField(help_text="状态变更记录，按时间先后。")

    @extend_schema_field(ClaimDocumentSerializer(many=True))
    def get_documents(self, obj: Any) -> Any:
        return ClaimDocumentSerializer(obj.documents.order_by("uploaded_at", "id"),
                                       many=True).data

    @extend_schema_field(StatusChangeSerializer(many=True))
    def get_history(self, obj: Any) -> Any:
        return StatusChangeSerializer(obj.status_changes.order_by("changed_at", "id"),
                                      many=True).data


class SuspensionSerializer(serializers.Serializer):
    scheme = serializers.CharField()
    is_suspended = serializers.BooleanField()
    is_auto_suspended = serializers.BooleanField()
    is_manually_suspended = serializers.BooleanField()
    filed_principal = serializers.DecimalField(max_digits=18, decimal_places=2)
    claimed_principal = serializers.DecimalField(max_digits=18, decimal_places=2)
    net_compensation = serializers.DecimalField(max_digits=18, decimal_places=2)
    claim_ratio = serializers.DecimalField(max_digits=9, decimal_places=4, allow_null=True)
    distances = serializers.DictField(
        child=serializers.DecimalField(max_digits=20, decimal_places=4, allow_null=True),
        help_text="距各暂停阈值的余量（正数为尚余，负数为已超过）：net_compensation、"
                  "claimed_principal（元）、claim_ratio（比例）。")
    computed_at = serializers.DateTimeField(allow_null=True)


class RecoveryInSerializer(serializers.Serializer):
    recovered_on = serializers.DateField(help_text="回收日期，不晚于今天、不早于补偿拨付日期。")
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, help_text="回收金额（元）。")
    notified_on = serializers.DateField(required=False, help_text="通知托管机构日期，留空为今天。")


class RecoverySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    claim_id = serializers.IntegerField()
    recovered_on = serializers.DateField()
    amount = serializers.DecimalField(max_digits=18, decimal_places=2)
    notified_on = serializers.DateField()
    return_amount = serializers.DecimalField(max_digits=18, decimal_places=2,
                                             help_text="应返还金额（回收金额×补偿比例）。")
    notice_deadline = serializers.DateField(allow_null=True)
    return_deadline = serializers.DateField(allow_null=True,
                                            help_text="节假日安排未公布的年度为null。")


# --- Claims with documents, supplements, recoveries and returns ---------------------------------

@extend_schema_field({"type": "string", "format": "binary"})
class UploadField(serializers.FileField):
    """A file sent as a part of ``multipart/form-data`` (binary in the schema)."""


def _document_field(help_text: str, required: bool = True) -> serializers.FileField:
    return UploadField(required=required, help_text=help_text)


_DOC_HELP = ("PDF、PNG 或 JPEG，按文件内容识别类型；不得超过单个文件大小上限；"
             "含JavaScript或自动动作的PDF不予接受。")


class ClaimInSerializer(serializers.Serializer):
    """补偿申报（multipart/form-data）：备案贷款编号、基数和五项材料。"""

    filing_id = serializers.IntegerField(
        help_text="本行已备案贷款的编号（GET /filings/ 中的 id）。")
    base = serializers.DecimalField(max_digits=18, decimal_places=2,
                                    help_text="不良贷款本金余额（基数，元），不超过当前本金余额。")
    application = _document_field(f"补偿申请表。{_DOC_HELP}")
    contract_iou = _document_field(f"借款合同及借据。{_DOC_HELP}")
    credit_report = _document_field(f"显示五级分类的征信报告。{_DOC_HELP}")
    collection = _document_field(f"催收记录。{_DOC_HELP}")
    commitment = _document_field(f"承诺函。{_DOC_HELP}")


class SupplementInSerializer(serializers.Serializer):
    answer = serializers.CharField(max_length=4000, help_text="对补充材料要求的答复说明。")
    documents = serializers.ListField(child=UploadField(), required=False,
                                      help_text=f"补充材料，至多10个文件。{_DOC_HELP}")


class ReturnInSerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=18, decimal_places=2,
                                      help_text="返还金额（元），须等于应返还金额。")
    returned_on = serializers.DateField(help_text="返还日期，不晚于今天、不早于回收日期。")
    reference = serializers.CharField(max_length=60, help_text="返还流水号。")
    reconciliation_statement = UploadField(
        required=False, help_text=f"返还对账单（科技创新类贷款必附）。{_DOC_HELP}")


class ReturnSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    recovery_id = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=18, decimal_places=2)
    returned_on = serializers.DateField()
    reference = serializers.CharField()
    has_reconciliation_statement = serializers.SerializerMethodField()
    received_at = serializers.DateTimeField(allow_null=True,
                                            help_text="托管机构确认到账的时间，未确认为null。")
    created_at = serializers.DateTimeField()

    def get_has_reconciliation_statement(self, obj: Any) -> bool:
        return bool(obj.reconciliation_statement)


class RecoveryListSerializer(RecoverySerializer):
    claim_number = serializers.CharField(source="claim.number")
    scheme = serializers.CharField(source="claim.scheme")
    return_state = serializers.CharField(
        help_text="返还状态：pending 待返还、overdue 逾期未返还、returned 已返还、none 无需返还。")
    is_notice_late = serializers.BooleanField(help_text="通知日期晚于通知截止日。")
    return_payment = serializers.SerializerMethodField()

    @extend_schema_field(ReturnSerializer(allow_null=True))
    def get_return_payment(self, obj: Any) -> dict[str, Any] | None:
        payment = getattr(obj, "return_payment", None) if obj.return_state == "returned" else None
        return ReturnSerializer(payment).data if payment is not None else None
