"""Uploaded documents: what we accept, and how we hand them back.

A document is accepted by its content, never by its name or the browser's claimed type: the
first bytes must be those of a PDF, PNG or JPEG file (``filetype``), and its size must not exceed
``settings.RISKCOMP_MAX_UPLOAD_BYTES``. A PDF that would run something when opened (JavaScript,
automatic or additional actions, launching a program) is refused, as is, for the import, a
workbook with macros (``workbook_macro_parts``). Every accepted file carries its SHA-256, so
that a document shown years later can be proven to be the one that was submitted.

Serving is the other half: ``serve_document`` streams a stored file as an attachment, always
after the caller's own permission check (the media directory is never served by URL).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import zipfile
import zlib
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

# Detected MIME type -> the extension the stored file gets.
ALLOWED_TYPES: dict[str, str] = {
    "application/pdf": ".pdf",
    "image/png": ".png",
    "image/jpeg": ".jpg",
}
# What the file inputs offer in the browser's picker (a convenience; the server decides).
ACCEPT_ATTR = ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"
# ``filetype`` needs at most this many leading bytes.
_HEAD_BYTES = 8192
_NAME_MAX = 200


@dataclass(frozen=True)
class CheckedUpload:
    """An upload that passed ``check_upload``, with what we store about it."""

    file: UploadedFile
    original_name: str
    content_type: str
    extension: str
    size: int
    sha256: str

    def stored_name(self) -> str:
        """A file name made of the content hash and the detected extension: nothing the user
        typed reaches the file system."""
        return f"{self.sha256[:24]}{self.extension}"


def max_upload_bytes() -> int:
    return int(settings.RISKCOMP_MAX_UPLOAD_BYTES)


def _original_name(upload: UploadedFile) -> str:
    name = os.path.basename((upload.name or "").replace("\\", "/")).strip()
    return (name or "document")[-_NAME_MAX:]


def check_upload(upload: UploadedFile | None, *, label: str = "") -> CheckedUpload:
    """Accept a PDF, PNG or JPEG file within the size limit; raise ``ValidationError`` with a
    Chinese message otherwise. Returns the file's detected type, size and SHA-256."""
    prefix = _("%(label)s：") % {"label": label} if label else ""
    if upload is None:
        raise ValidationError(prefix + _("请上传文件。"), code="upload_missing")
    size = upload.size or 0
    if size <= 0:
        raise ValidationError(prefix + _("文件为空，请重新选择。"), code="upload_empty")
    limit = max_upload_bytes()
    if size > limit:
        raise ValidationError(
            prefix + _("文件大小 %(size)s 超过上限 %(limit)s。")
            % {"size": filesizeformat(size), "limit": filesizeformat(limit)},
            code="upload_too_large",
        )
    upload.seek(0)
    head = upload.read(_HEAD_BYTES)
    kind = filetype.guess(head)
    if kind is None or kind.mime not in ALLOWED_TYPES:
        found = kind.mime if kind is not None else _("无法识别")
        raise ValidationError(
            prefix + _("文件“%(name)s”的内容不是 PDF、PNG 或 JPEG（识别为：%(found)s），"
                       "请上传扫描件或 PDF 文件。")
            % {"name": _original_name(upload), "found": found},
            code="upload_type",
        )
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    if kind.mime == "application/pdf":
        active = pdf_active_content(upload.read())
        upload.seek(0)
        if active:
            raise ValidationError(
                prefix + _("文件“%(name)s”含有脚本或自动执行的动作，为安全起见不予接收。"
                           "请使用扫描件，或将文件“打印为 PDF”后重新上传。")
                % {"name": _original_name(upload)},
                code="upload_active_content",
            )
    return CheckedUpload(
        file=upload,
        original_name=_original_name(upload),
        content_type=kind.mime,
        extension=ALLOWED_TYPES[kind.mime],
        size=size,
        sha256=digest.hexdigest(),
    )


# --- Active content: PDF scripts and actions, workbook macros ---------------------------------

# PDF names that run something: JavaScript (also as an /OpenAction or in a form field), the
# additional actions fired on opening a page or leaving a field, and launching a program.
_PDF_ACTIVE_NAMES = re.compile(rb"/(JS|JavaScript|AA|Launch)(?=[\x00\t\n\x0c\r /<>\[\]()%{}]|$)")
_PDF_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_PDF_STREAM = re.compile(rb"stream\r?\n(.*?)endstream", re.S)
# Object streams hold dictionaries in compressed form; they are inflated to look inside them,
# within a budget, so that a small file cannot make the check inflate gigabytes.
_PDF_INFLATE_BUDGET = 64 * 1024 * 1024


def _unescape_names(text: bytes) -> bytes:
    # "/J#61vaScript" is the same name as "/JavaScript" (PDF 1.2+).
    return _PDF_NAME_ESCAPE.sub(lambda m: bytes([int(m[1], 16)]), text)


def pdf_active_content(data: bytes) -> list[str]:
    """The names of the actions a PDF would run when opened or used (``JS``, ``JavaScript``,
    ``AA``, ``Launch``), found in its objects and in its compressed object streams; empty for a
    plain document. Other streams (page content, images) are data, not dictionaries, and are
    skipped: random bytes in a scan must not look like an action."""
    found: set[str] = set()
    budget = _PDF_INFLATE_BUDGET
    outside, last = [], 0
    for m in _PDF_STREAM.finditer(data):
        head = data[last:m.start()]
        outside.append(head)
        last = m.end()
        dictionary = _unescape_names(head[-2048:])
        if b"/ObjStm" in dictionary and b"/FlateDecode" in dictionary and budget > 0:
            inflater = zlib.decompressobj()
            try:
                body = inflater.decompress(m[1], budget)
            except zlib.error:
                continue
            budget -= len(body)
            found.update(n.decode() for n in _PDF_ACTIVE_NAMES.findall(_unescape_names(body)))
    outside.append(data[last:])
    for part in outside:
        found.update(n.decode() for n in _PDF_ACTIVE_NAMES.findall(_unescape_names(part)))
    return sorted(found)


# Parts that carry code in an Office Open XML workbook: VBA projects (.xlsm, .xlsb, or the same
# renamed .xlsx), Excel 4.0 macro sheets and ActiveX controls.
_MACRO_PARTS = re.compile(r"(^|/)vbaProject[^/]*\.bin$|^xl/(macrosheets|activeX)/", re.I)
_MACRO_CONTENT_TYPES = (b"macroEnabled", b"vbaProject", b"ms-excel.macrosheet",
                        b"ms-office.activeX")


def workbook_macro_parts(data: bytes) -> list[str]:
    """The parts of a workbook (a zip) that hold macros or controls, whatever the file is
    called; empty for a plain .xlsx or for something that is not a zip at all."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            parts = [e.filename for e in entries if _MACRO_PARTS.search(e.filename)]
            types = next((e for e in entries if e.filename == "[Content_Types].xml"), None)
            if types is not None and types.file_size <= 1024 * 1024:
                declared = archive.read(types)
                parts += [t.decode() for t in _MACRO_CONTENT_TYPES if t in declared]
    except (zipfile.BadZipFile, ValueError, OSError, RuntimeError):
        return []
    return parts


def _guess_type(field: FieldFile) -> str:
    try:
        with field.open("rb") as fh:
            head = fh.read(_HEAD_BYTES)
    except OSError:
        return "application/octet-stream"
    kind = filetype.guess(head)
    return kind.mime if kind is not None else "application/octet-stream"


def serve_document(
    field: FieldFile | None, *, filename: str = "", content_type: str = ""
) -> FileResponse:
    """Stream a stored file as an attachment (``Content-Disposition: attachment``).

    Call it only after checking that the user may see the record the file belongs to. A record
    without a file, or a file missing from storage, is a 404.
    """
    if not field or not field.name:
        raise Http404(_("没有该文件。"))
    try:
        handle = field.storage.open(field.name, "rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404(_("文件不存在或已被移除。")) from exc
    stored_ext = os.path.splitext(field.name)[1]
    filename = filename or os.path.basename(field.name)
    if stored_ext and not filename.lower().endswith(stored_ext.lower()):
        filename += stored_ext
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=filename,
        content_type=content_type or _guess_type(field),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
