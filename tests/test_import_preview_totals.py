"""The import preview as the officer checks it before confirming: each row's amount, drawdown
date and scheme in Chinese, and totals per scheme and verdict over the whole batch."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from loans.import_views import PREVIEW_PAGE
from loans.models import ImportBatch

from .conftest import client_for
from .factories import make_credit_code
from .test_import import row, tech_row, workbook

TODAY = date(2026, 7, 10)


@pytest.fixture(autouse=True)
def _today(monkeypatch, settings, tmp_path):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY)
    settings.MEDIA_ROOT = tmp_path




def micro(i: int, amount: str, drawdown: str = "2026-05-12") -> dict[str, object]:
    return row(**{"统一社会信用代码": make_credit_code(300 + i), "借据号": f"JJ-M{i:03d}",
                  "合同号": f"HT-M{i:03d}", "贷款金额": amount, "放款日期": drawdown,
                  "企业名称": f"北京亦庄小微客户{i}号科技有限公司"})


def batch_rows(extra_micro: int = 0) -> list[dict[str, object]]:
    rows = [micro(1, "1234567.89", "2026-04-03") | {"征信报告日期": "2026-04-01"},
            micro(2, "800000.00")]
    rows += [micro(10 + i, "100000.00") for i in range(extra_micro)]
    rows.append(tech_row(**{"贷款金额": "5000000.00", "放款日期": "2026-06-30"}))
    # Refused by both schemes: the rate is over the cap; its amount still reads.
    rows.append(micro(3, "2000000.00") | {"年利率(%)": "9.9"})
    # Refused for its cells: the amount in words cannot be read.
    rows.append(micro(4, "三百万元"))
    return rows


def _upload(client, upload, rows) -> ImportBatch:  # type: ignore[no-untyped-def]
    upload(client, workbook(rows))
    batch = ImportBatch.objects.latest("pk")
    assert batch.status == ImportBatch.Status.VALIDATED, batch.message
    return batch


def _totals(page: str) -> dict[str, tuple[str, str]]:
    table = re.search(r'<table class="data preview-totals">(.*?)</table>', page, re.S)
    assert table is not None
    found = {}
    for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", table.group(1), re.S):
        cells = [re.sub(r"<[^>]+>", " ", c).split() for c in re.findall(
            r"<t[dh][^>]*>(.*?)</t[dh]>", tr, re.S)]
        if cells and cells[0] and len(cells) == 4:
            found[f"{cells[0][0]}/{cells[1][0]}"] = (cells[2][0], cells[3][0])
        elif cells and cells[0] and cells[0][0] == "合计":
            found["合计"] = (cells[1][0], cells[2][0])
    return found


@pytest.mark.django_db
def test_preview_rows_show_amount_drawdown_and_scheme_in_chinese(both_schemes, officer_a,
                                                                  upload):
    client = client_for(officer_a)
    batch = _upload(client, upload, batch_rows())
    page = client.get(reverse("loans:import_detail", args=[batch.pk])).content.decode()
    body = re.search(r'<table class="data import-preview">(.*?)</table>', page, re.S).group(1)
    assert "¥1,234,567.89" in body and "2026-04-03" in body
    assert "¥5,000,000.00" in body and "2026-06-30" in body
    assert "¥2,000,000.00" in body  # the refused row still shows what it asked for
    text = re.sub(r"<[^>]+>", " ", body)
    assert not re.search(r"\b(MICRO|TECH)\b", text)  # the scheme is named, not coded
    assert "小微" in text and "科创" in text


@pytest.mark.django_db
def test_preview_totals_per_scheme_and_verdict_cover_every_page(both_schemes, officer_a,
                                                                upload):
    client = client_for(officer_a)
    batch = _upload(client, upload, batch_rows(extra_micro=PREVIEW_PAGE))
    page = client.get(reverse("loans:import_detail", args=[batch.pk])).content.decode()
    totals = _totals(page)
    micro_amount = Decimal("1234567.89") + Decimal("800000.00") + PREVIEW_PAGE * Decimal(
        "100000.00")
    assert totals["小微企业贷款风险补偿/通过"] == (str(2 + PREVIEW_PAGE), f"¥{micro_amount:,.2f}")
    assert totals["科技创新类中小企业贷款风险补偿/通过"] == ("1", "¥5,000,000.00")
    assert totals["退回（不予备案）/退回"] == ("2", "¥2,000,000.00")
    assert "另有 1 行金额无法识别" in page
    assert totals["合计"] == (str(5 + PREVIEW_PAGE),
                            f"¥{micro_amount + Decimal('7000000.00'):,.2f}")
    # The second page shows other rows, the same totals.
    second = client.get(reverse("loans:import_detail", args=[batch.pk]), {"page": 2})
    assert _totals(second.content.decode()) == totals


@pytest.mark.django_db
def test_preview_queries_do_not_grow_with_the_rows(both_schemes, officer_a, upload):
    client = client_for(officer_a)
    counts = []
    for extra in (0, PREVIEW_PAGE * 2):
        batch = _upload(client, upload, batch_rows(extra_micro=extra))
        client.get(reverse("loans:import_detail", args=[batch.pk]))  # warm the session
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("loans:import_detail", args=[batch.pk])).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
