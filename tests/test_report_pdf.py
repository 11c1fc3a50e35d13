"""The report rendered: the PDF's text shows the totals the ledger holds, the fonts are the CJK
ones, page numbers run across the parts, listings repeat their header on every page, the
contents point at the right pages; and the Excel workbook of the same tables."""

import re
from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from fund.models import LedgerEntry
from fund.selectors import fund_balance
from reports import rendering
from reports.figures import report_data
from reports.rendering import render_report_pdf, report_workbook
from riskcomp.templatetags.portal import cny, money

from .factories import EnterpriseFactory, FilingFactory
from .test_report_figures import half_year  # noqa: F401 - the shared fixture

pytestmark = pytest.mark.django_db


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def pages_text(pdf: bytes) -> list[str]:
    return [flat(page.extract_text() or "") for page in PdfReader(BytesIO(pdf)).pages]


@pytest.fixture(autouse=True)
def _small_parts(monkeypatch):  # type: ignore[no-untyped-def]
    # Small slices so that a few dozen rows already make a listing of several parts.
    monkeypatch.setattr(rendering, "PART_ROWS", 40)


@pytest.fixture
def rendered(half_year, bank_a, officer_a):  # type: ignore[no-untyped-def]  # noqa: F811
    FilingFactory.create_batch(95, bank=bank_a, filed_by=officer_a, filed_on=date(2026, 4, 2),
                               drawdown_date=date(2026, 3, 20),
                               credit_report_date=date(2026, 3, 15))
    data = report_data("semiannual", "2026H1")
    seen: list[int] = []
    pdf, pages = render_report_pdf(data, progress=seen.append)
    return {"data": data, "pdf": pdf, "pages": pages, "progress": seen,
            "text": pages_text(pdf)}


def test_the_pdf_shows_the_ledgers_totals(rendered):
    data, text = rendered["data"], "".join(rendered["text"])
    end = date(2026, 6, 30)
    closing = fund_balance(on=end)
    assert data.totals["closing_balance"] == closing
    for amount in (closing, fund_balance(on=date(2025, 12, 31)),
                   -sum(e.amount for e in LedgerEntry.objects.filter(
                       kind=LedgerEntry.Kind.COMPENSATION, booked_on__lte=end)),
                   sum(e.amount for e in LedgerEntry.objects.filter(
                       kind=LedgerEntry.Kind.RETURN, booked_on__lte=end)),
                   Decimal("12345.67"), Decimal("80000.00"), Decimal("1000000.00")):
        assert cny(amount) in text or money(amount) in text, amount
    assert "2026年上半年贷款风险补偿资金管理情况报告" in text
    assert "北京经济技术开发区财政国资局" in text
    assert f"期末余额{cny(closing)}" in text


def test_the_fonts_are_the_embedded_cjk_ones(rendered):
    fonts = set()
    for page in PdfReader(BytesIO(rendered["pdf"])).pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            font = font.get_object()
            fonts.add(str(font["/BaseFont"]))
            descendant = font["/DescendantFonts"][0].get_object()
            assert "/FontFile3" in descendant["/FontDescriptor"] or (
                "/FontFile2" in descendant["/FontDescriptor"])  # embedded
    assert fonts and all("CJK-SC" in f for f in fonts), fonts


def test_page_numbers_run_across_the_whole_report(rendered):
    text, pages = rendered["text"], rendered["pages"]
    assert pages == len(text) > 6
    assert "页共" not in text[0]  # the cover carries none
    for number, page in enumerate(text[1:], start=2):
        assert f"第{number}页共{pages}页" in page


def test_listings_repeat_their_header_and_the_contents_point_at_them(rendered):
    text = rendered["text"]
    starts = [i for i, page in enumerate(text) if "附件1：本期备案贷款明细" in page and i > 1]
    assert len(starts) == 1
    first = starts[0]
    ends = next(i for i, page in enumerate(text) if "附件2：" in page and i > first)
    assert ends - first >= 3  # 98 filings in slices of 40
    for page in text[first:ends]:
        assert "借据号借款企业合作银行政策政策文号贷款品种放款日期备案日期贷款金额（元）" in page
    # The contents give the page on which the listing starts.
    contents = text[1]
    assert re.search(rf"附件1：本期备案贷款明细（98条）{first + 1}(?!\d)", contents), contents
    listed = sum(len(re.findall(r"JJ2026\d{6}", page)) for page in text[first:ends])
    assert listed == 98


def test_progress_runs_from_0_to_100(rendered):
    seen = rendered["progress"]
    assert seen[0] == 0 and seen[-1] == 100
    assert seen == sorted(seen)


def test_names_are_escaped_and_shown_in_full_in_listings(bank_a, officer_a):
    # Longer than any listing column: it wraps within its column, nothing is cut.
    name = "<b>北京亦庄特别长名称的高新技术研发与制造有限责任公司" + "经开区第二分公司" * 4 + "</b>"
    enterprise = EnterpriseFactory(name=name)
    FilingFactory(bank=bank_a, filed_by=officer_a, enterprise=enterprise,
                  filed_on=date(2026, 2, 2))
    data = report_data("semiannual", "2026H1")
    pdf, _pages = render_report_pdf(data)
    text = "".join(pages_text(pdf))
    listing = rendering._listing(next(t for t in data.details if t.key == "filings_detail"))
    column = listing.table.headers.index("借款企业")
    pieces = rendering._wrap(listing.cells[0][column], listing.widths[column])
    assert len(pieces) > 1 and "".join(pieces) == name
    assert all(piece in text for piece in pieces)
    assert bank_a.name in text and "…" not in text
    block = rendering._block(listing.cells[0], listing)
    assert len(block.split("\n")) == len(pieces)  # one row, as many lines as the name needs


def test_an_empty_period_still_renders(db):  # type: ignore[no-untyped-def]
    pdf, pages = render_report_pdf(report_data("annual", "2024"))
    text = "".join(pages_text(pdf))
    assert pdf.startswith(b"%PDF") and pages >= 5
    assert "2024年度贷款风险补偿资金管理和使用情况审计报告" in text
    assert "本期无记录" in text


def test_the_workbook_has_a_sheet_per_table_and_writes_formulas_as_text(half_year, bank_a,  # noqa: F811
                                                                        officer_a):
    FilingFactory(bank=bank_a, filed_by=officer_a, filed_on=date(2026, 2, 2),
                  enterprise=EnterpriseFactory(name="=HYPERLINK(\"http://x\")"))
    data = report_data("semiannual", "2026H1")
    wb = load_workbook(BytesIO(report_workbook(data)))
    assert wb.sheetnames[0] == "报告信息"
    assert len(wb.sheetnames) == 1 + len(data.summary) + len(data.details)
    listing = wb["本期备案贷款明细"]
    names = [row[1] for row in listing.iter_rows(min_row=2, values_only=True)]
    assert "=HYPERLINK(\"http://x\")" in names
    cell = next(c for c in listing["B"] if c.value == "=HYPERLINK(\"http://x\")")
    assert cell.data_type == "s" and cell.quotePrefix
    overview = {row[0]: row[1] for row in wb["资金收支概况"].iter_rows(values_only=True)}
    assert Decimal(str(overview["期末余额（2026年6月30日）"])) == data.totals["closing_balance"]
    key_figures = {row[0]: row[1] for row in wb["报告信息"].iter_rows(values_only=True)}
    assert Decimal(str(key_figures["补偿拨付"])) == data.totals["compensation"]
