"""The import's write path as the database sees it: lists of values as one array parameter, the
preview stored as one document and the commit's accepted rows read back from it in SQL."""

import pytest
from django.db.models import F
from django.utils import timezone

from loans.import_services import PackedPreview, _passed_rows, import_batch_preview
from loans.models import Enterprise, ImportBatch, LoanFiling
from riskcomp.lookups import AnyOf

from .conftest import client_for
from .factories import FilingFactory
from .test_import import TODAY, row, workbook


@pytest.fixture(autouse=True)
def _today(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path


@pytest.mark.django_db
def test_any_of_finds_the_listed_values_across_a_relation_and_nothing_for_an_empty_list():
    one = FilingFactory(iou_number="JJ-ANY-1")
    FilingFactory(iou_number="JJ-ANY-2")
    found = LoanFiling.objects.filter(AnyOf(F("iou_number"), {"JJ-ANY-1", "JJ-'X"}))
    assert list(found.values_list("pk", flat=True)) == [one.pk]
    code = one.enterprise.credit_code
    assert list(LoanFiling.objects.filter(AnyOf(F("enterprise__credit_code"), [code]))
                .values_list("pk", flat=True)) == [one.pk]
    assert list(Enterprise.objects.filter(AnyOf(F("pk"), [one.enterprise_id]))) == [
        one.enterprise]
    assert not LoanFiling.objects.filter(AnyOf(F("iou_number"), [])).exists()


@pytest.mark.django_db
def test_the_stored_preview_reads_back_entry_for_entry_and_names_the_rows_it_accepted(
        both_schemes, officer_a, upload):
    late = row(**{"借据号": "JJ-FUTURE", "放款日期": "2099-01-01", "合同到期日": "2099-12-31"})
    upload(client_for(officer_a), workbook([row(), late, row(**{"借据号": "JJ-0003"})]))
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.VALIDATED
    preview = import_batch_preview(batch)
    assert [e[0] for e in preview] == [2, 3, 4]
    assert [e[3] for e in preview] == [1, 0, 1]
    assert _passed_rows(batch) == (3, {2, 4})
    assert (batch.accepted_rows, batch.rejected_rows) == (2, 1)


@pytest.mark.django_db
def test_a_packed_preview_stores_chinese_text_and_nested_reasons_as_json(bank_a, officer_a):
    batch = ImportBatch.objects.create(bank=bank_a, kind="filings", original_name="x.xlsx",
                                       sha256="0" * 64, uploaded_by=officer_a)
    packed = PackedPreview()
    packed.extend([[2, "JJ-1", "北京亦庄“甲”公司\\n", 1, "MICRO", "0.3", [], "", "1.00", ""]])
    packed.extend([])
    packed.extend([[3, "JJ-2", "乙", 0, "", "", [["DUPLICATE", "已备案", ""]], "", "", ""]])
    packed.store(batch.pk)
    assert (packed.total, packed.accepted) == (2, 1)
    assert import_batch_preview(batch) == [
        [2, "JJ-1", "北京亦庄“甲”公司\\n", 1, "MICRO", "0.3", [], "", "1.00", ""],
        [3, "JJ-2", "乙", 0, "", "", [["DUPLICATE", "已备案", ""]], "", "", ""]]
    assert _passed_rows(batch) == (2, {2})
