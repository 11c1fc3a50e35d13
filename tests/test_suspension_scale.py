"""Suspension at scale and in force: the nightly task over real rows (MICRO Art. 8, TECH Art. 9)
with its hysteresis, idempotent, in a number of queries that does not grow with the data; the
bank's page with figures, thresholds and history; the held claim explained to the officer."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from banks.models import SuspensionChange, SuspensionState
from banks.services import suspension_manual_set
from claims.services import suspension_recompute
from claims.tasks import recompute_suspensions

from .conftest import client_for
from .factories import BankFactory, ClaimFactory, FilingFactory
from .test_suspension_task import give_back, pay


def tech_state(bank) -> SuspensionState:  # type: ignore[no-untyped-def]
    return SuspensionState.objects.get(bank=bank, scheme="TECH")


def micro_state(bank) -> SuspensionState:  # type: ignore[no-untyped-def]
    return SuspensionState.objects.get(bank=bank, scheme="MICRO")


def run_task() -> int:
    return recompute_suspensions.delay().get()


@pytest.fixture
def tech_claim(bank_a, officer_a):  # type: ignore[no-untyped-def]
    filing = FilingFactory(bank=bank_a, filed_by=officer_a, scheme="TECH", ratio=Decimal("0.5"),
                           amount=Decimal("40000000.00"), amount_cny=Decimal("40000000.00"))
    return ClaimFactory(filing=filing, base=Decimal("40000000.00"), ratio=Decimal("0.5"),
                        compensation=Decimal("20000000.00"), status="paid")


@pytest.fixture
def micro_claim(bank_a, officer_a):  # type: ignore[no-untyped-def]
    """Filed 100,000,000.00, claimed 4,000,000.00: 4 % > 3 %."""
    FilingFactory(bank=bank_a, filed_by=officer_a, amount=Decimal("96000000.00"),
                  amount_cny=Decimal("96000000.00"))
    filing = FilingFactory(bank=bank_a, filed_by=officer_a, amount=Decimal("4000000.00"),
                           amount_cny=Decimal("4000000.00"))
    return ClaimFactory(filing=filing, base=Decimal("4000000.00"), ratio=Decimal("1.0"),
                        compensation=Decimal("4000000.00"), status="paid")


@pytest.mark.django_db
def test_tech_bank_crossing_the_threshold_is_suspended_by_the_task_with_figures_and_reason(
        tech_claim):
    pay(tech_claim, "15000000.01")
    assert run_task() == 1
    state = tech_state(tech_claim.bank)
    assert state.is_auto_suspended and state.is_suspended
    change = SuspensionChange.objects.get(bank=tech_claim.bank, scheme="TECH")
    assert change.is_suspended and change.kind == SuspensionChange.Kind.AUTO
    assert change.net_compensation == Decimal("15000000.01")
    assert change.filed_principal == Decimal("40000000.00")
    assert change.claimed_principal == Decimal("40000000.00")
    assert "15,000,000.01" in change.reason and "京技管发〔2025〕13号第九条" in change.reason


@pytest.mark.django_db
def test_tech_bank_between_the_thresholds_keeps_its_state_through_the_task(tech_claim):
    pay(tech_claim, "15000000.01")
    run_task()
    give_back(tech_claim, "0.01")  # exactly 15,000,000.00: neither suspend nor resume
    assert run_task() == 0
    assert tech_state(tech_claim.bank).is_suspended
    assert tech_state(tech_claim.bank).net_compensation == Decimal("15000000.00")
    assert SuspensionChange.objects.filter(bank=tech_claim.bank).count() == 1


@pytest.mark.django_db
def test_tech_bank_dropping_below_the_resume_level_resumes_with_a_reason(tech_claim):
    pay(tech_claim, "15000000.01")
    run_task()
    give_back(tech_claim, "0.02")  # 14,999,999.99
    assert run_task() == 1
    assert not tech_state(tech_claim.bank).is_suspended
    resumed = SuspensionChange.objects.filter(bank=tech_claim.bank).order_by("-changed_at",
                                                                             "-pk").first()
    assert resumed is not None and not resumed.is_suspended
    assert resumed.net_compensation == Decimal("14999999.99")
    assert "14,999,999.99" in resumed.reason and "恢复" in resumed.reason


@pytest.mark.django_db
def test_an_active_bank_at_exactly_the_threshold_stays_active_through_the_task(tech_claim):
    pay(tech_claim, "15000000.00")
    assert run_task() == 0
    assert not tech_state(tech_claim.bank).is_suspended
    assert not SuspensionChange.objects.exists()


@pytest.mark.django_db
def test_micro_bank_resumes_when_its_claim_ratio_falls_back_to_three_percent(micro_claim,
                                                                           officer_a):
    pay(micro_claim, "6000000.00")
    run_task()
    assert micro_state(micro_claim.bank).is_suspended
    # More filings bring the ratio to 4,000,000 / 133,400,000 < 3 %, net still 6,000,000.
    FilingFactory(bank=micro_claim.bank, filed_by=officer_a, amount=Decimal("33400000.00"),
                  amount_cny=Decimal("33400000.00"))
    assert run_task() == 1
    state = micro_state(micro_claim.bank)
    assert not state.is_suspended
    assert state.filed_principal == Decimal("133400000.00")
    resumed = SuspensionChange.objects.get(bank=micro_claim.bank, is_suspended=False)
    assert "小微办法第八条" in resumed.reason and "6,000,000.00" in resumed.reason


@pytest.mark.django_db
def test_running_the_task_twice_records_no_second_change_and_touches_no_state(micro_claim):
    pay(micro_claim, "6000000.00")
    assert run_task() == 1
    before = list(SuspensionState.objects.order_by("pk").values())
    assert run_task() == 0
    assert run_task() == 0
    assert SuspensionChange.objects.count() == 1
    assert list(SuspensionState.objects.order_by("pk").values()) == before


@pytest.mark.django_db
def test_a_rejected_claim_no_longer_counts_as_claimed_principal(micro_claim, officer_a):
    filing = FilingFactory(bank=micro_claim.bank, filed_by=officer_a)
    ClaimFactory(filing=filing, base=Decimal("900000.00"), status="rejected")
    run_task()
    assert micro_state(micro_claim.bank).claimed_principal == Decimal("4000000.00")


@pytest.mark.django_db
def test_a_manual_suspension_without_any_figures_survives_the_task(bank_b, reviewer):
    suspension_manual_set(bank=bank_b, scheme="TECH", reason="追偿不力", actor=reviewer)
    run_task()
    state = tech_state(bank_b)
    assert state.is_manually_suspended and not state.is_auto_suspended
    assert state.is_suspended and state.manual_reason == "追偿不力"


def _populate(n_banks: int, claims_per_bank: int) -> None:
    for bank in BankFactory.create_batch(n_banks):
        for scheme, ratio in (("MICRO", Decimal("0.30")), ("TECH", Decimal("0.50"))):
            for _ in range(claims_per_bank):
                claim = ClaimFactory(filing=FilingFactory(bank=bank, scheme=scheme, ratio=ratio),
                                     status="paid", base=Decimal("1000.00"))
                pay(claim, "10.00")
                give_back(claim, "1.00")


@pytest.mark.django_db
def test_the_number_of_queries_does_not_depend_on_banks_or_claims():
    _populate(2, 1)
    with CaptureQueriesContext(connection) as few:
        suspension_recompute()
    assert SuspensionState.objects.count() == 4
    _populate(12, 3)
    SuspensionState.objects.all().delete()
    with CaptureQueriesContext(connection) as many:
        suspension_recompute()
    assert SuspensionState.objects.count() == 28
    assert len(many.captured_queries) == len(few.captured_queries)
    with CaptureQueriesContext(connection) as again:
        assert suspension_recompute() == []
    # Nothing to write: only the reads remain, the same handful.
    assert len(again.captured_queries) < len(many.captured_queries)


@pytest.mark.django_db
def test_bank_page_shows_each_scheme_figures_thresholds_and_every_change(micro_claim,
                                                                      reviewer):
    pay(micro_claim, "6000000.00")
    run_task()
    page = client_for(reviewer).get(
        reverse("banks:bank_detail", args=[micro_claim.bank_id])).content.decode()
    assert "100,000,000.00" in page and "4,000,000.00" in page and "6,000,000.00" in page
    assert "4.00%" in page  # the claim ratio
    assert "¥5,000,000.00" in page and "¥15,000,000.00" in page  # both schemes' thresholds
    change = SuspensionChange.objects.get(bank=micro_claim.bank)
    assert change.reason in page


@pytest.mark.django_db
def test_officer_sees_why_a_queued_claim_is_held_while_the_bank_is_suspended(
        bank_a, officer_a, reviewer):
    filing = FilingFactory(bank=bank_a, filed_by=officer_a, scheme="TECH", ratio=Decimal("0.5"))
    claim = ClaimFactory(filing=filing, status="passed")
    url = reverse("claims:claim_detail", args=[claim.pk])
    client = client_for(officer_a)
    assert "suspension-hold" not in client.get(url).content.decode()
    suspension_manual_set(bank=bank_a, scheme="TECH", reason="追偿工作不力（第十七条）",
                          actor=reviewer)
    page = client.get(url).content.decode()
    assert "suspension-hold" in page and "追偿工作不力（第十七条）" in page
    assert "暂缓办理" in page


@pytest.mark.django_db
def test_a_paid_claim_is_not_shown_as_held(bank_a, officer_a, reviewer):
    filing = FilingFactory(bank=bank_a, filed_by=officer_a, scheme="TECH", ratio=Decimal("0.5"))
    claim = ClaimFactory(filing=filing, status="paid")
    suspension_manual_set(bank=bank_a, scheme="TECH", reason="追偿不力", actor=reviewer)
    page = client_for(officer_a).get(reverse("claims:claim_detail", args=[claim.pk]))
    assert "suspension-hold" not in page.content.decode()
