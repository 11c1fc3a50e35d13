"""Writes of the custodian's proposal to the finance bureau (补偿初审意见) and of the bureau's
written decision on each of its claims (书面确认文件).

RULES.md "Review and payment": passed claims go into a proposal (TECH quarterly, TECH Art. 15);
the bureau confirms or rejects claim by claim, in writing (number, date, the document).
"Suspension": while a bank is suspended in a scheme none of its queued claims is proposed or
confirmed (MICRO Art. 8, TECH Art. 9, 17).
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from riskcomp.choices import Scheme
from riskcomp.labels import quarter_label
from riskcomp.policy.claims import proposal_admits
from riskcomp.policy.deadlines import quarter_code, quarter_of
from riskcomp.policy.reasons import Refusal
from riskcomp.uploads import CheckedUpload
from riskcomp.validation import invalid

from ..common.services import checked_upload, locked_claim, require_status, store_upload, transition
from ..models import Claim, Confirmation, Proposal, ProposalWithdrawal
from .selectors import passed_on, suspended_reason

PERIOD_RE = re.compile(r"^(\d{4})Q([1-4])$")
_NUMBER_ATTEMPTS = 20


# --- Periods ----------------------------------------------------------------------------------

def period_label(day: date) -> str:
    """The quarter ``day`` is in, as a proposal period: 2026Q3."""
    return quarter_code(day)


QUARTER_NAMES = {1: pgettext_lazy("quarter", "一"), 2: pgettext_lazy("quarter", "二"),
                 3: pgettext_lazy("quarter", "三"), 4: pgettext_lazy("quarter", "四")}


def period_text(period: str) -> str:
    """A proposal period as an official writes it: 2026Q4 → 2026年第四季度."""
    match = PERIOD_RE.match((period or "").strip())
    if match is None:
        return period
    return _("%(y)d年第%(q)s季度") % {"y": int(match.group(1)),
                                     "q": QUARTER_NAMES[int(match.group(2))]}


def parse_period(period: str) -> tuple[int, int]:
    match = PERIOD_RE.match((period or "").strip())
    if match is None:
        raise invalid("period", _("所属期间格式应为“年份Q季度”，如 2026Q3。"), "period_format")
    return int(match.group(1)), int(match.group(2))


def period_admits(period: str, passed: date | None) -> bool:
    """Whether a proposal of ``period`` (2026Q3) may carry a claim passed on ``passed``: the
    rule is ``riskcomp.policy.claims.proposal_admits``."""
    return proposal_admits(parse_period(period), passed)


# --- Suspension --------------------------------------------------------------------------------


def refuse_suspended(claims: list[Claim], scheme: str) -> None:
    by_bank: dict[int, list[Claim]] = {}
    for claim in claims:
        by_bank.setdefault(claim.bank_id, []).append(claim)
    reasons = [r for group in by_bank.values() if (r := suspended_reason(group, scheme))]
    if reasons:
        raise Refusal(reasons)


# --- Proposal -----------------------------------------------------------------------------------

# Proposal numbers are identifiers printed on the document to the bureau: they read in Chinese
# whatever the reader's language, hence fixed words rather than translations.
_NUMBER_SCHEME = {"MICRO": "小微", "TECH": "科创"}
_NUMBER_QUARTER = "〇一二三四"


def proposal_number_stem(scheme: str, period: str) -> str:
    """初审-小微-2026年第三季度 for MICRO in 2026Q3; a second one of the period gets -2."""
    year, quarter = parse_period(period)
    return f"初审-{_NUMBER_SCHEME[scheme]}-{year}年第{_NUMBER_QUARTER[quarter]}季度"


def _proposal_number(scheme: str, period: str) -> str:
    stem = proposal_number_stem(scheme, period)
    taken = set(Proposal.objects.filter(number__startswith=stem)
                .values_list("number", flat=True))
    if stem not in taken:
        return stem
    seq = 2
    while f"{stem}-{seq}" in taken:
        seq += 1
    return f"{stem}-{seq}"


@transaction.atomic
def proposal_create(*, claims: Iterable[Claim], scheme: str, period: str, note: str = "",
                    actor: Any, now: datetime | None = None) -> Proposal:
    """Put passed claims of one scheme into a proposal to the finance bureau and move each to
    PROPOSED. All or nothing: a claim not passed, of another scheme or quarter, or of a bank
    suspended in the scheme refuses the whole proposal with every cause named."""
    now = now or timezone.now()
    if scheme not in Scheme.values:
        raise invalid("scheme", _("请选择政策。"), "scheme")
    year, quarter = parse_period(period)
    period = quarter_code(date(year, 3 * quarter - 2, 1))
    if (year, quarter) > quarter_of(timezone.localtime(now).date()):
        raise invalid("period", _("所属期间 %(p)s 尚未开始。") % {"p": quarter_label(period)},
                      "period_future")
    ids = sorted({c.pk for c in claims})
    if not ids:
        raise invalid("claims", _("请至少选择一笔初审通过的申报。"), "no_claims")
    # Locked in id order, so that two reviewers proposing overlapping claims cannot deadlock.
    locked = list(Claim.objects.select_for_update(of=("self",)).select_related("bank")
                  .filter(pk__in=ids).order_by("pk"))
    if len(locked) != len(ids):
        raise invalid("claims", _("所选申报中有不存在的记录，请刷新后重试。"), "claim_missing")
    passed = passed_on(locked)
    errors: list[ValidationError] = []
    for claim in locked:
        if claim.status != Claim.Status.PASSED:
            errors.append(ValidationError(
                _("申报 %(n)s 当前状态为“%(s)s”，只有初审通过的申报才能报送财政。")
                % {"n": claim.number, "s": claim.get_status_display()}, code="wrong_state"))
        elif claim.scheme != scheme:
            errors.append(ValidationError(
                _("申报 %(n)s 属于%(s)s，不能放入%(t)s的初审意见。")
                % {"n": claim.number, "s": claim.get_scheme_display(),
                   "t": Scheme(scheme).label}, code="wrong_scheme"))
        elif not period_admits(period, passed.get(claim.pk)):
            errors.append(ValidationError(
                _("申报 %(n)s 于 %(d)s 初审通过，属于 %(q)s，不能放入 %(p)s 的初审意见"
                  "（科创方案第十五条：按季度报送）。")
                % {"n": claim.number, "d": passed[claim.pk].isoformat(),
                   "q": quarter_label(period_label(passed[claim.pk])),
                   "p": quarter_label(period)}, code="wrong_period"))
    if errors:
        raise ValidationError({"claims": errors})
    refuse_suspended(locked, scheme)

    proposal: Proposal | None = None
    for _attempt in range(_NUMBER_ATTEMPTS):
        try:
            with transaction.atomic():
                proposal = Proposal.objects.create(
                    number=_proposal_number(scheme, period), scheme=scheme, period=period,
                    status=Proposal.Status.SUBMITTED, note=(note or "").strip(),
                    created_by=actor, submitted_at=now)
            break
        except IntegrityError:
            continue  # the number was taken by a concurrent proposal: take the next one
    if proposal is None:
        raise RuntimeError("could not allocate a proposal number")
    for claim in locked:
        claim.proposal = proposal
        claim.save(update_fields=["proposal", "updated_at"])
        transition(claim, Claim.Status.PROPOSED, actor=actor, now=now,
                   note=_("报送财政：%(n)s") % {"n": proposal.number})
    return proposal


def proposal_follow(proposal_id: int | None, *, now: datetime) -> None:
    """The proposal is decided once none of its claims still waits on the bureau, or withdrawn
    when the custodian has taken every claim back out of it."""
    if proposal_id is None:
        return
    proposal = Proposal.objects.select_for_update().get(pk=proposal_id)
    if proposal.claims.filter(status=Claim.Status.PROPOSED).exists():
        return
    if proposal.claims.exists():
        status, decided_at = Proposal.Status.DECIDED, now
    else:
        status, decided_at = Proposal.Status.WITHDRAWN, None
    if proposal.status != status:
        proposal.status, proposal.decided_at = status, decided_at
        proposal.save(update_fields=["status", "decided_at"])


@transaction.atomic
def proposal_withdraw(*, claim: Claim, reason: str, actor: Any,
                      now: datetime | None = None) -> ProposalWithdrawal:
    """Take a claim the bureau has not decided yet back out of its proposal (the bank withdrew
    it, a fact needs checking again): the claim returns to PASSED and may go into a later
    proposal; the proposal keeps the withdrawal, with its reason, beside the claims it still
    carries. Refused once the bureau has decided the claim."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise invalid("reason", _("请填写撤回原因。"), "reason_missing")
    # The claim first, then its proposal: the order in which the bureau's decision locks them.
    locked = locked_claim(claim)
    not_proposed = _("申报当前状态为“%(s)s”，只有待财政确认的申报才能撤出初审意见。")
    require_status(locked, (Claim.Status.PROPOSED,), not_proposed)
    if locked.proposal_id is None:  # marked proposed yet in no proposal: nothing to take out
        raise invalid(None, not_proposed % {"s": locked.get_status_display()}, "wrong_state")
    proposal = Proposal.objects.select_for_update().get(pk=locked.proposal_id)
    withdrawal = ProposalWithdrawal.objects.create(
        proposal=proposal, claim=locked, reason=reason, withdrawn_by=actor, withdrawn_at=now)
    locked.proposal = None
    locked.save(update_fields=["proposal", "updated_at"])
    transition(locked, Claim.Status.PASSED, actor=actor, now=now,
               note=_("撤出初审意见 %(p)s：%(r)s") % {"p": proposal.number, "r": reason})
    proposal_follow(proposal.pk, now=now)
    return withdrawal


# --- The bureau's written decision --------------------------------------------------------------

@dataclass(frozen=True)
class WrittenDecision:
    """The bureau's written document: its number, its date and the checked scan."""

    number: str
    date: date
    document: CheckedUpload


def written_decision(*, number: str, date_: date | None, document: UploadedFile | None,
                     not_before: date | None = None, reason_text: str | None = None,
                     label: str = "") -> WrittenDecision:
    """Check the bureau's written document (书面确认文件): nothing is decided without its
    number, its date and the scan. ``reason_text`` is checked too when it is given (rejections
    state why). Every missing piece is reported at once, keyed by form field."""
    today = timezone.localdate()
    errors: dict[str, list[ValidationError]] = {}

    def add(field: str, message: str, code: str) -> None:
        errors.setdefault(field, []).append(ValidationError(message, code=code))

    number = (number or "").strip()
    if not number:
        add("number", _("请填写财政书面确认文件的文号。"), "number_missing")
    if date_ is None:
        add("date", _("请填写财政书面确认文件的日期。"), "date_missing")
    elif date_ > today:
        add("date", _("确认文件日期不能晚于今天。"), "date_in_future")
    elif not_before is not None and date_ < not_before:
        add("date", _("确认文件日期不能早于%(d)s（报送或申请日期）。")
            % {"d": not_before.isoformat()}, "date_too_early")
    if reason_text is not None and not reason_text.strip():
        add("reason", _("请填写不予确认的理由。"), "reason_missing")
    checked: CheckedUpload | None = None
    if document is None:
        add("document", _("请上传财政书面确认文件扫描件。"), "upload_missing")
    else:
        try:
            checked = checked_upload(document, "document", label or str(_("确认文件扫描件")))
        except ValidationError as exc:
            errors.setdefault("document", []).extend(exc.error_dict["document"])
    if errors:
        raise ValidationError(errors)
    assert checked is not None and date_ is not None  # noqa: S101 -- both checked above
    return WrittenDecision(number=number, date=date_, document=checked)


def _decide(claim: Claim, *, decision: str, number: str, date_: date | None,
            document: UploadedFile | None, note: str, actor: Any,
            now: datetime | None) -> Confirmation:
    now = now or timezone.now()
    claim = locked_claim(claim)
    require_status(claim, (Claim.Status.PROPOSED,),
                   _("申报当前状态为“%(s)s”，不在待财政确认状态。"))
    rejecting = decision == Confirmation.Decision.REJECTED
    proposal = claim.proposal
    not_before = (timezone.localtime(proposal.submitted_at).date()
                  if proposal is not None and proposal.submitted_at else None)
    written = written_decision(number=number, date_=date_, document=document,
                               not_before=not_before, reason_text=note if rejecting else None)
    if not rejecting:
        reason_ = suspended_reason([claim], claim.scheme)
        if reason_ is not None:
            raise Refusal([reason_])
    confirmation = Confirmation(
        claim=claim, decision=decision, document_number=written.number,
        document_date=written.date, note=(note or "").strip(), approver=actor, decided_at=now)
    store_upload(confirmation.document, written.document)
    try:
        with transaction.atomic():
            confirmation.save()
    except IntegrityError as exc:
        confirmation.document.delete(save=False)
        raise invalid(None, _("申报 %(n)s 已有财政确认记录。") % {"n": claim.number},
                      "already_decided") from exc
    to = Claim.Status.BUREAU_REJECTED if rejecting else Claim.Status.CONFIRMED
    transition(claim, to, actor=actor, now=now,
               note=f"{written.number} {confirmation.note}".strip())
    proposal_follow(claim.proposal_id, now=now)
    return confirmation


@transaction.atomic
def claim_confirm(*, claim: Claim, number: str, date: date | None,
                  document: UploadedFile | None, note: str = "", actor: Any,
                  now: datetime | None = None) -> Confirmation:
    """The bureau confirms a proposed claim in writing (TECH Art. 16, MICRO Art. 15): a
    ``Confirmation`` row with the document's number, date and scan; the claim → CONFIRMED.
    Refused while the claim's bank is suspended in its scheme."""
    return _decide(claim, decision=Confirmation.Decision.CONFIRMED, number=number, date_=date,
                   document=document, note=note, actor=actor, now=now)


@transaction.atomic
def claim_bureau_reject(*, claim: Claim, number: str, date: date | None,
                        document: UploadedFile | None, reason: str, actor: Any,
                        now: datetime | None = None) -> Confirmation:
    """The bureau rejects a proposed claim in writing, with its reason; the claim →
    BUREAU_REJECTED (closed; the bank may claim the loan again)."""
    return _decide(claim, decision=Confirmation.Decision.REJECTED, number=number, date_=date,
                   document=document, note=reason, actor=actor, now=now)


@transaction.atomic
def proposal_decide(*, proposal: Proposal, claims: Iterable[Claim], decision: str,
                    number: str, date: date | None, document: UploadedFile | None,
                    reason: str = "", actor: Any, now: datetime | None = None
                    ) -> list[Confirmation]:
    """One written document deciding several claims of a proposal alike (the bureau usually
    answers a proposal with one letter): each claim gets its own ``Confirmation``; all or
    nothing."""
    now = now or timezone.now()
    if decision not in Confirmation.Decision.values:
        raise invalid("decision", _("请选择确认或不予确认。"), "decision")
    chosen = sorted(claims, key=lambda c: c.pk)
    if not chosen:
        raise invalid("claims", _("请至少选择一笔待确认的申报。"), "no_claims")
    foreign = [c.number for c in chosen if c.proposal_id != proposal.pk]
    if foreign:
        raise invalid("claims", _("申报 %(n)s 不属于初审意见 %(p)s。")
                      % {"n": _("、").join(foreign), "p": proposal.number}, "wrong_proposal")
    return [_decide(claim, decision=decision, number=number, date_=date, document=document,
                    note=reason, actor=actor, now=now) for claim in chosen]
