"""No screen or document of the demo shows a raw code.

Every page reachable from each demo user's home (following the links they see, including htmx
fragments, PDFs and workbooks) is rendered, and its visible text must read in Chinese: 小微/科创,
reason sentences, 2026年第四季度, family names first. The demo is loaded once for the module in a
transaction that is rolled back at the end."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from collections import Counter, deque
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pytest
from django.core.management import call_command
from django.db import transaction
from django.http import StreamingHttpResponse
from django.test import Client, override_settings

from demo.management.commands.load_demo import DEMO_USERS

pytestmark = pytest.mark.django_db

# MICRO/TECH as words (also inside identifiers such as CSYJ-MICRO-2026Q3, or as MC-/TC- in claim
# numbers), quarters as 2026Q4,
# and upper-case reason codes such as CALENDAR_UNKNOWN or NPL_BEFORE_FILING.
RAW_CODE = re.compile(
    r"(?<![A-Za-z])(?:MICRO|TECH)(?![a-z])"
    r"|(?<![A-Za-z])[MT]C-\d{4}-"
    r"|\d{4}Q[1-4]|\d{4}H[12](?![0-9])"
    r"|(?<![A-Za-z0-9])[A-Z][A-Z]*_[A-Z_]{3,}(?![A-Za-z0-9])"
    # (not after "_": the suffix Django's storage adds to a clashing file name, 申报书_ZAUKKKP.pdf)
    r"|(?<![A-Za-z0-9_-])[A-Z]{6,}(?![A-Za-z0-9-])")
# Latin words that are legitimately Latin on a Chinese screen.
ALLOWED = {"LIBOR"}
# Given names shown after the family name, Western style ("丽娜 王").
WESTERN_NAMES = [f"{u.first_name} {u.last_name}" for u in DEMO_USERS]

SKIP = re.compile(r"^/(?:accounts/logout|i18n/|static/|media/|admin/|health)")
# Files the banks and the bureau uploaded are theirs, not the portal's words.
UPLOADED = re.compile(r"/(?:documents/\d+|document|statement|scan)/")
# The import template's table of refusal codes is the key for the bank's IT staff to the
# refused-rows workbook; names there are still checked.
# The audit export's last column is the trail's record as stored (JSON), for machines.
CODE_TABLES = re.compile(r"^/filings/import/template/|^/audit/.*export=xlsx")
# Per URL shape (digits replaced), how many instances to visit: enough to see each kind of record.
PER_SHAPE = 3
MAX_PAGES = 400


class _Text(HTMLParser):
    """Visible text (and the attributes users read: title, placeholder, aria-label) and links."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.links: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in {"script", "style"}:
            self._hidden += 1
        for name in ("title", "placeholder", "aria-label", "data-confirm"):
            if a.get(name):
                self.text.append(a[name] or "")
        for name in ("href", "hx-get"):
            if a.get(name):
                self.links.append(a[name] or "")
        if tag == "input" and a.get("type") in {"submit", "button"} and a.get("value"):
            self.text.append(a["value"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"} and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.text.append(data)


def _pdf_text(content: bytes) -> str:
    pdftotext = shutil.which("pdftotext")
    if pdftotext:
        return subprocess.run([pdftotext, "-layout", "-", "-"], input=content,  # noqa: S603
                              capture_output=True, check=True).stdout.decode()
    from pypdf import PdfReader
    return "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(content)).pages)


def _xlsx_text(content: bytes) -> str:
    from openpyxl import load_workbook
    wb = load_workbook(io.BytesIO(content), read_only=True)
    return "\n".join(str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True)
                     for v in row if v is not None)


def raw_codes(text: str) -> list[str]:
    found = [m.group(0) for m in RAW_CODE.finditer(text) if m.group(0) not in ALLOWED]
    found += [n for n in WESTERN_NAMES if n in text]
    return found


def _context(text: str, code: str) -> str:
    """The code with a little of the text around it, so that a failure says where it is."""
    at = text.find(code)
    return " ".join(text[max(0, at - 30):at + len(code) + 30].split())


def _shape(url: str) -> str:
    parts = urlsplit(url)
    query = "&".join(sorted(p.split("=")[0] for p in parts.query.split("&") if p))
    return re.sub(r"\d+", "N", parts.path) + "?" + query


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):  # type: ignore[no-untyped-def]
    media = tmp_path_factory.mktemp("demo-media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media), transaction.atomic():
        call_command("load_demo", verbosity=0)
        # The demo leaves its half-year reports queued: render them, so their PDFs are read too.
        from reports.models import ReportFile
        from reports.services import report_generate
        for pk in ReportFile.objects.values_list("pk", flat=True):
            report_generate(pk)
        yield
        transaction.set_rollback(True)


def crawl(client: Client) -> tuple[dict[str, list[str]], Counter[str]]:
    """Every page reachable from the home page: {url: raw codes found}, and how many pages,
    PDFs and workbooks were read."""
    seen: set[str] = set()
    shapes: dict[str, int] = {}
    queue = deque(["/"])
    bad: dict[str, list[str]] = {}
    read: Counter[str] = Counter()
    while queue and read.total() < MAX_PAGES:
        url = queue.popleft()
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        read["page"] += 1
        if response.status_code in {301, 302}:
            continue
        assert response.status_code == 200, (url, response.status_code)
        kind = response.get("Content-Type", "")
        body = (b"".join(response.streaming_content)
                if isinstance(response, StreamingHttpResponse) else response.content)
        links: list[str] = []
        if kind.startswith("text/html"):
            parser = _Text()
            parser.feed(body.decode())
            text, links = " ".join(parser.text), parser.links
        elif kind.startswith("application/pdf"):
            text = _pdf_text(body)
            read["pdf"] += 1
        elif "spreadsheetml" in kind:
            text = _xlsx_text(body)
            read["xlsx"] += 1
        elif kind.startswith("text/csv"):
            text = body.decode("utf-8-sig")
        else:
            continue
        found = raw_codes(text)
        if CODE_TABLES.match(url):
            found = [f for f in found if f in WESTERN_NAMES]
        if found:
            bad[url] = [_context(text, code) for code in sorted(set(found))]
        for link in links:
            link = urldefrag(link).url
            if (not link.startswith("/") or link.startswith("//") or SKIP.match(link)
                    or UPLOADED.search(link)):
                continue
            if link in seen:
                continue
            seen.add(link)
            shape = _shape(link)
            if shapes.get(shape, 0) >= PER_SHAPE:
                continue
            shapes[shape] = shapes.get(shape, 0) + 1
            queue.append(link)
    return bad, read


def test_the_pattern_catches_what_an_official_should_not_see():
    assert raw_codes("政策 MICRO") == ["MICRO"]
    assert raw_codes("CSYJ-TECH-2026Q3") == ["TECH", "2026Q3"]
    assert raw_codes("警告：CALENDAR_UNKNOWN") == ["CALENDAR_UNKNOWN"]
    assert raw_codes("申报 MC-2026-0001") == ["MC-2026-"]
    assert raw_codes("材料 申报书_ZAUKKKP.pdf，代码 DUPLICATE") == ["DUPLICATE"]
    assert raw_codes("OUTSTANDING_CAP 征信未结清贷款余额超限") == ["OUTSTANDING_CAP"]
    assert raw_codes("经办人 丽娜 王") == ["丽娜 王"]
    assert raw_codes("小微 · 2026年第四季度 · 王丽娜 · LPR · PDF · Excel · ¥1,234.00") == []


@pytest.mark.parametrize("username", [u.username for u in DEMO_USERS])
def test_no_page_of_the_demo_shows_a_raw_code(demo, username):
    from django.contrib.auth import get_user_model
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    bad, read = crawl(client)
    assert read["page"] > 10, read
    if username in {"reviewer", "auditor"}:  # proposals and the half-year reports
        assert read["pdf"] >= 3, read
    assert not bad, "\n".join(f"{url}: {codes}" for url, codes in sorted(bad.items()))
