"""Tasks through a real Redis broker and a separate Celery worker process on the test database.
Runs when REDIS_URL is set (``make test`` sets it for its PostgreSQL run); skipped otherwise."""

import os
import subprocess
import sys
import time
from datetime import date
from decimal import Decimal
from urllib.parse import quote

import pytest
from celery.result import EagerResult
from django.conf import settings
from django.db import connection

from banks.models import SuspensionState
from claims.models import Payment
from claims.tasks import recompute_suspensions
from riskcomp.celery import app

from .factories import ClaimFactory, FilingFactory

pytestmark = [pytest.mark.worker]


def _database_url() -> str:
    s = connection.settings_dict
    user = quote(s.get("USER") or "")
    auth = f"{user}:{quote(s['PASSWORD'])}@" if s.get("PASSWORD") else (f"{user}@" if user else "")
    return f"postgres://{auth}{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}"


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    if not settings.REDIS_URL:
        pytest.skip("REDIS_URL not set: no real broker (make test sets it when Redis answers)")
    if connection.vendor != "postgresql":
        pytest.skip("the worker needs a database shared across processes (PostgreSQL)")
    env = {**os.environ, "DATABASE_URL": _database_url(), "DB_CONN_MAX_AGE": "0",
           "DJANGO_SETTINGS_MODULE": "riskcomp.settings.test"}
    app.control.purge()
    proc = subprocess.Popen(  # noqa: S603 - fixed argv, our own worker
        [sys.executable, "-m", "celery", "-A", "riskcomp", "worker", "-Q", "celery,reports",
         "--pool", "solo", "-l", "warning", "-n", f"pytest-{os.getpid()}@%h"],
        env=env, cwd=settings.BASE_DIR,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if app.control.ping(timeout=1.0):
            break
        if proc.poll() is not None:
            pytest.fail("the Celery worker exited at start-up")
    else:
        proc.kill()
        pytest.fail("the Celery worker did not answer within 60 s")
    yield proc
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture
def real_broker(celery_worker_process):  # type: ignore[no-untyped-def]
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = True


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("reference_data")
def test_suspension_recompute_runs_on_the_worker(real_broker, bank_a, officer_a):
    FilingFactory(bank=bank_a, filed_by=officer_a, amount=Decimal("96500000.00"),
                  amount_cny=Decimal("96500000.00"))
    claim = ClaimFactory(filing=FilingFactory(bank=bank_a, filed_by=officer_a,
                                              amount=Decimal("3500000.00"),
                                              amount_cny=Decimal("3500000.00")),
                         base=Decimal("3500000.00"), ratio=Decimal("1.0"),
                         compensation=Decimal("3500000.00"), status="paid")
    Payment.objects.create(claim=claim, amount=Decimal("5000000.01"), paid_on=date(2026, 10, 1),
                           reference="PAY-W-1", paid_by=officer_a)
    result = recompute_suspensions.delay()
    assert not isinstance(result, EagerResult)
    assert result.get(timeout=60) == 1
    assert result.worker and result.worker.startswith("pytest-")
    assert SuspensionState.objects.get(bank=bank_a, scheme="MICRO").is_suspended
    # A duplicate delivery changes nothing.
    assert recompute_suspensions.delay().get(timeout=60) == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("reference_data")
def test_import_progress_moves_during_validation_and_commit_on_the_worker(
        real_broker, bank_a, officer_a, settings, tmp_path):
    """The page polls the batch's progress from another connection while the worker validates
    and then commits (in one transaction) a quarter of several chunks."""
    from datetime import timedelta

    from django.utils import timezone

    from loans.import_services import import_batch_confirm, import_batch_create
    from loans.importing import CHUNK_ROWS, FILINGS, read_workbook
    from loans.models import ImportBatch, LoanFiling

    from .factories import AgreementFactory, make_credit_code
    from .test_import import row, workbook

    settings.MEDIA_ROOT = tmp_path
    AgreementFactory(bank=bank_a, scheme="MICRO")
    # The worker files on the real day: loans drawn down three days before it are on time.
    drawdown = timezone.localdate() - timedelta(days=3)
    dates = {"放款日期": drawdown.isoformat(),
             "征信报告日期": (drawdown - timedelta(days=3)).isoformat(),
             "合同到期日": (drawdown + timedelta(days=364)).isoformat()}
    n = 4 * CHUNK_ROWS
    content = workbook([row(**{"借据号": f"JJ-W{i:05d}", "合同号": f"HT-W{i:05d}",
                               "贷款金额": "100000", "首笔贷款": "否", **dates,
                               "统一社会信用代码": make_credit_code(3000 + i % 1500)})
                        for i in range(n)])
    batch = import_batch_create(bank=bank_a, kind="filings", original_name="w.xlsx",
                                data=content, parsed=read_workbook(content, FILINGS),
                                actor=officer_a)

    def watch(until: str) -> set[tuple[str, int]]:
        seen: set[tuple[str, int]] = set()
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            state = ImportBatch.objects.values_list("status", "progress").get(pk=batch.pk)
            seen.add(state)
            if state[0] in (until, "failed"):
                return seen
            time.sleep(0.02)
        pytest.fail(f"the worker did not finish: {seen}")

    validating = watch("validated")
    assert ("validated", 100) in validating
    assert any(s == "validating" and 5 < p < 100 for s, p in validating), validating
    assert ImportBatch.objects.get(pk=batch.pk).accepted_rows == n
    assert import_batch_confirm(batch=batch, actor=officer_a)
    committing = watch("committed")
    assert any(s == "committing" and 0 < p < 100 for s, p in committing), committing
    done = ImportBatch.objects.get(pk=batch.pk)
    assert done.progress == 100 and LoanFiling.objects.filter(bank=bank_a).count() == (
        done.accepted_rows)
