"""The fund's ledger screen (资金台账): who reads it, the account balance after each entry
whatever the filter, totals, date range, Excel export (RULES.md "The fund")."""

from datetime import date
from decimal import Decimal
from io import BytesIO

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from claims.models import Claim, Recovery, ReturnPayment
from claims.payment.services import claim_pay, return_receive
from fund.models import LedgerEntry
from fund.selectors import fund_balance, ledger_entries, ledger_totals
from fund.services import ledger_post

from .conftest import client_for
from .factories import ClaimFactory, FilingFactory

TODAY = date(2026, 11, 20)
URL = "fund:ledger"


@pytest.fixture(autouse=True)
def _today(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY)


@pytest.fixture
def books(bank_a, officer_a, bank_b, officer_b, reviewer):  # type: ignore[no-untyped-def]
    """Capital 1,000,000.00 (Jan), a payment to bank A of 240,000.00 and one to bank B of
    150,000.00 (Nov 5 and 10, TECH), a return from bank A of 30,000.00 (Nov 12), interest."""
    ledger_post(kind=LedgerEntry.Kind.CAPITAL, amount=Decimal("1000000.00"),
                booked_on=date(2026, 1, 5), memo="财政拨入", reference="CZ-2026-01", actor=None)
    a = ClaimFactory(filing=FilingFactory(bank=bank_a, filed_by=officer_a),
                     status=Claim.Status.CONFIRMED)
    b = ClaimFactory(filing=FilingFactory(bank=bank_b, filed_by=officer_b, scheme="TECH",
                                          ratio=Decimal("0.50")),
                     base=Decimal("300000.00"), status=Claim.Status.CONFIRMED)
    claim_pay(claim=a, paid_on=date(2026, 11, 5), reference="ZF-A", actor=reviewer)
    claim_pay(claim=b, paid_on=date(2026, 11, 10), reference="ZF-B", actor=reviewer)
    recovery = Recovery.objects.create(
        claim=a, recovered_on=date(2026, 11, 6), amount=Decimal("100000.00"),
        notified_on=date(2026, 11, 9), return_amount=Decimal("30000.00"), reported_by=officer_a)
    ret = ReturnPayment.objects.create(recovery=recovery, amount=Decimal("30000.00"),
                                       returned_on=date(2026, 11, 12), reference="FH-A",
                                       recorded_by=officer_a)
    return_receive(return_payment=ret, actor=reviewer)
    ledger_post(kind=LedgerEntry.Kind.INTEREST, amount=Decimal("1234.56"),
                booked_on=date(2026, 11, 12), memo="存款利息", actor=None)
    return {"a": a, "b": b, "return": ret}


@pytest.mark.django_db
@pytest.mark.parametrize("who, status", [("reviewer", 200), ("approver", 200), ("auditor", 200),
                                         ("admin_user_", 200), ("officer_a", 403)])
def test_who_reads_the_ledger(request, who, status):
    client = client_for(request.getfixturevalue(who))
    assert client.get(reverse(URL)).status_code == status


@pytest.mark.django_db
def test_running_balance_is_the_account_balance_after_each_entry(books):
    rows = list(ledger_entries().order_by("booked_on", "pk"))
    assert [r.running_balance for r in rows] == [
        Decimal("1000000.00"), Decimal("760000.00"), Decimal("610000.00"),
        Decimal("640000.00"), Decimal("641234.56")]
    assert rows[-1].running_balance == fund_balance()
    # A filter narrows the rows, not the balance each one shows.
    payments = list(ledger_entries().filter(kind=LedgerEntry.Kind.COMPENSATION)
                    .order_by("booked_on", "pk"))
    assert [p.running_balance for p in payments] == [Decimal("760000.00"), Decimal("610000.00")]


@pytest.mark.django_db
def test_totals_follow_the_filter(books, bank_a):
    assert ledger_totals(LedgerEntry.objects.all()) == {
        "inflow": Decimal("1031234.56"), "outflow": Decimal("-390000.00"),
        "net": Decimal("641234.56"), "loss": Decimal("0.00"), "count": 5}
    only_a = ledger_totals(LedgerEntry.objects.filter(bank=bank_a))
    assert (only_a["inflow"], only_a["outflow"], only_a["count"]) == (
        Decimal("30000.00"), Decimal("-240000.00"), 2)


@pytest.mark.django_db
def test_ledger_screen_filters_by_kind_bank_scheme_and_dates(books, bank_b, approver):
    client = client_for(approver)
    url = reverse(URL)
    page = client.get(url).content.decode()
    assert "共 5 条" in page and "¥641,234.56" in page and "ZF-A" in page and "FH-A" in page
    kind = client.get(url, {"kind": "compensation"}).content.decode()
    assert "共 2 条" in kind and "610,000.00" in kind and "CZ-2026-01" not in kind
    assert "-¥390,000.00" in kind
    bank = client.get(url, {"bank": str(bank_b.pk)}).content.decode()
    assert "共 1 条" in bank and "ZF-B" in bank and "ZF-A" not in bank
    assert "共 1 条" in client.get(url, {"scheme": "TECH"}).content.decode()
    assert "共 1 条" in client.get(url, {"q": "FH-A"}).content.decode()
    dated = client.get(url, {"from": "2026-11-06", "to": "2026-11-11"}).content.decode()
    assert "共 1 条" in dated and "ZF-B" in dated
    assert "2026-11-06 期初余额" in dated and "¥760,000.00" in dated  # after the first payment
    assert "2026-11-11 期末余额" in dated and "¥610,000.00" in dated
    assert client.get(url, {"from": "not-a-date", "sort": "amount"}).status_code == 200


@pytest.mark.django_db
def test_ledger_export_matches_the_screen(books, auditor):
    response = client_for(auditor).get(reverse(URL), {"export": "xlsx", "kind": "return"})
    assert response["Content-Disposition"].startswith('attachment; filename="ledger-')
    ws = openpyxl.load_workbook(BytesIO(response.content)).active
    header = [c.value for c in ws[1]]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 1
    row = dict(zip(header, rows[0], strict=True))
    assert row["凭证号"] == "FH-A" and row["类型"] == "银行返还"
    assert str(row["金额（元，流入为正）"]) == "30000"
    assert str(row["余额（元）"]) == "640000"
    assert ws.cell(row=2, column=header.index("余额（元）") + 1).number_format == "#,##0.00"


@pytest.mark.django_db
def test_posting_keeps_the_sign_of_each_kind_and_the_ledger_append_only(books):
    with pytest.raises(ValidationError):
        ledger_post(kind=LedgerEntry.Kind.COMPENSATION, amount=Decimal("5.00"),
                    booked_on=TODAY, memo="错误方向", actor=None)
    entry = LedgerEntry.objects.get(reference="ZF-A")
    with pytest.raises(ValidationError):
        entry.save()
    with pytest.raises(ValidationError):
        LedgerEntry.objects.filter(pk=entry.pk).delete()
    assert fund_balance() == Decimal("641234.56")


@pytest.mark.django_db
def test_a_return_is_booked_once_even_if_posted_again(books):
    with pytest.raises(ValidationError):
        ledger_post(kind=LedgerEntry.Kind.RETURN, amount=Decimal("30000.00"), booked_on=TODAY,
                    memo="重复", return_payment_id=books["return"].pk, actor=None)
    assert LedgerEntry.objects.filter(return_payment=books["return"]).count() == 1

