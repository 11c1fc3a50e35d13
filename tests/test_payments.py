"""Payments (拨付) of confirmed claims, singly and in batches, the custodian's receipt of returns,
their ledger entries and the suspension recomputed after each (RULES.md "Review and payment",
"Recovery and return", "The fund", "Suspension"); on PostgreSQL, real concurrent payments."""

import io
import threading
import time
from datetime import date, timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from banks.models import SuspensionState
from claims.models import Claim, ClaimStatusChange, Confirmation, Payment, Recovery, ReturnPayment
from claims.payment import selectors as payment_selectors
from claims.payment import services as payment_service
from claims.payment.services import claim_pay, claims_pay_batch, return_receive
from fund.models import LedgerEntry
from fund.selectors import fund_balance

from .conftest import client_for
from .factories import ClaimFactory, FilingFactory

TODAY = date(2026, 11, 20)


@pytest.fixture(autouse=True)
def _today(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY)


# --- Helpers ----------------------------------------------------------------------------------

def capital(amount: str, on: date = date(2026, 1, 5)) -> LedgerEntry:
    return LedgerEntry.objects.create(kind=LedgerEntry.Kind.CAPITAL, amount=Decimal(amount),
                                      booked_on=on, memo="财政拨入风险补偿资金")


def confirmed(bank, officer, *, base: str = "800000.00", ratio: str = "0.30",  # type: ignore[no-untyped-def]
              scheme: str = "MICRO", number: str | None = None,
              document_date: date | None = date(2026, 11, 2), approver=None) -> Claim:
    """A claim the bureau has confirmed (compensation = base × ratio)."""
    filing = FilingFactory.create(bank=bank, filed_by=officer, scheme=scheme, ratio=Decimal(ratio),
                           amount=Decimal(base), amount_cny=Decimal(base))
    extra = {"number": number} if number else {}
    claim = ClaimFactory.create(filing=filing, base=Decimal(base), status=Claim.Status.CONFIRMED,
                         **extra)
    if document_date is not None:
        Confirmation.objects.create(
            claim=claim, decision=Confirmation.Decision.CONFIRMED,
            document_number=f"京经开财〔2026〕{claim.pk}号", document_date=document_date,
            document="confirmations/2026/11/c.pdf", approver=approver or officer,
            decided_at=timezone.now())
    return claim


def suspend(bank, scheme: str = "MICRO", *, manual: bool = True) -> SuspensionState:  # type: ignore[no-untyped-def]
    return SuspensionState.objects.create(
        bank=bank, scheme=scheme, is_manually_suspended=manual, is_auto_suspended=not manual,
        manual_reason="追偿不力" if manual else "", net_compensation=Decimal("5200000.00"))


def messages_of(exc) -> str:  # type: ignore[no-untyped-def]
    return " ".join(exc.value.messages)


def nothing_paid() -> None:
    assert not Payment.objects.exists()
    assert not LedgerEntry.objects.filter(kind=LedgerEntry.Kind.COMPENSATION).exists()


# --- Paying one claim -------------------------------------------------------------------------

@pytest.mark.django_db
def test_paying_a_confirmed_claim_writes_payment_history_and_ledger(bank_a, officer_a,
                                                                     reviewer):
    capital("1000000.00")
    claim = confirmed(bank_a, officer_a)
    payment = claim_pay(claim=claim, paid_on=date(2026, 11, 18), reference="ZF20261118001",
                        actor=reviewer)
    claim.refresh_from_db()
    assert claim.status == Claim.Status.PAID
    assert payment.amount == Decimal("240000.00") == claim.compensation
    assert (payment.paid_on, payment.reference, payment.paid_by) == (
        date(2026, 11, 18), "ZF20261118001", reviewer)
    change = ClaimStatusChange.objects.get(claim=claim, to_status=Claim.Status.PAID)
    assert change.from_status == Claim.Status.CONFIRMED and change.actor == reviewer
    assert "ZF20261118001" in change.note
    entry = LedgerEntry.objects.get(kind=LedgerEntry.Kind.COMPENSATION)
    assert entry.amount == Decimal("-240000.00")  # out of the fund: negative
    assert (entry.payment, entry.claim, entry.bank, entry.scheme) == (payment, claim, bank_a,
                                                                      "MICRO")
    assert entry.booked_on == date(2026, 11, 18) and entry.reference == "ZF20261118001"
    assert entry.created_by == reviewer and claim.number in entry.memo
    assert fund_balance() == Decimal("760000.00")


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["submitted", "supplement", "passed", "rejected", "proposed",
                                    "bureau_rejected", "written_off"])
def test_only_confirmed_claims_are_paid(bank_a, officer_a, reviewer, status):
    capital("1000000.00")
    claim = confirmed(bank_a, officer_a)
    Claim.objects.filter(pk=claim.pk).update(status=status)
    with pytest.raises(ValidationError) as exc:
        claim_pay(claim=claim, paid_on=TODAY, reference="ZF1", actor=reviewer)
    assert "只有财政已确认的申报才能拨付" in messages_of(exc)
    assert claim.number in messages_of(exc)
    nothing_paid()


@pytest.mark.django_db
def test_a_claim_is_never_paid_twice(bank_a, officer_a, reviewer):
    capital("1000000.00")
    claim = confirmed(bank_a, officer_a)
    claim_pay(claim=claim, paid_on=TODAY, reference="ZF1", actor=reviewer)
    with pytest.raises(ValidationError) as exc:
        claim_pay(claim=claim, paid_on=TODAY, reference="ZF2", actor=reviewer)
    assert "已拨付，不能重复拨付" in messages_of(exc)
    assert Payment.objects.count() == 1
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.COMPENSATION).count() == 1
    assert fund_balance() == Decimal("760000.00")


@pytest.mark.django_db
def test_the_database_constraint_refuses_a_second_payment_that_bypassed_the_lock(
        bank_a, officer_a, reviewer):
    capital("1000000.00")
    claim = confirmed(bank_a, officer_a)
    # A payment row written behind the service's back, the claim still CONFIRMED.
    Payment.objects.create(claim=claim, amount=claim.compensation, paid_on=TODAY,
                           reference="ELSEWHERE", paid_by=reviewer)
    with pytest.raises(ValidationError) as exc:
        claim_pay(claim=claim, paid_on=TODAY, reference="ZF2", actor=reviewer)
    assert "该申报已拨付或付款流水号 ZF2 已被使用" in messages_of(exc)
    assert Payment.objects.count() == 1
    claim.refresh_from_db()
    assert claim.status == Claim.Status.CONFIRMED
    assert not LedgerEntry.objects.filter(kind=LedgerEntry.Kind.COMPENSATION).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("manual", [True, False])
def test_a_suspended_banks_claim_is_not_paid(bank_a, officer_a, reviewer, manual):
    capital("1000000.00")
    claim = confirmed(bank_a, officer_a)
    suspend(bank_a, manual=manual)
    with pytest.raises(ValidationError) as exc:
        claim_pay(claim=claim, paid_on=TODAY, reference="ZF1", actor=reviewer)
    text = messages_of(exc)
    assert "BANK_SUSPENDED" in text and "已被暂停" in text and "5,200,000.00" in text
    assert ("人工暂停原因：追偿不力" in text) is manual
    nothing_paid()


@pytest.mark.django_db
def test_suspension_in_another_scheme_does_not_hold_the_payment(bank_a, officer_a, reviewer):
    capital("1000000.00")
    claim = confirmed(bank_a, officer_a)
    suspend(bank_a, "TECH")
    claim_pay(claim=claim, paid_on=TODAY, reference="ZF1", actor=reviewer)
    assert Payment.objects.filter(claim=claim).exists()


@pytest.mark.django_db
def test_a_short_fund_refuses_with_both_figures(bank_a, officer_a, reviewer):
    capital("239999.99")
    claim = confirmed(bank_a, officer_a)
    with pytest.raises(ValidationError) as exc:
        claim_pay(claim=claim, paid_on=TODAY, reference="ZF1", actor=reviewer)
    text = messages_of(exc)
    assert "资金余额不足" in text and "240,000.00" in text and "239,999.99" in text
    nothing_paid()


@pytest.mark.django_db
def test_the_whole_balance_may_be_paid_out(bank_a, officer_a, reviewer):
    capital("240000.00")
    claim_pay(claim=confirmed(bank_a, officer_a), paid_on=TODAY, reference="ZF1", actor=reviewer)
    assert fund_balance() == Decimal("0.00")


@pytest.mark.django_db
def test_payment_date_not_in_future_nor_before_the_confirmation(bank_a, officer_a, reviewer):
    capital("1000000.00")
    claim = confirmed(bank_a, officer_a, document_date=date(2026, 11, 2))
    with pytest.raises(ValidationError) as exc:
        claim_pay(claim=claim, paid_on=TODAY + timedelta(days=1), reference="ZF1",
                  actor=reviewer)
    assert exc.value.message_dict == {"paid_on": ["拨付日期不能晚于今天。"]}
    with pytest.raises(ValidationError) as exc:
        claim_pay(claim=claim, paid_on=date(2026, 11, 1), reference="ZF1", actor=reviewer)
    assert "不能早于财政确认文件日期2026-11-02" in messages_of(exc)
    nothing_paid()


@pytest.mark.django_db
def test_payment_reference_is_required_and_unique(bank_a, officer_a, reviewer):
    capital("1000000.00")
    first = confirmed(bank_a, officer_a)
    second = confirmed(bank_a, officer_a)
    with pytest.raises(ValidationError) as exc:
        claim_pay(claim=first, paid_on=TODAY, reference="  ", actor=reviewer)
    assert exc.value.message_dict == {"reference": ["请填写付款流水号。"]}
    claim_pay(claim=first, paid_on=TODAY, reference="ZF1", actor=reviewer)
    with pytest.raises(ValidationError) as exc:
        claim_pay(claim=second, paid_on=TODAY, reference=" ZF1 ", actor=reviewer)
    assert exc.value.message_dict == {"reference": ["付款流水号 ZF1 已被使用。"]}
    assert Payment.objects.count() == 1


# --- Batches ----------------------------------------------------------------------------------

@pytest.mark.django_db
def test_batch_pays_each_claim_under_the_batch_reference_with_a_suffix(bank_a, officer_a,
                                                                      bank_b, officer_b,
                                                                      reviewer):
    capital("1000000.00")
    c2 = confirmed(bank_a, officer_a, number="MC-2026-0002")
    c1 = confirmed(bank_b, officer_b, number="MC-2026-0001")
    c3 = confirmed(bank_a, officer_a, number="MC-2026-0003", base="100000.00")
    payments = claims_pay_batch(claims=[c2, c3, c1], paid_on=TODAY, reference="PL20261120",
                                actor=reviewer)
    assert {p.claim.number: p.reference for p in payments} == {
        "MC-2026-0001": "PL20261120-001", "MC-2026-0002": "PL20261120-002",
        "MC-2026-0003": "PL20261120-003"}
    assert set(Claim.objects.values_list("status", flat=True)) == {Claim.Status.PAID}
    entries = LedgerEntry.objects.filter(kind=LedgerEntry.Kind.COMPENSATION)
    assert entries.count() == 3
    assert {e.reference for e in entries} == {p.reference for p in payments}
    assert fund_balance() == Decimal("1000000.00") - Decimal("240000.00") * 2 - Decimal(
        "30000.00")


@pytest.mark.django_db
def test_batch_is_all_or_nothing_and_names_every_claim_that_fails(bank_a, officer_a, bank_b,
                                                                  officer_b, reviewer):
    capital("10000000.00")
    good = confirmed(bank_a, officer_a)
    passed = confirmed(bank_a, officer_a)
    Claim.objects.filter(pk=passed.pk).update(status=Claim.Status.PASSED)
    held = confirmed(bank_b, officer_b)
    suspend(bank_b)
    with pytest.raises(ValidationError) as exc:
        claims_pay_batch(claims=[good, passed, held], paid_on=TODAY, reference="PL1",
                         actor=reviewer)
    lines = exc.value.messages
    assert len(lines) == 2
    assert any(line.startswith(passed.number) and "初审通过" in line for line in lines)
    assert any(line.startswith(held.number) and "BANK_SUSPENDED" in line for line in lines)
    assert not any(good.number in line for line in lines)
    nothing_paid()
    good.refresh_from_db()
    assert good.status == Claim.Status.CONFIRMED


@pytest.mark.django_db
def test_batch_above_the_balance_pays_nothing(bank_a, officer_a, reviewer):
    capital("400000.00")
    claims = [confirmed(bank_a, officer_a), confirmed(bank_a, officer_a)]
    with pytest.raises(ValidationError) as exc:
        claims_pay_batch(claims=claims, paid_on=TODAY, reference="PL1", actor=reviewer)
    text = messages_of(exc)
    assert "资金余额不足" in text and "480,000.00" in text and "400,000.00" in text
    nothing_paid()


@pytest.mark.django_db
def test_batch_refuses_an_empty_selection_and_a_taken_suffix(bank_a, officer_a, reviewer):
    capital("1000000.00")
    with pytest.raises(ValidationError) as exc:
        claims_pay_batch(claims=[], paid_on=TODAY, reference="PL1", actor=reviewer)
    assert exc.value.message_dict == {"claims": ["请选择要拨付的申报。"]}
    claim_pay(claim=confirmed(bank_a, officer_a), paid_on=TODAY, reference="PL1-001",
              actor=reviewer)
    with pytest.raises(ValidationError) as exc:
        claims_pay_batch(claims=[confirmed(bank_a, officer_a)], paid_on=TODAY,
                         reference="PL1", actor=reviewer)
    assert exc.value.message_dict == {"reference": ["付款流水号 PL1-001 已被使用。"]}
    assert Payment.objects.count() == 1


# --- Suspension recomputed after commit -------------------------------------------------------

@pytest.mark.django_db
def test_a_payment_recomputes_suspension_after_commit_and_holds_the_next_claim(
        bank_a, officer_a, reviewer, django_capture_on_commit_callbacks):
    """MICRO Art. 8: claimed principal above 3% of filed principal and net compensation above
    CNY 5,000,000 suspends the bank; its next confirmed claim then waits."""
    capital("20000000.00")
    FilingFactory(bank=bank_a, filed_by=officer_a, amount=Decimal("87400000.00"),
                  amount_cny=Decimal("87400000.00"))
    big = confirmed(bank_a, officer_a, base="12600000.00", ratio="0.40")  # 5,040,000.00
    nxt = confirmed(bank_a, officer_a, base="100000.00")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        claim_pay(claim=big, paid_on=TODAY, reference="ZF1", actor=reviewer)
    assert len(callbacks) == 1
    state = SuspensionState.objects.get(bank=bank_a, scheme="MICRO")
    assert state.is_auto_suspended
    assert state.net_compensation == Decimal("5040000.00")
    with pytest.raises(ValidationError) as exc:
        claim_pay(claim=nxt, paid_on=TODAY, reference="ZF2", actor=reviewer)
    assert "BANK_SUSPENDED" in messages_of(exc)


@pytest.mark.django_db
def test_nothing_is_scheduled_when_the_payment_is_refused(bank_a, officer_a, reviewer,
                                                          django_capture_on_commit_callbacks):
    claim = confirmed(bank_a, officer_a)
    with django_capture_on_commit_callbacks(execute=True) as callbacks, \
            pytest.raises(ValidationError):
        claim_pay(claim=claim, paid_on=TODAY, reference="ZF1", actor=reviewer)
    assert callbacks == []
    assert not SuspensionState.objects.exists()


# --- Returns ----------------------------------------------------------------------------------

def recorded_return(claim, officer, *, amount: str = "30000.00", returned_on=date(2026, 11, 10),  # type: ignore[no-untyped-def]
                    return_deadline=date(2026, 11, 13), received: bool = False) -> ReturnPayment:
    recovery = Recovery.objects.create(
        claim=claim, recovered_on=date(2026, 10, 20), amount=Decimal(amount) * 10,
        notified_on=date(2026, 10, 27), return_amount=Decimal(amount),
        notice_deadline=date(2026, 11, 17), return_deadline=return_deadline,
        reported_by=officer)
    return ReturnPayment.objects.create(
        recovery=recovery, amount=Decimal(amount), returned_on=returned_on,
        reference=f"FH-{recovery.pk}", recorded_by=officer,
        received_at=timezone.now() if received else None)


@pytest.fixture
def paid(bank_a, officer_a, reviewer):  # type: ignore[no-untyped-def]
    capital("1000000.00")
    claim = confirmed(bank_a, officer_a)
    claim_pay(claim=claim, paid_on=date(2026, 11, 5), reference="ZF1", actor=reviewer)
    return Claim.objects.get(pk=claim.pk)


@pytest.mark.django_db
def test_receiving_a_return_books_one_inflow_and_recomputes_suspension(
        paid, officer_a, reviewer, django_capture_on_commit_callbacks):
    ret = recorded_return(paid, officer_a)
    assert not LedgerEntry.objects.filter(return_payment=ret).exists()  # the bank's side books none
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        return_receive(return_payment=ret, actor=reviewer)
    assert len(callbacks) == 1
    ret.refresh_from_db()
    assert ret.received_by == reviewer and ret.received_at is not None
    entry = LedgerEntry.objects.get(return_payment=ret)
    assert entry.kind == LedgerEntry.Kind.RETURN and entry.amount == Decimal("30000.00")
    assert (entry.claim, entry.bank, entry.scheme) == (paid, paid.bank, "MICRO")
    assert entry.booked_on == date(2026, 11, 10) and entry.reference == ret.reference
    assert fund_balance() == Decimal("790000.00")
    state = SuspensionState.objects.get(bank=paid.bank, scheme="MICRO")
    assert state.net_compensation == Decimal("210000.00")  # paid minus returned


@pytest.mark.django_db
def test_a_return_is_received_once(paid, officer_a, reviewer):
    ret = recorded_return(paid, officer_a)
    return_receive(return_payment=ret, actor=reviewer)
    with pytest.raises(ValidationError) as exc:
        return_receive(return_payment=ret, actor=reviewer)
    assert "已于 2026-" in messages_of(exc) and "不能重复确认" in messages_of(exc)
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.RETURN).count() == 1


# --- Screens ----------------------------------------------------------------------------------

STAFF_URLS = ("claims:payment_list", "claims:return_list")


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["officer_a", "approver", "auditor", "admin_user_"])
def test_only_the_custodian_reviewer_pays_and_receives(request, paid, officer_a, who):
    claim = confirmed(paid.bank, officer_a)
    ret = recorded_return(paid, officer_a)
    client = client_for(request.getfixturevalue(who))
    for name in STAFF_URLS:
        assert client.get(reverse(name)).status_code == 403, name
    assert client.get(reverse("claims:claim_pay", args=[claim.pk])).status_code == 403
    assert client.post(reverse("claims:claim_pay", args=[claim.pk]),
                       {"paid_on": "2026-11-20", "reference": "X"}).status_code == 403
    assert client.post(reverse("claims:payment_batch"),
                       {"claims": [claim.pk], "pay": "1", "paid_on": "2026-11-20",
                        "reference": "X"}).status_code == 403
    assert client.post(reverse("claims:return_receive", args=[ret.pk])).status_code == 403
    assert Payment.objects.count() == 1
    ret.refresh_from_db()
    assert ret.received_at is None


@pytest.mark.django_db
def test_payment_list_shows_confirmed_claims_total_and_holds_suspended_ones(
        bank_a, officer_a, bank_b, officer_b, reviewer):
    capital("1000000.00")
    ours = confirmed(bank_a, officer_a)
    held = confirmed(bank_b, officer_b)
    passed = confirmed(bank_a, officer_a)
    Claim.objects.filter(pk=passed.pk).update(status=Claim.Status.PASSED)
    suspend(bank_b)
    client = client_for(reviewer)
    page = client.get(reverse("claims:payment_list")).content.decode()
    assert ours.number in page and held.number in page and passed.number not in page
    assert f'name="claims" value="{ours.pk}"' in page
    assert f'name="claims" value="{held.pk}"' not in page  # no checkbox while suspended
    assert "¥480,000.00" in page and "¥1,000,000.00" in page
    only_b = client.get(reverse("claims:payment_list"), {"bank": str(bank_b.pk)})
    assert ours.number not in only_b.content.decode()
    export = client.get(reverse("claims:payment_list"), {"export": "xlsx"})
    assert export["Content-Disposition"].startswith("attachment")


@pytest.mark.django_db
def test_payment_list_and_its_export_show_the_filings_policy_document_number(
        bank_a, officer_a, reviewer):
    capital("1000000.00")
    claim = confirmed(bank_a, officer_a)
    version = claim.filing.policy_version
    assert version  # the filing was judged under a recorded version
    client = client_for(reviewer)
    page = client.get(reverse("claims:payment_list")).content.decode()
    assert version in page
    export = client.get(reverse("claims:payment_list"), {"export": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    values = [c.value for row in sheet.iter_rows() for c in row]
    assert "政策文号" in values and version in values


@pytest.mark.django_db
def test_batch_screen_shows_total_and_references_before_paying(bank_a, officer_a, reviewer):
    capital("1000000.00")
    c1 = confirmed(bank_a, officer_a, number="MC-2026-0101")
    c2 = confirmed(bank_a, officer_a, number="MC-2026-0102")
    client = client_for(reviewer)
    url = reverse("claims:payment_batch")
    preview = client.post(url, {"claims": [c2.pk, c1.pk]})
    page = preview.content.decode()
    assert preview.status_code == 200
    assert "¥480,000.00" in page and "¥520,000.00" in page  # total, balance after
    assert "…-001" in page and "data-confirm" in page
    assert not Payment.objects.exists()  # nothing paid by the preview

    done = client.post(url, {"claims": [c1.pk, c2.pk], "pay": "1", "paid_on": "2026-11-20",
                             "reference": "PL7"}, follow=True)
    assert "已拨付2笔申报，合计 ¥480,000.00" in done.content.decode()
    assert sorted(Payment.objects.values_list("reference", flat=True)) == ["PL7-001", "PL7-002"]


@pytest.mark.django_db
def test_batch_screen_shows_the_refusal_and_pays_nothing(bank_a, officer_a, reviewer):
    capital("300000.00")
    c1 = confirmed(bank_a, officer_a)
    c2 = confirmed(bank_a, officer_a)
    client = client_for(reviewer)
    response = client.post(reverse("claims:payment_batch"), {
        "claims": [c1.pk, c2.pk], "pay": "1", "paid_on": "2026-11-20", "reference": "PL8"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "资金余额不足" in page and "PL8-002" in page
    assert not Payment.objects.exists()
    empty = client.post(reverse("claims:payment_batch"), {}, follow=True)
    assert "请至少勾选一笔待拨付的申报" in empty.content.decode()


@pytest.mark.django_db
def test_claim_page_offers_payment_to_the_reviewer_only(bank_a, officer_a, reviewer):
    capital("1000000.00")
    claim = confirmed(bank_a, officer_a)
    pay_url = reverse("claims:claim_pay", args=[claim.pk])
    detail = reverse("claims:claim_detail", args=[claim.pk])
    assert pay_url in client_for(reviewer).get(detail).content.decode()
    assert pay_url not in client_for(officer_a).get(detail).content.decode()

    client = client_for(reviewer)
    form = client.get(pay_url).content.decode()
    assert "¥240,000.00" in form and "¥760,000.00" in form and "data-confirm" in form
    short = client.post(pay_url, {"paid_on": "2026-11-21", "reference": "ZF9"})
    assert "拨付日期不能晚于今天" in short.content.decode()
    done = client.post(pay_url, {"paid_on": "2026-11-20", "reference": "ZF9"}, follow=True)
    assert "已拨付申报" in done.content.decode() and "ZF9" in done.content.decode()
    assert pay_url not in client.get(detail).content.decode()  # paid: no button
    again = client.get(pay_url, follow=True)
    assert "只有财政已确认的申报才能拨付" in again.content.decode()


@pytest.mark.django_db
def test_claim_pay_screen_says_when_the_fund_is_short(bank_a, officer_a, reviewer):
    capital("1000.00")
    claim = confirmed(bank_a, officer_a)
    response = client_for(reviewer).post(reverse("claims:claim_pay", args=[claim.pk]),
                                         {"paid_on": "2026-11-20", "reference": "ZF9"})
    page = response.content.decode()
    assert "资金余额不足：本次拨付¥240,000.00，资金账户余额¥1,000.00" in page
    assert not Payment.objects.exists()


@pytest.mark.django_db
def test_returns_screen_puts_overdue_first_and_receives(paid, officer_a, reviewer):
    on_time = recorded_return(paid, officer_a, return_deadline=date(2026, 11, 30))
    done = recorded_return(paid, officer_a, received=True)
    late = Recovery.objects.create(
        claim=paid, recovered_on=date(2026, 10, 1), amount=Decimal("1000.00"),
        notified_on=date(2026, 10, 9), return_amount=Decimal("300.00"),
        notice_deadline=date(2026, 10, 29), return_deadline=date(2026, 10, 23),
        reported_by=officer_a)
    client = client_for(reviewer)
    url = reverse("claims:return_list")
    rows = list(payment_selectors.returns_for_custodian(user=reviewer))
    assert [r.pk for r in rows] == [late.pk, on_time.recovery_id, done.recovery_id]
    page = client.get(url).content.decode()
    assert page.index("逾期未返还") < page.index(on_time.reference) < page.index(done.reference)
    assert 'class="overdue"' in page
    assert reverse("claims:return_receive", args=[on_time.pk]) in page
    assert reverse("claims:return_receive", args=[done.pk]) not in page
    assert "共 1 条" in client.get(url, {"overdue": "1"}).content.decode()
    assert "共 1 条" in client.get(url, {"state": "received"}).content.decode()
    assert "共 3 条" in client.get(url, {"bank": str(paid.bank_id)}).content.decode()
    assert "共 0 条" in client.get(url, {"scheme": "TECH"}).content.decode()

    response = client.post(reverse("claims:return_receive", args=[on_time.pk]),
                           {"next": f"{url}?overdue=0"})
    assert response.status_code == 302 and response["Location"] == f"{url}?overdue=0"
    assert LedgerEntry.objects.filter(return_payment=on_time).count() == 1
    again = client.post(reverse("claims:return_receive", args=[on_time.pk]),
                        {"next": "https://evil.example/"}, follow=True)
    assert "不能重复确认" in again.content.decode()
    assert again.redirect_chain[-1][0] == url
    assert LedgerEntry.objects.filter(return_payment=on_time).count() == 1


# --- Concurrency on PostgreSQL ----------------------------------------------------------------

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql",
                                   reason="row and advisory locks need PostgreSQL")


def _race(monkeypatch, *calls):  # type: ignore[no-untyped-def]
    """Run ``calls`` at the same moment, each in its own thread with its own connection; the
    balance read is slowed down so that, without the locks, both would pass the checks."""
    slow_balance = payment_service.fund_balance

    def slowly(**kw):  # type: ignore[no-untyped-def]
        value = slow_balance(**kw)
        time.sleep(0.3)
        return value

    monkeypatch.setattr(payment_service, "fund_balance", slowly)
    barrier = threading.Barrier(len(calls))
    results: list[object] = []

    def run(call):  # type: ignore[no-untyped-def]
        try:
            barrier.wait()
            results.append(call())
        except ValidationError as exc:
            results.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


@postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("reference_data")
def test_two_concurrent_payments_of_one_claim_pay_it_once(monkeypatch, bank_a, officer_a,
                                                           reviewer):
    capital("1000000.00")
    claim = confirmed(bank_a, officer_a)
    results = _race(
        monkeypatch,
        lambda: claim_pay(claim=claim, paid_on=TODAY, reference="ZF-A", actor=reviewer),
        lambda: claim_pay(claim=claim, paid_on=TODAY, reference="ZF-B", actor=reviewer))
    paid = [r for r in results if isinstance(r, Payment)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(paid) == 1 and len(refused) == 1
    assert "已拨付，不能重复拨付" in " ".join(refused[0].messages)
    assert Payment.objects.count() == 1
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.COMPENSATION).count() == 1
    assert fund_balance() == Decimal("760000.00")


@postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("reference_data")
def test_two_concurrent_payments_above_the_balance_together_let_one_pass(
        monkeypatch, bank_a, officer_a, bank_b, officer_b, reviewer):
    capital("400000.00")
    first = confirmed(bank_a, officer_a)
    second = confirmed(bank_b, officer_b)
    results = _race(
        monkeypatch,
        lambda: claim_pay(claim=first, paid_on=TODAY, reference="ZF-A", actor=reviewer),
        lambda: claim_pay(claim=second, paid_on=TODAY, reference="ZF-B", actor=reviewer))
    paid = [r for r in results if isinstance(r, Payment)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(paid) == 1 and len(refused) == 1
    assert "资金余额不足：本次拨付¥240,000.00，资金账户余额¥160,000.00" in " ".join(
        refused[0].messages)
    assert Payment.objects.count() == 1
    assert fund_balance() == Decimal("160000.00")
    assert fund_balance() >= 0
