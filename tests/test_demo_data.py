"""``manage.py load_demo``: the demo data obeys the rules it demonstrates.

The data is loaded once for the module inside a transaction that is rolled back at the end, so
the other test modules still start from an empty database."""

from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal
from io import StringIO
from itertools import pairwise

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import Sum
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import SecurityEvent
from accounts.roles import GROUP_ROLES, Role, role_of
from banks.models import Bank, CooperationAgreement, SuspensionChange, SuspensionState
from claims.models import Claim, ClaimStatusChange, Confirmation, Payment, ReturnPayment, WriteOff
from claims.proposal.services import proposal_withdraw as withdraw
from demo.management.commands.load_demo import DEMO_PASSWORD, DEMO_TODAY, DEMO_USERS
from fund.models import LedgerEntry
from fund.selectors import fund_balance, policy_context
from jobs.models import Job
from loans.models import ClassificationReport, Enterprise, LoanFiling
from riskcomp.choices import NON_PERFORMING
from riskcomp.policy.compensation import compensation_amount, return_amount
from riskcomp.policy.credit_code import is_valid_credit_code
from riskcomp.policy.eligibility import EnterpriseFacts, LoanFacts, QualificationFacts, decide_loan
from riskcomp.policy.types import EnterpriseKind, EnterpriseSize, LoanType, QualificationType

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module", autouse=True)
def demo(django_db_setup, django_db_blocker, tmp_path_factory):  # type: ignore[no-untyped-def]
    media = tmp_path_factory.mktemp("demo-media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media), transaction.atomic():
        out = StringIO()
        call_command("load_demo", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


def _facts(snapshot: dict) -> tuple[EnterpriseFacts, LoanFacts]:
    ent, loan = snapshot["enterprise"], snapshot["loan"]

    def dec(value: str | None) -> Decimal | None:
        return None if value is None else Decimal(value)

    enterprise = EnterpriseFacts(
        credit_code=ent["credit_code"], kind=EnterpriseKind(ent["kind"]),
        size=EnterpriseSize(ent["size"]), in_bda=ent["in_bda"],
        qualifications=tuple(
            QualificationFacts(type=QualificationType(q["type"]),
                               valid_from=date.fromisoformat(q["valid_from"]),
                               valid_to=date.fromisoformat(q["valid_to"]))
            for q in ent["qualifications"]),
        micro_conduct_ok=ent["micro_conduct_ok"], tech_conduct_ok=ent["tech_conduct_ok"],
        tech_scope=ent["tech_scope"])
    facts = LoanFacts(
        loan_type=LoanType(loan["type"]), amount=Decimal(loan["amount"]),
        currency=loan["currency"], fx_rate=dec(loan["fx_rate"]),
        drawdown_date=date.fromisoformat(loan["drawdown_date"]),
        maturity_date=date.fromisoformat(loan["maturity_date"]),
        rate_percent=Decimal(loan["rate_percent"]),
        bank_outstanding_to_enterprise=Decimal(loan["bank_outstanding_to_enterprise"]),
        credit_report_outstanding=Decimal(loan["credit_report_outstanding"]),
        credit_report_date=date.fromisoformat(loan["credit_report_date"]),
        other_cover=loan["other_cover"], first_loan=loan["first_loan"],
        bank_risk_share_percent=dec(loan["bank_risk_share_percent"]))
    return enterprise, facts


def test_loader_prints_the_logins(demo):  # type: ignore[no-untyped-def]
    for user in DEMO_USERS:
        assert user.username in demo
    assert DEMO_PASSWORD in demo


def test_three_banks_one_with_both_schemes_one_micro_only_one_tech_only():
    schemes = defaultdict(set)
    for code, scheme in CooperationAgreement.objects.filter(
            status=CooperationAgreement.Status.ACTIVE,
            valid_from__lte=date(2025, 6, 30)).values_list("bank__code", "scheme"):
        schemes[code].add(scheme)
    assert Bank.objects.count() == 3
    assert sorted(sorted(s) for s in schemes.values()) == [["MICRO"], ["MICRO", "TECH"], ["TECH"]]
    for bank in Bank.objects.all():
        assert 2 <= bank.branches.count() <= 3


def test_enterprises_have_valid_credit_codes_and_a_realistic_mix():
    enterprises = list(Enterprise.objects.all())
    assert len(enterprises) >= 50
    assert all(is_valid_credit_code(e.credit_code) for e in enterprises)
    kinds = Counter(e.kind for e in enterprises)
    sizes = Counter(e.size for e in enterprises)
    assert kinds["company"] > kinds["individual"] > 0
    assert sizes["medium"] and sizes["small"] and sizes["micro"]
    assert any(not e.is_in_bda for e in enterprises)
    types = {t for e in enterprises for t in e.qualifications.values_list("type", flat=True)}
    assert len(types) == 5


def test_one_borrower_fails_only_micro_conduct_and_one_only_tech_conduct():
    # A major administrative penalty (MICRO Art. 5(2)); the abnormal-operations list (TECH Art. 2).
    attested = Counter(Enterprise.objects.values_list("is_micro_conduct_ok", "is_tech_conduct_ok"))
    assert attested[(False, True)] == 1
    assert attested[(True, False)] == 1
    assert attested[(False, False)] == 0
    # Each borrows under the scheme whose conditions it meets; its filings record the other's
    # CONDUCT refusal.
    abnormal = Enterprise.objects.get(is_tech_conduct_ok=False)
    penalised = Enterprise.objects.get(is_micro_conduct_ok=False)
    assert abnormal.filings.exists() and penalised.filings.exists()
    for filing in abnormal.filings.all():
        assert filing.scheme == "MICRO"
        assert "CONDUCT" in filing.snapshot["verdicts"]["TECH"]["reasons"]
    for filing in penalised.filings.all():
        assert filing.scheme == "TECH"
        assert "CONDUCT" in filing.snapshot["verdicts"]["MICRO"]["reasons"]


def test_every_filing_is_what_the_policy_engine_decides_on_its_snapshot():
    ctx = policy_context()
    agreements = list(CooperationAgreement.objects.filter(
        status=CooperationAgreement.Status.ACTIVE))
    filings = list(LoanFiling.objects.select_related("bank"))
    assert len(filings) >= 200
    quarters = {f.quarter for f in filings}
    assert quarters == {"2025Q3", "2025Q4", "2026Q1", "2026Q2", "2026Q3"}
    for f in filings:
        enterprise, loan = _facts(f.snapshot)
        schemes = [a.scheme for a in agreements
                   if a.bank_id == f.bank_id and a.valid_from <= f.drawdown_date <= a.valid_to]
        decision = decide_loan(bank_schemes=schemes, enterprise=enterprise, loan=loan,
                               params_all=ctx.params, lpr=ctx.lpr, cal=ctx.calendar,
                               filing_date=f.filed_on)
        assert decision.scheme == f.scheme == f.snapshot["scheme"], f.iou_number
        assert decision.ratio == f.ratio == Decimal(f.snapshot["ratio"]), f.iou_number
        assert decision.verdicts[decision.scheme].version == f.policy_version
        assert decision.cny_amount == f.amount_cny
        assert decision.filing_on_time is True, f.iou_number
        assert set(f.snapshot["verdicts"]) == {"MICRO", "TECH"}
        assert f.filed_on <= date(2026, 10, 31)
        cap = Decimal("30000000") if f.scheme == "TECH" else Decimal("10000000")
        assert Decimal("100000") <= f.amount_cny <= cap


def test_bank_outstanding_counts_the_banks_earlier_filings_still_outstanding():
    earlier = defaultdict(list)
    for f in LoanFiling.objects.order_by("pk"):
        key = (f.bank_id, f.enterprise_id)
        expected = sum((g.amount_cny for g in earlier[key]
                        if g.drawdown_date <= f.drawdown_date <= g.maturity_date), Decimal("0"))
        assert f.bank_outstanding_to_enterprise == expected, f.iou_number
        earlier[key].append(f)
    assert LoanFiling.objects.filter(bank_outstanding_to_enterprise__gt=0).exists()


def test_non_performing_loans_were_classified_after_their_filing():
    npl = ClassificationReport.objects.filter(classification__in=NON_PERFORMING)
    first_npl = {}
    for report in npl.select_related("filing").order_by("classified_on"):
        first_npl.setdefault(report.filing_id, report)
    assert 30 <= len(first_npl) <= 40
    for report in first_npl.values():
        assert report.filing.filed_on < report.classified_on <= DEMO_TODAY
    assert ClassificationReport.objects.filter(classification="special_mention").exists()


def test_claims_in_every_status_with_a_consistent_history():
    claims = list(Claim.objects.select_related("filing"))
    assert set(Claim.Status.values) <= {c.status for c in claims}
    for claim in claims:
        assert claim.number[:4] in ("小微补偿", "科创补偿")
        assert claim.number[4:10] in ("-2025-", "-2026-")
        assert claim.compensation == compensation_amount(claim.base, claim.ratio)
        assert claim.ratio == claim.filing.ratio and claim.scheme == claim.filing.scheme
        assert claim.base <= claim.filing.amount_cny
        assert claim.classification_date > claim.filing.filed_on
        assert claim.submitted_at.date() <= claim.deadline
        history = list(claim.status_changes.order_by("changed_at", "id"))
        assert history[0].from_status == "" and history[0].to_status == Claim.Status.SUBMITTED
        for before, after in pairwise(history):
            assert after.from_status == before.to_status
            assert after.to_status in Claim.TRANSITIONS[before.to_status]
            assert before.changed_at <= after.changed_at
        assert history[-1].to_status == claim.status
        assert history[-1].changed_at.date() <= DEMO_TODAY
    decided = Claim.objects.exclude(status__in=["submitted", "supplement"])
    assert all(c.reviews.exists() for c in decided)
    assert all(c.supplements.filter(answered_at__isnull=True).exists()
               for c in Claim.objects.filter(status="supplement"))
    assert all(c.proposal and c.proposal.status == "submitted"
               for c in Claim.objects.filter(status="proposed"))
    assert all(c.proposal and c.proposal.status == "decided" and c.confirmation.document
               for c in Claim.objects.filter(status__in=["confirmed", "paid", "written_off"]))
    assert Confirmation.objects.filter(decision="rejected").count() == Claim.objects.filter(
        status="bureau_rejected").count()


def test_every_paid_claim_has_one_payment_and_one_compensation_entry():
    paid = Claim.objects.filter(status__in=["paid", "written_off"])
    assert paid.exists()
    for claim in paid:
        payment = Payment.objects.get(claim=claim)
        assert payment.amount == claim.compensation
        entries = LedgerEntry.objects.filter(claim=claim, kind="compensation")
        assert entries.count() == 1
        assert entries.get().amount == -payment.amount
        assert entries.get().payment_id == payment.pk
    assert not Payment.objects.exclude(claim__status__in=["paid", "written_off"]).exists()


def test_returns_follow_the_ratio_and_the_write_off_books_the_net_loss():
    for back in ReturnPayment.objects.select_related("recovery__claim"):
        assert back.amount == back.recovery.return_amount
        assert LedgerEntry.objects.get(return_payment=back).amount == back.amount
    for claim in Claim.objects.filter(recoveries__isnull=False).distinct():
        returned = Decimal("0.00")
        for recovery in claim.recoveries.order_by("recovered_on", "id"):
            assert recovery.return_amount == return_amount(
                recovered=recovery.amount, ratio=claim.ratio, paid=claim.payment.amount,
                returned_before=returned)
            assert recovery.notified_on >= recovery.recovered_on
            returned += recovery.return_amount
    assert Claim.objects.filter(recoveries__return_payment__isnull=True).exists()  # pending
    write_off = WriteOff.objects.get()
    claim = write_off.claim
    back = ReturnPayment.objects.filter(recovery__claim=claim).aggregate(s=Sum("amount"))["s"]
    assert write_off.status == "confirmed" and claim.status == "written_off"
    assert write_off.amount == claim.payment.amount - (back or 0)
    entry = LedgerEntry.objects.get(write_off=write_off)
    assert entry.kind == "write_off" and entry.amount == 0 and entry.loss_amount == write_off.amount


def test_fund_balance_is_positive_and_holds_capital_interest_and_the_2025_fee():
    assert fund_balance() > 0
    kinds = Counter(LedgerEntry.objects.values_list("kind", flat=True))
    assert kinds["capital"] == 1 and kinds["interest"] >= 3 and kinds["management_fee"] == 1
    fee = LedgerEntry.objects.get(kind="management_fee")
    assert fee.fee_year == 2025 and fee.amount == Decimal("-800000.00")
    running = Decimal("0")
    for amount in LedgerEntry.objects.order_by("booked_on", "id").values_list("amount", flat=True):
        running += amount
        assert running > 0


def test_exactly_one_bank_is_suspended_in_exactly_one_scheme():
    suspended = [s for s in SuspensionState.objects.select_related("bank") if s.is_suspended]
    assert len(suspended) == 1
    state = suspended[0]
    assert state.scheme == "MICRO"
    assert set(state.bank.agreements.values_list("scheme", flat=True)) == {"MICRO"}
    assert state.net_compensation > Decimal("5000000")
    assert state.claimed_principal > state.filed_principal * Decimal("0.03")
    assert SuspensionChange.objects.filter(bank=state.bank, is_suspended=True).count() == 1


def test_one_demo_user_per_role_with_a_chinese_name():
    users = get_user_model().objects.filter(username__in=[u.username for u in DEMO_USERS])
    roles = Counter(role_of(u) for u in users)
    assert set(roles) == set(Role)
    for role in GROUP_ROLES:
        assert get_user_model().objects.filter(groups__name=role.value).exists()
    for user in users:
        assert user.first_name and user.last_name
        assert user.check_password(DEMO_PASSWORD)
    officer = users.get(username="bank_officer")
    both = Bank.objects.get(code="BOB-BDA")
    assert officer.has_perm("banks.act_for_bank", both)
    assert not officer.has_perm("banks.act_for_bank", Bank.objects.get(code="ICBC-BDA"))


def test_running_the_command_twice_creates_nothing_new():
    models = (Bank, Enterprise, LoanFiling, ClassificationReport, Claim, ClaimStatusChange,
              LedgerEntry, get_user_model())
    before = [m.objects.count() for m in models]
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert [m.objects.count() for m in models] == before
    assert "bank_officer" in out.getvalue()


def test_reset_loads_the_same_data_again_for_the_same_seed():
    def fingerprint() -> list[tuple]:
        return [
            *LoanFiling.objects.order_by("iou_number").values_list(
                "iou_number", "enterprise__credit_code", "amount_cny", "scheme", "ratio"),
            *Claim.objects.order_by("number").values_list("number", "status", "compensation"),
        ]

    before = fingerprint()
    if connection.vendor != "sqlite":
        # The ledger's trigger forbids deletes on PostgreSQL: --reset refuses and keeps all.
        with pytest.raises(CommandError, match="SQLite"):
            call_command("load_demo", "--reset", stdout=StringIO())
    else:
        # What demo users do between two resets: log in, take a claim out of a proposal.
        Client().post(reverse("login"), {"username": "reviewer", "password": DEMO_PASSWORD})
        reviewer = get_user_model().objects.get(username="reviewer")
        proposed = Claim.objects.filter(status=Claim.Status.PROPOSED).first()
        withdraw(claim=proposed, reason="演示", actor=reviewer)
        assert SecurityEvent.objects.filter(user=reviewer).exists()
        # The report requests' background jobs, whose actor (a demo user) is protected.
        assert Job.objects.filter(actor=reviewer).exists()
        call_command("load_demo", "--reset", stdout=StringIO())
    assert fingerprint() == before
    assert len(SuspensionState.objects.filter(is_auto_suspended=True)) == 1


def test_the_half_year_reports_are_requested_and_render(demo, tmp_path, settings):
    """Auditors of the demo have reports to read: the half-years the loans span, requested as
    the reviewer; rendered once the request commits (here the test's transaction never does, so
    the task runs by hand)."""
    from reports.models import ReportFile
    from reports.tasks import generate_report

    reports = list(ReportFile.objects.order_by("period"))
    assert [(r.kind, r.period, r.generated_by.username) for r in reports] == [
        ("semiannual", "2025H2", "reviewer"), ("semiannual", "2026H1", "reviewer")]
    assert "2025H2 v1" in demo and "2026H1 v1" in demo
    # Requested on the demo's clock five days after each half-year ended: the stamp is then.
    assert [(r.parameters["as_of"][:10], timezone.localtime(r.created_at).date())
            for r in reports] == [("2026-01-05", date(2026, 1, 5)),
                                  ("2026-07-05", date(2026, 7, 5))]
    settings.MEDIA_ROOT = tmp_path
    generate_report(reports[1].pk)
    reports[1].refresh_from_db()
    assert reports[1].status == ReportFile.Status.DONE and reports[1].is_current
    assert reports[1].file.read(5) == b"%PDF-"


def test_demo_notifications_carry_their_business_date():
    """Each notice is dated by the step that sent it (the demo's business clock), not by the
    day the demo was loaded."""
    from notifications.models import Notification

    days = {timezone.localtime(n.created_at).date()
            for n in Notification.objects.only("created_at")}
    assert days and max(days) <= DEMO_TODAY
    assert len(days) > 10  # spread over the demo's year, not one loading day
