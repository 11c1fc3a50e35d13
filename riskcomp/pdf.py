"""PDF documents rendered with WeasyPrint from templates under ``templates/<app>/pdf/``.

The layouts use the Noto CJK fonts installed on the host (``fc-list | grep -i cjk``); no web
font is fetched, and ``base_url`` points at the static directory only so that nothing outside
the project is read."""

from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.http import HttpResponse
from django.template.loader import render_to_string


def render_pdf(template: str, context: dict[str, Any]) -> bytes:
    from weasyprint import HTML  # heavy import, only where a PDF is made

    html = render_to_string(template, context)
    base = str(settings.BASE_DIR / "static")
    return bytes(HTML(string=html, base_url=base).write_pdf())


def pdf_response(content: bytes, *, filename: str) -> HttpResponse:
    """The PDF as a download, with a UTF-8 file name (RFC 6266)."""
    response = HttpResponse(content, content_type="application/pdf")
    ascii_name = filename.encode("ascii", "ignore").decode() or "document.pdf"
    response["Content-Disposition"] = (
        f'attachment; filename="{ascii_name}"; filename*=UTF-8\'\'{quote(filename)}')
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
