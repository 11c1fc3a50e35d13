"""The quarter from Excel: templates, upload, preview with every verdict, confirmation in one
transaction, the rejected rows as a workbook to fix and upload again, idempotent re-uploads, and
the classification import. Workbooks are built in memory."""

import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from banks.services import officer_grant
from loans import import_services
from loans.import_selectors import OK, REASONS, VERSION, import_batch_preview
from loans.import_services import import_batch_commit, import_batch_validate
from loans.importing import (
    CLASSIFICATIONS,
    FILINGS,
    REASON_HEADER,
    ImportFileError,
    build_workbook,
    filing_rows,
    read_workbook,
)
from loans.models import ClassificationReport, Enterprise, ImportBatch, LoanFiling, Qualification
from loans.resources import MICRO_CONDUCT_HEADER, TECH_CONDUCT_HEADER
from riskcomp.labels import reason_label

from .conftest import client_for
from .factories import (
    AgreementFactory,
    BankFactory,
    BranchFactory,
    FilingFactory,
    make_credit_code,
)

TODAY = date(2026, 7, 10)  # 2026Q2 loans may be filed until 2026-07-21


@pytest.fixture(autouse=True)
def _today(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path





# --- Building workbooks -------------------------------------------------------------------------

def row(**over: object) -> dict[str, object]:
    """A MICRO loan that is accepted at 40% (first loan), keyed by Chinese header."""
    values: dict[str, object] = {
        "统一社会信用代码": make_credit_code(101), "企业名称": "北京亦庄芯测科技有限公司",
        "主体类型": "企业法人", "企业规模": "小型", "是否在经开区": "是",
        MICRO_CONDUCT_HEADER: "是", TECH_CONDUCT_HEADER: "是", "属于科创支持范围": "否",
        "借据号": "JJ-0001", "合同号": "HT-0001", "贷款品种": "信用贷款",
        "贷款金额": "3000000.00", "币种": "CNY", "放款日期": "2026-05-12",
        "合同到期日": "2027-05-11", "年利率(%)": "3.6", "征信未结清贷款余额": "1000000",
        "征信报告日期": "2026-05-08", "有其他保险担保或补偿": "否", "首笔贷款": "是",
    }
    values.update(over)
    return values


def tech_row(**over: object) -> dict[str, object]:
    """A medium tech enterprise's credit loan: TECH, 50%."""
    return row(**{"统一社会信用代码": make_credit_code(202), "企业名称": "北京亦庄智造有限公司",
                  "企业规模": "中型", "属于科创支持范围": "是", "借据号": "JJ-0002",
                  "合同号": "HT-0002", **over})


def workbook(rows: list[dict[str, object]], layout=FILINGS) -> bytes:  # type: ignore[no-untyped-def]
    raw = [[n, *(r.get(h) for h in layout.headers)] for n, r in enumerate(rows, start=2)]
    return build_workbook(layout, raw)


OLD_CONDUCT_HEADER = "信用合规条件符合"


def old_template_workbook(rows: list[dict[str, object]]) -> bytes:
    """A workbook of the template before the per-scheme attestations: one conduct column."""
    headers = [h for h in FILINGS.headers if h != TECH_CONDUCT_HEADER]
    headers[headers.index(MICRO_CONDUCT_HEADER)] = OLD_CONDUCT_HEADER
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "填报"
    ws.append(headers)
    for r in rows:
        ws.append([r.get(h) for h in headers])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def sheet_rows(content: bytes, sheet: str) -> list[tuple]:  # type: ignore[type-arg]
    wb = openpyxl.load_workbook(io.BytesIO(content))
    return list(wb[sheet].iter_rows(values_only=True))


def preview_of(batch: ImportBatch) -> dict[int, list]:  # type: ignore[type-arg]
    return {e[0]: e for e in import_batch_preview(batch)}


def codes_of(entry: list) -> list[str]:  # type: ignore[type-arg]
    return [r[0] for r in entry[REASONS] if r[0]]


# --- Templates ----------------------------------------------------------------------------------

@pytest.mark.django_db
def test_filing_template_has_chinese_headers_drop_downs_and_instructions(officer_a):
    response = client_for(officer_a).get(reverse("loans:import_template_filings"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert wb.sheetnames[:2] == ["填报", "填写说明"]
    assert wb["选项"].sheet_state == "hidden"
    ws = wb["填报"]
    headers = [c.value for c in ws[1]]
    assert headers == FILINGS.headers
    for expected in ("统一社会信用代码", "企业名称", "主体类型", "企业规模", "是否在经开区",
                     "符合小微政策信用合规条件", "符合科创政策信用合规条件", "属于科创支持范围",
                     "资质1类型", "资质2有效期止", "借据号",
                     "合同号", "经办支行编码", "贷款品种", "贷款金额", "币种", "汇率", "放款日期",
                     "合同到期日", "年利率(%)", "征信未结清贷款余额", "征信报告日期",
                     "有其他保险担保或补偿", "首笔贷款", "追加自然人保证", "政府性融资担保机构",
                     "银行分险比例(%)"):
        assert expected in headers
    lists = {}
    for dv in ws.data_validations.dataValidation:
        column = headers[openpyxl.utils.column_index_from_string(str(dv.sqref)[0]) - 1]
        sheet, cells = dv.formula1.split("!")
        values = [c.value for r in wb[sheet.strip("'")][cells.replace("$", "")] for c in r]
        lists[column] = values
        assert dv.type == "list" and str(dv.sqref).endswith("100001")
    assert lists["主体类型"] == ["企业法人", "个体工商户"]
    assert lists["企业规模"] == ["中型", "小型", "微型"]
    assert lists["是否在经开区"] == ["是", "否"]
    assert lists[MICRO_CONDUCT_HEADER] == lists[TECH_CONDUCT_HEADER] == ["是", "否"]
    assert "信用合规条件符合" not in headers  # one attestation per scheme now
    assert lists["贷款品种"] == ["信用贷款", "知识产权质押贷款", "应收账款质押贷款", "银担分险贷款"]
    assert "国家高新技术企业" in lists["资质1类型"] and len(lists["资质2类型"]) == 5
    text = "\n".join(str(v) for r in wb["填写说明"].iter_rows(values_only=True) for v in r if v)
    for header in FILINGS.headers:
        assert header in text
    for code in ("BAD_CREDIT_CODE", "DUPLICATE", "NO_AGREEMENT", "FILING_LATE", "RATE_CAP"):
        assert code in text
    assert "公式" in text and "北京亦庄示例科技有限公司" in text  # rules and the example row


@pytest.mark.django_db
def test_classification_template_has_tier_drop_down(officer_a):
    response = client_for(officer_a).get(reverse("loans:import_template_classifications"))
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    ws = wb["五级分类"]
    assert [c.value for c in ws[1]] == ["借据号", "五级分类", "分类日期", "备注"]
    (dv,) = ws.data_validations.dataValidation
    sheet, cells = dv.formula1.split("!")
    assert [c.value for r in wb[sheet.strip("'")][cells.replace("$", "")] for c in r] == [
        "正常", "关注", "次级", "可疑", "损失"]
    assert "填写说明" in wb.sheetnames


# --- Happy path ---------------------------------------------------------------------------------

@pytest.mark.django_db
def test_upload_preview_confirm_files_the_accepted_rows(both_schemes, officer_a, upload,
                                                        confirm):
    client = client_for(officer_a)
    content = workbook([
        row(**{"资质1类型": "国家高新技术企业", "资质1证书编号": "GR2025001",
               "资质1有效期起": "2025-01-01", "资质1有效期止": "2027-12-31"}),
        tech_row(),
        row(**{"统一社会信用代码": make_credit_code(303), "企业名称": "北京亦庄小店",
               "主体类型": "个体工商户", "企业规模": "微型", "借据号": "JJ-0003",
               "合同号": "HT-0003", "首笔贷款": "否", "贷款金额": "500,000"}),
    ])
    response = upload(client, content)
    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("loans:import_detail", args=[batch.pk])
    assert batch.status == ImportBatch.Status.VALIDATED
    assert (batch.total_rows, batch.accepted_rows, batch.rejected_rows) == (3, 3, 0)
    assert batch.sha256 and batch.original_name == "2026Q2.xlsx" and batch.kind == "filings"
    assert LoanFiling.objects.count() == 0 and Enterprise.objects.count() == 0  # preview only

    page = client.get(reverse("loans:import_detail", args=[batch.pk])).content.decode()
    assert "JJ-0001" in page and "JJ-0002" in page and "JJ-0003" in page
    assert ">小微</span>" in page and ">科创</span>" in page and "MICRO" not in page
    assert "40%" in page and "50%" in page and "30%" in page
    assert "确认提交 3 行" in page and "data-confirm" in page

    confirm(client, batch)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.COMMITTED and batch.accepted_rows == 3
    assert batch.finished_at is not None
    filings = {f.iou_number: f for f in LoanFiling.objects.all()}
    assert set(filings) == {"JJ-0001", "JJ-0002", "JJ-0003"}
    assert (filings["JJ-0001"].scheme, filings["JJ-0001"].ratio) == ("MICRO", Decimal("0.4000"))
    assert (filings["JJ-0002"].scheme, filings["JJ-0002"].ratio) == ("TECH", Decimal("0.5000"))
    assert (filings["JJ-0003"].scheme, filings["JJ-0003"].ratio) == ("MICRO", Decimal("0.3000"))
    assert filings["JJ-0003"].amount == Decimal("500000.00")
    assert all(f.import_batch_id == batch.pk and f.filed_by == officer_a and f.filed_on == TODAY
               for f in filings.values())
    assert filings["JJ-0001"].snapshot["enterprise"]["qualified"] is True
    assert filings["JJ-0002"].snapshot["scheme"] == "TECH"
    assert Enterprise.objects.count() == 3
    assert Qualification.objects.get().certificate_no == "GR2025001"
    assert "已提交" in client.get(reverse("loans:import_detail", args=[batch.pk])).content.decode()


@pytest.mark.django_db
def test_excel_typed_cells_read_like_text(both_schemes, officer_a, upload):
    """Date cells, numbers stored as binary doubles (3.6 → 3.6000000000000001), booleans."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "填报"
    ws.append(FILINGS.headers)
    values = row(**{"贷款金额": 3000000, "年利率(%)": 3.6000000000000001,
                    "征信未结清贷款余额": 1000000.0, "放款日期": date(2026, 5, 12),
                    "合同到期日": date(2027, 5, 11), "征信报告日期": date(2026, 5, 8),
                    "首笔贷款": True})
    ws.append([values.get(h) for h in FILINGS.headers])
    buffer = io.BytesIO()
    wb.save(buffer)
    upload(client_for(officer_a), buffer.getvalue())
    entry = preview_of(ImportBatch.objects.get())[2]
    assert entry[OK] == 1 and entry[5] == "0.4000"


# --- Every rejection code -----------------------------------------------------------------------

def wrong_check_character(code: str) -> str:
    return code[:17] + ("1" if code[17] == "0" else "0")


CASES = [
    ("BAD_CREDIT_CODE", {"统一社会信用代码": wrong_check_character(make_credit_code(101))}),
    ("NOT_IN_BDA", {"是否在经开区": "否"}),
    ("BORROWER_KIND", {"主体类型": "个体工商户", "企业规模": "中型", "属于科创支持范围": "是"}),
    ("BORROWER_SIZE", {"企业规模": "中型"}),
    ("CONDUCT", {MICRO_CONDUCT_HEADER: "否"}),
    ("TECH_SCOPE", {"企业规模": "中型", "属于科创支持范围": "否"}),
    ("LOAN_TYPE", {"贷款品种": "银担分险贷款", "银行分险比例(%)": "30"}),
    ("OTHER_COVER", {"有其他保险担保或补偿": "是"}),
    ("RISK_SHARE", {"企业规模": "中型", "属于科创支持范围": "是", "贷款品种": "银担分险贷款",
                    "银行分险比例(%)": "10", "政府性融资担保机构": "北京市融资担保有限公司"}),
    ("AMOUNT_CAP", {"贷款金额": "10000000.01", "征信未结清贷款余额": "0"}),
    ("OUTSTANDING_CAP", {"征信未结清贷款余额": "40000000"}),
    ("CREDIT_REPORT_DATE", {"征信报告日期": "2026-06-30"}),
    ("RATE_CAP", {"年利率(%)": "4.51"}),
    ("FILING_LATE", {"放款日期": "2026-03-20", "征信报告日期": "2026-03-18",
                     "合同到期日": "2027-03-19"}),
    ("OUTSIDE_VALIDITY", {"放款日期": "2025-06-01", "征信报告日期": "2025-05-28",
                          "合同到期日": "2026-06-01"}),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("code", "over"), CASES, ids=[c for c, _o in CASES])
def test_every_rejection_code_in_preview_and_rejected_workbook(both_schemes, officer_a, upload,
                                                               code, over):
    client = client_for(officer_a)
    upload(client, workbook([row(**over), tech_row()]))
    batch = ImportBatch.objects.get()
    entries = preview_of(batch)
    assert entries[2][OK] == 0 and code in codes_of(entries[2]), entries[2]
    assert entries[3][OK] == 1  # the good row beside it is still accepted
    page = client.get(reverse("loans:import_detail", args=[batch.pk]),
                      {"verdict": "rejected"}).content.decode()
    assert reason_label(code) in page and code not in page and "JJ-0002" not in page
    _assert_in_rejected_workbook(client, batch, {"JJ-0001": code})


@pytest.mark.django_db
def test_preview_shows_the_policy_version_that_judged_each_accepted_row(
        both_schemes, officer_a, upload, confirm):
    client = client_for(officer_a)
    upload(client, workbook([row(**{"年利率(%)": "4.51"}), tech_row()]))
    batch = ImportBatch.objects.get()
    entries = preview_of(batch)
    assert entries[2][OK] == 0 and entries[2][VERSION] == ""  # refused: no version judged it
    version = entries[3][VERSION]
    assert entries[3][OK] == 1 and version
    page = client.get(reverse("loans:import_detail", args=[batch.pk])).content.decode()
    assert "政策文号" in page and version in page
    confirm(client, batch)
    assert LoanFiling.objects.get().policy_version == version  # the same one the filing records


def _assert_in_rejected_workbook(client, batch, expected: dict[str, str]) -> list[tuple]:  # type: ignore[no-untyped-def, type-arg]
    response = client.get(reverse("loans:import_rejected", args=[batch.pk]))
    assert response.status_code == 200
    rows = sheet_rows(b"".join(response.streaming_content), batch_layout(batch).sheet)
    header, data = rows[0], rows[1:]
    assert list(header[:-2]) == batch_layout(batch).headers and header[-2] == REASON_HEADER
    iou = header.index("借据号")
    found = {r[iou]: r[-2] for r in data}
    assert set(found) == set(expected)
    for key, code in expected.items():
        assert code in found[key], found[key]
    return rows


def batch_layout(batch: ImportBatch):  # type: ignore[no-untyped-def]
    return CLASSIFICATIONS if batch.kind == "classifications" else FILINGS


@pytest.mark.django_db
def test_no_agreement_rejects_every_row(bank_a, officer_a, upload):
    client = client_for(officer_a)
    upload(client, workbook([row()]))
    batch = ImportBatch.objects.get()
    assert "NO_AGREEMENT" in codes_of(preview_of(batch)[2])
    assert batch.accepted_rows == 0
    page = client.get(reverse("loans:import_detail", args=[batch.pk])).content.decode()
    assert "确认提交" not in page
    _assert_in_rejected_workbook(client, batch, {"JJ-0001": "NO_AGREEMENT"})


@pytest.mark.django_db
def test_duplicate_in_the_database_and_within_the_file(both_schemes, officer_a, upload):
    FilingFactory(bank=both_schemes, filed_by=officer_a, iou_number="JJ-0009")
    client = client_for(officer_a)
    upload(client, workbook([row(), row(**{"借据号": "JJ-0009"}), tech_row(),
                             tech_row(**{"合同号": "HT-0099"})]))
    batch = ImportBatch.objects.get()
    entries = preview_of(batch)
    assert [entries[n][OK] for n in (2, 3, 4, 5)] == [1, 0, 1, 0]
    assert codes_of(entries[3]) == ["DUPLICATE"] and "JJ-0009" in entries[3][REASONS][0][1]
    assert codes_of(entries[5]) == ["DUPLICATE"]  # the second JJ-0002 of the same file
    rows = _assert_in_rejected_workbook(client, batch, {"JJ-0009": "DUPLICATE",
                                                        "JJ-0002": "DUPLICATE"})
    assert len(rows) == 3


@pytest.mark.django_db
def test_field_errors_name_row_and_column_without_code(both_schemes, officer_a, upload):
    client = client_for(officer_a)
    upload(client, workbook([
        row(**{"放款日期": "2026-13-01", "贷款金额": "三百万", "企业规模": "特大型"}),
        row(**{"借据号": None, "合同到期日": "2026-01-01", "年利率(%)": "3.12345"}),
        row(**{"借据号": "JJ-0003", "资质1类型": "国家高新技术企业"}),
        row(**{"借据号": "JJ-0004", "经办支行编码": "NOPE", "币种": "US"}),
        tech_row(),
    ]))
    batch = ImportBatch.objects.get()
    entries = preview_of(batch)
    messages = {n: " ".join(r[1] for r in entries[n][REASONS]) for n in (2, 3, 4, 5)}
    assert "第2行“放款日期”" in messages[2] and "不是有效日期" in messages[2]
    assert "第2行“贷款金额”" in messages[2] and "“三百万”不是有效数字" in messages[2]
    assert "第2行“企业规模”" in messages[2] and "下拉列表" in messages[2]
    assert "第3行“借据号”：必填" in messages[3]
    assert "第3行“年利率(%)”：最多保留4位小数" in messages[3]
    assert "第4行“资质1证书编号”：选择资质类型后必填" in messages[4]
    assert "经办支行编码" in messages[5] and "NOPE" in messages[5] and "币种" in messages[5]
    assert all(codes_of(entries[n]) == [] and entries[n][OK] == 0 for n in (2, 3, 4, 5))
    assert entries[6][OK] == 1
    assert (batch.accepted_rows, batch.rejected_rows) == (1, 4)


@pytest.mark.django_db
def test_maturity_before_drawdown_is_a_field_error(both_schemes, officer_a, upload):
    upload(client_for(officer_a), workbook([row(**{"合同到期日": "2026-05-11"})]))
    (entry,) = preview_of(ImportBatch.objects.get()).values()
    assert "第2行“合同到期日”：不能早于放款日期" in entry[REASONS][0][1]


@pytest.mark.django_db
def test_rejected_rows_fixed_and_uploaded_again_are_filed(both_schemes, officer_a, upload,
                                                         confirm):
    client = client_for(officer_a)
    upload(client, workbook([row(**{"年利率(%)": "4.51"}), tech_row()]))
    first = ImportBatch.objects.get()
    confirm(client, first)
    assert set(LoanFiling.objects.values_list("iou_number", flat=True)) == {"JJ-0002"}
    rejected = client.get(reverse("loans:import_rejected", args=[first.pk]))
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(rejected.streaming_content)))
    ws = wb["填报"]
    headers = [c.value for c in ws[1]]
    assert ws.cell(row=2, column=headers.index("放款日期") + 1).value.date() == date(2026, 5, 12)
    ws.cell(row=2, column=headers.index("年利率(%)") + 1).value = 3.6  # the fix
    buffer = io.BytesIO()
    wb.save(buffer)
    upload(client, buffer.getvalue(), name="2026Q2-退回行.xlsx")  # 退回原因 is ignored
    second = ImportBatch.objects.latest("pk")
    assert second.accepted_rows == 1 and second.rejected_rows == 0
    confirm(client, second)
    assert LoanFiling.objects.count() == 2


# --- Idempotency --------------------------------------------------------------------------------

@pytest.mark.django_db
def test_same_file_uploaded_again_files_nothing_twice(both_schemes, officer_a, upload, confirm):
    client = client_for(officer_a)
    content = workbook([row(), tech_row()])
    upload(client, content)
    first = ImportBatch.objects.get()
    confirm(client, first)
    assert LoanFiling.objects.count() == 2

    response = upload(client, content)
    second = ImportBatch.objects.latest("pk")
    page = client.get(response["Location"]).content.decode()
    assert second.sha256 == first.sha256
    assert f"批次 #{first.pk} 内容完全相同" in page
    assert all(codes_of(e) == ["DUPLICATE"] for e in import_batch_preview(second))
    assert second.accepted_rows == 0
    confirm(client, second)  # nothing to commit
    second.refresh_from_db()
    assert second.status == ImportBatch.Status.VALIDATED
    assert LoanFiling.objects.count() == 2 and Enterprise.objects.count() == 2


@pytest.mark.django_db
def test_two_uploads_confirmed_after_both_validated_file_once(both_schemes, officer_a, upload,
                                                              confirm):
    client = client_for(officer_a)
    content = workbook([row(), tech_row()])
    upload(client, content)
    upload(client, content)
    first, second = ImportBatch.objects.order_by("pk")
    assert first.accepted_rows == second.accepted_rows == 2
    confirm(client, first)
    confirm(client, second)  # judged again at commit: DUPLICATE
    second.refresh_from_db()
    assert second.status == ImportBatch.Status.COMMITTED and second.accepted_rows == 0
    assert all(codes_of(e) == ["DUPLICATE"] for e in import_batch_preview(second))
    assert LoanFiling.objects.count() == 2
    assert set(LoanFiling.objects.values_list("import_batch", flat=True)) == {first.pk}
    _assert_in_rejected_workbook(client, second, {"JJ-0001": "DUPLICATE",
                                                  "JJ-0002": "DUPLICATE"})


@pytest.mark.django_db
def test_double_confirm_and_redelivered_tasks_do_the_work_once(both_schemes, officer_a, upload,
                                                               confirm):
    client = client_for(officer_a)
    upload(client, workbook([row(), tech_row()]))
    batch = ImportBatch.objects.get()
    import_batch_validate(batch.pk)  # a second delivery of the validation task
    confirm(client, batch)
    response = confirm(client, batch)  # a double submit
    assert response.status_code == 302
    import_batch_commit(batch.pk, officer_a.pk)  # a second delivery of the commit task
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.COMMITTED
    assert LoanFiling.objects.count() == 2


@pytest.mark.django_db
def test_reviewer_sees_history_but_cannot_confirm(both_schemes, officer_a, reviewer, upload):
    upload(client_for(officer_a), workbook([row()]))
    batch = ImportBatch.objects.get()
    client = client_for(reviewer)
    assert "2026Q2.xlsx" in client.get(reverse("loans:import_list")).content.decode()
    page = client.get(reverse("loans:import_detail", args=[batch.pk])).content.decode()
    assert "确认提交" not in page
    assert client.post(reverse("loans:import_confirm", args=[batch.pk])).status_code == 403
    assert LoanFiling.objects.count() == 0


# --- Screens ------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_preview_is_paginated_filtered_and_searchable(both_schemes, officer_a, upload):
    rows = [row(**{"借据号": f"JJ-{n:04d}", "合同号": f"HT-{n:04d}", "贷款金额": "100000",
                   "统一社会信用代码": make_credit_code(1000 + n)}) for n in range(60)]
    rows[7]["年利率(%)"] = "9"
    client = client_for(officer_a)
    upload(client, workbook(rows))
    batch = ImportBatch.objects.get()
    url = reverse("loans:import_detail", args=[batch.pk])
    first = client.get(url).content.decode()
    assert "第 1 / 2 页" in first and "JJ-0000" in first and "JJ-0055" not in first
    assert "JJ-0055" in client.get(url, {"page": 2}).content.decode()
    rejected = client.get(url, {"verdict": "rejected"}).content.decode()
    assert "JJ-0007" in rejected and "JJ-0008" not in rejected
    assert reason_label("RATE_CAP") in rejected
    found = client.get(url, {"q": "jj-0042"}).content.decode()
    assert "JJ-0042" in found and "JJ-0041" not in found


@pytest.mark.django_db
def test_history_lists_the_banks_batches(both_schemes, officer_a, officer_b, upload):
    upload(client_for(officer_a), workbook([row()]), name="甲行二季度.xlsx")
    upload(client_for(officer_b), workbook([row()]), name="乙行二季度.xlsx")
    page = client_for(officer_a).get(reverse("loans:import_list")).content.decode()
    assert "甲行二季度.xlsx" in page and "乙行二季度.xlsx" not in page
    assert "共 1 条" in page
    found = client_for(officer_a).get(reverse("loans:import_list"), {"q": "乙行"})
    assert "共 0 条" in found.content.decode()


@pytest.mark.django_db
def test_progress_polls_while_running_and_refreshes_when_done(both_schemes, officer_a, upload):
    upload(client_for(officer_a), workbook([row()]))
    batch = ImportBatch.objects.get()
    client = client_for(officer_a)
    url = reverse("loans:import_progress", args=[batch.pk])
    done = client.get(url, HTTP_HX_REQUEST="true")
    assert done.status_code == 200 and done["HX-Refresh"] == "true"
    ImportBatch.objects.filter(pk=batch.pk).update(status="validating", progress=40)
    running = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in running and 'value="40"' in running
    page = client.get(reverse("loans:import_detail", args=[batch.pk])).content.decode()
    assert 'hx-get="' + url in page and "<script" not in page.split("</head>")[1]


@pytest.mark.django_db
def test_progress_is_written_after_every_chunk_of_validation_and_of_commit(
        both_schemes, officer_a, upload, confirm, monkeypatch):
    from loans import importing

    monkeypatch.setattr(importing, "CHUNK_ROWS", 2)
    seen: list[tuple[str, int]] = []
    real = import_services._Progress.__call__

    def spy(self, percent):  # type: ignore[no-untyped-def]
        real(self, percent)
        status, stored = ImportBatch.objects.values_list("status", "progress").get(
            pk=self.batch_id)
        # On PostgreSQL the commit's progress goes through a connection of its own, which does
        # not see this test's uncommitted batch (the worker test reads it from outside).
        seen.append((status, stored if self.side is None else min(percent, 99)))

    monkeypatch.setattr(import_services._Progress, "__call__", spy)
    rows = [row(**{"借据号": f"JJ-{n:04d}", "合同号": f"HT-{n:04d}", "贷款金额": "100000",
                   "统一社会信用代码": make_credit_code(1200 + n)}) for n in range(5)]
    client = client_for(officer_a)
    upload(client, workbook(rows))
    batch = ImportBatch.objects.get()
    assert batch.chunks.count() == 3 and batch.accepted_rows == 5
    assert seen == [("validating", 35), ("validating", 65), ("validating", 95)]
    seen.clear()
    confirm(client, batch)
    assert seen == [("committing", 33), ("committing", 66), ("committing", 99)]
    batch.refresh_from_db()
    assert (batch.status, batch.progress, batch.accepted_rows) == ("committed", 100, 5)
    assert LoanFiling.objects.count() == 5


@pytest.mark.django_db
def test_the_progress_shows_the_commit_advancing(both_schemes, officer_a, upload):
    upload(client_for(officer_a), workbook([row()]))
    batch = ImportBatch.objects.get()
    ImportBatch.objects.filter(pk=batch.pk).update(status="committing", progress=40)
    page = client_for(officer_a).get(reverse("loans:import_progress", args=[batch.pk]),
                                     HTTP_HX_REQUEST="true").content.decode()
    assert "正在提交" in page and 'value="40"' in page and "40%" in page


@pytest.mark.django_db
def test_officer_of_several_banks_chooses_the_bank(both_schemes, officer_a, upload):
    other = BankFactory()
    AgreementFactory(bank=other, scheme="MICRO")
    officer_grant(user=officer_a, bank=other)
    client = client_for(officer_a)
    page = client.get(reverse("loans:import_upload")).content.decode()
    assert 'name="bank"' in page
    upload(client, workbook([row()]), bank=other.pk)
    assert ImportBatch.objects.get().bank == other


@pytest.mark.django_db
def test_branch_code_and_foreign_currency(both_schemes, officer_a, upload, confirm):
    branch = BranchFactory(bank=both_schemes, code="BR-01")
    client = client_for(officer_a)
    upload(client, workbook([row(**{"经办支行编码": "BR-01", "币种": "usd", "汇率": "7.1",
                                    "贷款金额": "100000"})]))
    confirm(client, ImportBatch.objects.get())
    filing = LoanFiling.objects.get()
    assert filing.branch == branch and filing.currency == "USD"
    assert filing.amount_cny == Decimal("710000.00")


# --- Pieces -------------------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("size", [1, 2, 3])
def test_judging_in_chunks_with_the_earlier_rows_gives_the_verdicts_of_one_call(both_schemes,
                                                                               size):
    """Rows linked by IOU (DUPLICATE within the file) or by enterprise (the amount cap counts the
    earlier accepted loans) in different chunks are judged as in one call."""
    from fund.selectors import policy_context
    from loans.services import EarlierRows, evaluate_filings

    parsed = filing_rows([[n, *(r.get(h) for h in FILINGS.headers)] for n, r in enumerate([
        row(**{"借据号": "A1", "贷款金额": "4000000", "首笔贷款": "否"}),
        row(**{"借据号": "B1", "统一社会信用代码": make_credit_code(7)}),
        row(**{"借据号": "A2", "贷款金额": "4000000", "首笔贷款": "否"}),
        row(**{"借据号": "C1", "统一社会信用代码": make_credit_code(8), "是否在经开区": "否"}),
        row(**{"借据号": "B1", "统一社会信用代码": make_credit_code(9)}),
        row(**{"借据号": "A3", "贷款金额": "4000000", "首笔贷款": "否"}),
        row(**{"借据号": "C1", "统一社会信用代码": make_credit_code(8)}),
    ], start=2)], branches={})
    requests = [p.request for p in parsed]
    ctx = policy_context()

    def verdicts(evaluations):  # type: ignore[no-untyped-def]
        return [(ev.accepted, ev.codes, ev.bank_outstanding) for ev in evaluations]

    at_once = evaluate_filings(bank=both_schemes, requests=requests, filing_date=TODAY, ctx=ctx)
    earlier = EarlierRows()
    chunked = [ev for start in range(0, len(requests), size)
               for ev in evaluate_filings(bank=both_schemes, requests=requests[start:start + size],
                                          filing_date=TODAY, ctx=ctx, earlier=earlier)]
    assert verdicts(chunked) == verdicts(at_once)
    expected = [None, None, None, "NOT_IN_BDA", "DUPLICATE", "AMOUNT_CAP", "DUPLICATE"]
    for ev, code in zip(at_once, expected, strict=True):
        assert ev.accepted if code is None else code in ev.codes


@pytest.mark.django_db
def test_chunked_validation_judges_like_one_call(both_schemes, officer_a, monkeypatch, upload):
    """The amount cap counts earlier rows of the same enterprise even across chunks."""
    monkeypatch.setattr("loans.import_services.EVALUATION_BATCH", 2)
    calls = []
    real = import_services.evaluate_filings
    monkeypatch.setattr(import_services, "evaluate_filings",
                        lambda **kw: calls.append(len(kw["requests"])) or real(**kw))
    rows = [row(**{"借据号": f"JJ-{n}", "贷款金额": "4000000", "首笔贷款": "否"})
            for n in range(3)]
    rows.insert(1, tech_row())
    rows.insert(2, tech_row(**{"借据号": "JJ-9", "统一社会信用代码": make_credit_code(909)}))
    upload(client_for(officer_a), workbook(rows))
    entries = preview_of(ImportBatch.objects.get())
    assert [entries[n][OK] for n in range(2, 7)] == [1, 1, 1, 1, 0]
    assert "AMOUNT_CAP" in codes_of(entries[6])  # 4m + 4m + 4m > 10m, rows 2, 5 and 6
    assert calls == [2, 2, 1]  # in file order, each chunk with the rows judged before it


def test_reading_the_template_round_trips_raw_values():
    content = workbook([row(), tech_row()])
    parsed = read_workbook(content, FILINGS)
    assert [r[0] for r in parsed.rows] == [2, 3]
    values = dict(zip(FILINGS.headers, parsed.rows[0][1:], strict=True))
    assert values["放款日期"] == "2026-05-12" and values["贷款金额"] == "3000000"
    assert values["主体类型"] == "企业法人" and values["汇率"] is None


# --- Classifications ----------------------------------------------------------------------------

@pytest.mark.django_db
def test_classification_import_keeps_history_and_refuses_bad_rows(bank_a, bank_b, officer_a,
                                                                   upload, confirm):
    mine = FilingFactory(bank=bank_a, filed_by=officer_a, iou_number="JJ-C1",
                         drawdown_date=date(2026, 4, 15))
    closed = FilingFactory(bank=bank_a, filed_by=officer_a, iou_number="JJ-C2", status="closed")
    FilingFactory(bank=bank_b, iou_number="JJ-B1")
    ClassificationReport.objects.create(filing=mine, classification="normal",
                                        classified_on=date(2026, 6, 30), reported_by=officer_a)
    rows = [
        {"借据号": "JJ-C1", "五级分类": "关注", "分类日期": "2026-06-30", "备注": "逾期30天"},
        {"借据号": "JJ-C1", "五级分类": "正常", "分类日期": "2026-06-30"},  # recorded already
        {"借据号": "JJ-B1", "五级分类": "次级", "分类日期": "2026-06-30"},  # another bank's
        {"借据号": "JJ-C1", "五级分类": "坏账", "分类日期": "2026-06-30"},
        {"借据号": "JJ-C1", "五级分类": "次级", "分类日期": "2026-04-01"},  # before drawdown
        {"借据号": "JJ-C1", "五级分类": "次级", "分类日期": "2026-07-11"},  # after today
        {"借据号": "JJ-C2", "五级分类": "损失", "分类日期": "2026-06-30"},
        {"借据号": "JJ-C1", "五级分类": "次级", "分类日期": "2026/7/9"},
    ]
    client = client_for(officer_a)
    upload(client, workbook(rows, CLASSIFICATIONS), kind="classifications")
    batch = ImportBatch.objects.get()
    assert batch.kind == "classifications" and batch.status == ImportBatch.Status.VALIDATED
    entries = preview_of(batch)
    assert [entries[n][OK] for n in range(2, 10)] == [1, 0, 0, 0, 0, 0, 0, 1]
    text = {n: " ".join(r[1] for r in entries[n][REASONS]) for n in range(2, 10)}
    assert codes_of(entries[3]) == ["DUPLICATE"]
    assert "本行没有借据号为“JJ-B1”" in text[4]
    assert "“坏账”不是可选值" in text[5]
    assert "早于放款日期" in text[6] and "晚于今天" in text[7] and "已核销" in text[8]
    page = client.get(reverse("loans:import_detail", args=[batch.pk])).content.decode()
    assert "关注" in page and "本行没有借据号" in page
    confirm(client, batch)
    history = list(ClassificationReport.objects.filter(filing=mine).order_by("classified_on", "pk")
                   .values_list("classification", "classified_on", "note", "reported_by"))
    assert history == [("normal", date(2026, 6, 30), "", officer_a.pk),
                       ("special_mention", date(2026, 6, 30), "逾期30天", officer_a.pk),
                       ("substandard", date(2026, 7, 9), "", officer_a.pk)]
    assert not closed.classifications.exists()
    _assert_in_rejected_workbook(client, batch, {"JJ-C1": "", "JJ-B1": "", "JJ-C2": ""})

    upload(client, workbook(rows, CLASSIFICATIONS), kind="classifications")  # the same again
    again = ImportBatch.objects.latest("pk")
    assert again.accepted_rows == 0
    assert codes_of(preview_of(again)[2]) == ["DUPLICATE"]
    assert ClassificationReport.objects.count() == 3


@pytest.mark.django_db
def test_an_internal_error_fails_the_batch_and_writes_nothing(both_schemes, officer_a, upload,
                                                              confirm, monkeypatch):
    def broken(**kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    monkeypatch.setattr(import_services, "evaluate_filings", broken)
    client = client_for(officer_a)
    upload(client, workbook([row()]))
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.FAILED and "内部错误" in batch.message
    page = client.get(reverse("loans:import_detail", args=[batch.pk])).content.decode()
    assert "内部错误" in page and "确认提交" not in page
    assert LoanFiling.objects.count() == 0 and Enterprise.objects.count() == 0


@pytest.mark.django_db
def test_a_lost_race_at_commit_writes_nothing_and_asks_to_confirm_again(
        both_schemes, officer_a, upload, confirm, monkeypatch):
    from riskcomp.policy.reasons import Refusal, reason
    from riskcomp.policy.types import ReasonCode

    client = client_for(officer_a)
    upload(client, workbook([row(), tech_row()]))
    batch = ImportBatch.objects.get()

    def race(**kwargs):  # type: ignore[no-untyped-def]
        raise Refusal([reason(ReasonCode.DUPLICATE)])

    real = import_services.filings_commit
    monkeypatch.setattr(import_services, "filings_commit", race)
    confirm(client, batch)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.VALIDATED and "再次确认" in batch.message
    assert LoanFiling.objects.count() == 0
    monkeypatch.setattr(import_services, "filings_commit", real)
    confirm(client, batch)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.COMMITTED and LoanFiling.objects.count() == 2


@pytest.mark.django_db
def test_another_constraint_violated_at_commit_writes_nothing_and_claims_no_duplicate(
        both_schemes, officer_a, upload, confirm, monkeypatch, caplog):
    from loans import services as loan_services

    client = client_for(officer_a)
    upload(client, workbook([row(), tech_row()]))
    batch = ImportBatch.objects.get()
    real = loan_services._filing_row

    def out_of_range(*args, **kwargs):  # type: ignore[no-untyped-def]
        filing = real(*args, **kwargs)
        filing.ratio = Decimal("1.5")  # breaks filing_ratio_in_range, a check of the database
        return filing

    monkeypatch.setattr(loan_services, "_filing_row", out_of_range)
    with caplog.at_level("ERROR", logger="loans.services"):
        confirm(client, batch)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.VALIDATED  # nothing written; may be confirmed again
    assert "数据完整性错误" in batch.message and "并非重复备案" in batch.message
    assert "DUPLICATE" not in batch.message
    assert LoanFiling.objects.count() == 0 and Enterprise.objects.count() == 0
    assert any("filing_ratio_in_range" in r.getMessage() for r in caplog.records
               if r.name == "loans.services")
    page = client.get(reverse("loans:import_detail", args=[batch.pk])).content.decode()
    assert "数据完整性错误" in page
    monkeypatch.setattr(loan_services, "_filing_row", real)
    confirm(client, batch)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.COMMITTED and LoanFiling.objects.count() == 2


@pytest.mark.django_db
def test_a_large_import_files_every_row_as_a_small_one_would(both_schemes, officer_a, upload,
                                                             confirm, monkeypatch):
    """From ``COPY_FROM_ROWS`` rows on PostgreSQL the filings go in through COPY: the rows read
    back must be exactly what the ORM's INSERT would have written (ids, Decimals, JSON, times)."""
    from loans import services as loan_services

    monkeypatch.setattr(loan_services, "COPY_FROM_ROWS", 5)
    client = client_for(officer_a)
    rows = [row(**{"借据号": f"JJ-{n:04d}", "合同号": f"HT-{n:04d}", "首笔贷款": "否",
                   "贷款金额": f"{100000 + n}.{n % 100:02d}",
                   "统一社会信用代码": make_credit_code(700 + n % 6),
                   "企业名称": f"北京亦庄批量{n % 6}号有限公司"}) for n in range(1, 13)]
    upload(client, workbook(rows))
    batch = ImportBatch.objects.get()
    confirm(client, batch)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.COMMITTED and batch.accepted_rows == 12
    filings = {f.iou_number: f for f in LoanFiling.objects.all()}
    assert len(filings) == 12 and len({f.pk for f in filings.values()}) == 12
    first = filings["JJ-0001"]
    assert first.amount == Decimal("100001.01") and first.ratio == Decimal("0.3000")
    assert first.snapshot["scheme"] == "MICRO" and first.created_at is not None
    assert first.import_batch_id == batch.pk and first.filed_by == officer_a
    # Six new enterprises (also through COPY), each with its id on its filings.
    assert Enterprise.objects.count() == 6
    assert {f.enterprise.credit_code for f in filings.values()} == {
        make_credit_code(700 + k) for k in range(6)}
    # A second upload of the same rows files nothing twice.
    upload(client, workbook(rows), name="again.xlsx")
    again = ImportBatch.objects.exclude(pk=batch.pk).get()
    assert again.accepted_rows == 0 and LoanFiling.objects.count() == 12


@pytest.mark.django_db
def test_the_batch_page_links_to_the_loans_it_filed(both_schemes, bank_b, officer_a, officer_b,
                                                    upload, confirm):
    client = client_for(officer_a)
    FilingFactory(bank=both_schemes, iou_number="JJ-FORM-1", filed_by=officer_a)
    upload(client, workbook([row(), tech_row()]))
    batch = ImportBatch.objects.get()
    confirm(client, batch)
    page = client.get(reverse("loans:import_detail", args=[batch.pk])).content.decode()
    url = f"{reverse('loans:filing_list')}?batch={batch.pk}"
    assert url in page and "查看本批备案（2 笔）" in page
    listed = client.get(url).content.decode()
    assert "JJ-0001" in listed and "JJ-0002" in listed and "JJ-FORM-1" not in listed
    assert f"导入批次 #{batch.pk}" in listed and f'name="batch" value="{batch.pk}"' in listed
    # Another bank's officer who tries the address sees their own list, nothing of bank A.
    other = client_for(officer_b).get(url).content.decode()
    assert "JJ-0001" not in other and f"导入批次 #{batch.pk}" not in other


# --- Each scheme's own conduct attestation (MICRO Art. 5(2); TECH Art. 2, 6(2)) ---------------

def tech_fit_row(**over: object) -> dict[str, object]:
    """A small tech enterprise: both schemes could take its loan (TECH first, 50 %)."""
    return row(**{"属于科创支持范围": "是", **over})


@pytest.mark.django_db
def test_each_scheme_is_judged_on_its_own_conduct_column(both_schemes, officer_a, upload,
                                                          confirm):
    client = client_for(officer_a)
    upload(client, workbook([
        # On the abnormal-operations list, no penalty: MICRO takes it (first loan, 40 %).
        tech_fit_row(**{TECH_CONDUCT_HEADER: "否"}),
        # A major administrative penalty, on no TECH list: TECH takes it (50 %).
        tech_fit_row(**{MICRO_CONDUCT_HEADER: "否", "统一社会信用代码": make_credit_code(303),
                        "借据号": "JJ-0003", "合同号": "HT-0003"}),
        # Neither: refused, CONDUCT cited for each scheme.
        tech_fit_row(**{MICRO_CONDUCT_HEADER: "否", TECH_CONDUCT_HEADER: "否",
                        "统一社会信用代码": make_credit_code(304), "借据号": "JJ-0004",
                        "合同号": "HT-0004"}),
    ]))
    batch = ImportBatch.objects.get()
    entries = preview_of(batch)
    assert entries[2][OK] == 1 and entries[3][OK] == 1 and entries[4][OK] == 0
    messages = " ".join(reason[1] for reason in entries[4][REASONS])
    assert codes_of(entries[4]) == ["CONDUCT", "CONDUCT"]
    assert "京技管发〔2025〕13号第二条、第六条" in messages
    assert "京技管发〔2025〕12号第五条" in messages
    confirm(client, batch)
    filings = {f.iou_number: f for f in LoanFiling.objects.select_related("enterprise")}
    assert filings["JJ-0001"].scheme == "MICRO" and filings["JJ-0001"].ratio == Decimal("0.4")
    assert filings["JJ-0003"].scheme == "TECH" and filings["JJ-0003"].ratio == Decimal("0.5")
    abnormal = filings["JJ-0001"].enterprise
    assert abnormal.is_micro_conduct_ok and not abnormal.is_tech_conduct_ok
    assert filings["JJ-0001"].snapshot["enterprise"]["micro_conduct_ok"] is True
    assert filings["JJ-0001"].snapshot["enterprise"]["tech_conduct_ok"] is False
    penalised = filings["JJ-0003"].enterprise
    assert not penalised.is_micro_conduct_ok and penalised.is_tech_conduct_ok


@pytest.mark.django_db
@pytest.mark.parametrize(("answer", "accepted"), [("是", True), ("否", False)])
def test_the_old_single_conduct_column_still_reads_as_both_schemes(both_schemes, officer_a,
                                                                   upload, confirm, answer,
                                                                   accepted):
    client = client_for(officer_a)
    upload(client, old_template_workbook([tech_fit_row(**{OLD_CONDUCT_HEADER: answer})]))
    batch = ImportBatch.objects.get()
    entry = preview_of(batch)[2]
    assert entry[OK] == int(accepted), entry
    if accepted:
        confirm(client, batch)
        filing = LoanFiling.objects.select_related("enterprise").get()
        assert filing.scheme == "TECH"
        assert filing.enterprise.is_micro_conduct_ok and filing.enterprise.is_tech_conduct_ok
    else:
        assert codes_of(entry) == ["CONDUCT", "CONDUCT"]
        # The rejected rows come back in the current template, the old answer in both columns.
        rows = _assert_in_rejected_workbook(client, batch, {"JJ-0001": "CONDUCT"})
        header, data = rows[0], rows[1]
        assert data[header.index(MICRO_CONDUCT_HEADER)] == "否"
        assert data[header.index(TECH_CONDUCT_HEADER)] == "否"


def test_a_file_with_both_the_old_and_the_new_conduct_columns_is_refused():
    headers = [*FILINGS.headers, OLD_CONDUCT_HEADER]
    wb = openpyxl.Workbook()
    wb.active.title = "填报"
    wb.active.append(headers)
    wb.active.append([row().get(h, "是") for h in headers])
    buffer = io.BytesIO()
    wb.save(buffer)
    with pytest.raises(ImportFileError) as caught:
        read_workbook(buffer.getvalue(), FILINGS)
    assert "“信用合规条件符合”是旧模板的列" in caught.value.message
    assert MICRO_CONDUCT_HEADER in caught.value.message


def test_a_file_with_neither_conduct_column_names_the_new_ones():
    headers = [h for h in FILINGS.headers if h not in (MICRO_CONDUCT_HEADER, TECH_CONDUCT_HEADER)]
    wb = openpyxl.Workbook()
    wb.active.title = "填报"
    wb.active.append(headers)
    wb.active.append([row().get(h) for h in headers])
    buffer = io.BytesIO()
    wb.save(buffer)
    with pytest.raises(ImportFileError) as caught:
        read_workbook(buffer.getvalue(), FILINGS)
    assert MICRO_CONDUCT_HEADER in caught.value.message
    assert TECH_CONDUCT_HEADER in caught.value.message
