"""A listing too long to print (the year's per-loan listing) is an annex in the workbook made
with the PDF: the PDF gives its count and total, the file and sheet holding the rows, and its
totals by bank and scheme, which reconcile with the workbook's rows; the listings checked row by
row stay in the PDF."""

import posixpath
import re
from collections import Counter
from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from reports import rendering
from reports.figures import report_data
from reports.services import report_generate, report_request
from riskcomp.templatetags.portal import cny

from .factories import FilingFactory
from .test_report_figures import at, half_year  # noqa: F401 - the shared fixture

pytestmark = pytest.mark.django_db


def flat_pages(pdf: bytes) -> list[str]:
    return [re.sub(r"\s+", "", page.extract_text() or "")
            for page in PdfReader(BytesIO(pdf)).pages]


@pytest.fixture
def many_filings(half_year, bank_a, bank_b, officer_a, officer_b, monkeypatch):  # type: ignore[no-untyped-def]  # noqa: F811
    # Above the threshold (lowered so that a test's data crosses it), at two banks and schemes.
    monkeypatch.setattr(rendering, "WORKBOOK_LISTING_ROWS", 30)
    FilingFactory.create_batch(25, bank=bank_a, filed_by=officer_a, filed_on=date(2026, 4, 2),
                               drawdown_date=date(2026, 3, 20),
                               credit_report_date=date(2026, 3, 15))
    FilingFactory.create_batch(12, bank=bank_b, filed_by=officer_b, filed_on=date(2026, 5, 6),
                               drawdown_date=date(2026, 4, 28),
                               credit_report_date=date(2026, 4, 20), scheme="TECH",
                               ratio=Decimal("0.50"))


def test_a_long_listing_is_totalled_in_the_pdf_and_listed_in_the_workbook(many_filings,
                                                                          bank_a, bank_b):
    data = report_data("semiannual", "2026H1")
    filings = next(t for t in data.details if t.key == "filings_detail")
    assert len(filings.rows) > rendering.WORKBOOK_LISTING_ROWS
    pdf, pages = rendering.render_report_pdf(data, workbook_name="semiannual-2026H1-v1.xlsx")
    text = flat_pages(pdf)
    everything = "".join(text)

    annex = next(p for p in text[2:] if "附件1：本期备案贷款明细" in p)
    total = sum(r[8] for r in filings.rows)
    assert f"共{len(filings.rows)}条，贷款金额（元）合计{cny(total)}" in annex
    assert "“semiannual-2026H1-v1.xlsx”中的工作表“本期备案贷款明细”" in annex
    # No row of the listing in the PDF; the contents point at the annex's page.
    assert not re.search(r"JJ2026\d{6}", everything)
    contents = text[1]
    assert re.search(rf"附件1：本期备案贷款明细（{len(filings.rows)}条）"
                     rf"{text.index(annex) + 1}(?!\d)", contents), contents
    assert pages == len(text)

    # Its totals by bank and scheme are those of the workbook's rows.
    wb = load_workbook(BytesIO(rendering.report_workbook(data)))
    sheet = list(wb["本期备案贷款明细"].iter_rows(min_row=2, values_only=True))[:-1]
    assert len(sheet) == len(filings.rows)
    counts = Counter((row[2], row[3]) for row in sheet)
    amounts: dict[tuple[str, str], Decimal] = {}
    for row in sheet:
        key = (row[2], row[3])
        amounts[key] = amounts.get(key, Decimal("0.00")) + Decimal(str(row[8]))
    assert {b for b, _s in counts} == {bank_a.name, bank_b.name}
    for (bank, scheme), n in counts.items():
        short = {"小微企业贷款风险补偿": "小微", "科技创新类中小企业贷款风险补偿": "科创"}
        assert f"{bank}{short[scheme]}{n}{cny(amounts[(bank, scheme)])}" in annex, (bank, scheme)
    assert f"合计{len(sheet)}{cny(total)}" in annex

    # The listings the bureau checks row by row are still printed in full.
    payments = next(t for t in data.details if t.key == "payments_detail")
    assert payments.rows and all(row[1] in everything for row in payments.rows)


def test_a_short_listing_stays_in_the_pdf(half_year):  # noqa: F811
    data = report_data("semiannual", "2026H1")
    filings = next(t for t in data.details if t.key == "filings_detail")
    assert 0 < len(filings.rows) <= rendering.WORKBOOK_LISTING_ROWS
    pdf, _pages = rendering.render_report_pdf(data)
    everything = "".join(flat_pages(pdf))
    assert all(row[0] in everything for row in filings.rows)
    assert "不在本文件中列示" not in everything


def test_the_generated_pdf_cites_the_stored_workbook(many_filings, reviewer):
    report = report_request(kind="semiannual", period="2026H1", actor=reviewer,
                            now=at(date(2026, 7, 5)))
    done = report_generate(report.pk)
    assert done is not None
    name = posixpath.basename(done.parameters["xlsx"])
    with done.file.open("rb") as handle:
        text = "".join(flat_pages(handle.read()))
    assert f"“{name}”中的工作表“本期备案贷款明细”" in text
    with done.file.storage.open(done.parameters["xlsx"], "rb") as handle:
        assert "本期备案贷款明细" in load_workbook(BytesIO(handle.read())).sheetnames
