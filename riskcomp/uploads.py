"""Uploaded documents: what we accept, and how we hand them back.

A document is accepted by its content, never by its name or the browser's claimed type: the
first bytes must be those of a PDF, PNG or JPEG file (``filetype``), and its size must not exceed
``settings.RISKCOMP_MAX_UPLOAD_BYTES``. Every accepted file carries its SHA-256, so that a
document shown years later can be proven to be the one that was submitted.

Serving is the other half: ``serve_document`` streams a stored file as an attachment, always
after the caller's own permission check (the media directory is never served by URL).
"""

from __future__ import annotations

import hashlib
import os
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
    return CheckedUpload(
        file=upload,
        original_name=_original_name(upload),
        content_type=kind.mime,
        extension=ALLOWED_TYPES[kind.mime],
        size=size,
        sha256=digest.hexdigest(),
    )


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
