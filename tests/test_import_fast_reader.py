"""The data sheet's scan gives exactly the expat reader's rows, or leaves the sheet to it: for the
workbooks banks upload (inline and shared strings, percentages, dates, title rows, summary
sheets), for every kind of cell, for markup the scan does not read itself (which the expat reader
then reads, or refuses with the same error, after the same rows), and for random sheets."""

import io
import random
import re
import zipfile
from datetime import date
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from openpyxl.utils.datetime import CALENDAR_WINDOWS_1900

from loans import importing
from loans.importing import FILINGS, ImportFileError, read_workbook

HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
MAIN = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
STRINGS = ["共享", "A&B", "x005F_x", "", "第二"]
DATES, PERCENTS = {2}, {3}


def sheet(rows: str, *, prolog: str = HEAD, before: str = "", after: str = "") -> bytes:
    return (f'{prolog}<worksheet {MAIN}><dimension ref="A1"/>{before}<sheetData>{rows}'
            f'</sheetData>{after}<pageMargins left="0.7"/></worksheet>').encode()


def outcome(read: Any, part: bytes, formulas_after: int = 0) -> tuple[Any, ...]:
    """The rows read (until any error), the error, and what the reader kept for naming it."""
    reader = importing._SheetReader(STRINGS, DATES, CALENDAR_WINDOWS_1900, PERCENTS,
                                    formulas_after)
    rows: list[Any] = []
    error = None
    try:
        for row in read(io.BytesIO(part), reader):
            rows.append(row)
    except Exception as exc:  # compared, whatever it is
        error = (type(exc), str(exc))
    return rows, error, reader.formula_at, reader.first_row


def scanned(part: bytes, formulas_after: int = 0) -> bool:
    """Whether the scan reads the part itself (else the expat reader reads it)."""
    reader = importing._SheetReader(STRINGS, DATES, CALENDAR_WINDOWS_1900, PERCENTS,
                                    formulas_after)
    try:
        for _batch in importing._SheetScan(reader).batches(io.BytesIO(part)):
            pass
    except importing._Unhandled:
        return False
    return True


def assert_same(part: bytes, formulas_after: int = 0) -> tuple[Any, ...]:
    fast = outcome(importing._iter_sheet, part, formulas_after)
    assert fast == outcome(importing._expat_rows, part, formulas_after)
    return fast


SCANNED = {
    "inline": '<row r="1"><c r="A1" t="inlineStr"><is><t>统一社会信用代码</t></is></c></row>',
    "preserve": '<row r="1"><c r="B1" t="inlineStr"><is><t xml:space="preserve"> a </t></is></c>'
                '</row>',
    "shared": '<row r="1" spans="1:3"><c r="A1" s="1" t="s"><v>0</v></c>'
              '<c r="C1" t="s"><v>2</v></c><c r="D1" t="s"><v>3</v></c></row>',
    "numbers": '<row r="2"><c r="A2"><v>0.30000000000000004</v></c><c r="B2" s="0" t="n">'
               '<v>202611120000012345</v></c><c r="C2"><v>12.0</v></c><c r="D2"><v>1E-3</v></c>'
               '</row>',
    "percent and date styles": '<row r="2"><c r="A2" s="3"><v>0.05</v></c><c r="B2" s="2">'
                               '<v>46286</v></c><c r="C2" s="2"><v>0.5</v></c>'
                               '<c r="D2" s="2"><v>x</v></c><c r="E2" s="3"><v>abc</v></c></row>',
    "booleans, errors, str, d": '<row r="3"><c r="A3" t="b"><v>1</v></c><c r="B3" t="b"><v>0</v>'
                                '</c><c r="C3" t="e"><v>#N/A</v></c><c r="D3" t="str"><v>s</v>'
                                '</c><c r="E3" t="d"><v>2026-07-15T00:00:00</v></c>'
                                '<c r="F3" t="b"/><c r="G3" t="d"/></row>',
    "empty cells": '<row r="4"><c r="A4"/><c r="B4" s="2"/><c r="C4" t="inlineStr"><is><t></t>'
                   '</is></c><c r="D4" t="s"></c><c r="E4" t="str"/></row><row r="5">'
                   '<c r="A5"/></row><row r="6"/><row r="7"></row>',
    "gaps and no r": '<row r="3"><c r="C3" t="inlineStr"><is><t>c</t></is></c><c t="inlineStr">'
                     '<is><t>d</t></is></c><c><v>5</v></c><c r="AA3"><v>1</v></c><c><v>2</v></c>'
                     '</row><row><c><v>1</v></c></row><row r="9"><c r="B9"><v>9</v></c></row>'
                     '<row><c r="A10"><v>10</v></c></row>',
    "entities": '<row r="1"><c r="A1" t="inlineStr"><is><t>A&amp;B &lt;&gt;&quot;&apos; &#20013;'
                '&#x6587; &#9;&#10;&#13;x</t></is></c><c r="B1" t="str"><v>&amp;amp;</v></c>'
                '</row>',
    "escapes stay in inline text": '<row r="1"><c r="A1" t="inlineStr"><is><t>_x005F_x000D_'
                                   '</t></is></c></row>',
    "whitespace between rows": '\n  <row r="1">\n <c r="A1"><v>1</v></c>\n</row>\n',
    "other attributes": '<row r="1" ht="36" customHeight="1" x14ac:dyDescent="0.25">'
                        '<c r="A1" s="5" t="inlineStr" cm="1"><is><t>x</t></is></c>'
                        "<c t='s'><v>1</v></c><c r=\"C1\"\ts=\"3\"\n><v>0.5</v></c></row>",
    "text between cells": '<row r="1"><c r="A1"><v>1</v></c> x <c r="B1"><v>2</v></c></row>',
    "non-ASCII row number": '<row r="\u0665"><c r="A1"><v>1</v></c></row>',
    "attribute order": '<row r="1"><c r="A1" t="s" s="3"><v>4</v></c></row>',
    "odd references": '<row r="1"><c r="ZZZ1"><v>1</v></c><c r="XFD1"><v>2</v></c></row>'
                      '<row r="1"><c r="A1"><v>3</v></c></row><row r="0"><c r="A0"><v>4</v></c>'
                      '</row>',
    "text like a number or a formula": '<row r="2"><c r="A2" t="inlineStr"><is><t>=1+1</t></is>'
                                       '</c><c r="B2" t="inlineStr"><is><t>0012</t></is></c>'
                                       '</row>',
    "supplementary characters": '<row r="1"><c r="A1" t="inlineStr"><is><t>𠀀\U0001fffe\x85'
                                '</t></is></c></row>',
}


@pytest.mark.parametrize("rows", SCANNED.values(), ids=SCANNED.keys())
def test_the_scan_reads_what_excel_and_openpyxl_write_as_the_expat_reader_does(rows):
    part = sheet(rows)
    assert scanned(part)
    assert assert_same(part)[1] is None


def test_a_sheet_without_declaration_or_with_settings_before_its_data_is_scanned():
    rows = '<row r="1"><c r="A1"><v>1</v></c></row>'
    for part in (sheet(rows, prolog=""), sheet(rows, prolog="\ufeff" + HEAD),
                 sheet(rows, before='<cols><col min="1" max="1" width="9"/></cols>'
                                    '<!-- a comment before the data -->'),
                 sheet(rows, after='<mergeCells count="1"><mergeCell ref="A1:B1"/></mergeCells>')):
        assert scanned(part)
        assert assert_same(part)[0] == [(1, {1: "1"})]


LEFT = {
    "namespace prefix": '<row r="1"><x:c r="A1" xmlns:x="urn:x"><x:v>1</x:v></x:c></row>',
    "rich text": '<row r="1"><c r="A1" t="inlineStr"><is><r><t>a</t></r><r><rPr><b/></rPr>'
                 '<t>b</t></r></is></c></row>',
    "phonetic": '<row r="1"><c r="A1" t="inlineStr"><is><t>漢</t><rPh sb="0" eb="1"><t>カン</t>'
                '</rPh></is></c></row>',
    "comment": '<row r="1"><!-- x --><c r="A1"><v>1</v></c></row>',
    "cdata": '<row r="1"><c r="A1" t="inlineStr"><is><t><![CDATA[<a>]]></t></is></c></row>',
    "processing instruction": '<row r="1"><?pi x?><c r="A1"><v>1</v></c></row>',
    "formula in the title": '<row r="1"><c r="A1"><f>1+1</f><v>2</v></c></row>',
    "carriage return": '<row r="1"><c r="A1" t="inlineStr"><is><t>a\r\nb\rc</t></is></c></row>',
    "single-quoted reference": "<row r='1'><c r='A1' s='3'><v>0.5</v></c></row>",
    "reference not first": '<row r="1"><c s="3" r="B1"><v>0.5</v></c></row>',
    "empty reference": '<row r="1"><c r=""><v>1</v></c></row>',
    "whitespace in a cell": '<row r="1"><c r="A1">\n<v>1</v></c></row>',
    "prefixed sheetData": '',
    "second sheetData": '<row r="1"><c r="A1"><v>1</v></c></row>',
    "value outside a cell": '<row r="1"><v>1</v></row>',
}


@pytest.mark.parametrize("name", LEFT.keys())
def test_what_the_scan_does_not_read_is_read_by_the_expat_reader(name):
    rows = LEFT[name]
    part = sheet(rows, after='<sheetData><row r="9"><c r="A9"><v>9</v></c></row></sheetData>'
                 if name == "second sheetData" else "")
    if name == "prefixed sheetData":
        part = (f'<worksheet {MAIN} xmlns:x="urn:x"><x:sheetData><x:row r="1"><x:c r="A1">'
                '<x:v>1</x:v></x:c></x:row></x:sheetData></worksheet>').encode()
    assert not scanned(part, formulas_after=1)
    assert assert_same(part, formulas_after=1)[1] is None


FAULTS = {
    "formula": ('<row r="2"><c r="A2"><v>1</v></c></row><row r="3"><c r="B3"><f>A2*2</f>'
                '<v>2</v></c></row>'),
    "long inline text": f'<row r="2"><c r="AZ2" t="inlineStr"><is><t>{"长" * 32768}</t></is>'
                        '</c></row>',
    "long value": f'<row r="2"><c r="A2" t="str"><v>{"x" * 32768}</v></c></row>',
    "unknown entity": '<row r="2"><c r="A2" t="inlineStr"><is><t>&nbsp;</t></is></c></row>',
    "bad character reference": '<row r="2"><c r="A2" t="inlineStr"><is><t>&#1;</t></is></c></row>',
    "bare ampersand": '<row r="2"><c r="A2" t="inlineStr"><is><t>A & B</t></is></c></row>',
    "control character": '<row r="2"><c r="A2" t="inlineStr"><is><t>a\x01b</t></is></c></row>',
    "noncharacter": '<row r="2"><c r="A2" t="inlineStr"><is><t>a\ufffe</t></is></c></row>',
    "cdata end": '<row r="2"><c r="A2" t="inlineStr"><is><t>a]]>b</t></is></c></row>',
    "repeated attribute": '<row r="2"><c r="A2" s="1" s="2"><v>1</v></c></row>',
    "repeated r": '<row r="2"><c r="A2" r="B2"><v>1</v></c></row>',
    "repeated row number": '<row r="2" spans="1:2" r="3"><c r="A2"><v>1</v></c></row>',
    "row number not a number": '<row r="x"><c r="A2"><v>1</v></c></row>',
    "style not a number": '<row r="2"><c r="A2" s="x"><v>1</v></c></row>',
    "shared string not a number": '<row r="2"><c r="A2" t="s"><v>1.5</v></c></row>',
    "shared string missing": '<row r="2"><c r="A2" t="s"><v>99</v></c></row>',
    "negative shared string": '<row r="2"><c r="A2" t="s"><v>-1</v></c></row>',
    "unclosed row": '<row r="2"><c r="A2"><v>1</v></c>',
    "cell outside a row": '<c r="A2"><v>1</v></c>',
    "mismatched tags": '<row r="2"><c r="A2"><v>1</c></v></row>',
}


@pytest.mark.parametrize("formulas_after", [0, 1])
@pytest.mark.parametrize("name", FAULTS.keys())
def test_faults_raise_the_expat_readers_error_after_the_same_rows(name, formulas_after):
    title = '<row r="1"><c r="A1" t="inlineStr"><is><t>借据号</t></is></c></row>'
    assert_same(sheet(title + FAULTS[name]), formulas_after)


def test_a_dtd_is_refused_as_before():
    laughs = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              '<!ENTITY lol2 "&lol;&lol;&lol;">]>')
    part = sheet('<row r="1"><c r="A1" t="inlineStr"><is><t>&lol2;</t></is></c></row>',
                 prolog=laughs)
    rows, error, _at, _first = assert_same(part)
    assert rows == [] and error is not None and error[0] is importing._Forbidden


@pytest.mark.parametrize("prolog", [
    '<?xml version="1.0" encoding="ISO-8859-1"?>',
    '<?xml version="1.0" encoding="UTF-16"?>',
])
def test_other_encodings_are_left_to_expat(prolog):
    part = sheet('<row r="1"><c r="A1" t="inlineStr"><is><t>é</t></is></c></row>', prolog=prolog)
    part = part.replace("é".encode(), "é".encode("latin-1"))
    assert not scanned(part)
    assert_same(part)


def test_broken_markup_after_the_data_faults_as_expat_does():
    rows = "".join(f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>{"行" * 50}{n}</t></is></c>'
                   f'</row>' for n in range(1, 3000))
    for after in ("<mergeCells>", "<a></b>", "</worksheet><junk/>", "<sheetData/>"):
        part = sheet(rows, after=after)
        assert not scanned(part)
        assert (assert_same(part)[1] is None) == (after == "<sheetData/>")


def test_rows_before_a_fault_are_given_in_the_expat_readers_pieces():
    """A fault further on stops the rows where the expat reader stops them: the scan gives no row
    the expat reader would not have given before raising (the 64 KB piece of the fault)."""
    rng = random.Random(8)
    body = [f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>{"企业" * rng.randint(1, 60)}</t>'
            f'</is></c><c r="B{n}"><v>{n}</v></c></row>' for n in range(1, 4000)]
    for fault in ('<row r="5000"><c r="A5000"><f>1</f></c></row>', '<row r="5000"><bad</row>',
                  '<row r="5000"><c r="A5000" t="inlineStr"><is><t>=SUM(A1)</t></is></c></row>'):
        for _ in range(6):
            at = rng.randrange(len(body))
            part = sheet("".join(body[:at]) + fault + "".join(body[at:]))
            _rows, error, _at, _first = assert_same(part, formulas_after=1)
            assert error is not None or fault.count("=SUM")


def test_the_header_search_stops_early_on_the_same_rows():
    rows = "".join(f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>' for n in range(1, 20000))
    part = sheet(rows + '<row r="20000"><c r="A1"><f>1</f></c></row>')
    for read in (importing._iter_sheet, importing._expat_rows):
        reader = importing._SheetReader([], set(), None, set(), 10)
        got = []
        for number, cells in read(io.BytesIO(part), reader):
            if number > 10:
                break
            got.append((number, cells))
        assert got == [(n, {1: str(n)}) for n in range(1, 11)]


# --- Random sheets ------------------------------------------------------------------------------

TEXTS = ["", " ", "a", "企业法人", "A&amp;B", "&lt;x&gt;", "&#20013;&#x6587;", "1", "0.05",
         "46286", "-3", "1E+20", "TRUE", "x005F_", "=1", "  两端  ", "\n", "'", '"', ">", "]",
         "&#xD;", "12345678901234567890", "0.30000000000000004"]
BAD = ["<f>1</f>", "<r><t>x</t></r>", "&bogus;", "\r", "<!--c-->", "\x02", "]]>", "<v/>"]


def random_cell(rng: random.Random, row: int, column: int) -> str:
    ref = (f' r="{openpyxl.utils.get_column_letter(column)}{row}"'
           if rng.random() < 0.85 else "")
    attrs = [("s", str(rng.choice([0, 1, 2, 3])))] if rng.random() < 0.5 else []
    kind = rng.choice(["n", "s", "inlineStr", "str", "b", "e", "d", None])
    if kind:
        attrs.append(("t", kind))
    if rng.random() < 0.1:
        rng.shuffle(attrs)
    head = "<c" + ref + "".join(f' {k}="{v}"' for k, v in attrs)
    text = rng.choice(TEXTS) if kind != "s" else str(rng.randrange(len(STRINGS)))
    if rng.random() < 0.01:
        text += rng.choice(BAD)
    form = rng.random()
    if form < 0.1:
        return head + "/>"
    if form < 0.15:
        return head + "></c>"
    if kind == "inlineStr" and form < 0.8:
        space = ' xml:space="preserve"' if rng.random() < 0.3 else ""
        return f"{head}><is><t{space}>{text}</t></is></c>"
    return f"{head}><v>{text}</v></c>"


def random_sheet(rng: random.Random) -> bytes:
    rows = []
    number = 0
    for _ in range(rng.choice([1, 5, 50, 600])):
        number += rng.choice([1, 1, 1, 2, 0])
        ref = f' r="{number}"' if rng.random() < 0.9 else ""
        if rng.random() < 0.05:
            rows.append(f"<row{ref}/>")
            continue
        columns = sorted(rng.sample(range(1, 40), rng.randint(0, 8)))
        rows.append(f"<row{ref}>" + "".join(random_cell(rng, number, c) for c in columns)
                    + "</row>")
    return sheet("".join(rows))


def test_random_sheets_read_the_same_by_both_readers():
    rng = random.Random(20260706)
    kinds = {True: 0, False: 0}
    for _ in range(400):
        part = random_sheet(rng)
        kinds[scanned(part, formulas_after=rng.choice([0, 3]))] += 1
        assert_same(part, formulas_after=rng.choice([0, 3]))
    assert kinds[True] > 100 and kinds[False] > 20  # both paths were taken


# --- Shared strings -----------------------------------------------------------------------------

def shared(items: str, prolog: str = HEAD, after: str = "") -> bytes:
    return f'{prolog}<sst {MAIN} count="9" uniqueCount="9">{items}{after}</sst>'.encode()


def shared_outcome(read: Any, part: bytes) -> Any:
    try:
        return read(io.BytesIO(part))
    except Exception as exc:  # compared, whatever it is
        return type(exc), str(exc)


SHARED = {
    "plain": "<si><t>企业名称</t></si><si><t xml:space=\"preserve\"> a </t></si><si><t/></si>",
    "excel phonetic settings": '<si><t>是</t><phoneticPr fontId="1" type="noConversion"/></si>',
    "rich text": "<si><r><rPr><b/><sz val=\"11\"/></rPr><t>粗</t></r><r><t>体</t></r></si>",
    "phonetic guide": '<si><t>漢字</t><rPh sb="0" eb="2"><t>カンジ</t></rPh></si>',
    "entities and escapes": "<si><t>A&amp;B&#20013;_x005F_x000D_</t></si>",
    "whitespace": "\n<si><t>a</t></si>\n",
    "long": f"<si><t>{'长' * 32768}</t></si>",
    "unknown entity": "<si><t>&nbsp;</t></si>",
    "prefixed": '<x:si xmlns:x="urn:x"><x:t>p</x:t></x:si>',
    "stray element": "<si><t>a</t></si><extLst/>",
    "carriage return": "<si><t>a\r\nb</t></si>",
}


@pytest.mark.parametrize("items", SHARED.values(), ids=SHARED.keys())
def test_shared_strings_read_as_the_expat_reader_reads_them(items):
    part = shared(items)
    assert (shared_outcome(importing.read_shared_strings, part)
            == shared_outcome(importing._expat_shared_strings, part))


def test_random_shared_string_tables_read_the_same():
    rng = random.Random(7)
    for _ in range(200):
        items = []
        for _ in range(rng.randint(0, 200)):
            text = rng.choice(TEXTS) + (rng.choice(BAD) if rng.random() < 0.01 else "")
            form = rng.random()
            if form < 0.7:
                items.append(f"<si><t>{text}</t></si>")
            elif form < 0.8:
                items.append(f'<si><t>{text}</t><phoneticPr fontId="1" type="noConversion"/></si>')
            else:
                items.append(f"<si><r><t>{text}</t></r><r><rPr><i/></rPr><t>{text}</t></r></si>")
        part = shared("".join(items))
        assert (shared_outcome(importing.read_shared_strings, part)
                == shared_outcome(importing._expat_shared_strings, part))


# --- Whole workbooks ------------------------------------------------------------------------------

def expat_only(monkeypatch: pytest.MonkeyPatch) -> None:
    def unhandled(*_args: Any) -> Any:
        raise importing._Unhandled

    monkeypatch.setattr(importing._SheetScan, "batches", unhandled)
    monkeypatch.setattr(importing, "_scan_shared_strings", unhandled)


def read_both(content: bytes, monkeypatch: pytest.MonkeyPatch) -> Any:
    def read() -> Any:
        try:
            parsed = read_workbook(content, FILINGS)
        except ImportFileError as exc:
            return exc.message
        return parsed.rows, parsed.sheet, parsed.header_row, parsed.ignored, parsed.total_rows

    fast = read()
    with monkeypatch.context() as patch:
        expat_only(patch)
        assert read() == fast
    return fast


def to_shared_strings(content: bytes) -> bytes:
    """The workbook as Excel saves it: its inline texts moved to a shared strings table."""
    source = zipfile.ZipFile(io.BytesIO(content))
    table: dict[str, int] = {}

    def share(m: re.Match[bytes]) -> bytes:
        index = table.setdefault(m.group(3).decode(), len(table))
        return m.group(1) + m.group(2) + b' t="s"><v>' + str(index).encode() + b"</v></c>"

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                data = re.sub(rb'(<c r="[A-Z]+[0-9]+")((?: s="[0-9]+")?) t="inlineStr"><is>'
                              rb'<t(?: xml:space="preserve")?>([^<]*)</t></is></c>', share, data)
            elif item.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" '
                                    b'ContentType="application/vnd.openxmlformats-officedocument.'
                                    b'spreadsheetml.sharedStrings+xml"/></Types>')
            elif item.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Id="rIdS" Type="http://'
                                    b"schemas.openxmlformats.org/officeDocument/2006/"
                                    b'relationships/sharedStrings" Target="sharedStrings.xml"/>'
                                    b"</Relationships>")
            target.writestr(item, data)
        items = "".join(f"<si><t>{text}</t><phoneticPr fontId=\"1\" type=\"noConversion\"/></si>"
                        for text in table)
        target.writestr("xl/sharedStrings.xml", shared(items))
    return out.getvalue()


def workbook(rows: list[list[Any]], *, formats: dict[int, str] | None = None,
             above: tuple[tuple[Any, ...], ...] = (), summary_first: bool = False) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    if summary_first:
        ws.title = "汇总"
        ws.append(["本季度备案汇总"])
        ws.append(["金额合计", "=SUM(填报!U:U)"])
        ws = wb.create_sheet("填报")
    else:
        ws.title = "填报"
    for line in above:
        ws.append(list(line))
    ws.append([*FILINGS.headers, "备注"])
    for values in rows:
        ws.append(values)
        for column, fmt in (formats or {}).items():
            ws.cell(row=ws.max_row, column=column).number_format = fmt
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def loan(n: int) -> list[Any]:
    values: list[Any] = [None] * (len(FILINGS.headers) + 1)
    values[0], values[1], values[16] = "91110302MA01A2B3C" + str(n % 10), f"企业{n}&Co<1>", n
    values[20], values[23], values[25] = Decimal("3000000.50"), date(2026, 7, n % 28 + 1), 0.0345
    values[26], values[-1] = 123456789012345678, "备注" if n % 3 else None
    return values


WORKBOOKS = {
    "plain": lambda: workbook([loan(n) for n in range(1, 30)]),
    "percent and dates": lambda: workbook([loan(n) for n in range(1, 30)],
                                          formats={26: "0.00%", 24: "yyyy-mm-dd"}),
    "title rows": lambda: workbook([loan(1), loan(2)], above=(("2026年第三季度备案",), ())),
    "summary sheet first": lambda: workbook([loan(1)], summary_first=True),
    "formula in the data": lambda: workbook([loan(1), [*loan(2)[:20], "=1+1"]]),
    "headers only": lambda: workbook([]),
    "template": lambda: importing.build_workbook(FILINGS),
}


@pytest.mark.parametrize("shared_strings", [False, True])
@pytest.mark.parametrize("make", WORKBOOKS.values(), ids=WORKBOOKS.keys())
def test_workbooks_read_the_same_with_and_without_the_scan(make, shared_strings, monkeypatch):
    content = make()
    if shared_strings:
        content = to_shared_strings(content)
    read_both(content, monkeypatch)


def test_a_large_quarter_reads_the_same_in_both_forms(monkeypatch):
    content = workbook([loan(n) for n in range(1, 3001)], formats={26: "0.00%"})
    for form in (content, to_shared_strings(content)):
        rows = read_both(form, monkeypatch)[0]
        assert len(rows) == 3000 and rows[0][26] == "3.45%"
