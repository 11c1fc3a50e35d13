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
from banks.tasks import recompute_suspensions
from claims.models import Payment
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
