"""The loader's shared state and the small utilities every stage uses."""

from __future__ import annotations

import heapq
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import CommandError

from banks.models import Bank, Branch
from claims.models import Claim
from claims.services import suspension_recompute
from fund.selectors import policy_context
from loans.models import Enterprise, LoanFiling
from loans.services import FilingRequest, QualificationInput
from riskcomp.choices import EnterpriseKind
from riskcomp.policy.context import PolicyContext
from riskcomp.policy.enterprise_size import Industry
from riskcomp.policy.params import SchemeParams, choose_version
from riskcomp.policy.types import Scheme as PolicyScheme

from .clock import business_clock
from .documents import pdf_upload
from .specs import DEMO_TODAY, DEMO_USERS, BankSpec, _at


@dataclass
class DemoEnterprise:
    obj: Enterprise
    industry: Industry
    quals: tuple[QualificationInput, ...]
    external_debt: Decimal  # loans from outside the demo banks, as a credit report shows them
    banks: list[str] = field(default_factory=list)
    had_loan: bool = False

    @property
    def tech_fit(self) -> bool:
        e = self.obj
        return (e.kind == EnterpriseKind.COMPANY and e.size in ("medium", "small")
                and e.is_tech_scope and e.is_in_bda and e.is_tech_conduct_ok)


@dataclass
class Candidate:
    bank: BankSpec
    ent: DemoEnterprise
    drawdown: date
    order: int
    filed_on: date
    request: FilingRequest | None = None


@dataclass(frozen=True)
class FilingBatch:
    filed_on: date
    bank_code: str
    requests: list[FilingRequest]


@dataclass
class ClaimPlan:
    filing: LoanFiling
    status: str
    npl_on: date
    base: Decimal
    with_supplement: bool = False
    times: dict[str, datetime] = field(default_factory=dict)
    claim: Claim | None = None  # once the bank has claimed



class LoaderBase:
    """State shared by the stages (``Parties``, ``Filings``, ``Lifecycle``)."""

    def __init__(self, seed: int, log: Any) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not security
        self.log = log
        self.ctx: PolicyContext = policy_context()
        self.cal = self.ctx.calendar
        self.users: dict[str, Any] = {}
        self.banks: dict[str, Bank] = {}
        self.branches: dict[str, list[Branch]] = {}
        self.enterprises: list[DemoEnterprise] = []
        self.refused: Counter[str] = Counter()
        self.candidates = 0
        self.refused_rows = 0
        self.balance = Decimal("0.00")
        self.counts: Counter[str] = Counter()
        self.stalled: Counter[str] = Counter()
        self.batches: list[FilingBatch] = []
        self.filed: dict[str, LoanFiling] = {}  # by IOU number, as filed on the timeline
        self._events: list[tuple[datetime, int, Callable[[datetime], object], bool]] = []
        self._seq = 0

    # -- small utilities --

    def params(self, scheme: str, on: date) -> SchemeParams:
        found = choose_version(self.ctx.params, PolicyScheme(scheme), on)
        if found is None or not found.in_force:
            raise CommandError(f"no policy version of {scheme} on {on}; run migrate first")
        return found.params

    def workday_on_or_after(self, day: date) -> date:
        while not self.cal.is_workday(day):
            day += timedelta(days=1)
        return day

    def workday_on_or_before(self, day: date) -> date:
        while not self.cal.is_workday(day):
            day -= timedelta(days=1)
        return day

    def stamp(self, day: date, start_hour: int = 9, end_hour: int = 17) -> datetime:
        return _at(day, self.rng.randint(start_hour, end_hour - 1), self.rng.randrange(0, 60, 5))

    def upload(self, name: str, title: str, lines: Sequence[str]) -> SimpleUploadedFile:
        """A scanned document as the browser sends it: a PDF file under its name."""
        self.counts["files"] += 1
        return pdf_upload(name, title, lines)

    def officer(self, bank_code: str) -> Any:
        return next(self.users[u.username] for u in DEMO_USERS if u.bank_code == bank_code)

    @property
    def reviewer(self) -> Any:
        return self.users["reviewer"]

    @property
    def approver(self) -> Any:
        return self.users["approver"]

    # -- the business calendar --

    def at(self, when: datetime, step: Callable[[datetime], object], *,
           moves_money: bool = False) -> None:
        """Schedule ``step`` for ``when``. ``moves_money``: the step can change a bank's
        suspension figures (claimed principal, payouts, returns), so the suspension is
        recomputed right after it, as the portal does after each payout and return."""
        if when.date() > DEMO_TODAY:
            return
        self._seq += 1
        heapq.heappush(self._events, (when, self._seq, step, moves_money))

    def run_timeline(self) -> None:
        """Run every scheduled step in business order, each with the portal's clock at its
        moment, so that the services judge it on that date (deadlines, suspension, "not in the
        future"), and steps may schedule later ones."""
        while self._events:
            when, _seq, step, moves_money = heapq.heappop(self._events)
            with business_clock(when):
                step(when)
                if moves_money:
                    suspension_recompute(actor=None, now=when)

