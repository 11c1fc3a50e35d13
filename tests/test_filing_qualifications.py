"""Which qualifications an enterprise held on the drawdown date is decided once, at filing, and
stored with the filing; the reports count what is stored."""

import importlib
from datetime import date
from decimal import Decimal

import pytest

from fund.selectors import policy_context
from loans.models import LoanFiling, holds_qualification, qualification_types_value
from loans.services import FilingRequest, QualificationInput, filing_create
from riskcomp.policy.eligibility import QualificationFacts, qualification_types_on
from riskcomp.policy.types import QualificationType

from .conftest import patch_today
from .factories import (
    AgreementFactory,
    BankFactory,
    FilingFactory,
    make_credit_code,
    officer_for,
)

TODAY = date(2026, 7, 10)
DRAWDOWN = date(2026, 5, 12)


def q(kind: QualificationType, start: date, end: date) -> QualificationFacts:
    return QualificationFacts(type=kind, valid_from=start, valid_to=end)


def test_only_the_types_valid_on_the_day_count_each_once_in_a_fixed_order() -> None:
    held = [q(QualificationType.BEIJING_SRDI, date(2024, 1, 1), DRAWDOWN),
            q(QualificationType.HIGH_TECH, DRAWDOWN, date(2028, 1, 1)),
            q(QualificationType.HIGH_TECH, date(2020, 1, 1), date(2022, 1, 1)),
            q(QualificationType.SINGLE_CHAMPION, date(2020, 1, 1), date(2026, 5, 11))]
    assert qualification_types_on(held, DRAWDOWN) == (QualificationType.HIGH_TECH,
                                                      QualificationType.BEIJING_SRDI)
    assert qualification_types_on([], DRAWDOWN) == ()


def test_the_stored_value_lets_no_type_match_inside_another() -> None:
    assert qualification_types_value(["high_tech", "beijing_srdi"]) == ",high_tech,beijing_srdi,"
    assert qualification_types_value([]) == ""


@pytest.mark.django_db
def test_a_filing_stores_the_qualifications_valid_at_drawdown(monkeypatch):  # type: ignore[no-untyped-def]
    patch_today(monkeypatch, lambda: TODAY)
    bank = BankFactory(name="甲银行经开区支行", short_name="甲银行")
    AgreementFactory(bank=bank, scheme="MICRO")
    officer = officer_for(bank, "officer_q")
    filing = filing_create(bank=bank, actor=officer, ctx=policy_context(), request=FilingRequest(
        credit_code=make_credit_code(811), enterprise_name="北京亦庄资质精密制造有限公司",
        kind="company", size="small", in_bda=True, micro_conduct_ok=True, tech_conduct_ok=True,
        tech_scope=False, iou_number="JJ-Q101", contract_number="HT-Q101", loan_type="credit",
        amount=Decimal("600000.00"), currency="CNY", fx_rate=None, drawdown_date=DRAWDOWN,
        maturity_date=date(2027, 5, 11), rate_percent=Decimal("3.6"),
        credit_report_outstanding=Decimal("1000000.00"), credit_report_date=date(2026, 5, 8),
        other_cover=False, first_loan=True, qualifications=(
            QualificationInput("high_tech", "GR2025001", date(2025, 1, 1), date(2027, 12, 31)),
            QualificationInput("beijing_srdi", "ZJTX001", date(2023, 1, 1),
                               date(2026, 5, 11)))))
    stored = LoanFiling.objects.get(pk=filing.pk)
    assert stored.qualification_types == ",high_tech,"
    assert LoanFiling.objects.filter(holds_qualification("high_tech")).count() == 1
    assert not LoanFiling.objects.filter(holds_qualification("beijing_srdi")).exists()


@pytest.mark.django_db
def test_the_migration_decides_it_for_the_filings_already_stored():  # type: ignore[no-untyped-def]
    from django.apps import apps

    migration = importlib.import_module("loans.migrations.0010_filing_qualification_types")
    snapshot = {"enterprise": {"qualifications": [
        {"type": "high_tech", "valid_from": "2025-01-01", "valid_to": "2027-12-31"},
        {"type": "beijing_srdi", "valid_from": "2024-01-01", "valid_to": "2026-05-11"},
        {"type": "no_such_type", "valid_from": "2024-01-01", "valid_to": "2027-01-01"}]}}
    held = FilingFactory(drawdown_date=DRAWDOWN, snapshot=snapshot)
    none = FilingFactory(drawdown_date=DRAWDOWN)
    LoanFiling.objects.update(qualification_types="")  # as the column starts out
    migration.backfill(apps, None)
    assert LoanFiling.objects.get(pk=held.pk).qualification_types == ",high_tech,"
    assert LoanFiling.objects.get(pk=none.pk).qualification_types == ""
