"""Documents and workbooks that would run code when opened are refused at upload with a clear
message: PDFs with JavaScript or automatic actions, workbooks with macros whatever their name."""

import io
import zipfile
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from loans.importing import FILINGS, ImportFileError, build_workbook, check_container
from loans.models import ImportBatch
from riskcomp.uploads import check_upload, pdf_active_content, workbook_macro_parts

from .conftest import client_for
from .test_import import row, workbook
from .test_import_security import post, refused, rezip
from .test_uploads import PDF_BYTES


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path


def pdf(*objects: bytes) -> bytes:
    """A small PDF made of the given object bodies (numbered from 1), with its trailer."""
    out = b"%PDF-1.7\n"
    for number, body in enumerate(objects, start=1):
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    return out + b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"


CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"
PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"
JS_ACTION = b"<< /S /JavaScript /JS (app.alert\\('x'\\)) >>"


def object_stream(body: bytes) -> bytes:
    data = zlib.compress(body)
    return (b"<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length %d >>\nstream\n"
            % len(data)) + data + b"\nendstream"


def image_stream(data: bytes) -> bytes:
    return (b"<< /Type /XObject /Subtype /Image /Width 1 /Height 1 /Length %d >>\nstream\n"
            % len(data)) + data + b"\nendstream"


HOSTILE_PDFS = {
    "open action with JavaScript": pdf(
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>", PAGES, PAGE, JS_ACTION),
    "names tree of scripts": pdf(
        b"<< /Type /Catalog /Pages 2 0 R /Names << /JavaScript 4 0 R >> >>", PAGES, PAGE,
        b"<< /Names [(a) 5 0 R] >>"),
    "page additional action": pdf(
        CATALOG, PAGES, b"<< /Type /Page /Parent 2 0 R /AA << /O 4 0 R >> >>",
        b"<< /S /Named /N /Print >>"),
    "launch action": pdf(
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /Launch /F (cmd.exe) >> >>",
        PAGES, PAGE),
    "name written with #-escapes": pdf(
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /J#61vaScript /J#53 (x) >> >>",
        PAGES, PAGE),
    "script hidden in a compressed object stream": pdf(
        CATALOG, PAGES, PAGE, object_stream(b"5 0 " + JS_ACTION)),
}


@pytest.mark.parametrize("name", HOSTILE_PDFS)
def test_a_pdf_that_runs_something_is_refused(name):
    content = HOSTILE_PDFS[name]
    assert pdf_active_content(content), name
    with pytest.raises(ValidationError) as exc:
        check_upload(SimpleUploadedFile("合同.pdf", content), label="借款合同")
    message = exc.value.messages[0]
    assert message.startswith("借款合同：")
    assert "合同.pdf" in message and "含有脚本或自动执行的动作" in message
    assert exc.value.error_list[0].code == "upload_active_content"


def test_a_plain_pdf_is_accepted_even_when_its_images_contain_such_bytes():
    noise = b"\x89/JS /AA /JavaScript (" * 50  # scan data is data, not dictionaries
    content = pdf(CATALOG, PAGES, PAGE, image_stream(noise),
                  b"<< /Type /Annot /Subtype /Link /A << /S /URI /URI (https://x) >> >>")
    assert pdf_active_content(content) == []
    assert check_upload(SimpleUploadedFile("scan.pdf", content)).content_type == "application/pdf"
    assert pdf_active_content(PDF_BYTES) == []
    # A name that merely starts with the same letters is something else.
    assert pdf_active_content(pdf(b"<< /JSON 1 /AAA 2 /JavaScripts 3 >>")) == []


def test_an_object_stream_cannot_make_the_check_inflate_without_bound():
    bomb = zlib.compress(b"\x00" * (80 * 1024 * 1024), 9)  # 80 MB of zeros in ~80 kB
    content = pdf(CATALOG, PAGES, PAGE, (
        b"<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length %d >>\nstream\n"
        % len(bomb)) + bomb + b"\nendstream")
    assert pdf_active_content(content) == []


# --- Workbooks -----------------------------------------------------------------------------------

VBA_TYPES = (b'<Override PartName="/xl/vbaProject.bin" '
             b'ContentType="application/vnd.ms-office.vbaProject"/>')


def with_macros(content: bytes) -> bytes:
    """The workbook as Excel saves it with a VBA project (.xlsm)."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        types = archive.read("[Content_Types].xml")
    types = types.replace(b"</Types>", VBA_TYPES + b"</Types>").replace(
        b"spreadsheetml.sheet.main+xml", b"ms-excel.sheet.macroEnabled.main+xml")
    return rezip(content, replace={"[Content_Types].xml": types},
                 add={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504})


def test_the_import_template_has_no_macros():
    content = build_workbook(FILINGS)
    assert workbook_macro_parts(content) == []
    check_container(content)


@pytest.mark.parametrize("variant", ["vba project", "vba project without its content type",
                                     "macro-enabled content type only", "excel 4.0 macro sheet",
                                     "activex control"])
def test_a_workbook_with_macros_is_refused_before_it_is_read(variant):
    plain = build_workbook(FILINGS)
    content = {
        "vba project": with_macros(plain),
        "vba project without its content type": rezip(
            plain, add={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0" + b"\x00" * 60}),
        "macro-enabled content type only": rezip(plain, replace={
            "[Content_Types].xml": zipfile.ZipFile(io.BytesIO(with_macros(plain)))
            .read("[Content_Types].xml")}),
        "excel 4.0 macro sheet": rezip(plain, add={"xl/macrosheets/sheet1.xml": b"<xm/>"}),
        "activex control": rezip(plain, add={"xl/activeX/activeX1.xml": b"<ax/>"}),
    }[variant]
    assert workbook_macro_parts(content)
    with pytest.raises(ImportFileError) as exc:
        check_container(content)
    assert "含有宏" in exc.value.message


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["2026Q2.xlsm", "2026Q2.xlsx"])
def test_the_import_screen_refuses_a_macro_workbook_whatever_its_name(officer_a, name):
    content = with_macros(workbook([row()]))
    page = refused(officer_a, content, name)
    assert "含有宏（VBA）或控件" in page and "另存为" in page


@pytest.mark.django_db
def test_the_same_workbook_without_macros_is_accepted(officer_a):
    response = post(client_for(officer_a), workbook([row()]))
    assert response.status_code == 302
    assert ImportBatch.objects.count() == 1
