"""Hostile or broken files get a clear message and write nothing (no batch, no filing, no
enterprise); other banks' batches are 404; only officers upload and confirm."""

import io
import zipfile

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from loans import importing
from loans.importing import FILINGS, ImportFileError, build_workbook, read_workbook
from loans.models import Enterprise, ImportBatch, LoanFiling

from .conftest import client_for
from .test_import import TODAY, row, workbook
from .test_uploads import EXE_BYTES, PDF_BYTES, PNG_BYTES, TEXT_BYTES


@pytest.fixture(autouse=True)
def _today(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path



def post(client, content: bytes, name: str = "2026Q2.xlsx", kind: str = "filings"):  # type: ignore[no-untyped-def]
    file = io.BytesIO(content)
    file.name = name
    return client.post(reverse("loans:import_upload"), {"kind": kind, "file": file})


def refused(officer, content: bytes, name: str = "2026Q2.xlsx") -> str:  # type: ignore[no-untyped-def]
    """Upload, expect the form again with an error, and nothing written; return the page."""
    response = post(client_for(officer), content, name)
    assert response.status_code == 200
    assert ImportBatch.objects.count() == 0
    assert LoanFiling.objects.count() == 0 and Enterprise.objects.count() == 0
    return response.content.decode()


def rezip(content: bytes, replace: dict[str, bytes] | None = None,
          add: dict[str, bytes] | None = None, drop: tuple[str, ...] = ()) -> bytes:
    """The same xlsx with some parts replaced, added or removed."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename in drop:
                continue
            data = (replace or {}).get(info.filename, src.read(info.filename))
            dst.writestr(info.filename, data)
        for name, data in (add or {}).items():
            dst.writestr(name, data)
    return out.getvalue()


def sheet_with(cells: dict[str, object], headers: list[str] | None = None) -> bytes:
    """A workbook with the template's headers (or ``headers``), one good row, and ``cells``."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "填报"
    ws.append(headers or FILINGS.headers)
    values = row()
    ws.append([values.get(h) for h in (headers or FILINGS.headers)])
    for ref, value in cells.items():
        ws[ref] = value
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# --- Not a spreadsheet --------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize(("content", "said"), [
    (PDF_BYTES, "PDF文件"),
    (PNG_BYTES, "PNG文件"),
    (EXE_BYTES, "不是Excel工作簿"),
    (TEXT_BYTES, "不是Excel工作簿"),
    ("借据号,贷款金额\nJJ-1,100\n".encode(), "不是Excel工作簿"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512), "另存为"),
], ids=["pdf", "png", "exe", "text", "csv", "xls-or-encrypted"])
def test_files_that_are_not_xlsx_are_refused(officer_a, content, said):
    assert said in refused(officer_a, content)


@pytest.mark.django_db
def test_a_zip_that_is_not_a_workbook_is_refused(officer_a):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("readme.txt", "hello")
    assert "压缩文件不是Excel工作簿" in refused(officer_a, out.getvalue())


@pytest.mark.django_db
def test_a_broken_workbook_is_refused(officer_a):
    content = workbook([row()])
    assert "已损坏" in refused(officer_a, content[: len(content) // 2])
    broken = rezip(content, replace={"xl/worksheets/sheet1.xml": b"<worksheet><sheetData><row>"})
    assert "已损坏" in refused(officer_a, broken)


@pytest.mark.django_db
def test_empty_upload_is_refused(officer_a):
    assert "为空" in refused(officer_a, b"")


@pytest.mark.django_db
def test_too_large_a_file_is_refused_before_reading(officer_a, settings, monkeypatch):
    content = workbook([row()])
    settings.RISKCOMP_MAX_SPREADSHEET_BYTES = len(content) - 1
    monkeypatch.setattr(importing, "read_workbook", lambda *a: pytest.fail("read"))
    page = refused(officer_a, content)
    assert "文件过大" in page and "不能超过" in page


# --- Zip bombs ----------------------------------------------------------------------------------

@pytest.mark.django_db
def test_zip_bomb_by_compression_ratio_is_refused(officer_a):
    bomb = rezip(workbook([row()]), add={"xl/media/padding.bin": bytes(20 * 1024 * 1024)})
    assert len(bomb) < 100_000  # 20 MB of zeros in a few kilobytes
    assert "压缩炸弹" in refused(officer_a, bomb)


@pytest.mark.django_db
def test_zip_bomb_by_total_size_is_refused(officer_a, monkeypatch):
    monkeypatch.setattr(importing, "MAX_UNCOMPRESSED_BYTES", 2 * 1024 * 1024)
    noise = bytes(range(256)) * (12 * 1024)  # 3 MB that compresses only a little
    bomb = rezip(workbook([row()]), add={"xl/media/noise.bin": noise})
    assert "解压后过大" in refused(officer_a, bomb)


@pytest.mark.django_db
def test_too_many_parts_are_refused(officer_a):
    parts = {f"xl/media/p{i}.bin": b"x" for i in range(importing.MAX_ZIP_ENTRIES + 1)}
    assert "文件结构异常" in refused(officer_a, rezip(workbook([row()]), add=parts))


# --- XML attacks --------------------------------------------------------------------------------

LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
          b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>')


@pytest.mark.django_db
def test_entity_expansion_in_the_sheet_is_refused(officer_a):
    content = workbook([row()])
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml")
    hostile = LAUGHS + sheet.replace(b"JJ-0001", b"&lol3;")
    page = refused(officer_a, rezip(content, replace={"xl/worksheets/sheet1.xml": hostile}))
    assert "不安全的XML" in page


@pytest.mark.django_db
def test_external_entity_in_the_workbook_part_is_refused(officer_a):
    content = workbook([row()])
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        book = z.read("xl/workbook.xml")
    if book.startswith(b"<?xml"):
        book = book.split(b"?>", 1)[1]
    xxe = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
           + book.replace(b'name="', b'name="&xxe;', 1))
    page = refused(officer_a, rezip(content, replace={"xl/workbook.xml": xxe}))
    assert "不安全的XML" in page or "已损坏" in page


def test_openpyxl_parses_workbook_parts_with_defusedxml():
    assert openpyxl.DEFUSEDXML is True


# --- Formulas, columns, rows --------------------------------------------------------------------

@pytest.mark.django_db
def test_a_formula_anywhere_refuses_the_whole_file(officer_a):
    column = FILINGS.headers.index("贷款金额") + 1
    letter = openpyxl.utils.get_column_letter(column)
    page = refused(officer_a, sheet_with({f"{letter}2": "=1000000*3"}))
    assert f"第2行{letter}（贷款金额）列含公式" in page and "粘贴为数值" in page


@pytest.mark.django_db
def test_a_text_that_starts_like_a_formula_is_refused(officer_a):
    content = workbook([row()])
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml")
    hostile = sheet.replace("北京亦庄芯测科技有限公司".encode(), b"=HYPERLINK(&quot;x&quot;)")
    page = refused(officer_a, rezip(content, replace={"xl/worksheets/sheet1.xml": hostile}))
    assert "第2行B（企业名称）列含公式" in page


@pytest.mark.django_db
def test_missing_and_renamed_columns_are_named(officer_a):
    headers = [h for h in FILINGS.headers if h != "放款日期"]
    headers[headers.index("贷款金额")] = "金额"
    page = refused(officer_a, sheet_with({}, headers))
    assert "缺少以下列" in page and "放款日期" in page and "贷款金额" in page


@pytest.mark.django_db
def test_a_duplicated_column_is_refused(officer_a):
    page = refused(officer_a, sheet_with({}, [*FILINGS.headers, "借据号"]))
    assert "表头“借据号”出现了两次" in page


@pytest.mark.django_db
def test_headers_only_and_empty_sheets_are_refused(officer_a):
    assert "没有数据行" in refused(officer_a, build_workbook(FILINGS))
    wb = openpyxl.Workbook()
    buffer = io.BytesIO()
    wb.save(buffer)
    assert "是空的" in refused(officer_a, buffer.getvalue())


def test_rows_are_read_in_packed_chunks_without_a_row_cap(monkeypatch):
    monkeypatch.setattr(importing, "CHUNK_ROWS", 3)
    rows = [row(**{"借据号": f"JJ-{n}"}) for n in range(7)]
    parsed = read_workbook(workbook(rows), FILINGS)
    assert parsed.total_rows == 7 and len(parsed.chunks) == 3
    assert all(isinstance(chunk, bytes) for chunk in parsed.chunks)
    iou = 1 + FILINGS.headers.index("借据号")
    assert [(r[0], r[iou]) for r in parsed.rows] == [(n + 2, f"JJ-{n}") for n in range(7)]


def test_header_matching_tolerates_marks_and_full_width_brackets():
    headers = [h.replace("(", "（").replace(")", "）") for h in FILINGS.headers]
    headers[0] = "*统一社会信用代码 "
    parsed = read_workbook(sheet_with({}, headers), FILINGS)
    assert len(parsed.rows) == 1


def test_read_workbook_raises_for_the_whole_file():
    with pytest.raises(ImportFileError):
        read_workbook(PDF_BYTES, FILINGS)


# --- Who may do what ----------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("role_fixture", ["reviewer", "approver", "auditor"])
def test_only_bank_officers_upload(request, role_fixture):
    client = client_for(request.getfixturevalue(role_fixture))
    assert client.get(reverse("loans:import_upload")).status_code == 403
    assert post(client, workbook([row()])).status_code == 403
    assert ImportBatch.objects.count() == 0


@pytest.mark.django_db
def test_officer_without_a_bank_cannot_upload(db):
    from .factories import UserFactory

    lonely = UserFactory(role="bank_officer")
    assert client_for(lonely).get(reverse("loans:import_upload")).status_code == 403


def import_access_objects(world) -> dict:  # type: ignore[no-untyped-def, type-arg]
    """One batch per bank, for the URL walker of ``test_access``: officer A owns the first."""
    own = ImportBatch.objects.create(
        bank=world["filing_a"].bank, original_name="a.xlsx", sha256="a" * 64,
        uploaded_by=world["filing_a"].filed_by, status=ImportBatch.Status.VALIDATED,
        total_rows=1, rejected_rows=1,
        result={"rows": [[2, *([None] * len(FILINGS.headers))]]},
        preview=[[2, "JJ", "", 0, "", "", [["", "x"]]]])
    ImportBatch.objects.create(
        bank=world["filing_b"].bank, original_name="b.xlsx", sha256="b" * 64,
        uploaded_by=world["filing_b"].filed_by, status=ImportBatch.Status.VALIDATED,
        total_rows=1, accepted_rows=1, result={"rows": []})
    return {ImportBatch: {own.pk}}


@pytest.mark.django_db
def test_officer_of_bank_b_gets_404_on_every_import_url_of_bank_a(world, officer_a, officer_b,
                                                                   django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post(client_for(officer_a), workbook([row()]))
    batch = ImportBatch.objects.get()
    intruder = client_for(officer_b)
    for name in ("loans:import_detail", "loans:import_progress", "loans:import_rejected"):
        assert intruder.get(reverse(name, args=[batch.pk])).status_code == 404, name
    assert intruder.post(reverse("loans:import_confirm", args=[batch.pk])).status_code == 404
    assert "2026Q2.xlsx" not in intruder.get(reverse("loans:import_list")).content.decode()
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.VALIDATED and LoanFiling.objects.count() == 2


def test_the_sheet_reader_refuses_any_dtd_itself():
    """Second line of defence behind openpyxl's defusedxml: the cell reader allows no DTD."""
    hostile = LAUGHS + b'<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>'
    hostile += b"&lol3;</t></is></c></row></sheetData></worksheet>"
    reader = importing._SheetReader([], set(), None)
    with pytest.raises(importing._Forbidden):
        list(importing._iter_sheet(io.BytesIO(hostile), reader))


@pytest.mark.django_db
@pytest.mark.parametrize("cell", [
    b'<c r="T2"><v>not-a-number-at-all-here</v></c>',
    b'<c r="W2" s="1"><v>1e308</v></c>',
    b'<c r="T2" t="s"><v>999999</v></c>',
    b'<c r="T2" t="b"><v>1</v></c>',
    b'<c r="T2" t="e"><v>#N/A</v></c>',
    b'<c r="ZZZZZZZZ2" t="inlineStr"><is><t>x</t></is></c>',
], ids=["garbage-number", "huge-date", "missing-shared-string", "boolean", "error", "far-column"])
def test_odd_cells_never_break_the_upload(officer_a, cell):
    """A hand-made sheet part: either a clear refusal of the file or a row error, never a 500."""
    content = workbook([row()])
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml")
    start = sheet.index(b'<c r="T2"')
    end = sheet.index(b"</c>", start) + 4
    hostile = sheet[:start] + cell + sheet[end:]
    response = post(client_for(officer_a), rezip(content,
                                                 replace={"xl/worksheets/sheet1.xml": hostile}))
    assert response.status_code in (200, 302)
    assert LoanFiling.objects.count() == 0
