"""WeasyPrint reads only the project's static files: a document that refers to a file elsewhere on
the server or to another host renders without it, and the other host is never called."""

import logging
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from django.conf import settings

from riskcomp.pdf import ResourceRefused, html_document, static_only_fetcher

STATIC = Path(settings.BASE_DIR) / "static"


@pytest.fixture
def intranet_host():  # type: ignore[no-untyped-def]
    """A web server on this machine that records every request it receives."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.end_headers()
            self.wfile.write(b"body { color: red }")

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", hits
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("url", [
    "file:///etc/passwd",
    "file:///etc/hostname",
    f"file://{STATIC}/../README.md",
    f"file://{STATIC}/../riskcomp/settings/base.py",
    f"file://{STATIC}/no-such-file.css",
    "file://otherhost/etc/passwd",
    "http://127.0.0.1:1/x.css",
    "https://example.com/logo.png",
    "ftp://example.com/x",
])
def test_the_fetcher_refuses_anything_but_static_files(url):
    with pytest.raises(ResourceRefused):
        static_only_fetcher().fetch(url)


def _read(fetcher, url: str) -> bytes:  # type: ignore[no-untyped-def]
    response = fetcher.fetch(url)
    try:
        return bytes(response.read())
    finally:
        response.close()


def test_the_fetcher_serves_static_files_and_inline_data():
    fetcher = static_only_fetcher()
    favicon = STATIC / "favicon.svg"
    assert _read(fetcher, favicon.as_uri()) == favicon.read_bytes()
    assert _read(fetcher, "data:text/plain;base64,b2s=") == b"ok"


def test_a_symlink_out_of_the_static_tree_is_refused(tmp_path, settings):
    root = tmp_path / "static"
    root.mkdir()
    (root / "ok.css").write_text("p { color: black }")
    (root / "passwd.css").symlink_to("/etc/passwd")
    settings.STATICFILES_DIRS = [root]
    settings.STATIC_ROOT = None
    fetcher = static_only_fetcher()
    assert b"black" in _read(fetcher, (root / "ok.css").as_uri())
    with pytest.raises(ResourceRefused):
        fetcher.fetch((root / "passwd.css").as_uri())


def test_a_document_renders_without_outside_resources_and_calls_no_host(intranet_host, caplog):
    base, hits = intranet_host
    html = (f'<html><head><link rel="stylesheet" href="{base}/style.css">'
            f'<style>@import url("{base}/import.css"); p {{ background: url({base}/bg.png) }}'
            "</style></head><body>"
            '<img src="file:///etc/passwd"><img src="../README.md">'
            f'<img src="{base}/pixel.png"><p>风险补偿</p><img src="favicon.svg"></body></html>')
    with caplog.at_level(logging.WARNING, logger="riskcomp.pdf"):
        pdf = html_document(html).write_pdf()
    assert pdf.startswith(b"%PDF")
    assert hits == []
    refused = " ".join(r.getMessage() for r in caplog.records if r.name == "riskcomp.pdf")
    for url in (f"{base}/style.css", f"{base}/import.css", "file:///etc/passwd", "README.md",
                f"{base}/pixel.png"):
        assert url in refused, url
    assert "favicon.svg" not in refused  # the static file was read
