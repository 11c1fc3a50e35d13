"""Stage three: the life of the demo's claims and of the fund's money, step by step on the
business calendar, each step through the service a user's click calls (claims.services,
fund.services, loans.services) with the portal's clock at that step's moment.

A step the rules refuse on its day is not forced: the claim stays where it is, as it would in
the portal. That is how the bank that crosses the suspension thresholds ends up with claims
waiting (passed, proposed or confirmed) instead of payouts the rules forbid."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial

from django.core.exceptions import ValidationError

from banks.selectors import suspension_of
from claims.filing.services import REQUIRED_DOCUMENTS, claim_resubmit, claim_submit
from claims.models import Claim, Recovery, SpotCheckItem, WriteOff
from claims.payment.services import claim_pay, recovery_report, return_receive, return_record
from claims.proposal.services import claim_bureau_reject, claim_confirm, proposal_create
from claims.review.services import claim_request_supplement, claim_review_pass, claim_review_reject
from claims.spotcheck.services import spot_check_draw, spot_check_record
from claims.writeoff.services import writeoff_apply, writeoff_confirm, writeoff_forward
from fund.selectors import fund_balance
from fund.services import (
    ledger_capital_receive,
    ledger_interest_record,
    ledger_management_fee_post,
)
from riskcomp.choices import ReasonCode, Scheme
from riskcomp.labels import quarter_label
from riskcomp.policy.deadlines import add_months, next_quarter_start, quarter_code
from riskcomp.policy.reasons import PolicyError, Refusal

from .base import ClaimPlan, LoaderBase
from .specs import (
    CAPITAL,
    DEMO_TODAY,
    DEPOSIT_RATE,
    FEN,
    SUSPENDED_BANK,
    S,
    _at,
    _money,
)

REFUSED = (Refusal, PolicyError, ValidationError)
STEPS = ("submitted", "supplement_requested", "supplement_answered", "reviewed", "proposed",
         "decided", "paid")


class Lifecycle(LoaderBase):
    def _timeline(self, plan: ClaimPlan) -> None:
        """The dates of the claim's steps, each after the one before and before DEMO_TODAY."""
        rng = self.rng
        t = plan.times
        submitted = self.workday_on_or_after(plan.npl_on + timedelta(days=rng.randint(6, 14)))
        t["submitted"] = self.stamp(submitted)
        last = submitted
        if plan.status == S.SUPPLEMENT_REQUESTED or plan.with_supplement:
            asked = self.cal.add_workdays(submitted, rng.randint(4, 6))
            t["supplement_requested"] = self.stamp(asked)
            if plan.status != S.SUPPLEMENT_REQUESTED:
                last = self.cal.add_workdays(asked, rng.randint(3, 5))
                t["supplement_answered"] = self.stamp(last)
        if plan.status in (S.SUBMITTED, S.SUPPLEMENT_REQUESTED):
            return
        if plan.status == S.PASSED:
            reviewed = self.workday_on_or_after(date(2026, 11, rng.randint(17, 20)))
        else:
            reviewed = self.cal.add_workdays(last, rng.randint(6, 10))
        t["reviewed"] = self.stamp(reviewed)
        if plan.status in (S.PASSED, S.REJECTED):
            return
        if plan.status == S.PROPOSED:
            t["proposed"] = _at(date(2026, 11, 16), 15)
            return
        proposed = self.cal.nth_workday_from(next_quarter_start(reviewed), 6)
        t["proposed"] = _at(proposed, 15)
        if plan.status == S.CONFIRMED:
            decided = self.workday_on_or_before(DEMO_TODAY - timedelta(days=rng.randint(3, 5)))
        elif plan.status == S.WRITTEN_OFF:  # decided first in its proposal, paid first
            decided = self.cal.add_workdays(proposed, 8)
        else:
            decided = self.cal.add_workdays(proposed, rng.randint(10, 15))
        t["decided"] = self.stamp(decided)
        if plan.status in (S.CONFIRMED, S.BUREAU_REJECTED):
            return
        t["paid"] = self.stamp(self.cal.add_workdays(decided, rng.randint(3, 6)))

    # -- claims --

    def schedule_claims(self, plans: list[ClaimPlan]) -> None:
        for plan in plans:
            self._timeline(plan)
        plans.sort(key=lambda p: (p.times["submitted"], p.filing.iou_number))
        self.proposals: dict[tuple[str, str, datetime], list[ClaimPlan]] = defaultdict(list)
        self.recovering: set[str] = set()  # banks with a recovery on a paid claim
        self.pending_bank: str | None = None
        for plan in plans:
            self.at(plan.times["submitted"], partial(self.claim_step, plan, "submitted"),
                    moves_money=True)

    def _stall(self, plan: ClaimPlan, step: str, exc: Exception) -> None:
        """The rules refused the step on its day: the claim waits where it is."""
        if isinstance(exc, ValidationError):
            codes = [exc.error_list[0].code or step] if hasattr(exc, "error_list") else [step]
        else:
            codes = getattr(exc, "codes", None) or [getattr(exc, "code", None) or step]
        self.stalled[f"{step}:{','.join(str(c) for c in codes)}"] += 1

    def _next(self, plan: ClaimPlan, step: str) -> None:
        """Schedule the claim's next planned step after ``step``."""
        later = [s for s in STEPS[STEPS.index(step) + 1:] if s in plan.times]
        if not later:
            return
        nxt = later[0]
        when = plan.times[nxt]
        if nxt == "proposed":
            assert plan.claim is not None  # noqa: S101 - reviewed claims exist
            period = "2026Q4" if plan.status == S.PROPOSED else quarter_code(
                plan.times["reviewed"].date())
            key = (str(plan.claim.scheme), period, when)
            if key not in self.proposals:
                self.at(when, partial(self.propose, key), moves_money=True)
            self.proposals[key].append(plan)
            return
        self.at(when, partial(self.claim_step, plan, nxt), moves_money=True)

    def claim_step(self, plan: ClaimPlan, step: str, when: datetime) -> None:
        try:
            getattr(self, f"_{step}")(plan, when)
        except REFUSED as exc:
            self._stall(plan, step, exc)
            return
        self._next(plan, step)

    def _submitted(self, plan: ClaimPlan, when: datetime) -> None:
        filing = self.filed[plan.filing.iou_number]
        officer = self.officer(filing.bank.code)
        documents = {kind: self.upload(
            f"{filing.iou_number}-{kind}.pdf", f"{filing.bank.code} - claim",
            [f"Document: {kind}", f"IOU: {filing.iou_number}",
             f"Outstanding principal: CNY {plan.base:,}"]) for kind in REQUIRED_DOCUMENTS}
        plan.claim = claim_submit(filing=filing, base=plan.base, documents=documents,
                                  actor=officer, now=when, ctx=self.ctx)

    def _supplement_requested(self, plan: ClaimPlan, when: datetime) -> None:
        assert plan.claim is not None  # noqa: S101
        message = ("请补充借款人近三个月的催收记录及显示五级分类的最新征信报告"
                   if plan.claim.scheme == Scheme.MICRO else
                   "请补充放款时企业属于财金〔2024〕60号支持范围的证明材料（科创方案第十五条）")
        claim_request_supplement(claim=plan.claim, message=message, actor=self.reviewer,
                                 now=when)

    def _supplement_answered(self, plan: ClaimPlan, when: datetime) -> None:
        assert plan.claim is not None  # noqa: S101
        claim = plan.claim
        claim_resubmit(claim=claim, answer="已按要求补充上传相关材料，请审核。", documents=[
            self.upload(f"{claim.number}-supplement.pdf", f"{claim.bank.code} - supplement",
                        [f"Claim: {claim.number}", f"IOU: {plan.filing.iou_number}"])],
                       actor=self.officer(claim.bank.code), now=when)

    def _reviewed(self, plan: ClaimPlan, when: datetime) -> None:
        assert plan.claim is not None  # noqa: S101
        claim = plan.claim
        if plan.status == S.REJECTED:
            if claim.scheme == Scheme.TECH:
                code = ReasonCode.TECH_SCOPE
                note = ("经核查，放款时企业不属于财金〔2024〕60号支持范围，银行未能提供证明材料"
                        "（科创方案第十五条）")
            else:
                code = ReasonCode.OTHER_COVER
                note = ("经核查，该笔贷款同时由融资担保公司提供担保，不属于支持范围"
                        "（小微办法第六条第三项）")
            claim_review_reject(claim=claim, code=code, note=note, actor=self.reviewer,
                                now=when)
            return
        claim_review_pass(claim=claim, note="材料齐全，符合补偿条件", actor=self.reviewer,
                          now=when)

    def propose(self, key: tuple[str, str, datetime], when: datetime) -> None:
        """The quarter's proposal to the bureau (TECH Art. 15): the passed claims of banks not
        suspended on the day; a suspended bank's claims wait (MICRO Art. 8, TECH Art. 9)."""
        scheme, period, _when = key
        members = []
        for plan in self.proposals[key]:
            assert plan.claim is not None  # noqa: S101
            plan.claim.refresh_from_db()
            if plan.claim.status != S.PASSED:
                continue
            state = suspension_of(bank_id=plan.claim.bank_id, scheme=scheme)
            if state is not None and state.is_suspended:
                self.stalled["proposed:BANK_SUSPENDED"] += 1
                continue
            members.append(plan)
        if not members:
            return
        label = "小微" if scheme == Scheme.MICRO else "科创"
        proposal_create(claims=[p.claim for p in members if p.claim is not None], scheme=scheme,
                        period=period,
                        note=f"{quarter_label(period)}{label}补偿初审意见，共{len(members)}笔",
                        actor=self.reviewer, now=when)
        for plan in members:
            self._next(plan, "proposed")

    def _decided(self, plan: ClaimPlan, when: datetime) -> None:
        assert plan.claim is not None  # noqa: S101
        claim = plan.claim
        claim.refresh_from_db()
        rejected = plan.status == S.BUREAU_REJECTED
        kind = "函" if rejected else "确"
        self.counts[f"bureau_{kind}"] += 1
        number = (f"京技财{kind}〔{when.year}〕"
                  f"{self.counts[f'bureau_{kind}'] + (3 if rejected else 11)}号")
        document = self.upload(f"confirmation-{claim.number}.pdf",
                               "Beijing BDA Finance Bureau - written confirmation",
                               [f"Claim: {claim.number}", f"Bank: {claim.bank.code}",
                                f"Scheme: {claim.scheme}", f"Base: CNY {claim.base:,}",
                                f"Ratio: {claim.ratio}",
                                f"Compensation: CNY {claim.compensation:,}",
                                f"Document: {number}", f"Date: {when.date().isoformat()}"])
        if rejected:
            claim_bureau_reject(claim=claim, number=number, date=when.date(), document=document,
                                reason="经复核，不良分类依据不充分，请银行补充催收及诉讼材料后重新申报",
                                actor=self.approver, now=when)
        else:
            claim_confirm(claim=claim, number=number, date=when.date(), document=document,
                          note=f"同意按{claim.ratio:.0%}比例补偿¥{claim.compensation:,}",
                          actor=self.approver, now=when)

    def _paid(self, plan: ClaimPlan, when: datetime) -> None:
        assert plan.claim is not None  # noqa: S101
        self.counts["payments"] += 1
        claim_pay(claim=plan.claim, paid_on=when.date(),
                  reference=f"FK{when:%Y%m%d}{self.counts['payments']:03d}",
                  actor=self.reviewer, now=when)
        self._plan_recoveries(plan, when.date())

    # -- recoveries, returns, the write-off --

    def _plan_recoveries(self, plan: ClaimPlan, paid_on: date) -> None:
        """The written-off loan's recovery before its write-off; on the first early payout of
        each bank, one or two recoveries returned in time, or, at one bank, one not returned."""
        assert plan.claim is not None  # noqa: S101
        bank = plan.claim.bank.code
        if plan.status == S.WRITTEN_OFF:
            self._recover(plan, paid_on, 1, pending=False)
            return
        # The suspended bank's paid claims recover nothing: a return after it crossed would
        # take its net back under the threshold and resume it until its next payout.
        if (plan.status != S.PAID or bank in self.recovering
                or (bank, plan.claim.scheme) == SUSPENDED_BANK
                or paid_on > DEMO_TODAY - timedelta(days=60)):
            return
        self.recovering.add(bank)
        if self.pending_bank is None and bank != "ICBC-BDA":
            self.pending_bank = bank
            # Recovered some six weeks ago and notified at once; the return is overdue.
            recovered_on = self.workday_on_or_before(DEMO_TODAY - timedelta(days=45))
            self.at(_at(self.cal.add_workdays(recovered_on, 3), 11),
                    partial(self.recovery_step, plan, recovered_on, 0, True))
            return
        self._recover(plan, paid_on, self.rng.randint(1, 2), pending=False)

    def _recover(self, plan: ClaimPlan, after: date, left: int, *, pending: bool) -> None:
        """The next of ``left`` recoveries after ``after``; the written-off loan's write-off
        once its recoveries are returned (a write-off waits for them, MICRO Art. 17)."""
        recovered_on = None if left <= 0 else self.workday_on_or_after(
            after + timedelta(days=self.rng.randint(18, 35)))
        if recovered_on is None or recovered_on > DEMO_TODAY - timedelta(days=20):
            if plan.status == S.WRITTEN_OFF:
                self._plan_write_off(plan, after)
            return
        notified_on = self.cal.add_workdays(recovered_on, self.rng.randint(2, 10))
        self.at(self.stamp(notified_on), partial(self.recovery_step, plan, recovered_on,
                                                 left - 1, pending))

    def recovery_step(self, plan: ClaimPlan, recovered_on: date, left: int, pending: bool,
                      when: datetime) -> None:
        assert plan.claim is not None  # noqa: S101
        claim = plan.claim
        amount = _money(plan.base * Decimal(self.rng.randint(4, 18)) / 100
                        / 100).quantize(Decimal(1)) * 100
        recovery = recovery_report(claim=claim, recovered_on=recovered_on, amount=amount,
                                   notified_on=when.date(), actor=self.officer(claim.bank.code),
                                   ctx=self.ctx)
        self.counts["recoveries"] += 1
        if pending:
            return
        if recovery.return_amount <= 0:  # everything paid has come back already
            self._recover(plan, when.date(), 0, pending=False)
            return
        returned_on = self.cal.add_workdays(when.date(), self.rng.randint(2, 7))
        self.at(self.stamp(returned_on, 9, 12), partial(self.return_step, plan, recovery, left),
                moves_money=True)

    def return_step(self, plan: ClaimPlan, recovery: Recovery, left: int,
                    when: datetime) -> None:
        assert plan.claim is not None  # noqa: S101
        claim = plan.claim
        self.counts["returns"] += 1
        reference = f"FH{when:%Y%m%d}{self.counts['returns']:03d}"
        statement = None
        if claim.scheme == Scheme.TECH:  # TECH returns come with a statement (TECH Art. 19)
            statement = self.upload(f"statement-{reference}.pdf", "Return reconciliation",
                                    [f"Claim: {claim.number}",
                                     f"Recovered: CNY {recovery.amount:,}",
                                     f"Returned: CNY {recovery.return_amount:,}",
                                     f"Reference: {reference}"])
        back = return_record(recovery=recovery, amount=recovery.return_amount,
                             returned_on=when.date(), reference=reference,
                             reconciliation_statement=statement,
                             actor=self.officer(claim.bank.code))
        # The custodian sees the money on the fund account the same afternoon.
        return_receive(return_payment=back, actor=self.reviewer,
                       now=self.stamp(when.date(), 14, 17))
        self._recover(plan, when.date(), left, pending=False)

    def _plan_write_off(self, plan: ClaimPlan, after: date) -> None:
        """MICRO Art. 17: bankruptcy liquidation closed the borrower."""
        applied = self.workday_on_or_after(after + timedelta(days=self.rng.randint(5, 9)))
        reviewed = self.cal.add_workdays(applied, self.rng.randint(4, 7))
        decided = min(self.cal.add_workdays(reviewed, self.rng.randint(6, 10)),
                      self.workday_on_or_before(DEMO_TODAY - timedelta(days=2)))
        self.at(self.stamp(applied), partial(self.write_off_step, plan, reviewed, decided),
                moves_money=True)

    def write_off_step(self, plan: ClaimPlan, reviewed: date, decided: date,
                       when: datetime) -> None:
        assert plan.claim is not None  # noqa: S101
        claim = plan.claim
        lines = [f"Claim: {claim.number}",
                 f"Borrower credit code: {claim.filing.enterprise.credit_code}"]
        files = {name: self.upload(f"writeoff-{claim.number}-{name}.pdf", title, lines)
                 for name, title in (
                     ("ruling", "Court ruling - bankruptcy liquidation closed"),
                     ("internal_approval", "Bank internal write-off approval"),
                     ("application_letter", "Write-off application letter"))}
        write_off = writeoff_apply(claim=claim, ground=WriteOff.Ground.BANKRUPTCY, **files,
                                   actor=self.officer(claim.bank.code), now=when)
        self.at(self.stamp(reviewed), lambda now: writeoff_forward(
            write_off=write_off, note="法院终结破产程序裁定及银行内部核销审批齐全，报财政确认",
            actor=self.reviewer, now=now))
        self.at(self.stamp(decided), lambda now: writeoff_confirm(
            write_off=write_off, number=f"京技财核〔{decided.year}〕2号", date=decided,
            document=self.upload(f"writeoff-{claim.number}-decision.pdf",
                                 "Beijing BDA Finance Bureau - write-off confirmation", lines),
            note="同意核销", actor=self.approver, now=now), moves_money=True)
        self.counts["write_offs"] += 1

    # -- the fund's own entries --

    def schedule_fund(self) -> None:
        """Capital from the bureau, the quarterly deposit interest on the balance of the day,
        and the custodian's 2025 management fee (MICRO Art. 20, 24)."""
        self.at(_at(date(2025, 7, 1), 9, 30), lambda now: ledger_capital_receive(
            amount=CAPITAL, booked_on=now.date(), reference="CZBK-2025-0701",
            memo="财政国资局拨入风险补偿资金（小微办法第二十条）", actor=self.approver))
        last = date(2025, 7, 1)
        day = date(2025, 9, 21)
        while day <= DEMO_TODAY:  # the bank credits interest on the 21st of each quarter's end
            self.at(_at(day, 9), partial(self.interest_step, since=last))
            last, day = day, add_months(day, 3)
        self.at(_at(date(2026, 1, 20), 10), lambda now: ledger_management_fee_post(
            year=2025, booked_on=now.date(), actor=self.reviewer))

    def interest_step(self, when: datetime, *, since: date) -> None:
        days = (when.date() - since).days
        amount = (fund_balance() * DEPOSIT_RATE * days / 360).quantize(FEN)
        ledger_interest_record(amount=amount, booked_on=when.date(),
                               reference=f"LX-{when:%Y%m%d}",
                               memo=f"{when:%Y年%m月}结息（协定存款）", actor=self.reviewer)

    # -- the custodian's yearly spot check --

    def schedule_spot_check(self) -> None:
        self.at(_at(date(2026, 11, 18), 10), self.spot_check_step)

    def spot_check_step(self, when: datetime) -> None:
        compensated = Claim.objects.filter(status__in=(S.PAID, S.WRITTEN_OFF)).count()
        if compensated < 2:
            return
        check = spot_check_draw(year=2026, sample_size=min(3, compensated), seed="2026-演示抽查",
                                actor=self.reviewer)
        first = SpotCheckItem.objects.filter(spot_check=check).order_by("pk").first()
        if first is not None:
            spot_check_record(item=first, result=SpotCheckItem.Result.COMPLIANT,
                              finding="五级分类、催收记录与申报材料一致", actor=self.reviewer)
        self.counts["spot_checks"] += 1

