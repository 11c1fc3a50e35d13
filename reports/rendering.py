"""The report as a PDF (WeasyPrint) and as an Excel workbook.

A year's detail listings run to hundreds of pages, and WeasyPrint keeps the layout of every page
of a document in memory until it writes the file. So the PDF is laid out in parts, each its own
WeasyPrint document: the detail listings in slices of ``PART_ROWS`` rows (each slice repeats the
table header), then the front part (cover, contents, summaries, charts), which is laid out twice
so that its contents can give the page where each listing starts. pypdf joins the parts, and a
last document of empty pages carrying only the running header and "第 X 页 共 Y 页" is laid over
them, so that page numbers run across the whole report. Peak memory is one part's layout.
"""

import base64
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from riskcomp.choices import Scheme
from riskcomp.exports import _cell as export_cell
from riskcomp.pdf import html_document
from riskcomp.templatetags.portal import cny

from .charts import chart_svg
from .figures import ReportData, Table, cn_date

PART_ROWS = 5000
_lazy = gettext_lazy

# Summary sections of the report: key, heading, the tables and the charts they show, in order.
SECTIONS: tuple[tuple[str, Any, tuple[str, ...], tuple[str, ...]], ...] = (
    ("fund", _lazy("资金收支情况"), ("fund_overview", "ledger_by_kind", "ledger_by_scheme"),
     ("monthly_ledger", "month_end_balance")),
    ("filings", _lazy("支持贷款（项目备案）情况"),
     ("filings_by_scheme", "filings_by_bank", "filings_by_loan_type",
      "filings_by_qualification"), ("monthly_filings",)),
    ("claims", _lazy("补偿申报与拨付情况"),
     ("claims_by_scheme", "claims_by_bank", "claims_by_status"), ()),
    ("recovery", _lazy("追偿回收与返还情况"), ("recoveries_returns",), ()),
    ("write_offs", _lazy("核销情况"), ("write_offs",), ()),
    ("receivables", _lazy("补偿应收情况"), ("receivables",), ()),
    ("suspension", _lazy("合作银行暂停与恢复情况"), ("suspension_changes",), ()),
)
# The two yearly documents (MICRO/TECH Art. 25), as a finance bureau expects of a report on a
# special fund; 存在问题及建议 and the sign-off follow the last section.
YEARLY_SECTIONS: tuple[tuple[str, Any, tuple[str, ...], tuple[str, ...]], ...] = (
    ("basis", _lazy("基本情况"), ("policy_versions", "agreements"), ()),
    ("fund", _lazy("资金收支情况"),
     ("fund_overview", "ledger_by_kind", "ledger_by_scheme", "ledger_cumulative",
      "management_fees"), ("monthly_ledger", "month_end_balance")),
    ("filings", _lazy("支持贷款情况"),
     ("support", "filings_by_scheme", "filings_by_bank", "filings_by_size",
      "filings_by_loan_type", "filings_by_qualification"), ("monthly_filings",)),
    ("claims", _lazy("补偿申报与拨付情况"),
     ("claims_by_scheme", "claims_by_bank", "claims_by_status"), ()),
    ("recovery", _lazy("追偿回收与返还情况"),
     ("recoveries_returns", "receivables", "recovery_statements"), ()),
    ("write_offs", _lazy("核销情况"), ("write_offs",), ()),
    ("spot_check", _lazy("抽查情况"), ("spot_check",), ()),
    ("suspension", _lazy("合作银行暂停情况"), ("suspension_positions", "suspension_changes"),
     ()),
    # The operations report only: the audit report has none of these tables.
    ("performance", _lazy("绩效指标"),
     ("recovery_by_scheme", "recovery_by_bank", "payment_days_by_scheme",
      "payment_days_by_bank"), ()),
    ("issues", _lazy("存在问题及建议"), (), ()),
)
NUMERALS = ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二")

# Detail listings. A year's listings run to tens of thousands of rows, and WeasyPrint lays out
# every table cell as a box of its own: a cell per column costs several times the time and
# memory of one cell per row. So a listing row is one cell of the fixed-pitch CJK font (a Latin
# character takes one half-em unit, a Chinese character two), its columns laid out here: each
# column as wide as its widest value, the name columns narrowed to fit the line and wrapped onto
# further lines of the same row, never cut. The column rules are one background image of the
# table, the row rules the cells' bottom borders; the header row repeats on every page.
# Half-em units of the 7pt font across a landscape A4 page (269 mm), with a margin: a listing's
# names then fit on one line in most rows.
LISTING_LINE_UNITS = 212
LISTING_FONT_PT = 7
LISTING_PAD_PT = 2.5
MIN_WRAPPED_UNITS = 8
# A year's per-loan listing and its listing of every claim run to thousands of rows, a hundred
# or more pages that take most of the time to lay out and that nobody checks on paper. Beyond
# ``WORKBOOK_LISTING_ROWS`` rows such a listing is an annex in the Excel workbook made with the
# PDF from the same figures (a sheet of its own); the PDF gives its count and total, the file and
# sheet, and its totals by bank and scheme. The listings checked row by row (compensation with
# the bureau's confirmation, recoveries and returns, write-offs) stay in the PDF whatever their
# length.
WORKBOOK_LISTINGS = frozenset({"filings_detail", "claims_detail"})
WORKBOOK_LISTING_ROWS = 2000


def _short_schemes() -> dict[str, str]:
    """Policy names are long; the listings show a scheme's short name."""
    return {str(Scheme.MICRO.label): _("小微"), str(Scheme.TECH.label): _("科创")}


# --- Cells ------------------------------------------------------------------------------------

def cell_text(value: Any, *, is_money: bool = False) -> str:
    if value is None:
        return ""
    if is_money or isinstance(value, Decimal):
        return cny(value)
    if isinstance(value, datetime):
        return f"{cn_date(value)} {timezone.localtime(value):%H:%M}"
    if isinstance(value, date):
        return cn_date(value)
    return str(value)


@dataclass(frozen=True)
class Cell:
    text: str
    is_number: bool

    @property
    def wraps(self) -> bool:
        # Summary cells stay on one line, except free text such as a suspension's reason.
        return not self.is_number and len(self.text) > 16


def _cells(row: Iterable[Any], table: Table, short: dict[str, str] | None = None
           ) -> list[Cell]:
    """Formatted cells; with ``short``, a scheme named after the first column is shortened
    (the first column keeps the full policy name where a table is grouped by scheme)."""
    short = short or {}
    return [Cell(cell_text(short.get(v, v) if i and isinstance(v, str) else v,
                           is_money=i in table.money_columns),
                 i in table.money_columns or i in table.number_columns
                 or isinstance(v, int | Decimal))
            for i, v in enumerate(row)]


def _summary_context(table: Table) -> dict[str, Any]:
    short = _short_schemes()
    return {
        "key": table.key, "title": table.title, "is_wide": len(table.headers) >= 8,
        "headers": [Cell(str(h), i in table.money_columns or i in table.number_columns)
                    for i, h in enumerate(table.headers)],
        "rows": [_cells(r, table, short) for r in table.rows],
        "total": _cells(table.total, table) if table.total is not None else None,
    }


def _units(ch: str) -> int:
    # East Asian wide, full-width and ambiguous characters (…, ·) take a full em in the font.
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F", "A") else 1


def _width(text: str) -> int:
    return len(text) if text.isascii() else sum(_units(ch) for ch in text)


def _wrap(text: str, units: int) -> list[str]:
    """``text`` in pieces at most ``units`` wide (nothing dropped)."""
    if _width(text) <= units:
        return [text]
    pieces: list[str] = []
    piece: list[str] = []
    used = 0
    for ch in text:
        w = _units(ch)
        if used + w > units:
            pieces.append("".join(piece))
            piece, used = [], 0
        piece.append(ch)
        used += w
    pieces.append("".join(piece))
    return pieces


@dataclass(frozen=True)
class Listing:
    """A listing's cells as text and its column widths, shared by all its slices."""

    table: Table
    cells: list[list[str]]
    total: list[str] | None
    widths: list[int]
    right: list[bool]


def _listing(table: Table) -> Listing:
    short = _short_schemes()
    n = len(table.headers)
    right = [i in table.money_columns for i in range(n)]
    wraps = [False] * n

    def texts(row: tuple) -> list[str]:
        out = []
        for i, value in enumerate(row):
            value = short.get(value, value) if isinstance(value, str) else value
            if isinstance(value, int | Decimal) and not isinstance(value, bool):
                right[i] = True
            elif isinstance(value, str) and i not in table.money_columns:
                wraps[i] = True
            out.append(cell_text(value, is_money=i in table.money_columns))
        return out

    cells = [texts(row) for row in table.rows]
    total = texts(table.total) if table.total is not None else None
    widths = [min(_width(str(h)), 8) for h in table.headers]
    sums = [0] * n
    for row in cells if total is None else [*cells, total]:
        for i, text in enumerate(row):
            w = _width(text)
            sums[i] += w
            if w > widths[i]:
                widths[i] = w
    for i, header in enumerate(table.headers):  # headers wrap only over free-text columns
        if not wraps[i]:
            widths[i] = max(widths[i], _width(str(header)))
    budget = LISTING_LINE_UNITS - (n - 1)
    natural = list(widths)
    # Narrow the free-text columns that are longest on average (the names, rather than the
    # document numbers or loan types), one unit at a time, until the line fits.
    while sum(widths) > budget:
        candidates = [i for i in range(n) if wraps[i] and widths[i] > MIN_WRAPPED_UNITS]
        if not candidates:
            break
        widest = max(candidates, key=lambda i: sums[i] * widths[i] / natural[i])
        widths[widest] -= 1
    return Listing(table=table, cells=cells, total=total, widths=widths, right=right)


def _block(texts: list[str], listing: Listing) -> str:
    """One listing row as fixed-pitch lines: each column padded to its width, long text
    continued on the next line within its column."""
    columns = [_wrap(t, w) for t, w in zip(texts, listing.widths, strict=True)]
    lines = []
    for k in range(max(len(c) for c in columns)):
        parts = []
        for column, w, right in zip(columns, listing.widths, listing.right, strict=True):
            piece = column[k] if k < len(column) else ""
            pad = " " * (w - _width(piece))
            parts.append(pad + piece if right else piece + pad)
        lines.append(" ".join(parts).rstrip())
    return "\n".join(lines)


def _detail_rows(listing: Listing, cells: list[list[str]]) -> SafeString:
    """The rows of a listing slice as HTML, built here rather than in the template: 20,000
    rows through the template engine would cost more than laying them out."""
    return mark_safe("".join(  # noqa: S308 - every line escaped
        f"<tr><td>{escape(_block(row, listing))}" for row in cells))


def _rules_svg(listing: Listing) -> str:
    """The column rules as a data URI: one vertical line in the middle of each separator."""
    unit = LISTING_FONT_PT / 2
    xs, offset = [], 0
    for w in listing.widths[:-1]:
        offset += w + 1
        xs.append(LISTING_PAD_PT + (offset - 0.5) * unit)
    paths = "".join(f"M{x:.2f} 0V10" for x in xs)
    width = LISTING_LINE_UNITS * unit + 2 * LISTING_PAD_PT
    svg = (f"<svg xmlns='http://www.w3.org/2000/svg' width='{width:.2f}pt' height='10pt' "
           f"viewBox='0 0 {width:.2f} 10'>"
           f"<path d='{paths}' stroke='#8a949e' stroke-width='0.4'/></svg>")
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


# --- PDF --------------------------------------------------------------------------------------

def _common(data: ReportData) -> dict[str, Any]:
    return {
        "data": data, "title": data.title,
        "fund_name": settings.RISKCOMP_FUND_NAME, "custodian": settings.RISKCOMP_CUSTODIAN_NAME,
        "recipient": settings.RISKCOMP_FUND_BUREAU_NAME,
        "generated_on": timezone.localtime(data.generated_at).date(),
        "generated_at": timezone.localtime(data.generated_at),
    }


def css_string(text: str) -> SafeString:
    """``text`` as a quoted CSS string, for the ``content`` of a page margin box."""
    escaped = "".join(f"\\{ord(ch):x} " if ch in '"\\<>\n\r' else ch for ch in str(text))
    return mark_safe(f'"{escaped}"')  # noqa: S308 - quotes, backslashes and tags escaped


def _layout(html: str) -> Any:
    return html_document(html).render()


def _slices(rows: list[list[str]]) -> Iterator[list[list[str]]]:
    for i in range(0, len(rows), PART_ROWS):
        yield rows[i:i + PART_ROWS]


def _front_html(data: ReportData, attachments: list[dict[str, Any]]) -> str:
    tables = {t.key: t for t in data.summary}
    charts = {c.key: c for c in data.charts}
    sections: list[Any] = []
    placed: set[str] = set()
    for key, heading, table_keys, chart_keys in (YEARLY_SECTIONS if data.is_yearly
                                                 else SECTIONS):
        if key == "performance" and not any(k in tables for k in table_keys):
            continue
        sections.append({
            "key": key, "heading": heading,
            "tables": [_summary_context(tables[k]) for k in table_keys if k in tables],
            "charts": [{"title": charts[k].title, "svg": mark_safe(chart_svg(charts[k]))}  # noqa: S308 - built from escaped text
                       for k in chart_keys if k in charts and not charts[k].is_empty],
        })
        placed.update(table_keys)
    extra = [t for t in data.summary if t.key not in placed]
    if extra:  # before 存在问题及建议 in the yearly documents, which closes the text
        sections.insert(len(sections) - 1 if data.is_yearly else len(sections), {
            "key": "other", "heading": _("其他"),
            "tables": [_summary_context(t) for t in extra], "charts": []})
    for n, section in enumerate(sections):
        section["anchor"] = f"s{n + 1}"
        section["heading"] = f"{NUMERALS[n]}、{section['heading']}"
    return render_to_string("reports/pdf/front.html", {
        **_common(data), "sections": sections, "attachments": attachments,
        "t": data.totals, "y": data.yearly})


def _detail_html(data: ReportData, listing: Listing, cells: list[list[str]], *, number: int,
                 first: bool, last: bool) -> str:
    table = listing.table
    return render_to_string("reports/pdf/detail.html", {
        **_common(data), "table": table, "number": number, "first": first, "last": last,
        "header": _block([str(h) for h in table.headers], listing),
        "rules": _rules_svg(listing), "pad": LISTING_PAD_PT, "font": LISTING_FONT_PT,
        "rows_html": _detail_rows(listing, cells),
        "total": _block(listing.total, listing) if last and listing.total else None,
        "count": len(table.rows),
    })


def in_workbook_only(table: Table) -> bool:
    """Whether the PDF gives ``table`` as totals and leaves its rows to the workbook."""
    return table.key in WORKBOOK_LISTINGS and len(table.rows) > WORKBOOK_LISTING_ROWS


def _by_bank_and_scheme(table: Table) -> Table:
    """A listing's count and amount by bank and scheme, for the PDF when its rows are in the
    workbook only; the amount is its last money column."""
    bank, scheme = table.headers.index(_("合作银行")), table.headers.index(_("政策"))
    amount = max(table.money_columns)
    sums: dict[tuple[str, str], list[Any]] = {}
    for row in table.rows:
        entry = sums.setdefault((row[bank], row[scheme]), [0, Decimal("0.00")])
        entry[0] += 1
        entry[1] += row[amount]
    rows = [(b, s, n, a) for (b, s), (n, a) in sorted(sums.items())]
    return Table(
        key=f"{table.key}_by_bank", title=_("按合作银行和政策汇总"),
        headers=(_("合作银行"), _("政策"), _("笔数"), table.headers[amount]), rows=rows,
        money_columns=frozenset({3}),
        total=(_("合计"), "", sum(r[2] for r in rows), sum((r[3] for r in rows),
                                                          Decimal("0.00"))))


def _workbook_annex_html(data: ReportData, table: Table, *, number: int,
                         workbook_name: str | None) -> str:
    amount = max(table.money_columns)
    return render_to_string("reports/pdf/workbook_annex.html", {
        **_common(data), "table": table, "number": number, "count": len(table.rows),
        "amount_header": table.headers[amount],
        "amount": cny(sum((r[amount] for r in table.rows), Decimal("0.00"))),
        "workbook_name": workbook_name, "sheet": _sheet_title(table.title),
        "by_bank": _summary_context(_by_bank_and_scheme(table)),
    })


def render_report_pdf(data: ReportData, *, progress: Callable[[int], None] | None = None,
                      workbook_name: str | None = None) -> tuple[bytes, int]:
    """The report as a PDF and its page count; ``progress`` hears 0..100 as parts are laid out.
    ``workbook_name`` is the file name of the workbook made with it, which the PDF cites for
    the listings it holds alone."""
    from pypdf import PdfReader, PdfWriter

    report = progress or (lambda _percent: None)
    report(0)
    weight = sum(1 if in_workbook_only(t) else max(len(t.rows), 1) for t in data.details) or 1
    done = 0
    detail_parts: list[tuple[bytes, int]] = []
    attachments: list[dict[str, Any]] = []
    for number, table in enumerate(data.details, start=1):
        first_offset = sum(pages for _pdf, pages in detail_parts)
        if not table.rows:  # no empty page: the contents say there were none
            attachments.append({"title": table.title, "number": number, "offset": first_offset,
                                "count": 0})
            continue
        if in_workbook_only(table):
            document = _layout(_workbook_annex_html(data, table, number=number,
                                                    workbook_name=workbook_name))
            detail_parts.append((document.write_pdf(), len(document.pages)))
            del document
            done += 1
            report(int(80 * done / weight))
            attachments.append({"title": table.title, "number": number,
                                "offset": first_offset, "count": len(table.rows)})
            continue
        listing = _listing(table)
        slices = list(_slices(listing.cells))
        for i, rows in enumerate(slices):
            document = _layout(_detail_html(data, listing, rows, number=number, first=i == 0,
                                            last=i == len(slices) - 1))
            detail_parts.append((document.write_pdf(), len(document.pages)))
            del document
            done += max(len(rows), 1)
            report(int(80 * done / weight))
        attachments.append({"title": table.title, "number": number, "offset": first_offset,
                            "count": len(table.rows)})

    # The contents give each listing's first page, which depends on the front's own length.
    front_pages = len(_layout(_front_html(data, attachments)).pages)
    for attachment in attachments:
        attachment["page"] = front_pages + attachment["offset"] + 1
    front = _layout(_front_html(data, attachments))
    front_pdf, front_pages = front.write_pdf(), len(front.pages)
    del front
    report(90)

    writer = PdfWriter()
    for content in (front_pdf, *(pdf for pdf, _pages in detail_parts)):
        writer.append(PdfReader(BytesIO(content)))
    total = len(writer.pages)
    furniture = PdfReader(BytesIO(_layout(render_to_string("reports/pdf/furniture.html", {
        **_common(data),
        # Listings are laid out across the page (landscape): the overlay takes each page's shape.
        "pages": [page.mediabox.width > page.mediabox.height for page in writer.pages],
        "fund_name_css": css_string(settings.RISKCOMP_FUND_NAME),
        "title_css": css_string(data.title)})).write_pdf()))
    for page, overlay in zip(writer.pages, furniture.pages, strict=True):
        page.merge_page(overlay)
        page.compress_content_streams()  # the merged stream is written out uncompressed
    writer.add_metadata({"/Title": data.title, "/Author": settings.RISKCOMP_CUSTODIAN_NAME,
                         "/Subject": f"{data.period_start} – {data.period_end}"})
    out = BytesIO()
    writer.write(out)
    report(100)
    return out.getvalue(), total


# --- Excel ------------------------------------------------------------------------------------

def _kind(table: Table, index: int, rows: list[tuple]) -> str:
    if index in table.money_columns:
        return "money"
    sample = next((r[index] for r in rows if r[index] not in (None, "")), None)
    if isinstance(sample, datetime):
        return "datetime"
    if isinstance(sample, date):
        return "date"
    if isinstance(sample, bool):
        return "text"
    if isinstance(sample, int):
        return "int"
    if isinstance(sample, Decimal):
        return "money"
    return "text"


def report_workbook(data: ReportData) -> bytes:
    """The report's tables as an .xlsx, one sheet per table after a cover sheet with the key
    figures; text that looks like a formula is written as text (``riskcomp.exports``)."""
    wb = Workbook(write_only=True)
    cover = wb.create_sheet(title=_("报告信息"))
    cover.column_dimensions["A"].width = 28
    cover.column_dimensions["B"].width = 40
    bold = Font(bold=True)
    for label, value, kind in (
            (_("报告"), data.title, "text"),
            (_("报告期间"), f"{data.period_start.isoformat()} — {data.period_end.isoformat()}",
             "text"),
            (_("生成时间"), data.generated_at, "datetime")):
        head = WriteOnlyCell(cover, value=label)
        head.font = bold
        cover.append([head, export_cell(cover, value, kind)])
    cover.append([])
    for key, total in data.totals.items():
        cover.append([export_cell(cover, str(TOTAL_LABELS.get(key, key)), "text"),
                      export_cell(cover, total, "int" if key.endswith("_count") else "money")])
    for table in (*data.summary, *data.details):
        ws = wb.create_sheet(title=_sheet_title(table.title))
        kinds = [_kind(table, i, table.rows) for i in range(len(table.headers))]
        for i, header in enumerate(table.headers, start=1):
            ws.column_dimensions[get_column_letter(i)].width = max(12, min(40, 2 * len(header)
                                                                             + 4))
        ws.freeze_panes = "A2"
        header_row = []
        for header in table.headers:
            cell = WriteOnlyCell(ws, value=str(header))
            cell.font = bold
            header_row.append(cell)
        ws.append(header_row)
        for row in table.rows:
            ws.append([export_cell(ws, v, kinds[i]) for i, v in enumerate(row)])
        if table.total is not None:
            cells = [export_cell(ws, v, kinds[i] if kinds[i] in ("money", "int") and v != ""
                                 else "text") for i, v in enumerate(table.total)]
            for cell in cells:
                cell.font = bold
            ws.append(cells)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def _sheet_title(title: str) -> str:
    # Excel refuses these characters in sheet names and keeps at most 31.
    for ch in "[]:*?/\\":
        title = title.replace(ch, "")
    return title[:31]


TOTAL_LABELS = {
    "opening_balance": _lazy("期初余额"),
    "closing_balance": _lazy("期末余额"),
    "capital": _lazy("财政拨入资金"),
    "returns": _lazy("银行返还"),
    "interest": _lazy("存款利息"),
    "compensation": _lazy("补偿拨付"),
    "management_fee": _lazy("托管管理费"),
    "reversal": _lazy("冲销更正（净额）"),
    "inflow": _lazy("流入合计"),
    "outflow": _lazy("流出合计"),
    "net_change": _lazy("本期净变动"),
    "write_off_loss": _lazy("核销确认损失"),
    "filings_principal": _lazy("本期备案贷款金额"),
    "filings_count": _lazy("本期备案笔数"),
    "claims_count": _lazy("本期申报笔数"),
    "claims_compensation": _lazy("本期申报补偿金额"),
    "payments": _lazy("本期拨付金额"),
    "receivable": _lazy("期末补偿净敞口"),
    "returns_due": _lazy("期末待返还金额"),
}
