"""Suspension recomputed by the real Celery task over real rows (MICRO Art. 8, TECH Art. 9),
with the hysteresis of RULES.md, and the manual TECH Art. 17 suspension."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from banks.models import SuspensionChange, SuspensionState
from banks.services import suspension_manual_lift, suspension_manual_set
from claims.models import Payment, Recovery, ReturnPayment
from claims.services import suspension_recompute
from claims.tasks import recompute_suspensions

from .factories import ClaimFactory, FilingFactory

_ref = iter(range(1, 10_000))


def pay(claim, amount: str) -> Payment:  # type: ignore[no-untyped-def]
    return Payment.objects.create(claim=claim, amount=Decimal(amount), paid_on=date(2026, 10, 1),
                                  reference=f"PAY{next(_ref)}", paid_by=claim.created_by)


def give_back(claim, amount: str) -> ReturnPayment:  # type: ignore[no-untyped-def]
    rec = Recovery.objects.create(
        claim=claim, recovered_on=date(2026, 10, 10), amount=Decimal(amount) * 10,
        notified_on=date(2026, 10, 12), return_amount=Decimal(amount),
        reported_by=claim.created_by)
    return ReturnPayment.objects.create(recovery=rec, amount=Decimal(amount),
                                        returned_on=date(2026, 10, 20),
                                        reference=f"RET{next(_ref)}",
                                        recorded_by=claim.created_by)


def micro_state(bank) -> SuspensionState:  # type: ignore[no-untyped-def]
    return SuspensionState.objects.get(bank=bank, scheme="MICRO")


@pytest.fixture
def micro_bank(bank_a, officer_a):  # type: ignore[no-untyped-def]
    """Filed 100,000,000.00; one claim with base 3,500,000.00 (3.5% > 3%)."""
    FilingFactory(bank=bank_a, filed_by=officer_a, amount=Decimal("96500000.00"),
                  amount_cny=Decimal("96500000.00"))
    filing = FilingFactory(bank=bank_a, filed_by=officer_a, amount=Decimal("3500000.00"),
                           amount_cny=Decimal("3500000.00"))
    claim = ClaimFactory(filing=filing, base=Decimal("3500000.00"), ratio=Decimal("1.0"),
                         compensation=Decimal("3500000.00"), status="paid")
    return bank_a, claim


@pytest.mark.django_db
def test_micro_bank_suspended_above_both_thresholds_and_keeps_state_at_exactly_five_million(
        micro_bank):
    bank, claim = micro_bank
    pay(claim, "5000000.01")
    assert recompute_suspensions.delay().get() == 1
    state = micro_state(bank)
    assert state.is_suspended
    assert state.net_compensation == Decimal("5000000.01")
    assert state.filed_principal == Decimal("100000000.00")
    assert state.claimed_principal == Decimal("3500000.00")
    change = SuspensionChange.objects.get(bank=bank)
    assert change.is_suspended and change.kind == "auto"
    assert change.net_compensation == Decimal("5000000.01")

    give_back(claim, "0.01")  # net exactly 5,000,000.00: neither suspend nor resume
    recompute_suspensions.delay().get()
    assert micro_state(bank).is_suspended
    assert SuspensionChange.objects.filter(bank=bank).count() == 1

    give_back(claim, "0.01")  # below 5,000,000.00: resumes
    recompute_suspensions.delay().get()
    assert not micro_state(bank).is_suspended
    assert list(SuspensionChange.objects.filter(bank=bank).order_by("changed_at", "pk")
                .values_list("is_suspended", flat=True)) == [True, False]


@pytest.mark.django_db
def test_micro_bank_at_exactly_five_million_stays_active_if_it_was(micro_bank):
    bank, claim = micro_bank
    pay(claim, "5000000.00")
    suspension_recompute()
    assert not micro_state(bank).is_suspended
    assert not SuspensionChange.objects.exists()


@pytest.mark.django_db
def test_micro_ratio_at_three_percent_does_not_suspend(bank_a, officer_a):
    FilingFactory(bank=bank_a, filed_by=officer_a, amount=Decimal("97000000.00"),
                  amount_cny=Decimal("97000000.00"))
    filing = FilingFactory(bank=bank_a, filed_by=officer_a, amount=Decimal("3000000.00"),
                           amount_cny=Decimal("3000000.00"))
    claim = ClaimFactory(filing=filing, base=Decimal("3000000.00"), ratio=Decimal("1.0"),
                         compensation=Decimal("3000000.00"), status="paid")
    pay(claim, "6000000.00")
    suspension_recompute()
    assert not micro_state(bank_a).is_suspended  # claimed is exactly 3% of filed


@pytest.mark.django_db
def test_recompute_twice_changes_nothing(micro_bank):
    bank, claim = micro_bank
    pay(claim, "6000000.00")
    first = suspension_recompute()
    before = SuspensionState.objects.values().get(bank=bank, scheme="MICRO")
    second = suspension_recompute()
    assert len(first) == 1 and second == []
    assert SuspensionState.objects.values().get(bank=bank, scheme="MICRO") == before


@pytest.mark.django_db
def test_tech_bank_suspended_above_fifteen_million(bank_a, officer_a):
    filing = FilingFactory(bank=bank_a, filed_by=officer_a, scheme="TECH", ratio=Decimal("0.5"),
                           amount=Decimal("30000000.00"), amount_cny=Decimal("30000000.00"))
    claim = ClaimFactory(filing=filing, base=Decimal("30000000.00"), ratio=Decimal("0.5"),
                         compensation=Decimal("15000000.00"), status="paid")
    pay(claim, "15000000.00")
    suspension_recompute()
    tech = SuspensionState.objects.get(bank=bank_a, scheme="TECH")
    assert not tech.is_suspended  # exactly the threshold
    # A second TECH claim paid pushes it over.
    other = FilingFactory(bank=bank_a, filed_by=officer_a, scheme="TECH", ratio=Decimal("0.5"))
    pay(ClaimFactory(filing=other, status="paid", base=Decimal("2.00"), ratio=Decimal("0.5"),
                     compensation=Decimal("1.00")), "0.01")
    suspension_recompute()
    assert SuspensionState.objects.get(bank=bank_a, scheme="TECH").is_suspended


@pytest.mark.django_db
def test_recompute_uses_one_query_per_scheme_whatever_the_number_of_banks(
        django_assert_max_num_queries):
    from .factories import BankFactory

    banks = BankFactory.create_batch(2)
    for bank in banks:
        pay(ClaimFactory(filing=FilingFactory(bank=bank), status="paid"), "10.00")
    with django_assert_max_num_queries(40) as few:
        suspension_recompute()
    for bank in BankFactory.create_batch(10):
        pay(ClaimFactory(filing=FilingFactory(bank=bank), status="paid"), "10.00")
    SuspensionState.objects.all().delete()
    with django_assert_max_num_queries(40) as many:
        suspension_recompute()
    selects = [q for q in many.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]
    assert len(selects) == len([q for q in few.captured_queries
                                if q["sql"].lstrip().upper().startswith("SELECT")])


@pytest.mark.django_db
def test_manual_tech_suspension_needs_a_reason_and_is_recorded(bank_a, reviewer):
    with pytest.raises(ValidationError):
        suspension_manual_set(bank=bank_a, scheme="TECH", reason=" ", actor=reviewer)
    suspension_manual_set(bank=bank_a, scheme="TECH", reason="追偿不力（科创方案第十七条）",
                          actor=reviewer)
    state = SuspensionState.objects.get(bank=bank_a, scheme="TECH")
    assert state.is_suspended and state.is_manually_suspended
    suspension_recompute()  # the automatic rule does not lift a manual suspension
    assert SuspensionState.objects.get(bank=bank_a, scheme="TECH").is_suspended
    with pytest.raises(ValidationError):
        suspension_manual_set(bank=bank_a, scheme="TECH", reason="再次", actor=reviewer)
    suspension_manual_lift(bank=bank_a, scheme="TECH", reason="已整改", actor=reviewer)
    assert not SuspensionState.objects.get(bank=bank_a, scheme="TECH").is_suspended
    assert SuspensionChange.objects.filter(bank=bank_a, kind="manual").count() == 2
