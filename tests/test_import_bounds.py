"""Every cell of an upload is bounded by its column before it is stored or shown, a cell longer
than Excel can hold refuses the file at once and cheaply, and a request body over the portal's
limit is answered with a 413 page before anything reads it."""

import io
import random
import re
import time
import tracemalloc
import zipfile
from datetime import date

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from loans.importing import FILINGS, MAX_CELL_CHARS, ImportFileError, read_workbook
from loans.models import ImportBatch, ImportChunk, LoanFiling

from .conftest import client_for
from .test_import import preview_of, row, sheet_rows, workbook

TODAY = date(2026, 7, 10)


@pytest.fixture(autouse=True)
def _today(monkeypatch, settings, tmp_path):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY)
    settings.MEDIA_ROOT = tmp_path




def _noise(n: int, seed: int = 16) -> str:
    """Text that compresses about as well as real prose (no zip-bomb ratio)."""
    rnd = random.Random(seed)
    alphabet = "北京亦庄经济技术开发区科技有限公司0123456789ABCDEFGHJKLMNPQRTUWXY"
    return "".join(rnd.choices(alphabet, k=n))


def _with_cell(headers: list[str], values: list[object]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = FILINGS.sheet
    ws.append(headers)
    ws.append(values)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


SST_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


def _rewritten(content: bytes, *, cell_xml: str = "", shared: str | None = None,
               shared_prolog: bytes = b"") -> bytes:
    """The workbook as another tool than openpyxl (which cuts a text at Excel's limit) writes
    it: ``cell_xml`` appended to the second row; with ``shared``, a shared-strings part whose
    only string is ``shared`` and the second row's enterprise name pointing at it."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as src, zipfile.ZipFile(out, "w",
                                                                      zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                if shared is not None:
                    text = re.sub(r'<c r="B2" t="inlineStr">.*?</c>',
                                  '<c r="B2" t="s"><v>0</v></c>', text)
                end = text.index("</row>", text.index('<row r="2"'))
                data = (text[:end] + cell_xml + text[end:]).encode()
            elif item.filename == "[Content_Types].xml" and shared is not None:
                data = data.replace(b"</Types>", f'<Override PartName="/xl/sharedStrings.xml" '
                                                 f'ContentType="{SST_TYPE}"/></Types>'.encode())
            dst.writestr(item, data)
        if shared is not None:
            dst.writestr("xl/sharedStrings.xml", shared_prolog + (
                '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                f'count="1" uniqueCount="1"><si><t>{shared}</t></si></sst>').encode())
    return out.getvalue()


@pytest.mark.django_db
def test_a_cell_longer_than_excel_allows_refuses_the_file_cheaply():
    huge = _noise(8_000_000)
    content = _rewritten(workbook([row()]), shared=huge)
    del huge
    assert len(content) < 8 * 1024 * 1024  # well under the upload and zip-ratio limits
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(ImportFileError) as refused:
        read_workbook(content, FILINGS)
    seconds = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert f"{MAX_CELL_CHARS:,}" in refused.value.message and "已拒绝" in refused.value.message
    # Reading stops at the 32,768th character: neither the 8 million characters nor the time
    # to read them are spent.
    assert peak < 4 * 1024 * 1024, peak
    assert seconds < 5, seconds


@pytest.mark.django_db
def test_entity_expansion_in_the_shared_strings_is_refused():
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>')
    content = _rewritten(workbook([row()]), shared="&lol2;", shared_prolog=laughs)
    with pytest.raises(ImportFileError) as refused:
        read_workbook(content, FILINGS)
    assert "不安全的XML" in refused.value.message


@pytest.mark.django_db
def test_an_inline_cell_longer_than_excel_allows_names_its_row_and_column():
    content = _rewritten(workbook([row()]), cell_xml=(
        f'<c r="AZ2" t="inlineStr"><is><t>{_noise(MAX_CELL_CHARS + 1)}</t></is></c>'))
    with pytest.raises(ImportFileError) as refused:
        read_workbook(content, FILINGS)
    assert refused.value.message.startswith("第2行AZ列的内容超过32,767个字符")


@pytest.mark.django_db
def test_over_long_cells_are_cut_when_read_and_refuse_their_row(both_schemes, officer_a,
                                                                 upload):
    long_name = _noise(20_000, seed=1)
    long_date = "2026-05-12" + "0" * 5_000
    client = client_for(officer_a)
    upload(client, workbook([
        row(**{"企业名称": long_name}),
        row(**{"借据号": "JJ-0002", "合同号": "HT-0002", "放款日期": long_date}),
        row(**{"借据号": "JJ-0003", "合同号": "HT-0003"}),
    ]))
    batch = ImportBatch.objects.get()
    assert (batch.accepted_rows, batch.rejected_rows) == (1, 2)
    preview = preview_of(batch)
    name_message = " ".join(m for _c, m in preview[2][6])
    assert "第2行“企业名称”：内容过长，不能超过200个字符" in name_message
    assert "第3行“放款日期”：内容过长，不能超过40个字符" in " ".join(m for _c, m in preview[3][6])
    # What is stored of the upload: the cut cells, never the 20,000 characters.
    stored = b"".join(ImportChunk.objects.filter(batch=batch).values_list("rows", flat=True))
    assert len(stored) < 5_000
    assert len(preview[2][2]) == 401 and preview[2][2].endswith("…")
    page = client.get(reverse("loans:import_detail", args=[batch.pk]))
    assert page.status_code == 200 and len(page.content) < 200_000
    assert long_name not in page.content.decode()
    # The rejected rows come back cut, the mark showing where.
    rejected = client.get(reverse("loans:import_rejected", args=[batch.pk]))
    cells = [c for r in sheet_rows(b"".join(rejected.streaming_content)
                                   if rejected.streaming else rejected.content, "填报")
             for c in r if isinstance(c, str)]
    assert long_name[:400] + "…" in cells and long_name not in cells
    assert LoanFiling.objects.count() == 0


@pytest.mark.django_db
def test_an_ignored_columns_long_header_is_cut(both_schemes, officer_a, upload):
    content = _with_cell([*FILINGS.headers, "备注" * 5_000],
                         [*(row().get(h) for h in FILINGS.headers), "x"])
    upload(client_for(officer_a), content)
    batch = ImportBatch.objects.get()
    (ignored,) = batch.result["ignored"]
    assert len(ignored) == 41 and ignored.endswith("…")


@pytest.mark.django_db
def test_a_request_body_over_the_limit_gets_the_413_page_and_changes_nothing(
        both_schemes, officer_a, upload, settings):
    settings.RISKCOMP_MAX_REQUEST_BYTES = 32 * 1024
    content = workbook([row(**{"企业名称": _noise(40_000)})])
    assert len(content) > settings.RISKCOMP_MAX_REQUEST_BYTES
    response = upload(client_for(officer_a), content)
    assert response.status_code == 413
    text = response.content.decode()
    assert "提交的内容过大" in text and "32 KB" not in text
    assert re.search(r"超过平台允许的 \d+ MB 上限", text)
    assert ImportBatch.objects.count() == 0
    # Below the limit the same screen takes the upload.
    response = upload(client_for(officer_a), workbook([row()]))
    assert response.status_code == 302 and ImportBatch.objects.count() == 1
