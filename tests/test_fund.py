"""The fund (RULES.md "The fund"): the ledger is append-only in the model and in the database,
corrections are reversing entries, the custodian records capital and interest, the yearly
management fee is drawn once (MICRO Art. 24), and the fund screen's figures and query count."""

from datetime import date
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from claims.models import Claim, Recovery, ReturnPayment
from claims.payment.services import claim_pay, return_receive
from fund.models import FundSize, LedgerEntry
from fund.selectors import (
    fund_balance,
    ledger_by_kind,
    ledger_by_month,
    receivables_by_bank,
    receivables_by_scheme,
)
from fund.services import (
    ledger_capital_receive,
    ledger_interest_record,
    ledger_management_fee_post,
    ledger_post,
    ledger_reverse,
    management_fee_for,
)
from fund.tasks import post_management_fee
from fund.views import _nice_ceiling, month_chart

from .conftest import client_for
from .factories import BankFactory, ClaimFactory, FilingFactory

TODAY = date(2026, 11, 20)
K = LedgerEntry.Kind


def set_today(monkeypatch, day: date) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: day)


@pytest.fixture(autouse=True)
def _today(monkeypatch):  # type: ignore[no-untyped-def]
    set_today(monkeypatch, TODAY)


def capital(amount: str, on: date = date(2026, 1, 5), reference: str = "CZ-1") -> LedgerEntry:
    return ledger_post(kind=K.CAPITAL, amount=Decimal(amount), booked_on=on, memo="财政拨入",
                       reference=reference, actor=None)


@pytest.fixture
def books(bank_a, officer_a, bank_b, officer_b, reviewer):  # type: ignore[no-untyped-def]
    """Capital 1,000,000.00 (Jan); MICRO pays bank A 240,000.00 (Nov 5), TECH pays bank B
    150,000.00 (Nov 10); bank A returns 30,000.00 (Nov 12); interest 1,234.56 (Nov 12); bank B's
    claim is written off with a loss of 20,000.00 (Nov 18)."""
    capital("1000000.00")
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
    ledger_post(kind=K.INTEREST, amount=Decimal("1234.56"), booked_on=date(2026, 11, 12),
                memo="存款利息", reference="LX-1", actor=None)
    LedgerEntry.objects.create(kind=K.WRITE_OFF, amount=Decimal("0.00"),
                               loss_amount=Decimal("20000.00"), booked_on=date(2026, 11, 18),
                               scheme="TECH", bank=bank_b, claim=b, memo="核销损失确认")
    return {"a": a, "b": b}


# --- Append-only -------------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_model_layer_refuses_every_change_to_an_entry():
    entry = capital("100.00")
    entry.amount = Decimal("1.00")
    with pytest.raises(ValidationError):
        entry.save()
    with pytest.raises(ValidationError):
        entry.delete()
    with pytest.raises(ValidationError):
        LedgerEntry.objects.filter(pk=entry.pk).update(amount=Decimal("1.00"))
    with pytest.raises(ValidationError):
        LedgerEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(ValidationError), transaction.atomic():
        LedgerEntry.objects.bulk_update([entry], ["amount"])
    assert LedgerEntry.objects.get(pk=entry.pk).amount == Decimal("100.00")


@pytest.mark.django_db
@pytest.mark.parametrize("sql", ["UPDATE fund_ledgerentry SET amount = 0",
                                 "UPDATE fund_ledgerentry SET memo = 'x' WHERE kind = 'capital'",
                                 "DELETE FROM fund_ledgerentry"])
def test_postgresql_refuses_raw_updates_and_deletes(sql):
    if connection.vendor != "postgresql":
        pytest.skip("the append-only trigger exists on PostgreSQL only")
    entry = capital("100.00")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), \
            connection.cursor() as cur:
        cur.execute(sql)
    assert LedgerEntry.objects.get(pk=entry.pk).amount == Decimal("100.00")


@pytest.mark.django_db
def test_the_base_manager_is_guarded_and_postgresql_refuses_what_slips_past():
    entry = capital("100.00")
    # Django's internal manager is the guarded one too.
    with pytest.raises(ValidationError):
        LedgerEntry._base_manager.filter(pk=entry.pk).update(amount=Decimal("1.00"))
    if connection.vendor == "postgresql":  # the trigger: even a raw delete is refused
        with pytest.raises(DatabaseError), transaction.atomic():
            LedgerEntry._base_manager.filter(pk=entry.pk)._raw_delete(connection.alias)
    assert LedgerEntry.objects.filter(pk=entry.pk).exists()


# --- Corrections -------------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_reversal_posts_the_opposite_entry_and_keeps_the_original(reviewer):
    wrong = capital("1000.00", reference="CZ-9")
    reversal = ledger_reverse(entry=wrong, reason="金额录错，应为100元", actor=reviewer)
    assert reversal.kind == K.REVERSAL and reversal.amount == Decimal("-1000.00")
    assert reversal.loss_amount == Decimal("0.00")
    assert reversal.reverses == wrong and reversal.booked_on == TODAY
    assert reversal.created_by == reviewer and reversal.reference == "CZ-9"
    assert "金额录错，应为100元" in reversal.memo and "2026-01-05" in reversal.memo
    assert LedgerEntry.objects.get(pk=wrong.pk).amount == Decimal("1000.00")
    assert fund_balance() == Decimal("0.00")
    # The balance on a day before the correction still shows what the ledger said then.
    assert fund_balance(on=date(2026, 6, 30)) == Decimal("1000.00")


@pytest.mark.django_db
def test_an_entry_is_reversed_once_and_a_reversal_never(reviewer):
    wrong = capital("1000.00")
    reversal = ledger_reverse(entry=wrong, reason="重复登记", actor=reviewer)
    with pytest.raises(ValidationError, match="已于2026-11-20冲销"):
        ledger_reverse(entry=wrong, reason="再来一次", actor=reviewer)
    with pytest.raises(ValidationError, match="冲销分录不能再被冲销"):
        ledger_reverse(entry=reversal, reason="撤销冲销", actor=reviewer)
    assert LedgerEntry.objects.filter(kind=K.REVERSAL).count() == 1
    # The database holds one reversal per entry even past the service.
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(kind=K.REVERSAL, amount=Decimal("-1000.00"),
                                   booked_on=TODAY, memo="x", reverses=wrong)


@pytest.mark.django_db
def test_a_reversal_needs_a_reason(reviewer):
    wrong = capital("1000.00")
    with pytest.raises(ValidationError) as err:
        ledger_reverse(entry=wrong, reason="   ", actor=reviewer)
    assert "reason" in err.value.error_dict
    assert not LedgerEntry.objects.filter(kind=K.REVERSAL).exists()


@pytest.mark.django_db
def test_entries_of_a_claim_are_not_reversed_in_the_ledger_alone(books, reviewer):
    for kind in (K.COMPENSATION, K.RETURN, K.WRITE_OFF):
        entry = LedgerEntry.objects.filter(kind=kind).first()
        with pytest.raises(ValidationError, match="一一对应"):
            ledger_reverse(entry=entry, reason="测试", actor=reviewer)
    assert not LedgerEntry.objects.filter(kind=K.REVERSAL).exists()


@pytest.mark.django_db
def test_reversing_capital_already_spent_is_refused(reviewer, bank_a, officer_a):
    first = capital("100000.00")
    capital("5000.00", reference="CZ-2")
    ledger_post(kind=K.COMPENSATION, amount=Decimal("-60000.00"), booked_on=date(2026, 2, 1),
                memo="拨付", bank_id=bank_a.pk, scheme="MICRO", actor=None)
    with pytest.raises(ValidationError, match="不足"):
        ledger_reverse(entry=first, reason="测试", actor=reviewer)
    assert fund_balance() == Decimal("45000.00")


@pytest.mark.django_db
def test_a_management_fee_reversal_gives_the_money_back(reviewer):
    capital("1000000.00")
    fee = ledger_management_fee_post(year=2025, booked_on=date(2026, 1, 20), actor=None)
    ledger_reverse(entry=fee, reason="管理费应为调整后资金规模", actor=reviewer)
    assert fund_balance() == Decimal("1000000.00")


@pytest.mark.django_db
def test_reviewer_reverses_from_the_ledger_row_with_reason_and_confirmation(reviewer):
    wrong = capital("1000.00")
    client = client_for(reviewer)
    ledger = client.get(reverse("fund:ledger")).content.decode()
    url = reverse("fund:entry_reverse", args=[wrong.pk])
    assert url in ledger
    page = client.get(url).content.decode()
    assert "data-confirm" in page and "1,000.00" in page
    unticked = client.post(url, {"reason": "录错"})
    assert unticked.status_code == 200 and "请勾选确认后再冲销" in unticked.content.decode()
    no_reason = client.post(url, {"confirm": "on", "reason": ""})
    assert no_reason.status_code == 200
    assert not LedgerEntry.objects.filter(kind=K.REVERSAL).exists()
    done = client.post(url, {"confirm": "on", "reason": "录错"}, follow=True)
    assert done.redirect_chain[-1][0] == reverse("fund:ledger")
    assert "已登记冲销分录" in done.content.decode() and "冲销 2026-01-05" in done.content.decode()
    assert LedgerEntry.objects.get(reverses=wrong).amount == Decimal("-1000.00")
    assert url not in done.content.decode()  # the row no longer offers a second reversal
    again = client.post(url, {"confirm": "on", "reason": "再次"})
    assert again.status_code == 200 and "已于" in again.content.decode()
    assert LedgerEntry.objects.filter(kind=K.REVERSAL).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["approver", "auditor", "admin_user_", "officer_a"])
def test_only_the_custodian_reverses_or_records(request, who):
    wrong = capital("1000.00")
    client = client_for(request.getfixturevalue(who))
    for url in (reverse("fund:entry_reverse", args=[wrong.pk]), reverse("fund:capital_receive"),
                reverse("fund:interest_record")):
        assert client.get(url).status_code == 403
        assert client.post(url, {"confirm": "on", "reason": "x", "amount": "1",
                                 "booked_on": "2026-11-20", "reference": "R"}).status_code == 403
    assert LedgerEntry.objects.count() == 1
    if who != "officer_a":
        ledger = client.get(reverse("fund:ledger")).content.decode()
        assert reverse("fund:entry_reverse", args=[wrong.pk]) not in ledger
        assert reverse("fund:capital_receive") not in ledger


# --- Manual entries ----------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("service, kind", [(ledger_capital_receive, K.CAPITAL),
                                           (ledger_interest_record, K.INTEREST)])
def test_the_custodian_records_money_in(service, kind, reviewer):
    entry = service(amount=Decimal("2500.50"), booked_on=date(2026, 11, 19), reference=" R-1 ",
                    memo="", actor=reviewer)
    assert entry.kind == kind and entry.amount == Decimal("2500.50")
    assert entry.reference == "R-1" and entry.memo and entry.created_by == reviewer
    assert fund_balance() == Decimal("2500.50")


@pytest.mark.django_db
@pytest.mark.parametrize("field, values, message", [
    ("amount", {"amount": Decimal("0.00")}, "大于零"),
    ("amount", {"amount": Decimal("-5.00")}, "大于零"),
    ("amount", {"amount": Decimal("1.005")}, "两位小数"),
    ("booked_on", {"booked_on": date(2026, 11, 21)}, "晚于今天"),
    ("reference", {"reference": "  "}, "凭证号"),
])
def test_manual_entries_refuse_bad_input(field, values, message, reviewer):
    data = {"amount": Decimal("10.00"), "booked_on": TODAY, "reference": "R-1", "memo": "",
            **values}
    with pytest.raises(ValidationError) as err:
        ledger_capital_receive(actor=reviewer, **data)
    assert field in err.value.error_dict and message in str(err.value)
    assert not LedgerEntry.objects.exists()


@pytest.mark.django_db
def test_the_same_slip_is_not_recorded_twice(reviewer):
    ledger_interest_record(amount=Decimal("10.00"), booked_on=TODAY, reference="LX-1", memo="",
                           actor=reviewer)
    with pytest.raises(ValidationError, match="已登记过"):
        ledger_interest_record(amount=Decimal("10.00"), booked_on=TODAY, reference="LX-1",
                               memo="", actor=reviewer)
    # Another kind may carry the same number (a different document).
    ledger_capital_receive(amount=Decimal("10.00"), booked_on=TODAY, reference="LX-1", memo="",
                           actor=reviewer)
    assert LedgerEntry.objects.count() == 2


@pytest.mark.django_db
def test_capital_form_records_and_shows_errors(reviewer):
    client = client_for(reviewer)
    url = reverse("fund:capital_receive")
    page = client.get(url).content.decode()
    assert "data-confirm" in page and 'value="2026-11-20"' in page
    bad = client.post(url, {"amount": "0", "booked_on": "2026-11-20", "reference": "CZ"})
    assert bad.status_code == 200 and not LedgerEntry.objects.exists()
    ok = client.post(url, {"amount": "50000000.00", "booked_on": "2026-11-19",
                           "reference": "CZBK-2026-1119", "memo": "第二批资金"}, follow=True)
    assert "已登记财政拨入资金 ¥50,000,000.00" in ok.content.decode()
    entry = LedgerEntry.objects.get()
    assert (entry.kind, entry.memo, entry.created_by) == (K.CAPITAL, "第二批资金", reviewer)
    twice = client.post(url, {"amount": "50000000.00", "booked_on": "2026-11-19",
                              "reference": "CZBK-2026-1119"})
    assert "已登记过" in twice.content.decode() and LedgerEntry.objects.count() == 1


@pytest.mark.django_db
def test_interest_form_records(reviewer):
    response = client_for(reviewer).post(reverse("fund:interest_record"), {
        "amount": "1234.56", "booked_on": "2026-09-21", "reference": "LX-20260921"})
    assert response.status_code == 302
    entry = LedgerEntry.objects.get()
    assert entry.kind == K.INTEREST and entry.amount == Decimal("1234.56")


# --- Management fee ----------------------------------------------------------------------------

def test_the_fee_is_0_8_percent_of_the_fund_size():
    assert management_fee_for(Decimal("100000000.00")) == Decimal("800000.00")
    assert management_fee_for(Decimal("123456789.99")) == Decimal("987654.32")


@pytest.mark.django_db
def test_the_fee_task_run_twice_draws_one_fee(monkeypatch):
    capital("2000000.00", on=date(2025, 7, 1))
    set_today(monkeypatch, date(2026, 1, 5))
    first = post_management_fee(2025)
    assert first is not None
    assert post_management_fee(2025) is None
    assert post_management_fee() is None  # the beat's run for the year just ended
    fee = LedgerEntry.objects.get(kind=K.MANAGEMENT_FEE)
    assert fee.pk == first and fee.fee_year == 2025 and fee.booked_on == date(2026, 1, 5)
    # Consistent with the demo data: 0.8% of the 2025 fund size, GLF-<year>, Art. 24 in the memo.
    assert fee.amount == -Decimal("800000.00") and fee.reference == "GLF-2025"
    assert "2025年度托管管理费" in fee.memo and "第二十四条" in fee.memo
    assert fund_balance() == Decimal("1200000.00")


@pytest.mark.django_db
def test_the_database_holds_one_fee_per_year():
    capital("2000000.00")
    ledger_post(kind=K.MANAGEMENT_FEE, amount=Decimal("-800000.00"), booked_on=TODAY,
                memo="费", fee_year=2025, actor=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(kind=K.MANAGEMENT_FEE, amount=Decimal("-800000.00"),
                                   booked_on=TODAY, memo="费", fee_year=2025)


@pytest.mark.django_db
def test_the_beat_draws_on_the_first_working_day_of_january(monkeypatch):
    capital("2000000.00", on=date(2025, 7, 1))
    set_today(monkeypatch, date(2026, 1, 1))  # New Year's Day
    assert post_management_fee() is None
    set_today(monkeypatch, date(2026, 1, 3))  # a Saturday of the holiday
    assert post_management_fee() is None
    assert not LedgerEntry.objects.filter(kind=K.MANAGEMENT_FEE).exists()
    set_today(monkeypatch, date(2026, 1, 4))  # a make-up working Sunday (调休上班)
    assert post_management_fee() is not None
    assert LedgerEntry.objects.get(kind=K.MANAGEMENT_FEE).fee_year == 2025


@pytest.mark.django_db
def test_the_beat_waits_for_the_bureaus_fund_size(monkeypatch):
    capital("2000000.00", on=date(2025, 7, 1))
    FundSize.objects.filter(year=2025).delete()
    set_today(monkeypatch, date(2026, 1, 5))
    assert post_management_fee() is None
    FundSize.objects.create(year=2025, amount=Decimal("150000000.00"))
    set_today(monkeypatch, date(2026, 1, 6))
    assert post_management_fee() is not None
    fee = LedgerEntry.objects.get(kind=K.MANAGEMENT_FEE)
    assert fee.amount == Decimal("-1200000.00") and fee.booked_on == date(2026, 1, 6)


@pytest.mark.django_db
def test_the_fee_is_not_drawn_before_the_policy_or_before_the_year_ends(monkeypatch):
    capital("2000000.00", on=date(2025, 1, 2))
    set_today(monkeypatch, date(2025, 3, 3))
    assert post_management_fee() is None  # the 2024 fee: before MICRO Art. 24 applies
    with pytest.raises(ValidationError, match="2025年起"):
        ledger_management_fee_post(year=2024, booked_on=date(2025, 3, 3), actor=None)
    with pytest.raises(ValidationError, match="尚未结束"):
        ledger_management_fee_post(year=2025, booked_on=date(2025, 12, 31), actor=None)
    assert post_management_fee(2025) is None
    assert not LedgerEntry.objects.filter(kind=K.MANAGEMENT_FEE).exists()


@pytest.mark.django_db
def test_the_fee_never_overdraws_the_fund(monkeypatch):
    capital("500000.00", on=date(2025, 7, 1))
    set_today(monkeypatch, date(2026, 1, 5))
    assert post_management_fee() is None
    with pytest.raises(ValidationError, match="不足"):
        ledger_management_fee_post(year=2025, booked_on=date(2026, 1, 5), actor=None)
    assert fund_balance() == Decimal("500000.00")


def test_the_fee_is_on_the_beat():
    entries = {e["task"]: e for e in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "fund.tasks.post_management_fee" in entries


# --- The fund screen ---------------------------------------------------------------------------

@pytest.mark.django_db
def test_money_in_and_out_by_month_with_empty_months(books):
    months = ledger_by_month()
    assert [m["month"] for m in months][:2] == [date(2026, 1, 1), date(2026, 2, 1)]
    assert len(months) == 11  # January to November, the empty months too
    jan, nov = months[0], months[-1]
    assert (jan["inflow"], jan["outflow"], jan["n"]) == (Decimal("1000000.00"), 0, 1)
    assert months[1]["n"] == 0 and months[1]["net"] == 0
    assert nov["inflow"] == Decimal("31234.56") and nov["outflow"] == Decimal("390000.00")
    assert nov["loss"] == Decimal("20000.00") and nov["n"] == 5
    tech = ledger_by_month(scheme="TECH")
    assert len(tech) == 1 and tech[0]["outflow"] == Decimal("150000.00")


@pytest.mark.django_db
def test_totals_per_kind_count_corrections_under_the_kind_they_correct(books, reviewer):
    wrong = capital("500.00", on=date(2026, 11, 1), reference="CZ-X")
    ledger_reverse(entry=wrong, reason="重复", actor=reviewer)
    kinds = {k["kind"]: k for k in ledger_by_kind()}
    assert K.REVERSAL not in kinds
    assert kinds[K.CAPITAL]["n"] == 2 and kinds[K.CAPITAL]["amount"] == Decimal("1000500.00")
    assert kinds[K.CAPITAL]["corrections"] == Decimal("-500.00")
    assert kinds[K.CAPITAL]["net"] == Decimal("1000000.00")
    assert kinds[K.COMPENSATION]["amount"] == Decimal("-390000.00")
    assert kinds[K.WRITE_OFF]["loss"] == Decimal("20000.00")
    assert sum(k["net"] for k in kinds.values()) == fund_balance()


@pytest.mark.django_db
def test_receivables_per_scheme_and_bank(books, bank_a, bank_b):
    by_scheme = {r["scheme"]: r for r in receivables_by_scheme()["rows"]}
    assert by_scheme["MICRO"] == {
        "scheme": "MICRO", "label": by_scheme["MICRO"]["label"], "paid": Decimal("240000.00"),
        "returned": Decimal("30000.00"), "written_off": Decimal("0.00"),
        "net_exposure": Decimal("210000.00"), "to_return": Decimal("0.00")}
    assert by_scheme["TECH"]["written_off"] == Decimal("20000.00")
    assert by_scheme["TECH"]["net_exposure"] == Decimal("130000.00")
    banks = receivables_by_bank()
    assert [r["bank__short_name"] for r in banks["rows"]] == sorted(["甲银行", "乙银行"])
    assert banks["total"]["net_exposure"] == Decimal("340000.00")
    assert banks["total"]["paid"] == Decimal("390000.00")


@pytest.mark.django_db
def test_a_range_shows_its_flows_and_what_is_owed_at_its_end(books):
    # Through Nov 11: both payments, no return yet, no write-off.
    early = receivables_by_scheme(date_to=date(2026, 11, 11))["total"]
    assert early["paid"] == Decimal("390000.00") and early["net_exposure"] == Decimal("390000.00")
    # From Nov 10: bank A's payment falls before the range but is still owed at its end.
    late = receivables_by_scheme(date_from=date(2026, 11, 10))["total"]
    assert late["paid"] == Decimal("150000.00") and late["returned"] == Decimal("30000.00")
    assert late["written_off"] == Decimal("20000.00")
    assert late["net_exposure"] == Decimal("340000.00")
    only_tech = receivables_by_bank(scheme="TECH")["rows"]
    assert len(only_tech) == 1 and only_tech[0]["bank__short_name"] == "乙银行"


@pytest.mark.django_db
def test_returns_due_are_the_banks_share_of_recoveries_not_yet_returned(books, officer_a,
                                                                         client):
    # Bank A recovers 50,000.00 more on Nov 20; at its ratio it owes 15,000.00 back.
    Recovery.objects.create(
        claim=books["a"], recovered_on=date(2026, 11, 20), amount=Decimal("50000.00"),
        notified_on=date(2026, 11, 23), return_amount=Decimal("15000.00"), reported_by=officer_a)
    # Before it, bank A owed nothing between its first recovery and its return...
    assert receivables_by_scheme(date_to=date(2026, 11, 19))["total"]["to_return"] == 0
    assert receivables_by_scheme(date_to=date(2026, 11, 8))["total"]["to_return"] == \
        Decimal("30000.00")
    # ... and now owes the new share, which is far less than the fund's net exposure.
    by_bank = {r["bank__short_name"]: r for r in receivables_by_bank()["rows"]}
    assert by_bank["甲银行"]["to_return"] == Decimal("15000.00")
    assert by_bank["甲银行"]["net_exposure"] == Decimal("210000.00")
    assert by_bank["乙银行"]["to_return"] == 0
    assert receivables_by_scheme(scheme="TECH")["total"]["to_return"] == 0


@pytest.mark.django_db
def test_the_fund_screen_labels_net_exposure_and_returns_due(books, reviewer):
    page = client_for(reviewer).get(reverse("fund:overview")).content.decode()
    assert "应收余额" not in page
    assert "补偿净敞口（元）" in page and "待返还金额（元）" in page
    assert "并非银行欠款" in page


@pytest.mark.django_db
@pytest.mark.parametrize("who, status", [("reviewer", 200), ("approver", 200), ("auditor", 200),
                                         ("admin_user_", 200), ("officer_a", 403)])
def test_who_sees_the_fund_screen(request, who, status):
    response = client_for(request.getfixturevalue(who)).get(reverse("fund:overview"))
    assert response.status_code == status


@pytest.mark.django_db
def test_the_fund_screen_shows_balances_flows_and_chart(books, approver):
    client = client_for(approver)
    page = client.get(reverse("fund:overview")).content.decode()
    assert "¥641,234.56" in page  # 1,000,000 − 390,000 + 30,000 + 1,234.56
    assert "<svg" in page and "<rect" in page and "2026-11 流出 ¥390,000.00" in page
    assert "340,000.00" in page and "乙银行" in page
    assert 'href="/fund/"' in page and "资金" in page  # the navigation entry
    dated = client.get(reverse("fund:overview"), {"on": "2026-11-05"}).content.decode()
    assert "2026-11-05 日终余额" in dated and "¥760,000.00" in dated
    ranged = client.get(reverse("fund:overview"), {"date_from": "2026-11-01",
                                                   "date_to": "2026-11-30"}).content.decode()
    assert "期初余额" in ranged and "¥1,000,000.00" in ranged
    junk = client.get(reverse("fund:overview"), {"date_from": "nope", "scheme": "X"})
    assert junk.status_code == 200


@pytest.mark.django_db
def test_the_fund_screen_with_an_empty_ledger(reviewer):
    page = client_for(reviewer).get(reverse("fund:overview")).content.decode()
    assert "该区间没有台账分录" in page and "<rect" not in page


def _many_entries(n: int) -> None:
    banks = [BankFactory.create() for _ in range(max(n // 10, 2))]
    rows = [LedgerEntry(kind=K.CAPITAL, amount=Decimal("100000000.00"),
                        booked_on=date(2024, 1, 2), memo="拨入")]
    for i in range(n):
        bank = banks[i % len(banks)]
        day = date(2024 + i % 3, i % 12 + 1, 10)
        scheme = "MICRO" if i % 2 else "TECH"
        rows.append(LedgerEntry(kind=K.COMPENSATION, amount=Decimal("-1000.00"), booked_on=day,
                                bank=bank, scheme=scheme, memo="拨付"))
        rows.append(LedgerEntry(kind=K.RETURN, amount=Decimal("100.00"), booked_on=day,
                                bank=bank, scheme=scheme, memo="返还"))
        rows.append(LedgerEntry(kind=K.INTEREST, amount=Decimal("1.00"), booked_on=day,
                                memo="利息"))
    LedgerEntry.objects.bulk_create(rows)


@pytest.mark.django_db
def test_the_fund_screen_costs_the_same_queries_at_any_size(auditor):
    client = client_for(auditor)
    url = reverse("fund:overview")
    params = {"on": "2025-06-30", "date_from": "2024-03-01"}
    client.get(url, params)  # warm the session and caches
    _many_entries(4)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url, params).status_code == 200
    _many_entries(200)
    with CaptureQueriesContext(connection) as large:
        assert client.get(url, params).status_code == 200
    assert len(large) == len(small) <= 14, [q["sql"][:80] for q in large.captured_queries]


def test_the_chart_scales_to_a_round_top_line():
    assert _nice_ceiling(Decimal("7300.00")) == 10000
    assert _nice_ceiling(Decimal("100000000.00")) == 100000000
    assert _nice_ceiling(Decimal("150000.00")) == 200000
    months = [{"month": date(2026, m, 1), "inflow": Decimal(i), "outflow": Decimal("40000.00")}
              for m, i in ((1, "100000.00"), (2, "0.00"))]
    chart = month_chart(months)
    assert chart is not None
    tall = max(b["h"] for b in chart["bars"])
    assert [b["h"] for b in chart["bars"]] == [tall, tall * 4 // 10, tall * 4 // 10]
    assert chart["ticks"][-1]["text"] == "10"  # 100,000 yuan = 10 万元
    assert month_chart([{"month": date(2026, 1, 1), "inflow": Decimal("0.00"),
                         "outflow": Decimal("0.00")}]) is None


def test_a_month_that_dwarfs_the_others_is_drawn_cut():
    months = [{"month": date(2025, 7, 1), "inflow": Decimal("100000000.00"),
               "outflow": Decimal("0.00")},
              {"month": date(2025, 8, 1), "inflow": Decimal("30000.00"),
               "outflow": Decimal("40000.00")}]
    chart = month_chart(months)
    assert chart is not None and chart["is_cut"]
    capital_bar, interest, payments = chart["bars"]
    assert capital_bar["cut"] and capital_bar["text"] == "10,000"  # 万元
    assert chart["ticks"][-1]["text"] == "5"  # the scale follows the 40,000 of August
    assert not payments["cut"] and payments["h"] == capital_bar["h"] * 4 // 5
    assert interest["h"] == capital_bar["h"] * 3 // 5
