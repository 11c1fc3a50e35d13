"""The quarter's workbooks: the templates banks fill in, reading an uploaded file safely, turning
its rows into ``FilingRequest``s (or classification values) with row-level field errors, and the
workbook of rejected rows.

Reading happens in two steps. ``read_workbook`` checks the file as a container (size, magic
bytes, zip directory: entries, sizes, compression ratio) and reads the data sheet into raw cell
texts, refusing the whole file for formulas, missing columns or no rows; nothing is written
before it has passed. A large bank's quarter is 100,000 rows: they are kept compressed in chunks
of ``CHUNK_ROWS`` (``ParsedSheet``), never all at once as Python lists. ``filing_rows`` /
``classification_rows`` then clean each raw row through the column mapping of
``loans.resources`` (django-import-export fields and widgets).

Workbook metadata (sheet list, styles, shared strings) is read by openpyxl in read-only mode, with
defusedxml. The cells of the data sheet are read by a small streaming expat reader that refuses any
DTD (so no entity expansion or external entity can happen, as with defusedxml) and is about five
times faster than openpyxl's cell reader, which matters for the 10,000-row quarter.
"""

import gc
import io
import json
import re
import zipfile
import zlib
from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, localcontext
from functools import cached_property
from pyexpat import XML_PARAM_ENTITY_PARSING_NEVER, ParserCreate
from pyexpat import error as ExpatError
from typing import Any, BinaryIO, NoReturn

import filetype
import openpyxl
from django.conf import settings
from django.db.models.fields import NOT_PROVIDED
from django.utils import translation
from django.utils.translation import gettext as _
from import_export.fields import Field
from openpyxl.comments import Comment
from openpyxl.reader.excel import SHARED_STRINGS, ExcelReader
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.styles.numbers import BUILTIN_FORMATS, BUILTIN_FORMATS_MAX_SIZE
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel
from openpyxl.worksheet.datavalidation import DataValidation

from riskcomp.choices import ReasonCode
from riskcomp.policy.contradictions import out_of_order
from riskcomp.policy.credit_code import credit_code_check_char
from riskcomp.uploads import workbook_macro_parts

from .resources import (
    FILING_HEADER_ALIASES,
    QUALIFICATION_COLUMNS,
    CellError,
    ChoiceCell,
    ClassificationRowResource,
    DateCell,
    DecimalCell,
    FilingRowResource,
    YesNoCell,
)
from .services import filing_request

# Limits. The spreadsheet limit is the portal's general upload limit: a 100,000-row quarter
# written by openpyxl is about 12 MB, its data sheet about 110 MB of XML (read as a stream).
MAX_SPREADSHEET_BYTES = 20 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 400 * 1024 * 1024
# Rows per stored chunk: the unit of reading, judging, writing and progress.
CHUNK_ROWS = 1000
# The template's drop-downs cover this many data rows (a large bank's quarter).
TEMPLATE_ROWS = 100_000
MAX_ZIP_ENTRIES = 200
MAX_COMPRESSION_RATIO = 100  # XML compresses 10-20:1; a zip bomb 1,000:1 and more
XLSX_MAGIC = b"PK\x03\x04"

FILING_SHEET = "填报"
CLASSIFICATION_SHEET = "五级分类"
INSTRUCTIONS_SHEET = "填写说明"
OPTIONS_SHEET = "选项"
REASON_HEADER = "退回原因"
ROW_NUMBER_HEADER = "原文件行号"
HEADER_SEARCH_ROWS = 10  # banks put a title or two above the headers
# Excel holds at most this many characters in a cell: a longer text was not saved by Excel, and
# reading stops at it (a 95 MB cell would otherwise be read, stored and shown whole).
MAX_CELL_CHARS = 32_767
# What is kept of a cell of a column that is not free text (dates, numbers, options), and of an
# ignored column's header; text columns keep twice their field's length (spaces, separators).
OTHER_CELL_CHARS = 40
CUT_MARK = "…"

FILING_FIELDS: list[Field] = FilingRowResource().get_import_fields()
CLASSIFICATION_FIELDS: list[Field] = ClassificationRowResource().get_import_fields()


class ImportFileError(Exception):
    """The file as a whole cannot be imported; ``message`` tells the bank why (Chinese)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Layout:
    """One kind of workbook: its data sheet and its columns (from ``loans.resources``)."""

    kind: str
    sheet: str
    fields: tuple[Field, ...]
    title: str
    # A header of an older template -> the headers of the columns its cells fill.
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def headers(self) -> list[str]:
        return [f.column_name for f in self.fields]

    @cached_property
    def bounds(self) -> list[int]:
        """Per column, the most characters of a cell kept as read (see ``bounded``)."""
        return [max(2 * f.widget.max_length, OTHER_CELL_CHARS)
                if getattr(f.widget, "max_length", None) else OTHER_CELL_CHARS
                for f in self.fields]

    @cached_property
    def plan(self) -> list[tuple[Field, Any, Any]]:
        """(field, widget, value for a blank cell) per column."""
        return [(f, f.widget, None if f.default is NOT_PROVIDED else f.default)
                for f in self.fields]


FILINGS = Layout("filings", FILING_SHEET, tuple(FILING_FIELDS), "贷款备案导入模板",
                 FILING_HEADER_ALIASES)
CLASSIFICATIONS = Layout("classifications", CLASSIFICATION_SHEET, tuple(CLASSIFICATION_FIELDS),
                         "五级分类导入模板")
LAYOUTS = {FILINGS.kind: FILINGS, CLASSIFICATIONS.kind: CLASSIFICATIONS}
_NO_MEMOS = {kind: (None,) * len(layout.fields) for kind, layout in LAYOUTS.items()}


def pack_rows(rows: Sequence[Sequence[Any]]) -> bytes:
    """Raw rows as compact bytes (JSON, deflated: a tenth of the Python lists' size)."""
    return zlib.compress(json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode(), 1)


def unpack_rows(data: bytes | memoryview) -> list[list[Any]]:
    # a BinaryField reads back as memoryview on PostgreSQL, bytes on SQLite
    return json.loads(zlib.decompress(data))


@dataclass
class ParsedSheet:
    """The data rows of an uploaded sheet, ``[row number, cell text or None per column]``, packed
    in chunks of ``CHUNK_ROWS`` rows (``pack_rows``); the sheet and row the headers were found
    in, and the headers of columns not in the layout."""

    chunks: list[bytes]
    sheet: str
    total_rows: int
    header_row: int = 1
    ignored: list[str] = field(default_factory=list)

    @property
    def rows(self) -> list[list[Any]]:
        """Every row at once: for small sheets only."""
        return [r for chunk in self.chunks for r in unpack_rows(chunk)]


@dataclass
class RowResult:
    """One data row after cleaning: the request (or cleaned values), or the field errors."""

    number: int
    request: Any = None
    errors: list[str] = field(default_factory=list)


@contextmanager
def batch_gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for one batch. A batch keeps tens of thousands of
    objects alive (requests, evaluations, snapshots, model instances) and the collector rescans
    them again and again as they accumulate: measured at 40-45% of a 10,000-row validation and
    commit. Nothing of a batch relies on cycles being freed early; collection resumes after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# --- Checking the container -------------------------------------------------------------------

_OTHER_FORMATS = (
    (b"%PDF", "PDF"),
    (b"\x89PNG", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF8", "GIF"),
    (b"\xd0\xcf\x11\xe0", "xls"),
)


def spreadsheet_limit() -> int:
    return min(settings.RISKCOMP_MAX_UPLOAD_BYTES,
               getattr(settings, "RISKCOMP_MAX_SPREADSHEET_BYTES", MAX_SPREADSHEET_BYTES))


def check_size(size: int) -> None:
    limit = spreadsheet_limit()
    if size > limit:
        raise ImportFileError(_("文件过大（%(size)s MB），导入文件不能超过 %(limit)s MB。") % {
            "size": f"{size / 1048576:.1f}", "limit": f"{limit / 1048576:.0f}"})
    if size == 0:
        raise ImportFileError(_("文件为空。"))


def check_container(data: bytes) -> None:
    """Refuse anything that is not an .xlsx zip of a sane size before any XML is parsed."""
    check_size(len(data))
    if not data.startswith(XLSX_MAGIC):
        for magic, name in _OTHER_FORMATS:
            if data.startswith(magic):
                if name == "xls":
                    raise ImportFileError(_(
                        "该文件是旧版Excel（.xls）或加密的工作簿，请在Excel中“另存为”"
                        ".xlsx格式（不设密码）后再上传。"))
                raise ImportFileError(_("该文件是%(type)s文件，不是Excel工作簿（.xlsx），"
                                        "请下载导入模板填写后上传。") % {"type": name})
        guessed = filetype.guess(data[:8192])
        if guessed is not None:
            raise ImportFileError(_("该文件是%(type)s文件，不是Excel工作簿（.xlsx），"
                                    "请下载导入模板填写后上传。") % {
                "type": guessed.extension.upper()})
        raise ImportFileError(_("该文件不是Excel工作簿（.xlsx），请下载导入模板填写后上传。"))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise ImportFileError(_("文件已损坏，无法作为Excel工作簿打开。")) from exc
    if len(entries) > MAX_ZIP_ENTRIES:
        raise ImportFileError(_("文件结构异常（包含 %(n)s 个部件），已拒绝。") % {
            "n": len(entries)})
    total = sum(e.file_size for e in entries)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise ImportFileError(_("文件解压后过大（%(size)s MB，上限 %(limit)s MB），"
                                "疑似压缩炸弹，已拒绝。") % {
            "size": f"{total / 1048576:.0f}", "limit": MAX_UNCOMPRESSED_BYTES // 1048576})
    for e in entries:
        if e.flag_bits & 0x1:
            raise ImportFileError(_("工作簿已加密，请取消密码后再上传。"))
        if e.file_size > 1048576 and e.file_size > MAX_COMPRESSION_RATIO * max(e.compress_size, 1):
            raise ImportFileError(_("文件压缩比异常（%(name)s），疑似压缩炸弹，已拒绝。") % {
                "name": e.filename[:60]})
    names = {e.filename for e in entries}
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise ImportFileError(_("该压缩文件不是Excel工作簿（.xlsx），请下载导入模板填写后上传。"))
    check_no_macros(data)


def check_no_macros(data: bytes) -> None:
    """Refuse a workbook with macros or controls (.xlsm, or one renamed .xlsx)."""
    if workbook_macro_parts(data):
        raise ImportFileError(_("该工作簿含有宏（VBA）或控件，为安全起见不予导入。请在Excel中"
                                "“另存为”Excel工作簿（.xlsx）后再上传。"))


# --- Reading the data sheet -------------------------------------------------------------------

class _Forbidden(Exception):
    pass


class _TooLong(Exception):
    """A text longer than Excel lets a cell hold: at ``row``, ``column`` (0 for a shared
    string, whose cell is not known yet)."""

    def __init__(self, row: int = 0, column: int = 0) -> None:
        super().__init__(row, column)
        self.row, self.column = row, column


def _forbid(*_args: Any) -> NoReturn:
    raise _Forbidden


def _header_key(text: Any) -> str:
    """Headers compare without blanks, the required-mark * and with ASCII brackets."""
    return (str(text or "").replace("（", "(").replace("）", ")").replace("*", "")
            .replace(" ", "").replace("\u3000", "").strip())


def _column_letters(ref: str) -> str:
    return ref.rstrip("0123456789")


_COLUMN_INDEX: dict[str, int] = {}


def _column_index(letters: str) -> int:
    """1-based column number of ``letters`` (A → 1, AB → 28)."""
    found = _COLUMN_INDEX.get(letters)
    if found is None:
        found = 0
        for ch in letters:
            found = found * 26 + (ord(ch) - 64)
        if len(letters) <= 3:  # real columns end at XFD; a hostile file must not grow the cache
            _COLUMN_INDEX[letters] = found
    return found


EXCEL_DIGITS = 15  # significant digits Excel keeps of a number


def _excel_number(text: str) -> str:
    """A numeric cell's text as Excel shows it: at most 15 significant digits (the file keeps the
    binary double, e.g. 0.30000000000000004 for 0.3), an integer without ".0" or exponent (a
    numeric IOU), and an integer of more than 15 digits, whose last digits Excel has lost, in
    Excel's exponent form (2.0261112E+17), which the text columns refuse."""
    if len(text) <= EXCEL_DIGITS and "E" not in text and "e" not in text:
        return text[:-2] if text.endswith(".0") else text  # the common case, kept fast
    try:
        number = Decimal(text)
    except ArithmeticError:  # not a number: the column's widget will say so
        return text
    if not number.is_finite():
        return text
    with localcontext() as ctx:
        ctx.prec = EXCEL_DIGITS
        shown = (+number).normalize()
    if shown != shown.to_integral_value():
        return format(shown, "f")
    if shown.adjusted() < EXCEL_DIGITS:
        return format(shown, "f")
    sign, digits, _exponent = shown.as_tuple()
    mantissa = "".join(map(str, digits)).rstrip("0") or "0"
    head = mantissa[0] + ("." + mantissa[1:] if len(mantissa) > 1 else "")
    return f"{'-' if sign else ''}{head}E+{shown.adjusted()}"


def _percent_text(text: str) -> str:
    """The value of a cell formatted as a percentage as Excel shows it: 0.05 → "5%"."""
    try:
        number = Decimal(_excel_number(text))
    except ArithmeticError:
        return text
    return format(number.scaleb(2).normalize(), "f") + "%"


_QUOTED = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')


def is_percent_format(code: str) -> bool:
    """Whether a number format shows its value times 100 with a % sign (builtin 9 and 10,
    or a custom format with a % outside quotes, escapes and [colour] brackets)."""
    return "%" in _QUOTED.sub("", code or "")


def _percent_styles(wb: Any) -> set[int]:
    """Indexes of the workbook's cell styles whose number format is a percentage. openpyxl
    3.1 (pinned) rebases custom formats to ids from 164 into ``wb._number_formats``."""
    found = set()
    custom = list(getattr(wb, "_number_formats", ()))
    for index, style in enumerate(getattr(wb, "_cell_styles", ())):
        fmt_id = style.numFmtId
        if fmt_id < BUILTIN_FORMATS_MAX_SIZE:
            code = BUILTIN_FORMATS.get(fmt_id, "")
        elif fmt_id - BUILTIN_FORMATS_MAX_SIZE < len(custom):
            code = custom[fmt_id - BUILTIN_FORMATS_MAX_SIZE]
        else:
            continue
        if is_percent_format(code):
            found.add(index)
    return found


class _SheetReader:
    """Streams the rows of one worksheet part as ``(row number, {column: text})``."""

    def __init__(self, strings: Sequence[str], date_styles: set[int], epoch: Any,
                 percent_styles: set[int] | frozenset[int] = frozenset(),
                 formulas_after: int = 0) -> None:
        self.strings = strings
        self.date_styles = date_styles
        self.percent_styles = percent_styles
        self.epoch = epoch
        # Formulas are refused in the data rows; above them (a title, a summary sheet that is
        # only looked through for headers) their cached values are read.
        self.formulas_after = formulas_after
        self.reset()

    def reset(self) -> None:
        """The state of a reading not begun (the expat reader reads again after the scan)."""
        self.done: list[tuple[int, dict[int, str]]] = []
        self.in_data = False
        self.row_number = 0
        self.cells: dict[int, str] = {}
        self.column = 0
        self.in_cell = False
        self.cell_type = "n"
        self.cell_style = 0
        self.text = ""
        self.capture = False
        self.in_inline = False
        self.in_phonetic = False
        self.formula_at: tuple[int, int] | None = None
        self.first_row: dict[int, str] | None = None  # the header, to name a formula's column

    # The handlers below run for every element of a 100,000-row sheet (six per cell): the cell
    # and its value come first, without a call more than needed; the rest is ``_start_other``.
    def start(self, name: str, attrs: dict[str, str]) -> None:
        if name == "c":
            if self.in_data:
                ref = attrs.get("r")
                if ref:
                    letters = ref.rstrip("0123456789")
                    column = _COLUMN_INDEX.get(letters)
                    self.column = column if column is not None else _column_index(letters)
                else:
                    self.column += 1
                self.cell_type = attrs.get("t", "n")
                style = attrs.get("s")
                self.cell_style = int(style) if style else 0
                self.text = ""
                self.in_cell = True
        elif name == "v":
            if self.in_data:
                self.capture = True
        elif name == "is":  # an inline string (openpyxl writes text so)
            if self.in_data:
                self.in_inline = True
        elif name == "t":
            if self.in_data and self.in_inline and not self.in_phonetic:
                self.capture = True
        else:
            self._start_other(name, attrs)

    def _start_other(self, name: str, attrs: dict[str, str]) -> None:
        if ":" in name:  # a prefixed namespace (rare: Excel writes the default one)
            name = name.rpartition(":")[2]
            if name in ("c", "v", "is", "t"):
                self.start(name, attrs)
                return
        if not self.in_data:
            if name == "sheetData":
                self.in_data = True
            return
        if name == "row":
            ref = attrs.get("r")
            self.row_number = int(ref) if ref else self.row_number + 1
            self.cells = {}
            self.column = 0
        elif name == "f" and self.in_cell and self.row_number > self.formulas_after:
            self.formula_at = (self.row_number, self.column)
            raise _Forbidden
        elif name == "rPh":
            self.in_phonetic = True

    def end(self, name: str) -> None:
        if not self.in_data:
            return
        if name in ("v", "t"):
            self.capture = False
        elif name == "is":
            self.in_inline = False
        elif name == "c":
            self.in_cell = False
            text = self.text
            if self.cell_type == "s":  # a shared string: most cells
                if text:
                    self.cells[self.column] = self.strings[int(text)]
            else:
                value = self.value(text)
                if value is not None:
                    self.cells[self.column] = value
        else:
            self._end_other(name)

    def _end_other(self, name: str) -> None:
        if ":" in name:
            name = name.rpartition(":")[2]
            if name in ("c", "v", "is", "t"):
                self.end(name)
                return
        if name == "row":
            if self.cells:
                self.done.append((self.row_number, self.cells))
                if self.first_row is None:
                    self.first_row = self.cells
        elif name == "rPh":
            self.in_phonetic = False
        elif name == "sheetData":
            self.in_data = False

    def chars(self, data: str) -> None:
        if self.capture:
            # Usually one piece per value (the parser buffers text); several are joined.
            text = self.text = self.text + data if self.text else data
            if len(text) > MAX_CELL_CHARS:
                raise _TooLong(self.row_number, self.column)

    def value(self, text: str) -> str | None:
        kind = self.cell_type
        if kind == "s":
            return self.strings[int(text)] if text else None
        if kind in ("inlineStr", "str", "e"):
            return text
        if kind == "b":
            return "TRUE" if text.strip() in ("1", "true") else "FALSE"
        if kind == "d":
            return text[:10] or None
        if not text:
            return None
        if self.cell_style in self.percent_styles:
            return _percent_text(text)
        if self.cell_style in self.date_styles:
            try:
                moment = from_excel(float(text), self.epoch)
            except (ValueError, OverflowError):  # not a date after all: the widget says so
                return text
            if isinstance(moment, datetime):
                return moment.date().isoformat()
        return _excel_number(text)


class _SharedStrings:
    """The workbook's shared strings (``<si>``: a text, or rich-text runs, without the phonetic
    guide), as openpyxl reads them, but streamed and bounded: a string longer than Excel lets a
    cell hold stops the reading at once (``_TooLong``)."""

    def __init__(self) -> None:
        self.strings: list[str] = []
        self.parts: list[str] = []
        self.chars_in = 0
        self.capture = False
        self.in_phonetic = False

    def start(self, name: str, attrs: dict[str, str]) -> None:
        name = name.rpartition(":")[2]
        if name == "si":
            self.parts, self.chars_in = [], 0
        elif name == "t" and not self.in_phonetic:
            self.capture = True
        elif name == "rPh":
            self.in_phonetic = True

    def end(self, name: str) -> None:
        name = name.rpartition(":")[2]
        if name == "t":
            self.capture = False
        elif name == "rPh":
            self.in_phonetic = False
        elif name == "si":
            self.strings.append("".join(self.parts).replace("x005F_", ""))

    def chars(self, data: str) -> None:
        if self.capture:
            self.chars_in += len(data)
            if self.chars_in > MAX_CELL_CHARS:
                raise _TooLong
            self.parts.append(data)


def read_shared_strings(source: BinaryIO) -> list[str]:
    """The workbook's shared strings: scanned by ``_scan_shared_strings`` where it can, else read
    by the expat reader (which gives the same strings, or raises the same error)."""
    if source.seekable():
        try:
            return _scan_shared_strings(source)
        except _Unhandled:
            source.seek(0)
    return _expat_shared_strings(source)


def _expat_shared_strings(source: BinaryIO) -> list[str]:
    table = _SharedStrings()
    parser = _safe_parser()
    parser.StartElementHandler = table.start
    parser.EndElementHandler = table.end
    parser.CharacterDataHandler = table.chars
    try:
        while True:
            chunk = source.read(1 << 16)
            parser.Parse(chunk, not chunk)
            if not chunk:
                return table.strings
    except _Forbidden as exc:
        raise ImportFileError(_("文件含有不安全的XML内容（DTD或实体声明），已拒绝。")) from exc


class _BoundedExcelReader(ExcelReader):
    """openpyxl's reader (read-only), with the shared strings read by ``read_shared_strings``."""

    def read_strings(self) -> None:
        part = self.package.find(SHARED_STRINGS)
        if part is not None:
            with self.archive.open(part.PartName[1:]) as source:
                self.shared_strings = read_shared_strings(source)


def _safe_parser() -> Any:
    """An expat parser that refuses any DTD or entity declaration (``_Forbidden``)."""
    parser = ParserCreate()
    parser.buffer_text = True
    parser.SetParamEntityParsing(XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _forbid
    parser.EntityDeclHandler = _forbid
    parser.UnparsedEntityDeclHandler = _forbid
    parser.ExternalEntityRefHandler = _forbid
    return parser


def _iter_sheet(source: BinaryIO, reader: _SheetReader) -> Iterator[tuple[int, dict[int, str]]]:
    """The rows of a worksheet part: scanned by ``_SheetScan`` where it can; from the first thing
    it does not read itself, the expat reader reads the part again and goes on after the rows
    already given, which it gives the same (or it raises the error the scan left to it)."""
    given = 0
    if source.seekable():
        try:
            for batch in _SheetScan(reader).batches(source):
                given += len(batch)
                yield from batch
            return
        except _Unhandled:
            source.seek(0)
            reader.reset()
    rows = _expat_rows(source, reader)
    for _row in zip(range(given), rows, strict=False):
        pass
    yield from rows


def _expat_rows(source: BinaryIO, reader: _SheetReader) -> Iterator[tuple[int, dict[int, str]]]:
    parser = _safe_parser()
    parser.StartElementHandler = reader.start
    parser.EndElementHandler = reader.end
    parser.CharacterDataHandler = reader.chars
    while True:
        chunk = source.read(1 << 16)
        parser.Parse(chunk, not chunk)
        if reader.done:
            yield from reader.done
            reader.done.clear()
        if not chunk:
            return


# --- Scanning the data sheet ------------------------------------------------------------------
# The expat reader above calls Python six times per cell: a second for a 10,000-row quarter. The
# scan below finds a sheet's cells with one compiled regex over pieces of the part, and gives
# exactly the expat reader's rows. It reads only the markup Excel, WPS and openpyxl write (cells
# with a value or an inline text, known attributes, the five predefined entities and character
# references); on anything else (a namespace prefix, rich text, a formula, a comment, CDATA, a
# DTD, a carriage return, a text longer than Excel allows, a broken part) it raises
# ``_Unhandled`` and the expat reader reads the part, and refuses it where it must. The markup
# outside the sheet's data (before and after ``<sheetData>``) is parsed by expat as it is.

class _Unhandled(Exception):
    """What the scan does not read itself: the expat reader reads the part instead."""


# The expat reader reads the part in pieces of this size and gives the rows completed in each
# piece after parsing it: the scan gives a row only once the whole piece holding its end has been
# read without a fault, so that it never gives a row the expat reader would not have given before
# refusing the file (a formula or a broken tag a little further on).
_EXPAT_PIECE = 1 << 16
_SCAN_PIECES = (1 << 16, 1 << 17, 1 << 18)  # small first: the headers are near the start
# A row (or a shared string, or the markup before them) longer than this is read by expat,
# which streams it: the scan holds at most about twice this.
_SCAN_BUFFER = 1 << 19

# Control characters XML does not allow (expat refuses them), and the carriage return (expat
# turns line ends into line feeds).
_CONTROLS = bytes(range(0x09)) + b"\x0b\x0c\x0d" + bytes(range(0x0e, 0x20))
_ATTRIBUTES = re.compile(
    r"""(?:[ \t\n]+[A-Za-z_][A-Za-z0-9_.:-]*[ \t\n]*=[ \t\n]*(?:"[^"<&]*"|'[^'<&]*'))*[ \t\n]*""")
_ATTRIBUTE = re.compile(r"""([A-Za-z_][A-Za-z0-9_.:-]*)[ \t\n]*=[ \t\n]*(?:"([^"]*)"|'([^']*)')""")
# A cell (its column letters when ``r`` comes first, its other attributes, a value or an inline
# text), a row's start (attributes, ">" or "/>"), or "</row>"; any other "<" is unexpected.
_SHEET_TOKEN = re.compile(
    r'<c(?: r="([A-Z]{1,3})[0-9]+")?([^<>/]*)'
    r'(?:/>|>(?:<v>([^<]{0,32767})</v>'
    r'|<is><t(?: xml:space="preserve")?>([^<]{0,32767})</t></is>)?</c>)'
    r'|<row(?: r="([0-9]+)")?([^<>/]*)(/?>)'
    r'|(</row>|<)')
_ENTITY = re.compile(r"&(?:(amp|lt|gt|quot|apos)|#([0-9]{1,7})|#x([0-9a-fA-F]{1,6}));|&")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


def _attributes(text: str) -> dict[str, str]:
    """A start tag's attributes as expat gives them (tabs and line feeds in a value become
    spaces); ``_Unhandled`` for anything else (entities, a repeated name)."""
    if _ATTRIBUTES.fullmatch(text) is None:
        raise _Unhandled
    found: dict[str, str] = {}
    for name, double, single in _ATTRIBUTE.findall(text):
        if name in found:
            raise _Unhandled
        found[name] = (double or single).replace("\t", " ").replace("\n", " ")
    return found


def _entity(match: re.Match[str]) -> str:
    name, decimal, hexadecimal = match.groups()
    if name:
        return _ENTITIES[name]
    if not (decimal or hexadecimal):
        raise _Unhandled  # a bare "&" or an entity XML does not predefine
    code = int(decimal) if decimal else int(hexadecimal, 16)
    if (code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD
            or 0x10000 <= code <= 0x10FFFF):
        return chr(code)
    raise _Unhandled


def _xml_text(text: str) -> str:
    """Character data with its references replaced, as expat replaces them."""
    return _ENTITY.sub(_entity, text) if "&" in text else text


def _scan_pieces(source: BinaryIO) -> Iterator[bytes]:
    """The part's bytes in pieces; any fault reading it is ``_Unhandled``."""
    sizes = iter(_SCAN_PIECES)
    size = _SCAN_PIECES[0]
    while True:
        try:
            piece = source.read(size)
        except Exception as exc:  # a broken zip entry: the expat reader meets it in its turn
            raise _Unhandled from exc
        if not piece:
            return
        yield piece
        size = next(sizes, size)


def _decoded(data: bytes) -> str:
    """UTF-8 markup the scan may read: no character XML refuses, no carriage return, no "]]>"
    outside CDATA (both refused by expat). Searched for single bytes first: fast, and rare."""
    if len(data.translate(None, _CONTROLS)) != len(data) or (b"]" in data and b"]]>" in data):
        raise _Unhandled
    try:
        text = data.decode()
    except UnicodeDecodeError as exc:
        raise _Unhandled from exc
    if b"\xef" in data and ("\ufffe" in text or "\uffff" in text):
        raise _Unhandled
    return text


class _Outside:
    """Expat over the markup around the scanned elements (the XML declaration, the root, the
    sheet's settings before its data, what follows): it faults as the expat reader would there,
    and refuses a DTD. ``inner`` is the element whose content the scan reads; any other start
    tag outside it is ``_Unhandled`` unless ``allowed``."""

    def __init__(self, inner: str, allowed: bool) -> None:
        self.inner = inner
        self.allowed = allowed
        self.entered = False
        self.parser = _safe_parser()
        self.parser.StartElementHandler = self.start
        self.parser.XmlDeclHandler = self.declaration

    def start(self, name: str, _attrs: dict[str, str]) -> None:
        if name.rpartition(":")[2] == self.inner:
            if self.entered or name != self.inner:
                raise _Unhandled  # a second one, or a prefixed one: the expat reader reads it
            self.entered = True
        elif not self.allowed:
            raise _Unhandled

    @staticmethod
    def declaration(_version: str, encoding: str | None, _standalone: int) -> None:
        if encoding is not None and encoding.lower() != "utf-8":
            raise _Unhandled

    def parse(self, data: bytes, final: bool = False) -> None:
        try:
            self.parser.Parse(data, final)
        except _Unhandled:
            raise
        except Exception as exc:  # a fault, or a DTD (``_Forbidden``): the expat reader's to say
            raise _Unhandled from exc

    def open(self, pieces: Iterator[bytes], tag: bytes) -> tuple[bytes, int]:
        """Parse the markup up to and with the start tag ``tag`` (``<sheetData``); the bytes
        read after it, and where they start in the part."""
        data = b""
        for piece in pieces:
            if not data and (piece.startswith((b"\xfe\xff", b"\xff\xfe"))
                             or b"\x00" in piece[:4]):
                raise _Unhandled  # UTF-16 or UTF-32: the scan reads UTF-8 only
            data += piece
            at = data.find(tag)
            end = data.find(b">", at) if at >= 0 else -1
            if end >= 0:
                if data[end - 1:end] == b"/":
                    raise _Unhandled  # empty: nothing to scan
                self.parse(data[:end + 1])
                if not self.entered:  # the tag was in a comment, or is another one
                    raise _Unhandled
                return data[end + 1:], end + 1
            if len(data) > _SCAN_BUFFER:
                raise _Unhandled
        raise _Unhandled


class _Conversion:
    """How a kind of cell (``t``, ``s``) turns its text into the reader's value, with the values
    already worked out (dates, percentages, booleans repeat down a column)."""

    __slots__ = ("known", "style", "type")

    def __init__(self, cell_type: str, style: int) -> None:
        self.type, self.style = cell_type, style
        self.known: dict[str, str | None] = {}


_TEXT, _SHARED, _NUMBER = 0, 1, 2  # the kinds of cells converted in the scan's loop itself
_KNOWN_VALUES = 10_000  # values kept per kind of cell
_KINDS_KEPT = 1_000  # kinds of cell kept (a sheet has a few dozen)


class _SheetScan:
    """Scans one worksheet part for ``_iter_sheet`` with the conversions of ``reader``."""

    def __init__(self, reader: _SheetReader) -> None:
        self.reader = reader
        self.row_number = 0
        self.kinds: dict[str, Any] = {}
        self.rows_checked: set[str] = set()  # attributes of rows but ``r``, found well formed

    def batches(self, source: BinaryIO) -> Iterator[list[tuple[int, dict[int, str]]]]:
        """The rows, in lists, each given only once the expat reader would have given it."""
        pieces = _scan_pieces(source)
        outside = _Outside("sheetData", allowed=True)
        data, offset = outside.open(pieces, b"<sheetData")
        # (offset after a row's end, rows): given once the expat piece holding it is read.
        waiting: deque[tuple[int, list[tuple[int, dict[int, str]]]]] = deque()
        ended = False
        while not ended:
            piece = next(pieces, b"")
            data += piece
            end = data.find(b"</sheetData")
            ended = end >= 0
            if not (ended or piece):
                raise _Unhandled  # the data never ends: the expat reader says where it breaks
            cut = end if ended else data.rfind(b"<row")
            if cut > 0:
                rows = self.rows(_decoded(data[:cut]))
                data, offset = data[cut:], offset + cut
                if rows:
                    waiting.append((-(-offset // _EXPAT_PIECE) * _EXPAT_PIECE, rows))
                while waiting and waiting[0][0] <= offset:
                    yield waiting.popleft()[1]
            elif len(data) > _SCAN_BUFFER:
                raise _Unhandled
        # The rest is parsed in the expat reader's pieces, so that a fault is met in the same
        # piece, and the rows before it given as the expat reader gives them.
        while data:
            boundary = (offset // _EXPAT_PIECE + 1) * _EXPAT_PIECE
            take = min(len(data), boundary - offset)
            outside.parse(data[:take])
            data, offset = data[take:], offset + take
            while waiting and waiting[0][0] <= offset:
                yield waiting.popleft()[1]
            if not data:
                data = next(pieces, b"")
        while waiting:  # the last piece, shorter
            yield waiting.popleft()[1]
        outside.parse(b"", True)

    def kind(self, attributes: str) -> Any:
        """How cells with these attributes (but ``r``) are converted: ``_TEXT``, ``_SHARED``,
        ``_NUMBER`` or a ``_Conversion`` by ``_SheetReader.value``."""
        found = _attributes(attributes)
        if "r" in found:
            raise _Unhandled  # ``r`` after another attribute, or not a cell reference
        cell_type = found.get("t", "n")
        style_text = found.get("s")
        style = int(style_text) if style_text else 0
        if cell_type in ("inlineStr", "str", "e"):
            return _TEXT
        if cell_type == "s":
            return _SHARED
        reader = self.reader
        if (cell_type not in ("b", "d") and style not in reader.percent_styles
                and style not in reader.date_styles):
            return _NUMBER
        return _Conversion(cell_type, style)

    def rows(self, text: str) -> list[tuple[int, dict[int, str]]]:
        """The rows of whole rows of a sheet's data, as the expat reader gives them."""
        done: list[tuple[int, dict[int, str]]] = []
        reader, kinds, strings = self.reader, self.kinds, self.reader.strings
        columns = _COLUMN_INDEX
        row_number, column = self.row_number, 0
        cells: dict[int, str] | None = None
        entities = "&" in text
        references = 0
        rows_checked = self.rows_checked
        try:
            for letters, attributes, value, inline, number, row, opened, other in (
                    _SHEET_TOKEN.findall(text)):
                if other:
                    if other != "</row>" or cells is None:
                        raise _Unhandled
                    if cells:
                        done.append((row_number, cells))
                    cells = None
                elif opened:
                    if cells is not None:
                        raise _Unhandled
                    if number:
                        if row not in rows_checked:  # the other attributes, no second ``r``
                            if "r" in _attributes(row):
                                raise _Unhandled
                            if len(rows_checked) < _KINDS_KEPT:
                                rows_checked.add(row)
                        row_number = int(number)
                    else:
                        ref = _attributes(row).get("r")
                        row_number = int(ref) if ref else row_number + 1
                    if opened == ">":
                        cells, column = {}, 0
                else:
                    if cells is None:
                        raise _Unhandled  # a cell outside a row
                    column = (columns.get(letters) or _column_index(letters) if letters
                              else column + 1)
                    kind = kinds.get(attributes)
                    if kind is None:
                        if len(kinds) >= _KINDS_KEPT:  # a file with ever new attributes
                            kinds.clear()
                        kind = kinds[attributes] = self.kind(attributes)
                    content = value or inline
                    if entities and "&" in content:
                        references += content.count("&")
                        content = _xml_text(content)
                    if kind == _TEXT:
                        cells[column] = content
                    elif kind == _SHARED:
                        if content:
                            cells[column] = strings[int(content)]
                    elif kind == _NUMBER:
                        if content:
                            cells[column] = _excel_number(content)
                    else:
                        converted = kind.known.get(content, kind)
                        if converted is kind:
                            reader.cell_type, reader.cell_style = kind.type, kind.style
                            converted = reader.value(content)
                            if len(kind.known) < _KNOWN_VALUES:
                                kind.known[content] = converted
                        if converted is not None:
                            cells[column] = converted
        except _Unhandled:
            raise
        except Exception as exc:  # a conversion the expat reader's handlers would raise
            raise _Unhandled from exc
        if cells is not None or (entities and references != text.count("&")):
            raise _Unhandled  # a row not closed, or a reference outside a value
        self.row_number = row_number
        if done and reader.first_row is None:
            reader.first_row = done[0][1]
        return done


# A shared string: a text (with Excel's phonetic settings), or any other ``<si>`` (rich text
# runs, a phonetic guide, a long text) read by expat on its own; any other "<" is unexpected.
_SHARED_TOKEN = re.compile(
    r'<si><t(?: xml:space="preserve")?>([^<]{0,32767})</t>'
    r'(?:<phoneticPr(?: fontId="[0-9]+")?(?: type="[A-Za-z]+")?(?: alignment="[A-Za-z]+")? ?/>)?'
    r'</si>'
    r'|(<si>[^<]*(?:<(?!/si>)[^<]*)*</si>)'
    r'|(<)')


def _scan_shared_strings(source: BinaryIO) -> list[str]:
    """The shared strings as ``_SharedStrings`` reads them, scanned as ``_SheetScan`` scans a
    sheet: ``_Unhandled`` for anything else (the expat reader then reads the table)."""
    pieces = _scan_pieces(source)
    outside = _Outside("sst", allowed=False)
    data, _start = outside.open(pieces, b"<sst")
    strings: list[str] = []
    ended = False
    while not ended:
        piece = next(pieces, b"")
        data += piece
        end = data.find(b"</sst")
        ended = end >= 0
        if not (ended or piece):
            raise _Unhandled
        cut = end if ended else data.rfind(b"<si>")
        if cut > 0:
            _add_shared_strings(_decoded(data[:cut]), strings)
            data = data[cut:]
        elif len(data) > _SCAN_BUFFER:
            raise _Unhandled
    while data:
        outside.parse(data)
        data = next(pieces, b"")
    outside.parse(b"", True)
    return strings


def _add_shared_strings(text: str, strings: list[str]) -> None:
    entities = "&" in text
    references = 0
    try:
        for simple, other_si, other in _SHARED_TOKEN.findall(text):
            if other:
                raise _Unhandled
            if other_si:
                references += other_si.count("&")
                strings.append(_shared_string(other_si))
                continue
            if entities and "&" in simple:
                references += simple.count("&")
                simple = _xml_text(simple)
            strings.append(simple.replace("x005F_", ""))
    except _Unhandled:
        raise
    except Exception as exc:  # expat's fault with a string: the expat reader's to say
        raise _Unhandled from exc
    if entities and references != text.count("&"):
        raise _Unhandled


def _shared_string(markup: str) -> str:
    """One ``<si>`` read by ``_SharedStrings``."""
    table = _SharedStrings()
    parser = _safe_parser()
    parser.StartElementHandler = table.start
    parser.EndElementHandler = table.end
    parser.CharacterDataHandler = table.chars
    parser.Parse(markup.encode(), True)
    if len(table.strings) != 1:
        raise _Unhandled
    return table.strings[0]


def _cell_name(row: int, column: int, headers: dict[int, str]) -> str:
    name = bounded(headers.get(column) or "", OTHER_CELL_CHARS)
    letter = get_column_letter(column) if column > 0 else "?"
    return f"{letter}（{name}）" if name else letter


def _formula_error(row: int, column: int, headers: dict[int, str]) -> ImportFileError:
    text = _("第%(row)s行%(cell)s列含公式，请将公式“选择性粘贴为数值”后再上传。")
    return ImportFileError(text % {"row": row, "cell": _cell_name(row, column, headers)})


def read_workbook(data: bytes, layout: Layout) -> ParsedSheet:
    """Check the file and read its data rows; raise ``ImportFileError`` for the whole file."""
    check_container(data)
    if not openpyxl.DEFUSEDXML:  # openpyxl parses workbook parts with defusedxml when present
        raise ImportFileError(_("服务器未启用安全的XML解析，暂不能导入。"))
    try:
        reader = _BoundedExcelReader(io.BytesIO(data), read_only=True, data_only=False,
                                     keep_links=False)
        reader.read()
        wb = reader.wb
    except ImportFileError:
        raise
    except _TooLong as exc:
        raise ImportFileError(_("文件中有单元格的内容超过%(n)s个字符（Excel单元格的上限），"
                                "不是Excel保存的正常文件，已拒绝。") % {
            "n": f"{MAX_CELL_CHARS:,}"}) from exc
    except Exception as exc:  # openpyxl raises many kinds for a broken or hostile file
        if _defused(exc):
            raise ImportFileError(_("文件含有不安全的XML内容（DTD或实体声明），已拒绝。")) from exc
        raise ImportFileError(_("文件已损坏或不是有效的Excel工作簿，无法读取。")) from exc
    try:
        with batch_gc_paused():
            return _read_sheet(wb, layout)
    finally:
        wb.close()


def _defused(exc: BaseException | None) -> bool:
    """Whether defusedxml refused a DTD or an entity somewhere in the exception's chain."""
    seen = 0
    while exc is not None and seen < 10:
        if type(exc).__module__.startswith("defusedxml"):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


@dataclass
class _Header:
    """Where a sheet's header row is and how its columns map onto the layout."""

    sheet: str
    row: int
    headers: dict[int, str]
    matched: int


def _candidate_sheets(wb: Any, layout: Layout) -> list[Any]:
    """The worksheets to look for the headers in: the template's sheet first, then the others
    in the workbook's order (a summary sheet often comes first); never the template's own
    instructions and option lists, nor chart sheets."""
    sheets = [ws for ws in wb.worksheets if hasattr(ws, "_worksheet_path")
              and ws.title not in (INSTRUCTIONS_SHEET, OPTIONS_SHEET)]
    return sorted(sheets, key=lambda ws: ws.title != layout.sheet)


def _find_header(wb: Any, layout: Layout, reader_for: Any) -> _Header | None:
    """The row within the first ``HEADER_SEARCH_ROWS`` rows of a sheet that names the most
    columns of the layout: the first sheet with a row naming them all, else the best row seen
    (its missing columns are then named). None when no sheet has a single cell."""
    # An older template's header (see ``Layout.aliases``) counts as the columns it stands for.
    wanted = {_header_key(h) for h in (*layout.headers, *layout.aliases)}
    # An old template names one column fewer per alias: the whole layout either way.
    complete = len(layout.headers) - sum(len(new) - 1 for new in layout.aliases.values())
    best: _Header | None = None
    for ws in _candidate_sheets(wb, layout):
        reader = reader_for(HEADER_SEARCH_ROWS)
        with wb._archive.open(ws._worksheet_path) as source:
            for number, cells in _iter_sheet(source, reader):
                if number > HEADER_SEARCH_ROWS:
                    break
                headers = {col: str(text).strip() for col, text in cells.items()}
                matched = len({_header_key(t) for t in headers.values()} & wanted)
                if best is None or matched > best.matched:
                    best = _Header(ws.title, number, headers, matched)
                if matched >= complete:
                    return best
    return best


def _read_sheet(wb: Any, layout: Layout) -> ParsedSheet:
    first = next((ws for ws in wb.worksheets if hasattr(ws, "_worksheet_path")), None)
    if first is None:
        raise ImportFileError(_("工作簿中没有工作表。"))
    # openpyxl 3.1 (pinned): the read-only sheets' parts, the shared strings, the date styles.
    strings, dates, percents = first._shared_strings, set(wb._date_formats), _percent_styles(wb)

    def reader_for(formulas_after: int) -> _SheetReader:
        return _SheetReader(strings, dates, wb.epoch, percents, formulas_after)

    wanted = {_header_key(h): i for i, h in enumerate(layout.headers)}
    headers: dict[int, str] = {}
    position: dict[int, int] = {}  # sheet column -> layout column
    copies: list[tuple[int, int]] = []  # an older header's cells fill these columns too
    rows: list[list[Any]] = []
    chunks: list[bytes] = []
    total = 0
    width = len(layout.headers)
    bounds = layout.bounds
    found = None
    reader = reader_for(0)
    try:
        found = _find_header(wb, layout, reader_for)
        if found is None or found.matched < 2:
            sheet = found.sheet if found is not None else layout.sheet
            if found is None or not found.headers:
                raise ImportFileError(_("工作表“%(sheet)s”是空的：请使用导入模板，"
                                        "第一行为表头。") % {"sheet": sheet})
            raise ImportFileError(_(
                "在各工作表的前%(n)s行中没有找到导入模板的表头（如“%(example)s”）。"
                "请使用导入模板，不要修改表头。") % {
                "n": HEADER_SEARCH_ROWS, "example": "”“".join(layout.headers[:3])})
        sheet, header_row, headers = found.sheet, found.row, found.headers
        position, copies = _match_headers(headers, wanted, layout, header_row)
        reader = reader_for(header_row)
        with wb._archive.open(wb[sheet]._worksheet_path) as source:
            for number, cells in _iter_sheet(source, reader):
                if number <= header_row:  # the header and any title above it
                    continue
                values: list[Any] = [None] * width
                blank = True
                for col, text in cells.items():
                    if text.startswith("="):
                        raise _formula_error(number, col, headers)
                    index = position.get(col)
                    if index is not None and text.strip():
                        limit = bounds[index]  # ``bounded``, inline: a call per cell counts
                        values[index] = text if len(text) <= limit else text[:limit] + CUT_MARK
                        blank = False
                if blank:
                    continue
                for source, target in copies:
                    values[target] = values[source]
                rows.append([number, *values])
                if len(rows) == CHUNK_ROWS:
                    chunks.append(pack_rows(rows))
                    total += len(rows)
                    rows = []
    except _TooLong as exc:
        raise ImportFileError(_("第%(row)s行%(cell)s列的内容超过%(n)s个字符（Excel单元格的"
                                "上限），不是Excel保存的正常文件，已拒绝。") % {
            "row": exc.row, "n": f"{MAX_CELL_CHARS:,}",
            "cell": _cell_name(exc.row, exc.column, headers)}) from exc
    except _Forbidden as exc:
        if reader.formula_at is not None:
            names = headers or {col: str(text).strip() for col, text in
                                (reader.first_row or {}).items()}
            raise _formula_error(*reader.formula_at, names) from exc
        raise ImportFileError(_("文件含有不安全的XML内容（DTD或实体声明），已拒绝。")) from exc
    except (ExpatError, KeyError, IndexError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise ImportFileError(_("文件已损坏或不是有效的Excel工作簿，无法读取。")) from exc
    if rows:
        chunks.append(pack_rows(rows))
        total += len(rows)
    if not total:
        raise ImportFileError(_("工作表“%(sheet)s”只有表头，没有数据行。") % {"sheet": sheet})
    ignored = [bounded(text, OTHER_CELL_CHARS) for col, text in sorted(headers.items())
               if col not in position and text and text not in (REASON_HEADER, ROW_NUMBER_HEADER)]
    return ParsedSheet(chunks=chunks, sheet=bounded(sheet, OTHER_CELL_CHARS), total_rows=total,
                       header_row=header_row,
                       ignored=ignored)


def _match_headers(headers: dict[int, str], wanted: dict[str, int], layout: Layout,
                   row: int = 1) -> tuple[dict[int, int], list[tuple[int, int]]]:
    """Sheet column -> layout column; and (source, target) layout columns for an older
    template's header, whose cells are read into the first of its columns and copied to the
    others."""
    position: dict[int, int] = {}
    aliases = {_header_key(old): old for old in layout.aliases}
    old_columns: dict[str, int] = {}
    for col, text in headers.items():
        if text.startswith("="):
            raise _formula_error(row, col, headers)
        old = aliases.get(_header_key(text))
        if old is not None:
            if old in old_columns:
                raise ImportFileError(_("表头“%(name)s”出现了两次，请删除重复的列。") % {
                    "name": old})
            old_columns[old] = col
            continue
        index = wanted.get(_header_key(text))
        if index is None:
            continue
        if index in position.values():
            raise ImportFileError(_("表头“%(name)s”出现了两次，请删除重复的列。") % {
                "name": layout.headers[index]})
        position[col] = index
    copies: list[tuple[int, int]] = []
    for old, col in old_columns.items():
        targets = [layout.headers.index(new) for new in layout.aliases[old]]
        if any(i in position.values() for i in targets):
            raise ImportFileError(_("“%(old)s”是旧模板的列，已分为%(new)s，请删除旧列，"
                                    "在新列中分别填写。") % {
                "old": old, "new": "、".join(f"“{new}”" for new in layout.aliases[old])})
        position[col] = targets[0]
        copies.extend((targets[0], i) for i in targets[1:])
    found = {*position.values(), *(target for _source, target in copies)}
    missing = [layout.headers[i] for i in range(len(layout.headers)) if i not in found]
    if missing:
        raise ImportFileError(_("缺少以下列（或列名被修改）：%(cols)s。请使用最新的导入模板，"
                                "不要修改表头。") % {"cols": "、".join(missing)})
    return position, copies


# --- Cleaning rows ----------------------------------------------------------------------------

def bounded(text: str, limit: int) -> str:
    """A cell's text as stored and shown: cut after ``limit`` characters, with a mark, so that
    cleaning refuses it (``_clean``) and the bank sees where it was cut."""
    return text if len(text) <= limit else text[:limit] + CUT_MARK


def _too_long(widget: Any, limit: int) -> CellError:
    return CellError(_("内容过长，不能超过%(n)s个字符") % {
        "n": getattr(widget, "max_length", None) or limit})


# Cells of these kinds repeat across a quarter's rows (yes/no, choices, a day of the quarter, a
# rate, a round amount) and read the same wherever they stand: within one call of
# ``filing_rows`` each distinct text is converted once.
_MEMO_KINDS = frozenset({"choice", "yesno", "date", "decimal"})


def _memos(layout: Layout) -> list[dict[str, Any] | None]:
    """Per column, an empty memo of its cells' readings, or None for a column not worth one
    (identifiers and names, mostly distinct)."""
    return [{} if getattr(widget, "kind", "") in _MEMO_KINDS else None
            for _f, widget, _default in layout.plan]


class _Unreadable:
    """A cell text's ``CellError`` message, kept in a memo in place of a reading."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message


def _read_cell(widget: Any, limit: int, value: str) -> Any:
    if len(value) > limit:
        raise _too_long(widget, limit)
    return widget.convert(value)


def _clean(raw: Sequence[Any], layout: Layout,
           memos: Sequence[dict[str, Any] | None] | None = None,
           ) -> tuple[int, dict[str, Any], list[str]]:
    """Each cell through its field's widget. Raw cells are ``None`` or non-blank text (blanks
    were dropped when reading), so the widget's conversion is called directly for speed; a
    blank takes the field's default, as ``Field.clean`` would give it. ``memos`` (of
    ``_memos``) keep each column's readings, and refusals, across the rows of one call."""
    number = raw[0]
    data: dict[str, Any] = {}
    errors: list[str] = []
    for (f, widget, default), limit, value, memo in zip(
            layout.plan, layout.bounds, raw[1:], memos or _NO_MEMOS[layout.kind], strict=True):
        try:
            if value is None:
                if widget.required:
                    raise CellError(_("必填，不能为空"))
                data[f.attribute] = default
            elif memo is None:
                data[f.attribute] = _read_cell(widget, limit, value)
            else:
                reading = memo.get(value, memo)  # the memo itself: not read yet
                if reading is memo:
                    try:
                        reading = _read_cell(widget, limit, value)
                    except CellError as exc:
                        reading = _Unreadable(str(exc))
                    memo[value] = reading
                if type(reading) is _Unreadable:
                    raise CellError(reading.message)
                data[f.attribute] = reading
        except CellError as exc:
            errors.append(cell_message(number, f.column_name, str(exc)))
    return number, data, errors


def cell_message(number: int, column: str, text: str) -> str:
    return _("第%(row)s行“%(column)s”：%(error)s") % {"row": number, "column": column,
                                                     "error": text}


_CURRENCY = re.compile(r"^[A-Z]{3}$")


def filing_rows(rows: Sequence[Sequence[Any]], *, branches: dict[str, int]) -> list[RowResult]:
    """Clean raw rows into ``FilingRequest``s; a row with a field error carries its messages
    (naming row and column) and no request. ``branches`` maps this bank's branch codes to ids."""
    out = []
    memos = _memos(FILINGS)
    for raw in rows:
        number, d, errors = _clean(raw, FILINGS, memos)
        if not errors:
            errors.extend(_filing_cross_checks(number, d, branches))
        if errors:
            out.append(RowResult(number=number, errors=errors))
            continue
        out.append(RowResult(number=number, request=filing_request(
            d, branch_id=branches[d["branch_code"]] if d["branch_code"] else None)))
    return out


def _filing_cross_checks(number: int, d: dict[str, Any], branches: dict[str, int]) -> list[str]:
    errors = []
    if out_of_order(drawdown_date=d["drawdown_date"], maturity_date=d["maturity_date"]):
        errors.append(cell_message(number, "合同到期日", _("不能早于放款日期")))
    if not _CURRENCY.match(d["currency"]):
        errors.append(cell_message(number, "币种", _("应为三位字母的币种代码，如 CNY、USD")))
    if d["branch_code"] and d["branch_code"] not in branches:
        errors.append(cell_message(number, "经办支行编码", _("本行没有编码为“%(code)s”的支行") % {
            "code": d["branch_code"]}))
    for i in range(1, QUALIFICATION_COLUMNS + 1):
        parts = (d[f"q{i}_no"], d[f"q{i}_from"], d[f"q{i}_to"])
        if not d[f"q{i}_type"]:
            if any(parts):
                errors.append(cell_message(number, f"资质{i}类型",
                                           _("填写了证书编号或有效期，请选择资质类型")))
            continue
        for label, value in zip(("证书编号", "有效期起", "有效期止"), parts, strict=True):
            if not value:
                errors.append(cell_message(number, f"资质{i}{label}", _("选择资质类型后必填")))
        if d[f"q{i}_from"] and d[f"q{i}_to"] and d[f"q{i}_to"] < d[f"q{i}_from"]:
            errors.append(cell_message(number, f"资质{i}有效期止", _("不能早于有效期起")))
    return errors


def classification_rows(rows: Sequence[Sequence[Any]]) -> list[RowResult]:
    """Clean raw rows into dicts (iou_number, classification, classified_on, note)."""
    out = []
    for raw in rows:
        number, d, errors = _clean(raw, CLASSIFICATIONS)
        out.append(RowResult(number=number, request=None if errors else d, errors=errors))
    return out


# --- Writing workbooks ------------------------------------------------------------------------

HEAD_FILL = PatternFill("solid", fgColor="17365D")
OPTIONAL_FILL = PatternFill("solid", fgColor="5F7A99")
REASON_FILL = PatternFill("solid", fgColor="B42318")
HEAD_FONT = Font(bold=True, color="FFFFFF")
WRAP = Alignment(wrap_text=True, vertical="top")
DATE_FORMAT = "yyyy-mm-dd"
_EXAMPLE_CODE = "91110302MA01A2B3C"


def example_credit_code() -> str:
    return _EXAMPLE_CODE + credit_code_check_char(_EXAMPLE_CODE)


def _example(layout: Layout) -> dict[str, Any]:
    if layout is CLASSIFICATIONS:
        return {"iou_number": "JJ2026070001", "classification": "次级",
                "classified_on": date(2026, 12, 31), "note": "逾期超过90天"}
    return {
        "credit_code": example_credit_code(), "enterprise_name": "北京亦庄示例科技有限公司",
        "kind": "企业法人", "size": "小型", "in_bda": "是", "micro_conduct_ok": "是",
        "tech_conduct_ok": "是",
        "tech_scope": "否", "q1_type": "国家高新技术企业", "q1_no": "GR202511000123",
        "q1_from": date(2025, 1, 1), "q1_to": date(2027, 12, 31), "iou_number": "JJ2026070001",
        "contract_number": "HT2026070001", "loan_type": "信用贷款",
        "amount": Decimal("3000000.00"), "currency": "CNY", "drawdown_date": date(2026, 7, 15),
        "maturity_date": date(2027, 7, 14), "rate_percent": Decimal("3.45"),
        "credit_report_outstanding": Decimal("5000000.00"),
        "credit_report_date": date(2026, 7, 10), "other_cover": "否", "first_loan": "是",
        "has_natural_person_guarantee": "否",
    }


def _format_of(widget: Any) -> str | None:
    if isinstance(widget, DateCell):
        return DATE_FORMAT
    if isinstance(widget, DecimalCell):
        return "#,##0.00" if widget.places == 2 else "0.00##"
    return "@"


def _width_of(f: Field) -> int:
    if f.attribute in ("enterprise_name", "guarantee_institution", "note"):
        return 30
    if f.attribute == "credit_code":
        return 22
    if isinstance(f.widget, ChoiceCell):
        return max(14, min(28, max(len(o) for o in f.widget.options()) * 2 + 2))
    return max(12, len(f.column_name) * 2 + 2)


def _typed(widget: Any, value: Any) -> Any:
    """A raw cell text written back with its type when it reads (dates and numbers)."""
    if value is None or not isinstance(widget, DateCell | DecimalCell):
        return value
    try:
        return widget.convert(value)
    except CellError:
        return value


def build_workbook(layout: Layout, rows: Sequence[Sequence[Any]] = (),
                   reasons: dict[int, str] | None = None) -> bytes:
    """The template of ``layout`` (headers, drop-downs, instructions), optionally filled with raw
    ``rows`` and, for the rejected-rows workbook, the reason of each row in an extra column."""
    with translation.override("zh-hans"):
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = layout.sheet
        _data_sheet(wb, ws, layout)
        for raw in rows:
            ws.append([_safe(_typed(f.widget, v)) for f, v in zip(layout.fields, raw[1:],
                                                                  strict=True)]
                      + ([reasons.get(raw[0], ""), raw[0]] if reasons is not None else []))
        if reasons is not None:  # the reasons, and the row's number in the file uploaded
            col = len(layout.fields) + 1
            for offset, header in enumerate((REASON_HEADER, ROW_NUMBER_HEADER)):
                cell = ws.cell(row=1, column=col + offset, value=header)
                cell.fill, cell.font, cell.alignment = REASON_FILL, HEAD_FONT, WRAP
            ws.column_dimensions[get_column_letter(col)].width = 60
            ws.column_dimensions[get_column_letter(col + 1)].width = 12
            for row in ws.iter_rows(min_row=2, min_col=col, max_col=col):
                row[0].alignment = WRAP
        _instructions_sheet(wb, layout)
        buffer = io.BytesIO()
        wb.save(buffer)
    return buffer.getvalue()


def _safe(value: Any) -> Any:
    """Never write a text that a spreadsheet would take for a formula."""
    if isinstance(value, str) and value.startswith("="):
        return "'" + value
    return value


def _data_sheet(wb: Any, ws: Any, layout: Layout) -> None:
    options = wb.create_sheet(OPTIONS_SHEET)
    options.sheet_state = "hidden"
    lists: dict[tuple[str, ...], str] = {}
    for col, f in enumerate(layout.fields, start=1):
        letter = get_column_letter(col)
        required = getattr(f.widget, "required", False)
        cell = ws.cell(row=1, column=col, value=f.column_name)
        cell.fill = HEAD_FILL if required else OPTIONAL_FILL
        cell.font, cell.alignment = HEAD_FONT, WRAP
        note = ("必填。" if required else "选填。") + getattr(f.widget, "hint", "")
        cell.comment = Comment(note, "模板")
        ws.column_dimensions[letter].width = _width_of(f)
        fmt = _format_of(f.widget)
        if fmt:
            ws.column_dimensions[letter].number_format = fmt
        choices = f.widget.options() if isinstance(f.widget, ChoiceCell | YesNoCell) else None
        if choices:
            key = tuple(choices)
            if key not in lists:
                list_col = get_column_letter(len(lists) + 1)
                options.cell(row=1, column=len(lists) + 1, value=f.column_name)
                for i, label in enumerate(choices, start=2):
                    options.cell(row=i, column=len(lists) + 1, value=label)
                lists[key] = f"'{OPTIONS_SHEET}'!${list_col}$2:${list_col}${len(choices) + 1}"
            dv = DataValidation(type="list", formula1=lists[key], allow_blank=not required,
                                showErrorMessage=True, errorTitle="请从下拉列表中选择",
                                error="“" + f.column_name + "”只能填写：" + "、".join(choices))
            dv.add(f"{letter}2:{letter}{TEMPLATE_ROWS + 1}")
            ws.add_data_validation(dv)
    ws.row_dimensions[1].height = 36
    ws.freeze_panes = "A2"


def _instructions_sheet(wb: Any, layout: Layout) -> None:
    ws = wb.create_sheet(INSTRUCTIONS_SHEET, 1)
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 8
    ws.column_dimensions["C"].width = 40
    ws.column_dimensions["D"].width = 50
    ws.column_dimensions["E"].width = 28
    ws.append([layout.title + " · 填写说明"])
    ws["A1"].font = Font(bold=True, size=14)
    general = (
        f"1. 在工作表“{layout.sheet}”中每行填写一笔"
        + ("贷款" if layout is FILINGS else "贷款的五级分类")
        + "；第一行是表头，请勿修改表头的列名（列的顺序可以调整）。表头上方可以有标题行，"
        "系统在各工作表的前10行中查找表头；不在模板中的列将被忽略。",
        "2. 带下拉框的列请从下拉列表中选择；“是/否”列填写“是”或“否”。",
        "3. 日期请填写日期，或2026-07-15、2026/7/15、2026年7月15日、20260715格式的文本；"
        "金额单位为元，最多两位小数；年利率按百分数填写（写 3.45 表示 3.45%，"
        "或将单元格设为百分比格式），小于1的普通数字无法判断单位，该行将被退回；"
        "借据号、合同号为长数字时，请将该列设为文本格式（Excel只保留15位有效数字）。",
        "4. 不要使用公式：含公式的文件将被整体拒绝，请先“选择性粘贴为数值”。",
        f"5. 单个文件不超过 {spreadsheet_limit() // 1048576} MB；只接受 .xlsx 格式。",
        "6. 上传后系统逐行校验并显示预览：通过的行显示适用政策与补偿比例，"
        "退回的行按政策列出退回原因；确认提交后，通过的行在同一事务中一次性写入。",
        "7. 退回的行可下载为“退回行”工作簿（末尾两列为按政策分组的退回原因和原文件行号），"
        "修改后可直接重新上传。",
        "8. 同一借据号不会重复备案：重复上传同一文件时，已备案的行以“重复”退回。"
        if layout is FILINGS else
        "8. 借据号须为本行已备案的贷款；同一笔贷款同一日期的同一分类不会重复记录。",
    )
    for line in general:
        ws.append([line])
        ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=5)
    ws.append([])
    ws.append(["列名", "必填", "可选值 / 格式", "说明", "示例"])
    head_row = ws.max_row
    for cell in ws[head_row]:
        cell.font, cell.fill = HEAD_FONT, HEAD_FILL
    example = _example(layout)
    for f in layout.fields:
        widget = f.widget
        if isinstance(widget, ChoiceCell | YesNoCell):
            form = "、".join(widget.options())
        elif isinstance(widget, DateCell):
            form = "日期，如 2026-07-15"
        elif isinstance(widget, DecimalCell):
            form = f"数字，最多{widget.places}位小数"
        else:
            form = f"文本，不超过{getattr(widget, 'max_length', '')}个字符"
        value = example.get(f.attribute, "")
        if isinstance(value, date):
            value = value.isoformat()
        ws.append([f.column_name, "是" if getattr(widget, "required", False) else "否", form,
                   getattr(widget, "hint", ""), _safe(str(value))])
    for row in ws.iter_rows(min_row=head_row + 1):
        for cell in row:
            cell.alignment = WRAP
    if layout is FILINGS:
        ws.append([])
        ws.append(["退回代码（供系统对接人员核对命令行和接口的结果）", "", "退回原因"])
        for cell in ws[ws.max_row]:
            cell.font, cell.fill = HEAD_FONT, HEAD_FILL
        for code, label in ReasonCode.choices:
            if code in _FILING_CODES:
                ws.append([code, "", str(label)])
    ws.append([])
    ws.append(["没有代码的退回原因（如日期、数字、选项填写有误）会写明所在行和列，按提示改正即可。"])


_FILING_CODES = {
    "NO_AGREEMENT", "OUTSIDE_VALIDITY", "NOT_IN_BDA", "BORROWER_KIND", "BORROWER_SIZE", "CONDUCT",
    "TECH_SCOPE", "LOAN_TYPE", "OTHER_COVER", "RISK_SHARE", "AMOUNT_CAP", "OUTSTANDING_CAP",
    "CREDIT_REPORT_DATE", "RATE_CAP", "FILING_LATE", "DRAWDOWN_FUTURE",
    "CALENDAR_UNKNOWN", "BAD_CREDIT_CODE",
    "DUPLICATE",
}
