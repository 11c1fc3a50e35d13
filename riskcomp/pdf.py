"""PDF documents rendered with WeasyPrint from templates under ``templates/<app>/pdf/``.

The layouts use the Noto CJK fonts installed on the host (``fc-list | grep -i cjk``); no web
font is fetched. Every resource a document refers to goes through ``StaticOnlyFetcher``: the
project's static files and inline ``data:`` URIs are served, anything else (``file:///etc/…``,
``http://…`` on the intranet) is refused, so that text which reaches a layout can never make the
server read its own files or call another host."""

import logging
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from django.conf import settings
from django.http import HttpResponse
from django.template.loader import render_to_string

log = logging.getLogger("riskcomp.pdf")


class ResourceRefused(ValueError):
    """A document referred to something outside the static files. WeasyPrint logs the error
    and renders the document without that resource."""


def static_roots() -> list[Path]:
    """The directories a document may read from: the static sources and the collected copy."""
    roots = [Path(d) for d in settings.STATICFILES_DIRS]
    if settings.STATIC_ROOT:
        roots.append(Path(settings.STATIC_ROOT))
    return [r.resolve() for r in roots]


def static_file_for(url: str) -> Path | None:
    """The file a ``file:`` URL names when it is one of the static files, else None."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
        return None
    path = Path(unquote(parts.path)).resolve()  # resolves "..", and symlinks out of the tree
    if not path.is_file():
        return None
    return path if any(path.is_relative_to(root) for root in static_roots()) else None


def static_only_fetcher() -> Any:
    from weasyprint import URLFetcher  # heavy import, only where a PDF is made

    class StaticOnlyFetcher(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            scheme = urlsplit(url).scheme.lower()
            if scheme == "data" or (scheme == "file" and static_file_for(url) is not None):
                return super().fetch(url, headers)
            log.warning("PDF resource refused: %.200s", url)
            raise ResourceRefused(f"resource outside the static files: {url[:200]}")

    return StaticOnlyFetcher(allowed_protocols=("data", "file"), allow_redirects=False)


def html_document(html: str) -> Any:
    """A WeasyPrint document for ``html``; relative URLs resolve against the static files."""
    from weasyprint import HTML  # heavy import, only where a PDF is made

    base = str(settings.BASE_DIR / "static")
    return HTML(string=html, base_url=base, url_fetcher=static_only_fetcher())


def render_pdf(template: str, context: dict[str, Any]) -> bytes:
    return bytes(html_document(render_to_string(template, context)).write_pdf())


def pdf_response(content: bytes, *, filename: str) -> HttpResponse:
    """The PDF as a download, with a UTF-8 file name (RFC 6266)."""
    response = HttpResponse(content, content_type="application/pdf")
    ascii_name = filename.encode("ascii", "ignore").decode() or "document.pdf"
    response["Content-Disposition"] = (
        f'attachment; filename="{ascii_name}"; filename*=UTF-8\'\'{quote(filename)}')
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
