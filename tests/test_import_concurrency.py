"""Two uploads of the same quarter committed at the same moment on PostgreSQL: the bank row lock
judges them one after the other, so one files the loans and the other finds every row
DUPLICATE; nothing is filed twice."""

import threading
from datetime import date

import pytest
from django.db import connection, connections
from django.utils import timezone

from loans.import_selectors import REASONS
from loans.import_services import import_batch_commit, import_batch_confirm, import_batch_create
from loans.importing import FILINGS, read_workbook
from loans.models import ImportBatch, LoanFiling

from .factories import AgreementFactory, make_credit_code
from .test_import import row, workbook

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]
TODAY = date(2026, 7, 10)  # within the filing window of 2026Q2


@pytest.fixture(autouse=True)
def _media(settings, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY)


def test_two_imports_of_the_same_file_at_once_file_each_loan_once(bank_a, officer_a):
    AgreementFactory(bank=bank_a, scheme="MICRO")
    AgreementFactory(bank=bank_a, scheme="TECH")
    content = workbook([row(**{"借据号": f"JJ-{n:04d}", "合同号": f"HT-{n:04d}",
                               "统一社会信用代码": make_credit_code(500 + n),
                               "企业名称": f"北京亦庄测试{n}号有限公司", "首笔贷款": "否"})
                        for n in range(1, 31)])
    batches = []
    for name in ("a.xlsx", "b.xlsx"):
        batch = import_batch_create(bank=bank_a, kind="filings", original_name=name,
                                    data=content, parsed=read_workbook(content, FILINGS),
                                    actor=officer_a)
        batch.refresh_from_db()
        assert batch.status == ImportBatch.Status.VALIDATED and batch.accepted_rows == 30
        batches.append(batch)
    for batch in batches:
        # Confirmed, with the commit task's delivery held back so both run together below.
        ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.COMMITTING)

    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def commit(batch: ImportBatch) -> None:
        try:
            barrier.wait()
            import_batch_commit(batch.pk, officer_a.pk, today=TODAY)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=commit, args=(b,)) for b in batches]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert LoanFiling.objects.filter(bank=bank_a).count() == 30
    states = sorted(ImportBatch.objects.values_list("status", "accepted_rows"))
    assert states == [(ImportBatch.Status.COMMITTED, 0), (ImportBatch.Status.COMMITTED, 30)]
    loser = ImportBatch.objects.get(accepted_rows=0)
    codes = {r[0] for entry in loser.preview for r in entry[REASONS]}
    assert codes == {"DUPLICATE"}
    # A confirmation after the commit changes nothing.
    assert import_batch_confirm(batch=loser, actor=officer_a) is False
