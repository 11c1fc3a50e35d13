"""Stage two: the loans the banks file, quarter by quarter, and which of them turn
non-performing (the plan the claims follow)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from functools import partial
from typing import Any

from django.core.management.base import CommandError

from loans.models import LoanFiling
from loans.services import FilingRequest, classification_report, filings_commit
from riskcomp.choices import (
    Classification,
    EnterpriseKind,
    LoanType,
    Scheme,
)
from riskcomp.policy.deadlines import (
    add_months,
    filing_deadline,
    next_quarter_start,
)
from riskcomp.policy.types import Scheme as PolicyScheme

from .base import Candidate, ClaimPlan, DemoEnterprise, FilingBatch, LoaderBase
from .specs import (
    AMOUNTS_WAN,
    BANKS,
    CAPACITY,
    CLAIM_PLAN,
    CROSSING_BASE_PERCENT,
    CROSSING_MARGIN,
    CROSSING_STATUSES,
    GUARANTORS,
    LAST_REPORTED_QUARTER_END,
    NPL_WINDOWS,
    QUARTERS,
    SUSPENDED_BANK,
    UNCLAIMED_NPL,
    WAN,
    S,
    _at,
    _money,
    _quarter_ends,
)


class Filings(LoaderBase):
    def draw_filings(self) -> None:
        """The loans each bank asks to file, in batches by filing day (``self.batches``)."""
        rng = self.rng
        # The borrower's loans as its credit report shows them: (bank, drawdown, maturity, CNY).
        debts: dict[str, list[tuple[str, date, date, Decimal]]] = defaultdict(list)
        ious: Counter[str] = Counter()
        batches: dict[tuple[date, str], list[Candidate]] = defaultdict(list)
        pools = {spec.code: [r for r in self.enterprises if spec.code in r.banks]
                 for spec in BANKS}
        loans: Counter[str] = Counter()

        def pick(bank_code: str) -> DemoEnterprise:
            # Borrowers the rules will refuse (outside the BDA) ask less often,
            # and the loans spread over the bank's customers.
            pool = pools[bank_code]
            weights = [(1.0 if r.obj.is_in_bda else 0.25)
                       / (1 + loans[r.obj.credit_code]) for r in pool]
            chosen = rng.choices(pool, weights=weights)[0]
            loans[chosen.obj.credit_code] += 1
            return chosen

        order = 0
        for year, q in QUARTERS:
            start = date(year, 3 * q - 2, 1)
            end = next_quarter_start(start) - timedelta(days=1)
            workdays = [start + timedelta(days=n) for n in range((end - start).days + 1)
                        if self.cal.is_workday(start + timedelta(days=n))]
            candidates: list[Candidate] = []
            for spec in BANKS:
                batch_days = sorted(self.cal.nth_workday_from(next_quarter_start(start), n)
                                    for n in rng.sample(range(3, 14), 2))
                for _ in range(spec.per_quarter):
                    order += 1
                    cand = Candidate(bank=spec, ent=pick(spec.code),
                                     drawdown=rng.choice(workdays), order=order,
                                     filed_on=rng.choice(batch_days))
                    candidates.append(cand)
            candidates.sort(key=lambda c: (c.drawdown, c.order))
            for cand in candidates:
                for _attempt in range(12):
                    if self._fill_request(cand, debts, ious):
                        batches[(cand.filed_on, cand.bank.code)].append(cand)
                        break
                    cand.ent = pick(cand.bank.code)  # this one is at its limits: ask another
        for (filed_on, bank_code), cands in sorted(batches.items()):
            cands.sort(key=lambda c: (c.drawdown, c.order))
            requests = [c.request for c in cands if c.request is not None]
            self.batches.append(FilingBatch(filed_on, bank_code, requests))

    def commit_filings(self, batch: FilingBatch, *, count: bool) -> list[LoanFiling]:
        """The bank files a batch on its filing day (``filings_commit`` judges every loan)."""
        filings, evaluations = filings_commit(
            bank=self.banks[batch.bank_code], requests=batch.requests,
            actor=self.officer(batch.bank_code), ctx=self.ctx, filing_date=batch.filed_on)
        if count:
            self.count_refusals(batch, evaluations)
        return filings

    def count_refusals(self, batch: FilingBatch, evaluations: Sequence[Any]) -> None:
        self.candidates += len(batch.requests)
        schemes = next(b.schemes for b in BANKS if b.code == batch.bank_code)
        for ev in evaluations:
            if not ev.accepted:
                self.refused_rows += 1
                codes = set(ev.codes)
                if ev.decision is not None:  # what each scheme the bank holds said
                    codes = {str(code) for scheme in schemes
                             for code in ev.decision.verdicts[PolicyScheme(scheme)].codes}
                self.refused.update(codes)

    def report_classification(self, when: datetime, *, iou: str, classification: str,
                              classified_on: date, note: str) -> None:
        filing = self.filed[iou]
        classification_report(filing=filing, classification=classification,
                              classified_on=classified_on, actor=self.officer(filing.bank.code),
                              note=note)

    def _fill_request(self, cand: Candidate, debts: dict[str, list[tuple[str, date, date,
                      Decimal]]], ious: Counter[str]) -> bool:
        rng = self.rng
        ent, spec, day = cand.ent, cand.bank, cand.drawdown
        e = ent.obj
        likely_tech = Scheme.TECH in spec.schemes and (ent.tech_fit or Scheme.MICRO not in
                                                        spec.schemes)
        if likely_tech:
            loan_type = rng.choices(
                (LoanType.CREDIT, LoanType.IP_PLEDGE, LoanType.RECEIVABLES_PLEDGE,
                 LoanType.RISK_SHARING),
                weights=(40, 20, 15, 25) if spec.code == "CMB-YZ" else (45, 20, 20, 15))[0]
            cap = Decimal("30000000")
        else:
            loan_type = rng.choices(
                (LoanType.CREDIT, LoanType.IP_PLEDGE, LoanType.RECEIVABLES_PLEDGE),
                weights=(50, 20, 30))[0]
            cap = Decimal("10000000")
        profile = "individual" if e.kind == EnterpriseKind.INDIVIDUAL else str(e.size)
        amount_cny = Decimal(rng.choice(AMOUNTS_WAN[profile])) * WAN
        if likely_tech and profile == "small" and rng.random() < 0.3:
            amount_cny = Decimal(rng.choice((1200, 1500, 2000))) * WAN
        bank_out = sum((a for b, d, m, a in debts[e.credit_code]
                        if b == spec.code and d <= day <= m), Decimal(0))
        if bank_out + amount_cny > cap and rng.random() < 0.92:
            room = ((cap - bank_out) / (10 * WAN)).to_integral_value(ROUND_DOWN) * 10 * WAN
            if room < 50 * WAN:
                return False  # the bank knows the cap and does not lend
            amount_cny = room
        owed = sum((a for _b, d, m, a in debts[e.credit_code] if d <= day <= m), Decimal(0))
        if owed + amount_cny > CAPACITY[profile]:
            return False  # more than a business of this size borrows
        currency, fx_rate, amount = "CNY", None, amount_cny
        if rng.random() < 0.04:
            currency = "USD"
            fx_rate = Decimal("7.1000") + Decimal(rng.randint(0, 250)) / 10000
            amount = (amount_cny / fx_rate / WAN).to_integral_value(ROUND_DOWN) * WAN
            amount = max(amount, Decimal(100000))
            amount_cny = _money(amount * fx_rate)
        amount = _money(amount)
        if rng.random() < 0.03:
            rate = Decimal(rng.randint(91, 96)) * Decimal("0.05")  # above LPR + 150 bp
        else:
            rate = Decimal(rng.randint(56, 88)) * Decimal("0.05")  # 2.80 % to 4.40 %
        months = rng.choices((12, 24, 36), weights=(55, 30, 15))[0]
        maturity = add_months(day, months)
        roll = rng.random()
        if roll < 0.015:
            report_date = day + timedelta(days=25)  # too late (CREDIT_REPORT_DATE)
        elif roll < 0.08:
            report_date = day + timedelta(days=rng.randint(1, 5))
        else:
            report_date = day - timedelta(days=rng.randint(1, 20))
        report_outstanding = ent.external_debt + sum(
            (a for _b, d, m, a in debts[e.credit_code] if d <= report_date <= m), Decimal(0))
        if report_date >= day:
            report_outstanding += amount_cny
        report_total = report_outstanding + (amount_cny if report_date < day else 0)
        qualified = any(q.valid_from <= day <= q.valid_to for q in ent.quals)
        report_cap = Decimal("50000000" if likely_tech or qualified else "30000000")
        if report_total > report_cap and rng.random() < 0.9:
            return False  # the credit report shows the enterprise is borrowed up
        share = None
        guarantor = ""
        if loan_type == LoanType.RISK_SHARING:
            share = Decimal(15 if rng.random() < 0.05 else rng.choice((20, 25, 30, 30, 40)))
            guarantor = rng.choice(GUARANTORS)
        first_loan = False
        if not ent.had_loan:
            ent.had_loan = True
            first_loan = rng.random() < 0.35
        other_cover = not likely_tech and rng.random() < 0.03
        if rng.random() < 0.3:
            # Filed through the form soon after drawdown rather than with the quarter's batch.
            deadline = filing_deadline(day, self.params(Scheme.TECH, day), self.cal)
            cand.filed_on = min(self.cal.add_workdays(day, rng.randint(2, 8)), deadline)
        ious[spec.code] += 1
        seq = ious[spec.code]
        branch = rng.choice(self.branches[spec.code])
        cand.request = FilingRequest(
            credit_code=e.credit_code, enterprise_name=e.name, kind=e.kind, size=e.size,
            in_bda=e.is_in_bda, micro_conduct_ok=e.is_micro_conduct_ok,
            tech_conduct_ok=e.is_tech_conduct_ok, tech_scope=e.is_tech_scope,
            iou_number=f"{spec.code}-JJ{day:%Y%m%d}-{seq:04d}",
            contract_number=f"{spec.code.split('-')[0]}{day:%Y}JK{seq:05d}",
            loan_type=str(loan_type), amount=amount, currency=currency, fx_rate=fx_rate,
            drawdown_date=day, maturity_date=maturity, rate_percent=rate,
            credit_report_outstanding=_money(report_outstanding), credit_report_date=report_date,
            other_cover=other_cover, first_loan=first_loan, bank_risk_share_percent=share,
            has_natural_person_guarantee=(loan_type != LoanType.RISK_SHARING
                                          and rng.random() < 0.3),
            guarantee_institution=guarantor, branch_id=branch.pk, qualifications=ent.quals)
        debts[e.credit_code].append((spec.code, day, maturity, amount_cny))
        return True

    # -- classification and claims plan --

    def plan_npl(self, filings: list[LoanFiling]) -> tuple[list[ClaimPlan], dict[int, date]]:
        rng = self.rng
        used: set[int] = set()
        plans: list[ClaimPlan] = []

        def feasible(bank_code: str, scheme: str, status: str | None) -> list[LoanFiling]:
            _lo, hi = NPL_WINDOWS[status]
            return [f for f in filings if f.bank.code == bank_code and f.scheme == scheme
                    and f.pk not in used and f.filed_on + timedelta(days=30) <= hi]

        def npl_date(f: LoanFiling, status: str | None) -> date:
            lo, hi = NPL_WINDOWS[status]
            lo = max(lo, f.filed_on + timedelta(days=30))
            return lo + timedelta(days=rng.randint(0, (hi - lo).days))

        def add(f: LoanFiling, status: str, factor: tuple[int, int]) -> ClaimPlan:
            used.add(f.pk)
            base = _money(f.amount_cny * Decimal(rng.randint(*factor)) / 100)
            plan = ClaimPlan(filing=f, status=status, npl_on=npl_date(f, status), base=base)
            plans.append(plan)
            return plan

        for bank_code, scheme, status, count in CLAIM_PLAN:
            for _ in range(count):
                pool = feasible(bank_code, scheme, status)
                if not pool:
                    raise CommandError(f"no loan fits a {status} claim at {bank_code}")
                if (bank_code, scheme) == SUSPENDED_BANK and status in CROSSING_STATUSES:
                    # MICRO Art. 8: this bank's payouts must pass the net threshold (checked
                    # below, once all of them are drawn).
                    pool.sort(key=lambda f: (-f.amount_cny, f.pk))
                    add(rng.choice(pool[:8]), status, CROSSING_BASE_PERCENT)
                elif scheme == Scheme.TECH and status in (S.PAID, S.CONFIRMED):
                    small = [f for f in pool if f.amount_cny <= 8_000_000] or pool
                    add(rng.choice(small), status, (70, 100))
                else:
                    add(rng.choice(pool), status, (70, 100))
        self._make_crossing_certain(plans, filings, feasible, add)
        # A paid TECH claim and a passed MICRO one went through a supplement request first.
        for wanted in ((S.PAID, Scheme.TECH), (S.PASSED, Scheme.MICRO)):
            next(p for p in plans if (p.status, p.filing.scheme) == wanted).with_supplement = True
        unclaimed: dict[int, date] = {}
        for bank_code, scheme, count in UNCLAIMED_NPL:
            for _ in range(count):
                pool = feasible(bank_code, scheme, None)
                if pool:
                    f = rng.choice(pool)
                    used.add(f.pk)
                    unclaimed[f.pk] = npl_date(f, None)
        return plans, unclaimed

    def _make_crossing_certain(
            self, plans: list[ClaimPlan], filings: list[LoanFiling],
            feasible: Callable[[str, str, str | None], list[LoanFiling]],
            add: Callable[[LoanFiling, str, tuple[int, int]], ClaimPlan]) -> None:
        """Whatever the draws, the suspended bank crosses both MICRO Art. 8 thresholds before
        its last planned payout, with room for what its recoveries return: its planned payouts
        without the largest pass ``CROSSING_MARGIN`` times the net threshold, and their bases
        the claimed share of all its filed principal. While they fall short, its smallest
        planned payout is moved to its largest loan not yet claimed."""
        bank_code, scheme = SUSPENDED_BANK

        def payouts() -> list[ClaimPlan]:
            return [p for p in plans if (p.filing.bank.code, p.filing.scheme) == SUSPENDED_BANK
                    and p.status in CROSSING_STATUSES]

        def compensation(plan: ClaimPlan) -> Decimal:
            return plan.base * plan.filing.ratio

        def short() -> bool:
            mine = payouts()
            params = self.params(scheme, max(p.npl_on for p in mine))
            net = sum(map(compensation, mine), Decimal(0)) - max(map(compensation, mine))
            if net <= params.suspend_net_compensation * CROSSING_MARGIN:
                return True
            if params.suspend_claim_ratio is None:
                return False
            # A written-off claim is closed: its base no longer counts as claimed.
            bases = [p.base for p in mine if p.status != S.WRITTEN_OFF]
            filed = sum((f.amount_cny for f in filings
                         if (f.bank.code, f.scheme) == SUSPENDED_BANK), Decimal(0))
            return sum(bases, Decimal(0)) - max(bases) <= filed * params.suspend_claim_ratio

        while short():
            smallest = min((p for p in payouts() if p.status == S.PAID), key=compensation)
            pool = [f for f in feasible(bank_code, scheme, smallest.status)
                    if f.amount_cny * f.ratio > compensation(smallest)]
            if not pool:
                raise CommandError(f"{bank_code} has no loans large enough to cross the "
                                   f"suspension thresholds")
            plans.remove(smallest)
            larger = max(pool, key=lambda f: (f.amount_cny * f.ratio, -f.pk))
            add(larger, smallest.status, CROSSING_BASE_PERCENT)

    def load_loan_history(self, filings: list[LoanFiling], plans: list[ClaimPlan],
                          unclaimed: dict[int, date]) -> None:
        """Quarter-end five-tier reports, special mentions, and the non-performing ones."""
        rng = self.rng
        npl = {p.filing.pk: p.npl_on for p in plans} | unclaimed
        normal_pool = [f for f in filings if f.pk not in npl
                       and f.drawdown_date <= date(2026, 6, 30)]
        special = {f.pk for f in rng.sample(normal_pool, min(25, len(normal_pool)))}
        tiers = (Classification.SUBSTANDARD, Classification.DOUBTFUL, Classification.LOSS)
        notes = {
            Classification.SPECIAL_MENTION: "借款人经营收入下降，本息偶有逾期",
            Classification.SUBSTANDARD: "本金或利息逾期超过90天",
            Classification.DOUBTFUL: "本金或利息逾期超过270天，已启动诉讼",
            Classification.LOSS: "借款人停业，预计可回收金额极少",
        }
        rows: list[tuple[date, LoanFiling, Classification, str]] = []
        for f in filings:
            npl_on = npl.get(f.pk)
            last = LAST_REPORTED_QUARTER_END if npl_on else min(LAST_REPORTED_QUARTER_END,
                                                                 f.maturity_date)
            ends = _quarter_ends(f.drawdown_date, last)
            sm_from = sm_to = None
            if f.pk in special and ends:
                sm_from = rng.choice(ends)
                sm_to = sm_from + timedelta(days=rng.choice((92, 183, 400)))
            tier = 0
            if npl_on:
                tier = rng.choices((0, 1, 2), weights=(70, 25, 5))[0]
                before = [d for d in ends if d < npl_on]
                if before and rng.random() < 0.6:
                    sm_from, sm_to = before[-1], npl_on
                rows.append((npl_on, f, tiers[tier], notes[tiers[tier]]))
            for end in ends:
                if npl_on and end >= npl_on:
                    if end == npl_on:
                        continue
                    if tier < 2 and rng.random() < 0.35:
                        tier += 1
                    cls = tiers[tier]
                elif sm_from and sm_to and sm_from <= end < sm_to:
                    cls = Classification.SPECIAL_MENTION
                else:
                    cls = Classification.NORMAL
                rows.append((end, f, cls, notes.get(cls, "")))
        for day, f, cls, note in rows:
            # Reported on the day, or with the filing when the quarter ended before it.
            self.at(_at(max(day, f.filed_on), 17), partial(
                self.report_classification, iou=f.iou_number, classification=cls,
                classified_on=day, note=note))
        self.counts["classifications"] = len(rows)
        self.counts["special_mention_loans"] = len(special)
        self.counts["npl_loans"] = len(npl)

