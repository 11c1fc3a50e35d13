"""Excel exports of the lists (the list's own search, filters and sort, every page).

Text that a spreadsheet would read as a formula (starting with = + - @, a tab or a carriage
return) is written as an explicit string cell with Excel's quote prefix: it shows as typed and
is never evaluated, and the value stays exactly what the user entered. Money is numeric with two
decimals; dates are dates.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
MONEY_FORMAT = "#,##0.00"
RATIO_FORMAT = "0.00%"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


@dataclass(frozen=True)
class XColumn:
    """One exported column: its heading, how to read the value from a row, its kind
    (``text``, ``money``, ``ratio``, ``number``, ``date``, ``datetime``, ``int``) and its
    width."""

    header: Any
    value: Callable[[Any], Any]
    kind: str = "text"
    width: int = 16


def is_formula_like(value: str) -> bool:
    return value.startswith(FORMULA_PREFIXES)


def _cell(ws: Worksheet, value: Any, kind: str) -> WriteOnlyCell:
    if value is None or value == "":
        return WriteOnlyCell(ws, value=None)
    if kind == "money":
        cell = WriteOnlyCell(ws, value=Decimal(value))
        cell.number_format = MONEY_FORMAT
        return cell
    if kind == "ratio":
        cell = WriteOnlyCell(ws, value=Decimal(value))
        cell.number_format = RATIO_FORMAT
        return cell
    if kind == "int":
        return WriteOnlyCell(ws, value=int(value))
    if kind == "number":  # a figure with its own decimals: times, days
        return WriteOnlyCell(ws, value=Decimal(value))
    if kind == "datetime" and isinstance(value, datetime):
        cell = WriteOnlyCell(ws, value=timezone.localtime(value).replace(tzinfo=None))
        cell.number_format = DATETIME_FORMAT
        return cell
    if kind == "date" and isinstance(value, date):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = DATE_FORMAT
        return cell
    text = str(value)
    cell = WriteOnlyCell(ws, value=text)
    if is_formula_like(text):
        cell.data_type = "s"  # a string, whatever openpyxl guessed from the leading "="
        cell.quotePrefix = True  # Excel keeps it text even when the cell is edited
    return cell


def workbook_bytes(rows: Iterable[Any], columns: tuple[XColumn, ...], *, title: str) -> bytes:
    """An .xlsx of ``rows`` (any iterable; a queryset is read in chunks)."""
    return sheets_bytes([(title, columns, rows)])


def _write_sheet(wb: Any, title: str, columns: tuple[XColumn, ...], rows: Iterable[Any]) -> None:
    ws = wb.create_sheet(title=title[:31])
    for i, col in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = col.width
    ws.freeze_panes = "A2"
    header = []
    for col in columns:
        cell = WriteOnlyCell(ws, value=str(col.header))
        cell.font = Font(bold=True)
        header.append(cell)
    ws.append(header)
    iterator = rows.iterator(chunk_size=2000) if hasattr(rows, "iterator") else rows
    for row in iterator:
        ws.append([_cell(ws, col.value(row), col.kind) for col in columns])


def xlsx_response(rows: Iterable[Any], columns: tuple[XColumn, ...], *, title: str,
                  filename: str) -> HttpResponse:
    """The workbook as a download, named ``<filename>-YYYYMMDD.xlsx``."""
    body = workbook_bytes(rows, columns, title=title)
    response = HttpResponse(body, content_type=XLSX)
    stamp = timezone.localdate().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="{filename}-{stamp}.xlsx"'
    response["Cache-Control"] = "private, no-store"
    return response


def wants_xlsx(params: Any) -> bool:
    """Whether a list was asked for as a workbook (``?export=xlsx``, the export button's link);
    ``params`` is the request or its query dict."""
    get = getattr(params, "GET", params)
    return get.get("export") == "xlsx"


def sheets_bytes(sheets: Iterable[tuple[str, tuple[XColumn, ...], Iterable[Any]]]) -> bytes:
    """An .xlsx with one sheet per (title, columns, rows): bold frozen headers, each column's
    width and cell kind."""
    wb = Workbook(write_only=True)
    for title, columns, rows in sheets:
        _write_sheet(wb, title, columns, rows)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
