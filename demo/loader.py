"""The demo loader: the stages in order, then the state of the loans on the demo's today."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import partial

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.models import ProtectedError, Sum

from banks.models import Bank, Branch, CooperationAgreement, SuspensionChange, SuspensionState
from claims.models import (
    Claim,
    Confirmation,
    Payment,
    Proposal,
    Recovery,
    RecoveryStatement,
    ReturnPayment,
    SpotCheck,
    SpotCheckItem,
    WriteOff,
)
from claims.services import suspension_recompute
from fund.models import LedgerEntry
from loans.models import ClassificationReport, Enterprise, ImportBatch, LoanFiling, Qualification
from riskcomp.choices import Scheme

from .base import FilingBatch
from .clock import business_clock
from .filings import Filings
from .lifecycle import Lifecycle
from .parties import Parties
from .specs import DEMO_TODAY, DEMO_USERNAMES, OPEN_CLAIM_STATUSES, S, _at, _money


class DemoLoader(Parties, Filings, Lifecycle):
    def run(self) -> None:
        self.load_users()
        self.load_banks()
        self.load_enterprises()
        self.draw_filings()
        # Which loans the rules accept decides which can turn non-performing and be claimed:
        # the batches are filed once to see, the plan is drawn, and the filing is undone; the
        # timeline then files them again on their days, between the claims of the time, so
        # that every suspension figure counts only what was filed by then.
        savepoint = transaction.savepoint()
        for batch in self.batches:
            with business_clock(_at(batch.filed_on, 10)):
                self.commit_filings(batch, count=False)
        filings = list(LoanFiling.objects.select_related("bank", "enterprise").order_by("pk"))
        plans, unclaimed = self.plan_npl(filings)
        self.load_loan_history(filings, plans, unclaimed)
        npl_ious = ({p.filing.iou_number for p in plans}
                    | {f.iou_number for f in filings if f.pk in unclaimed})
        transaction.savepoint_rollback(savepoint)

        for batch in self.batches:
            self.at(_at(batch.filed_on, 10), partial(self.file_batch, batch))
        self.schedule_fund()
        self.schedule_claims(plans)
        self.schedule_spot_check()
        self.run_timeline()
        self.finish_filings(npl_ious)
        suspended = list(SuspensionState.objects.filter(is_auto_suspended=True)
                         .values_list("bank__code", "scheme"))
        if suspended != [("ICBC-BDA", Scheme.MICRO)]:
            raise CommandError(f"demo design failed for this seed: suspended {suspended}")

    def file_batch(self, batch: FilingBatch, when: datetime) -> None:
        for filing in self.commit_filings(batch, count=True):
            self.filed[filing.iou_number] = filing
        # New filings only lower a bank's claimed share, so they can resume a suspended bank
        # (MICRO Art. 8) and never suspend one: recomputed when some bank is suspended.
        if SuspensionState.objects.filter(is_auto_suspended=True).exists():
            suspension_recompute(actor=None, now=when)

    def finish_filings(self, npl_ious: set[str]) -> None:
        """Outstanding principal and status as on DEMO_TODAY (the amount cap was judged at
        filing time on the full principal of the earlier filings)."""
        rng = self.rng
        filings = list(LoanFiling.objects.order_by("pk"))
        last_claim = {c.filing_id: c for c in Claim.objects.order_by("submitted_at", "pk")}
        recovered = dict(Recovery.objects.order_by().values_list("claim__filing_id")
                         .annotate(s=Sum("amount")))
        for f in filings:
            claim = last_claim.get(f.pk)
            if claim is not None:
                if claim.status == S.WRITTEN_OFF:
                    f.status, f.outstanding_principal = LoanFiling.Status.CLOSED, Decimal("0.00")
                    continue
                f.outstanding_principal = max(Decimal("0.00"),
                                              claim.base - recovered.get(f.pk, Decimal(0)))
                f.status = (LoanFiling.Status.CLAIMED if claim.status in OPEN_CLAIM_STATUSES
                            else LoanFiling.Status.ACTIVE)
            elif f.iou_number in npl_ious:  # non-performing, not (or not yet) claimed
                f.outstanding_principal = _money(f.amount_cny * Decimal(rng.randint(70, 100))
                                                 / 100)
                f.status = LoanFiling.Status.ACTIVE
            elif f.maturity_date < DEMO_TODAY:
                f.status, f.outstanding_principal = LoanFiling.Status.SETTLED, Decimal("0.00")
            elif rng.random() < 0.3:  # repaid by instalments, 10% a quarter
                quarters = (DEMO_TODAY - f.drawdown_date).days // 91
                share = max(Decimal("0.1"), 1 - Decimal("0.1") * quarters)
                f.outstanding_principal = _money(f.amount_cny * share)
        LoanFiling.objects.bulk_update(filings, ["outstanding_principal", "status"],
                                       batch_size=500)




def wipe_demo() -> None:
    """Delete the business data and the demo users (SQLite only: the ledger refuses deletes
    through the ORM, and on PostgreSQL through a trigger). Policy versions, LPR, calendar and
    fund sizes are reference data and stay."""
    if connection.vendor != "sqlite":
        raise CommandError(
            "--reset 仅支持 SQLite；PostgreSQL 的资金台账由触发器保护，请删除并重建数据库后重新 "
            "migrate / --reset works on SQLite only; on PostgreSQL drop and recreate the "
            "database, run migrate, then load_demo.")
    from accounts.models import SecurityEvent, TotpEnrolmentCode
    from claims.models import ProposalWithdrawal
    from jobs.models import Job
    from reports.models import ReportFile

    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {LedgerEntry._meta.db_table}")  # noqa: S608 - fixed name
    # The demo users' logins go with them (a real user is deactivated, never deleted).
    SecurityEvent.objects.filter(user__username__in=DEMO_USERNAMES).delete()
    TotpEnrolmentCode.objects.filter(issued_by__username__in=DEMO_USERNAMES).delete()
    # The background jobs of the import batches and reports deleted below (their actor is a
    # demo user, protected).
    Job.objects.all().delete()
    for model in (ProposalWithdrawal, SpotCheckItem, SpotCheck, RecoveryStatement, WriteOff,
                  ReturnPayment, Recovery,
                  Payment, Confirmation, Claim, Proposal, ClassificationReport, LoanFiling,
                  ImportBatch, Qualification, Enterprise, SuspensionChange, SuspensionState,
                  CooperationAgreement, Branch, Bank, ReportFile):
        model._default_manager.all().delete()
    try:
        get_user_model().objects.filter(username__in=DEMO_USERNAMES).delete()
    except ProtectedError as exc:
        raise CommandError(
            "演示用户仍被其他记录引用，请删除 var/db.sqlite3 后重新 migrate / demo users are still "
            "referenced; remove var/db.sqlite3 and migrate again.") from exc


