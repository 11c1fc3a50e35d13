"""Documents are accepted by their content (PDF, PNG, JPEG), within the size limit, with their
SHA-256; they are served back only as attachments."""

import hashlib
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404

from claims.models import ClaimDocument
from riskcomp.uploads import check_upload, serve_document

PDF_BYTES = (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
             b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
             b"trailer\n<< /Root 1 0 R >>\n%%EOF\n")


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


PNG_BYTES = (b"\x89PNG\r\n\x1a\n"
             + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
             + _png_chunk(b"IDAT", zlib.compress(b"\x00\x00"))
             + _png_chunk(b"IEND", b""))
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + bytes(64)
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(64)
TEXT_BYTES = "这是一个改了扩展名的文本文件。\n".encode()


def upload(name: str, content: bytes, content_type: str = "application/pdf"):  # type: ignore[no-untyped-def]
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.mark.parametrize(("name", "content", "mime", "ext"), [
    ("申请表.pdf", PDF_BYTES, "application/pdf", ".pdf"),
    ("scan.png", PNG_BYTES, "image/png", ".png"),
    ("scan.jpeg", JPEG_BYTES, "image/jpeg", ".jpg"),
])
def test_pdf_png_and_jpeg_are_accepted_with_their_hash(name, content, mime, ext):
    checked = check_upload(upload(name, content))
    assert checked.content_type == mime
    assert checked.extension == ext
    assert checked.size == len(content)
    assert checked.sha256 == hashlib.sha256(content).hexdigest()
    assert checked.original_name == name
    assert checked.stored_name() == checked.sha256[:24] + ext


def test_the_content_decides_not_the_name():
    checked = check_upload(upload("looks-like.pdf", PNG_BYTES))
    assert checked.content_type == "image/png"


@pytest.mark.parametrize(("name", "content"), [
    ("合同.pdf", TEXT_BYTES),
    ("setup.pdf", EXE_BYTES),
    ("setup.exe", EXE_BYTES),
])
def test_anything_else_is_refused_with_a_chinese_message(name, content):
    with pytest.raises(ValidationError) as exc:
        check_upload(upload(name, content), label="借款合同及借据")
    assert exc.value.code == "upload_type"
    text = exc.value.messages[0]
    assert "借款合同及借据" in text and "PDF、PNG 或 JPEG" in text


def test_an_exe_is_named_in_the_refusal():
    with pytest.raises(ValidationError) as exc:
        check_upload(upload("setup.pdf", EXE_BYTES))
    assert "application/x-msdownload" in exc.value.messages[0]


def test_oversize_file_is_refused(settings):
    settings.RISKCOMP_MAX_UPLOAD_BYTES = 100
    with pytest.raises(ValidationError) as exc:
        check_upload(upload("big.pdf", PDF_BYTES + bytes(200)))
    assert exc.value.code == "upload_too_large"
    assert "超过上限" in exc.value.messages[0]


def test_empty_and_missing_files_are_refused():
    with pytest.raises(ValidationError) as empty:
        check_upload(upload("empty.pdf", b""))
    assert empty.value.code == "upload_empty"
    with pytest.raises(ValidationError) as missing:
        check_upload(None)
    assert missing.value.code == "upload_missing"


def test_path_components_of_the_name_are_dropped():
    checked = check_upload(upload("../../etc/passwd.pdf", PDF_BYTES))
    assert checked.original_name == "passwd.pdf"
    checked = check_upload(upload("C:\\Users\\x\\申请表.pdf", PDF_BYTES))
    assert checked.original_name == "申请表.pdf"


def test_the_file_can_be_read_again_after_the_check():
    f = upload("a.pdf", PDF_BYTES)
    check_upload(f)
    assert f.read() == PDF_BYTES


@pytest.mark.django_db
def test_serve_document_streams_an_attachment(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    doc = ClaimDocument()
    doc.file.save("abc.pdf", ContentFile(PDF_BYTES), save=False)
    response = serve_document(doc.file, filename="申请表", content_type="application/pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    assert ".pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF_BYTES


@pytest.mark.django_db
def test_serve_document_guesses_the_type_from_the_content(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    doc = ClaimDocument()
    doc.file.save("scan.png", ContentFile(PNG_BYTES), save=False)
    assert serve_document(doc.file)["Content-Type"] == "image/png"


@pytest.mark.django_db
def test_serve_document_without_a_file_is_404(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with pytest.raises(Http404):
        serve_document(ClaimDocument().file)
    doc = ClaimDocument()
    doc.file.name = "claims/2026/01/gone.pdf"
    with pytest.raises(Http404):
        serve_document(doc.file)
