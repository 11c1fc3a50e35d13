"""The quarter's import reads workbooks made the way bank staff make them: percentage cells, long
numeric IOUs, title rows and summary sheets, dates and amounts in every form a bank writes them,
extra columns. Each workbook is built with openpyxl as Excel writes it (typed cells with their
number formats), uploaded through the screen, and checked for what is stored or refused."""

import io
import json
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest
from auditlog.models import LogEntry
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from loans.import_selectors import OK, REASONS
from loans.importing import FILINGS, ImportFileError, is_percent_format, read_workbook
from loans.models import ImportBatch, LoanFiling

from .conftest import client_for
from .factories import FilingFactory, make_credit_code
from .test_import import codes_of, preview_of, row, tech_row

TODAY = date(2026, 7, 10)  # 2026Q2 loans may be filed until 2026-07-21


@pytest.fixture(autouse=True)
def _today(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path




def excel(rows: list[dict[str, object]], *, formats: dict[str, str] | None = None,
          above: tuple[tuple[object, ...], ...] = (), sheet: str = "填报",
          headers: list[str] | None = None, summary_first: bool = False) -> bytes:
    """A workbook as Excel saves it: typed cells, ``formats`` (number format per header) on the
    data cells, ``above`` rows (a title, merged across the columns) before the headers, and
    optionally a summary sheet with formulas before the data sheet."""
    headers = headers or FILINGS.headers
    wb = openpyxl.Workbook()
    ws = wb.active
    if summary_first:
        ws.title = "汇总"
        ws.append(["本季度备案汇总"])
        ws.append(["笔数", len(rows)])
        ws.append(["金额合计", "=SUM(备案明细!S:S)"])
        ws = wb.create_sheet(sheet)
    else:
        ws.title = sheet
    for line in above:
        ws.append(list(line))
        if len(line) == 1:
            ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row,
                           end_column=len(headers))
    ws.append(headers)
    for values in rows:
        ws.append([values.get(h) for h in headers])
        for header, fmt in (formats or {}).items():
            ws.cell(row=ws.max_row, column=headers.index(header) + 1).number_format = fmt
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def batch() -> ImportBatch:
    return ImportBatch.objects.get()


def messages_of(entry: list) -> str:  # type: ignore[type-arg]
    return " ".join(r[1] for r in entry[REASONS])


# --- 1. Rates: percentage cells and plain numbers below 1 -----------------------------------

@pytest.mark.parametrize(("code", "expected"), [
    ("0.00%", True), ("0%", True), ("0.0000%", True), ("[Red]0.00%", True),
    ('0.00"%"', False), ("0.00\\%", False), ("General", False), ("yyyy-mm-dd", False),
    ("#,##0.00", False),
])
def test_percent_number_formats_are_recognised(code, expected):
    assert is_percent_format(code) is expected


@pytest.mark.django_db
def test_a_percentage_cell_reads_as_percent_and_is_stored_so(both_schemes, officer_a, upload,
                                                             confirm):
    client = client_for(officer_a)
    upload(client, excel([row(**{"年利率(%)": 0.036}),
                          row(**{"年利率(%)": 0.05, "借据号": "JJ-0003"})],
                         formats={"年利率(%)": "0.00%"}))
    entries = preview_of(batch())
    assert entries[2][OK] == 1
    # 5.00 %, not 0.05 %: above LPR 3.00 % + 150 bp, so refused with the figure read.
    assert "RATE_CAP" in codes_of(entries[3]) and "贷款利率5.00%高于" in messages_of(entries[3])
    confirm(client, batch())
    assert LoanFiling.objects.get().rate_percent == Decimal("3.6000")


@pytest.mark.django_db
def test_percent_formats_builtin_and_custom_both_read(both_schemes, officer_a, upload):
    upload(client_for(officer_a), excel(
        [row(**{"年利率(%)": 0.0345}), tech_row(**{"年利率(%)": 0.035})],
        formats={"年利率(%)": "0.0000%"}))
    assert [e[OK] for e in preview_of(batch()).values()] == [1, 1]
    parsed = read_workbook(excel([row(**{"年利率(%)": 0.04})], formats={"年利率(%)": "0%"}),
                           FILINGS)
    assert parsed.rows[0][1 + FILINGS.headers.index("年利率(%)")] == "4%"


@pytest.mark.django_db
@pytest.mark.parametrize("rate", [0.05, "0.05", 0.0435])
def test_a_plain_number_below_one_in_the_rate_column_is_refused(both_schemes, officer_a, upload,
                                                                confirm, rate):
    client = client_for(officer_a)
    upload(client, excel([row(**{"年利率(%)": rate}), tech_row()]))
    entries = preview_of(batch())
    assert entries[2][OK] == 0 and entries[3][OK] == 1
    text = messages_of(entries[2])
    assert "第2行“年利率(%)”" in text and "写 4.35 表示年利率 4.35%" in text
    confirm(client, batch())
    assert list(LoanFiling.objects.values_list("iou_number", flat=True)) == ["JJ-0002"]


@pytest.mark.django_db
def test_a_rate_typed_as_text_with_a_percent_sign_is_that_percent(both_schemes, officer_a,
                                                                   upload):
    upload(client_for(officer_a), excel([row(**{"年利率(%)": "3.6%"}),
                                         tech_row(**{"年利率(%)": "0.5%"})]))
    entries = preview_of(batch())
    assert entries[2][OK] == 1 and entries[3][OK] == 1  # 0.5 % said explicitly is 0.5 %


# --- 2. Numeric IOU and contract numbers -----------------------------------------------------

@pytest.mark.django_db
def test_numeric_ious_that_excel_holds_exactly_are_read_as_digits(both_schemes, officer_a,
                                                                  upload, confirm):
    client = client_for(officer_a)
    upload(client, excel([row(**{"借据号": 202611120001, "合同号": 123456789012345}),
                          tech_row(**{"借据号": 202611120002.0, "合同号": 7.0})]))
    assert [e[OK] for e in preview_of(batch()).values()] == [1, 1]
    confirm(client, batch())
    stored = dict(LoanFiling.objects.values_list("iou_number", "contract_number"))
    assert stored == {"202611120001": "123456789012345", "202611120002": "7"}


@pytest.mark.django_db
@pytest.mark.parametrize("iou", [2.0261112000000102e17, 2026111200000012, 202611120000000000])
def test_numeric_ious_that_lost_digits_are_refused(both_schemes, officer_a, upload, iou):
    FilingFactory(bank=both_schemes, filed_by=officer_a, iou_number="2.0261112E+17")
    upload(client_for(officer_a), excel([row(**{"借据号": iou}), tech_row()]))
    entries = preview_of(batch())
    assert entries[2][OK] == 0 and entries[3][OK] == 1
    text = messages_of(entries[2])
    assert "第2行“借据号”" in text and "文本格式" in text and "DUPLICATE" not in codes_of(
        entries[2])


@pytest.mark.django_db
def test_a_long_iou_in_a_text_cell_is_kept_whole(both_schemes, officer_a, upload, confirm):
    client = client_for(officer_a)
    upload(client, excel([row(**{"借据号": "202611120000001234"})], formats={"借据号": "@"}))
    confirm(client, batch())
    assert LoanFiling.objects.get().iou_number == "202611120000001234"


# --- 3. Titles above the headers, a summary sheet first, extra columns ----------------------

TITLE = ("XX银行2026年第三季度贷款备案明细",)


@pytest.mark.django_db
def test_title_rows_above_the_headers_are_skipped_and_said(both_schemes, officer_a, upload,
                                                          confirm):
    client = client_for(officer_a)
    above = (TITLE, ("填报单位：XX银行", None, "单位：元"))
    upload(client, excel([row(), tech_row()], above=above))
    b = batch()
    assert b.status == ImportBatch.Status.VALIDATED
    assert sorted(preview_of(b)) == [4, 5] and b.accepted_rows == 2  # rows as in the file
    page = client.get(reverse("loans:import_detail", args=[b.pk])).content.decode()
    assert "使用工作表“填报”第3行作为表头" in page
    confirm(client, b)
    assert LoanFiling.objects.count() == 2


@pytest.mark.django_db
def test_a_summary_sheet_before_the_data_sheet_is_passed_over(both_schemes, officer_a, upload):
    client = client_for(officer_a)
    content = excel([row(), tech_row()], sheet="备案明细", above=(TITLE,), summary_first=True)
    upload(client, content)
    b = batch()
    assert b.accepted_rows == 2 and sorted(preview_of(b)) == [3, 4]
    page = client.get(reverse("loans:import_detail", args=[b.pk])).content.decode()
    assert "使用工作表“备案明细”第2行作为表头" in page


@pytest.mark.django_db
def test_extra_columns_are_ignored_and_named(both_schemes, officer_a, upload):
    client = client_for(officer_a)
    headers = ["序号", *FILINGS.headers, "客户经理", "备注说明"]
    upload(client, excel([{**row(), "序号": 1, "客户经理": "张三", "备注说明": "续贷"}],
                         headers=headers))
    b = batch()
    assert b.accepted_rows == 1
    page = client.get(reverse("loans:import_detail", args=[b.pk])).content.decode()
    assert "已忽略以下不在模板中的列：序号、客户经理、备注说明" in page


def test_a_workbook_without_the_headers_in_its_first_rows_is_refused():
    content = excel([row()], above=tuple((f"说明第{n}行",) for n in range(1, 11)))
    with pytest.raises(ImportFileError, match="前10行中没有找到导入模板的表头"):
        read_workbook(content, FILINGS)


def test_a_formula_in_a_data_row_is_still_refused_below_a_title():
    content = excel([row(**{"贷款金额": "=1000000*3"})], above=(TITLE,))
    with pytest.raises(ImportFileError, match=r"第3行.*贷款金额.*含公式"):
        read_workbook(content, FILINGS)


# --- 6. Dates, amounts, credit codes, names in the forms banks write them --------------------

@pytest.mark.django_db
@pytest.mark.parametrize("drawdown", [
    "2026/7/1", "2026年7月1日", "20260701", 20260701, "2026-07-01", 46204,
    datetime(2026, 7, 1), date(2026, 7, 1), "２０２６年７月１日",  # noqa: DTZ001 (a cell has no zone)
])
def test_dates_in_every_form_are_read(both_schemes, officer_a, upload, confirm, drawdown):
    client = client_for(officer_a)
    upload(client, excel([row(**{"放款日期": drawdown, "征信报告日期": "2026-06-29",
                                 "合同到期日": "2027-06-30"})]))
    assert preview_of(batch())[2][OK] == 1, preview_of(batch())[2]
    confirm(client, batch())
    assert LoanFiling.objects.get().drawdown_date == date(2026, 7, 1)


@pytest.mark.django_db
@pytest.mark.parametrize("amount", [
    "1,000,000.00", "１，０００，０００", "1,000,000元", "¥ 1,000,000", " 1 000 000 ",
    "￥1000000.00", 1000000, 1000000.0,
])
def test_amounts_in_every_form_are_read(both_schemes, officer_a, upload, confirm, amount):
    client = client_for(officer_a)
    upload(client, excel([row(**{"贷款金额": amount})]))
    confirm(client, batch())
    assert LoanFiling.objects.get().amount == Decimal("1000000.00")


@pytest.mark.django_db
def test_credit_codes_in_lower_case_or_with_spaces_are_normalised(both_schemes, officer_a,
                                                                  upload, confirm):
    client = client_for(officer_a)
    code = make_credit_code(101)
    spaced = f" {code[:4]} {code[4:10]}　{code[10:]} ".lower()
    upload(client, excel([row(**{"统一社会信用代码": spaced})]))
    confirm(client, batch())
    assert LoanFiling.objects.get().enterprise.credit_code == code


@pytest.mark.django_db
def test_a_wrong_credit_code_is_still_checked_after_normalising(both_schemes, officer_a,
                                                                upload):
    code = make_credit_code(101)
    wrong = code[:17] + ("1" if code[17] == "0" else "0")
    upload(client_for(officer_a), excel([row(**{"统一社会信用代码": wrong.lower()})]))
    assert codes_of(preview_of(batch())[2]) == ["BAD_CREDIT_CODE"]


@pytest.mark.django_db
def test_text_where_a_number_was_expected_names_the_cell_and_changes_nothing(
        both_schemes, officer_a, upload, confirm):
    client = client_for(officer_a)
    upload(client, excel([row(**{"贷款金额": "三百万元", "年利率(%)": "约3.6"})],
                         above=(TITLE,)))
    b = batch()
    entry = preview_of(b)[3]
    assert entry[OK] == 0
    text = messages_of(entry)
    assert "第3行“贷款金额”：“三百万元”不是有效数字" in text
    assert "第3行“年利率(%)”：“约3.6”不是有效数字" in text
    assert b.accepted_rows == 0
    confirm(client, b)
    assert LoanFiling.objects.count() == 0


@pytest.mark.django_db
def test_an_enterprise_name_of_forty_characters_is_stored_whole(both_schemes, officer_a, upload,
                                                                confirm):
    client = client_for(officer_a)
    name = "北京经济技术开发区亦庄新城高端装备智能制造与集成电路先进封装测试技术研究院有限公司"[:40]
    assert len(name) == 40
    upload(client, excel([row(**{"企业名称": name})]))
    confirm(client, batch())
    assert LoanFiling.objects.get().enterprise.name == name


# --- 4. A drawdown after today ---------------------------------------------------------------

FUTURE = {"放款日期": "2026-07-20", "征信报告日期": "2026-07-15", "合同到期日": "2027-07-19"}


@pytest.mark.django_db
def test_a_drawdown_after_today_has_its_own_reason_in_the_import(both_schemes, officer_a,
                                                                  upload):
    client = client_for(officer_a)
    upload(client, excel([row(**FUTURE), tech_row()]))
    entries = preview_of(batch())
    assert codes_of(entries[2]) == ["DRAWDOWN_FUTURE"] and entries[3][OK] == 1
    assert "放款日期2026-07-20晚于备案日2026-07-10" in messages_of(entries[2])


@pytest.mark.django_db
def test_the_filing_form_reports_a_future_drawdown_the_same_way(both_schemes, officer_a):
    from .test_filing_form import post_data

    data = post_data(drawdown_date="2026-07-20", credit_report_date="2026-07-15",
                     maturity_date="2027-07-19")
    client = client_for(officer_a)
    preview = client.post(reverse("loans:filing_preview"), data,
                          HTTP_HX_REQUEST="true").content.decode()
    page = client.post(reverse("loans:filing_create"), data).content.decode()
    for shown in (preview, page):
        assert "不予备案" in shown and "放款日期晚于备案日" in shown and "FILING_LATE" not in shown
        assert "DRAWDOWN_FUTURE" not in shown
    assert LoanFiling.objects.count() == 0


@pytest.mark.django_db
def test_a_late_filing_exception_does_not_let_a_future_drawdown_through(both_schemes,
                                                                         officer_a):
    from fund.selectors import policy_context
    from loans.import_services import filing_rows
    from loans.services import filings_commit

    parsed = read_workbook(excel([row(**FUTURE)]), FILINGS)
    (cleaned,) = filing_rows(parsed.rows, branches={})
    filings, (ev,) = filings_commit(bank=both_schemes, requests=[cleaned.request],
                                    actor=officer_a, ctx=policy_context(),
                                    late_exception_reason="托管机构同意补录")
    assert filings == [] and ev.codes == ["DRAWDOWN_FUTURE"]


# --- 5. Duplicates within the file; reasons grouped by scheme; original row numbers ----------

@pytest.mark.django_db
def test_a_duplicate_within_the_file_names_the_earlier_row(both_schemes, officer_a, upload):
    FilingFactory(bank=both_schemes, filed_by=officer_a, iou_number="JJ-0009")
    upload(client_for(officer_a), excel(
        [row(), tech_row(), tech_row(**{"合同号": "HT-0099"}), row(**{"借据号": "JJ-0009"})],
        above=(TITLE,)))
    entries = preview_of(batch())
    assert [entries[n][OK] for n in (3, 4, 5, 6)] == [1, 1, 0, 0]
    assert codes_of(entries[5]) == ["DUPLICATE"]
    assert "与本文件第4行借据号重复" in messages_of(entries[5])
    assert "已经备案" not in messages_of(entries[5])
    assert "借据号 JJ-0009 已经备案" in messages_of(entries[6])


def rejected_sheet(client, b: ImportBatch) -> tuple[list[object], list[tuple]]:  # type: ignore[no-untyped-def, type-arg]
    response = client.get(reverse("loans:import_rejected", args=[b.pk]))
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(wb["填报"].iter_rows(values_only=True))
    return list(rows[0]), rows[1:]


@pytest.mark.django_db
def test_reasons_are_grouped_by_scheme_in_the_preview_and_the_rejected_workbook(
        both_schemes, officer_a, upload):
    client = client_for(officer_a)
    both_fail = row(**{"企业规模": "中型", "借据号": "JJ-0005", "年利率(%)": "4.6"})
    upload(client, excel([row(), tech_row(), both_fail], above=(TITLE,)))
    b = batch()
    entry = preview_of(b)[5]
    schemes = [r[2] for r in entry[REASONS]]
    assert schemes == sorted(schemes, key=["TECH", "MICRO"].index) and set(schemes) == {
        "TECH", "MICRO"}
    assert {r[0] for r in entry[REASONS] if r[2] == "MICRO"} == {"BORROWER_SIZE", "RATE_CAP"}
    assert {r[0] for r in entry[REASONS] if r[2] == "TECH"} == {"TECH_SCOPE", "RATE_CAP"}
    page = client.get(reverse("loans:import_detail", args=[b.pk]),
                      {"verdict": "rejected"}).content.decode()
    assert ">科创</span>" in page and ">小微</span>" in page
    assert ">TECH<" not in page and ">MICRO<" not in page
    assert page.index(">科创</span>") < page.index("不在科技创新支持范围内") < page.index(
        ">小微</span>")
    assert "TECH_SCOPE" not in page

    header, data = rejected_sheet(client, b)
    assert header[-2:] == ["退回原因", "原文件行号"]
    (only,) = data
    assert only[-1] == 5  # the row's number in the uploaded file, not in this workbook
    lines = only[-2].split("\n")
    assert lines[0].startswith("科创：") and "TECH_SCOPE" in lines[0]
    assert lines[1].startswith("小微：") and "BORROWER_SIZE" in lines[1]
    assert "MICRO" not in only[-2].replace("MICRO_", "")


@pytest.mark.django_db
def test_the_rejected_workbook_uploads_again_as_it_is(both_schemes, officer_a, upload):
    """Its extra columns (reasons, original row) are the portal's own: read past, not named."""
    client = client_for(officer_a)
    upload(client, excel([row(**{"是否在经开区": "否"}), tech_row()]))
    response = client.get(reverse("loans:import_rejected", args=[batch().pk]))
    parsed = read_workbook(b"".join(response.streaming_content), FILINGS)
    assert len(parsed.rows) == 1 and parsed.ignored == [] and parsed.header_row == 1


# --- 7. The command for scripts ----------------------------------------------------------------

def run(*args: object) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_filings", *[str(a) for a in args], stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def quarter(tmp_path):  # type: ignore[no-untyped-def]
    """A bank's file: a title row, a percentage-formatted rate, a row failing both schemes, a
    repeated IOU, a cell that does not read, a drawdown after today."""
    path = tmp_path / "2026Q3.xlsx"
    path.write_bytes(excel([
        row(**{"年利率(%)": 0.036}),
        row(**{"企业规模": "中型", "借据号": "JJ-0005", "年利率(%)": 0.046}),
        row(**{"年利率(%)": 0.035}),
        row(**{"借据号": "JJ-0007", "贷款金额": "三百万"}),
        row(**{"借据号": "JJ-0008", **FUTURE}),
    ], above=(TITLE,), formats={"年利率(%)": "0.00%"}))
    return path


@pytest.mark.django_db
def test_import_filings_prints_one_json_result_per_row_and_writes_nothing(both_schemes,
                                                                           officer_a, quarter):
    out, err = run(quarter, "--bank", both_schemes.code, "--user", officer_a.username, "--json")
    results = {r["row"]: r for r in json.loads(out)}
    assert sorted(results) == [3, 4, 5, 6, 7]  # row numbers as in the file
    first = results[3]
    assert first["accepted"] is True and (first["scheme"], first["ratio"]) == ("MICRO", "0.4000")
    assert first["values"] == {"iou": "JJ-0001", "amount": "3000000.00",
                               "drawdown_date": "2026-05-12", "rate_percent": "3.60"}
    both = results[4]
    assert both["accepted"] is False and both["values"]["rate_percent"] == "4.60"
    assert set(both["reasons"]["TECH"]) == {"TECH_SCOPE", "RATE_CAP"}
    assert set(both["reasons"]["MICRO"]) == {"BORROWER_SIZE", "RATE_CAP"}
    assert results[5]["reasons"]["common"] == ["DUPLICATE"]
    assert any("与本文件第3行借据号重复" in m for m in results[5]["messages"])
    bad = results[6]
    assert bad["accepted"] is False and bad["values"]["amount"] is None
    assert bad["messages"] == ["第6行“贷款金额”：“三百万”不是有效数字"]
    assert results[7]["reasons"]["common"] == ["DRAWDOWN_FUTURE"]
    assert "共 5 行：通过 1 行，退回 4 行。" in err and "未写入" in err
    assert LoanFiling.objects.count() == 0


@pytest.mark.django_db
def test_import_filings_text_output_names_rows_verdicts_and_values(both_schemes, officer_a,
                                                                   quarter):
    out, _err = run(quarter, "--bank", both_schemes.code, "--user", officer_a.username)
    lines = out.splitlines()
    assert lines[0] == "使用工作表“填报”第2行作为表头"
    assert lines[1].startswith("第3行  通过 小微 40%") and "年利率(%)=3.60" in lines[1]
    assert lines[2].startswith("第4行  退回 科创：") and "小微：BORROWER_SIZE" in lines[2]
    assert "MICRO" not in out and "TECH：" not in out
    assert lines[-1].startswith("共 5 行：通过 1 行，退回 4 行。")


@pytest.mark.django_db
def test_import_filings_commit_files_the_accepted_rows_audited_as_the_user(both_schemes,
                                                                          officer_a, quarter):
    _out, err = run(quarter, "--bank", both_schemes.code, "--user", officer_a.username,
                   "--commit", "--json")
    assert "已写入 1 行" in err
    filing = LoanFiling.objects.get()
    assert (filing.iou_number, filing.rate_percent) == ("JJ-0001", Decimal("3.6000"))
    assert filing.filed_by == officer_a and filing.import_batch_id is None
    assert LogEntry.objects.get_for_object(filing).get().actor == officer_a
    # Run again: the filed row is now DUPLICATE, nothing more is written.
    again = {r["row"]: r for r in json.loads(run(quarter, "--bank", both_schemes.code,
                                                 "--user", officer_a.username, "--commit",
                                                 "--json")[0])}
    assert again[3]["reasons"]["common"] == ["DUPLICATE"] and LoanFiling.objects.count() == 1


@pytest.mark.django_db
def test_import_filings_refuses_what_it_cannot_read_in_chinese(both_schemes, officer_a,
                                                               auditor, tmp_path, quarter):
    pdf = tmp_path / "scan.xlsx"
    pdf.write_bytes(b"%PDF-1.7 not a workbook")
    user = officer_a.username
    cases = [
        ((pdf, "--bank", both_schemes.code, "--user", user), "不是Excel工作簿"),
        ((tmp_path / "missing.xlsx", "--bank", both_schemes.code, "--user", user), "无法读取文件"),
        ((quarter, "--bank", "NOPE", "--user", user), "没有编码为“NOPE”的合作银行"),
        ((quarter, "--bank", both_schemes.code, "--user", "nobody"), "没有用户名为“nobody”"),
        ((quarter, "--bank", both_schemes.code, "--user", auditor.username, "--commit"),
         "不能备案贷款"),
        ((quarter,), "请指定文件"),
    ]
    for args, message in cases:
        with pytest.raises(CommandError, match=message):
            run(*args)
    assert LoanFiling.objects.count() == 0


@pytest.mark.django_db
def test_import_filings_refuses_an_officer_of_another_bank(both_schemes, officer_b, quarter):
    with pytest.raises(CommandError, match="无权"):
        run(quarter, "--bank", both_schemes.code, "--user", officer_b.username)


@pytest.mark.django_db
def test_import_filings_template_is_the_screens_blank_template(officer_a, tmp_path):
    out_path = tmp_path / "模板.xlsx"
    out, _err = run("--template", out_path)
    assert str(out_path) in out
    response = client_for(officer_a).get(reverse("loans:import_template_filings"))
    screen = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    written = openpyxl.load_workbook(out_path)
    assert written.sheetnames == screen.sheetnames
    for name in written.sheetnames:
        assert list(written[name].iter_rows(values_only=True)) == list(
            screen[name].iter_rows(values_only=True))
    assert read_workbook(excel([row()]), FILINGS).rows  # and a filled copy reads back
